"""A training job, ready to run: the compiled design, the data and the checked settings.

Pure core (no Django): the Celery task and `manage.py train` both build one and call `train`.
"""
from dataclasses import dataclass, field

import torch

from builder.compile import compile_graph
from builder.document import Graph, Limits, check_document, ends_in_softmax
from builder.errors import GraphInvalid
from builder.preprocess import Preprocess, Preprocessed
from builder.summary import summarize

from ..datasets import Arrays
from .checkpoint import check_state
from .checks import check_config, check_data_settings
from .settings import SETTINGS
from .xray import Xray
from .loop import SOFTMAX_NOTE, TrainConfig, check_input_matches, train


class JobError(ValueError):
    """A run that cannot start, with every problem listed for the user."""

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(p["message"] for p in problems))
        self.problems = problems


def config_from(options: dict) -> TrainConfig:
    """The declared settings among `options` (others, such as a run's lab, are not the engine's)."""
    return TrainConfig(**{k: v for k, v in options.items() if k in SETTINGS})


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


@dataclass
class Job:
    model: torch.nn.Module
    arrays: Arrays
    config: TrainConfig
    device: str
    notes: list[str] = field(default_factory=list)
    graph: Graph | None = None  # the checked design the model was compiled from
    resume_from: dict | None = None  # a checkpoint to carry on from (config.epochs more epochs)

    def train(self, on_event=None, should_stop=None, on_checkpoint=None, observer=None) -> dict:
        self.best_val = None

        def watch(event: dict) -> None:
            if event.get("split") == "val" and event.get("accuracy") is not None:
                self.best_val = max(self.best_val or 0.0, event["accuracy"])
            if on_event:
                on_event(event)

        result = train(self.model, self.arrays, self.config, on_event=watch, should_stop=should_stop,
                       resume_from=self.resume_from, on_checkpoint=on_checkpoint, observer=observer)
        out = result.as_dict()
        out["notes"] = list(dict.fromkeys(self.notes + list(out.get("notes") or [])))
        out["samples"] = self.samples(out["normalization"])
        out["classes"] = list(self.arrays.classes)
        out["best_val_accuracy"] = self.best_val
        return out

    def xray(self) -> Xray | None:
        """The X-ray observer this run asked for (the `xray` setting), or None."""
        return Xray() if self.config.xray else None

    def samples(self, normalization: dict | None = None, count: int = 8, max_values: int = 4096) -> list[dict]:
        """A few test samples (as stored) with the trained model's predictions, for the run page."""
        x, y = self.arrays.x_test[:count], self.arrays.y_test[:count]
        if len(x) == 0:
            return []
        model = raw_input_model(self.model, normalization, x.ndim - 1)
        model.eval()
        with torch.no_grad():
            param = next(self.model.parameters(), None)
            device = param.device if param is not None else torch.device("cpu")
            xt = torch.as_tensor(x)
            if normalization is None and not xt.is_floating_point():
                xt = xt.long()  # token ids stored narrow
            out = model(xt.to(device))
            out = out[0] if isinstance(out, tuple) else out
        classes = self.arrays.classes
        rows = []
        for i in range(len(x)):
            row = {"label": _py(y[i]), "prediction": out[i].argmax().item() if classes else out[i].tolist()}
            if classes:
                row["label_name"], row["prediction_name"] = classes[int(y[i])], classes[row["prediction"]]
            if x[i].size <= max_values:
                row["input"] = x[i].tolist()
            rows.append(row)
        return rows


def _py(value):
    return value.item() if hasattr(value, "item") else value


def raw_input_model(model: torch.nn.Module, normalization: dict | None, sample_dims: int) -> torch.nn.Module:
    """The trained model taking inputs as the dataset stores them: with its preprocessing when it had one."""
    if not normalization:
        return model
    param = next(model.parameters(), None)
    prep = Preprocess(normalization, sample_dims, normalization.get("channel_dim", 0))
    return Preprocessed(model, prep.to(param.device if param is not None else "cpu"))


def problem(message: str) -> dict:
    return {"node": None, "param": None, "message": message, "fix": None}


def check_design(document, limits: Limits, summary: dict | None = None) -> tuple[Graph, dict]:
    """The design checked once: its Graph (handed on to compile and export) and its summary (the
    caller's, when it already made one of this document)."""
    try:
        graph = check_document(document, limits)
    except GraphInvalid as exc:
        raise JobError([dict(e.as_dict(), fix=None) for e in exc.errors]) from None
    summary = summary or summarize(graph, limits)
    if not summary["valid"]:
        raise JobError([dict(e, fix=None) for e in summary["errors"]])
    return graph, summary


def check_job(document, arrays: Arrays, options: dict, limits: Limits,
              summary: dict | None = None) -> tuple[TrainConfig, list[str]]:
    """The settings and notes for a run, or JobError naming every problem. `summary`: the design's,
    when the caller already made it (a web request summarizes once, for the lab, the job and memory)."""
    config, notes, _ = checked_job(document, arrays, options, limits, summary)
    return config, notes


def checked_job(document, arrays: Arrays, options: dict, limits: Limits,
                summary: dict | None = None) -> tuple[TrainConfig, list[str], Graph]:
    graph, summary = check_design(document, limits, summary)
    config = config_from(options)
    problems = [problem(m) for m in check_config(config, limits.max_epochs)]
    problems += check_data_settings(config, arrays)
    problems += check_input_matches(summary["input_shapes"], input_dtypes(summary), arrays, config.loss,
                                    output_shape=summary["output_shape"], output_node=graph.outputs[0])
    if problems:
        raise JobError(problems)
    notes = []
    if config.loss == "cross_entropy" and ends_in_softmax(graph):
        config.output_is_probability = True
        notes.append(SOFTMAX_NOTE)
    return config, notes, graph


def input_dtypes(summary) -> dict:
    return {nid: summary["nodes"][nid].get("dtype", "float32") for nid in summary["input_shapes"]}


def build_job(document, arrays: Arrays, options: dict, limits: Limits = Limits(),
              resume_from: dict | None = None) -> Job:
    """A job ready to train; with `resume_from` (a checkpoint of this design) it carries on from there."""
    config, notes, graph = checked_job(document, arrays, options, limits)
    if resume_from is not None and (bad := check_state(resume_from, arrays, config)):
        raise JobError([problem(bad)])
    torch.manual_seed(config.seed)  # the initial weights are part of what the seed reproduces
    model = compile_graph(graph, limits)
    if resume_from is not None:
        try:
            model.load_state_dict(resume_from["model"])
        except (RuntimeError, KeyError) as exc:
            raise JobError([problem(f"the checkpoint's weights do not fit this design: {exc}")]) from None
    return Job(model=model, arrays=arrays, config=config, device=resolve_device(config.device), notes=notes,
               graph=graph, resume_from=resume_from)
