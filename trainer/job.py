"""A training job, ready to run: the compiled design, the data and the checked settings.

Pure core (no Django): the Celery task and `manage.py train` both build one and call `train`.
"""
from dataclasses import dataclass, field, fields

import torch

from builder.compile import compile_graph
from builder.document import Limits, check_document, ends_in_softmax
from builder.summary import summarize

from .data import Arrays
from .engine import SOFTMAX_NOTE, TrainConfig, check_input_matches, model_input, train


class JobError(ValueError):
    """A run that cannot start, with every problem listed for the user."""

    def __init__(self, problems: list[dict]):
        super().__init__("; ".join(p["message"] for p in problems))
        self.problems = problems


def config_from(options: dict) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in options.items() if k in known})


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

    def train(self, on_event=None, should_stop=None) -> dict:
        self.best_val = None

        def watch(event: dict) -> None:
            if event.get("split") == "val" and event.get("accuracy") is not None:
                self.best_val = max(self.best_val or 0.0, event["accuracy"])
            if on_event:
                on_event(event)

        result = train(self.model, self.arrays, self.config, on_event=watch, should_stop=should_stop)
        out = result.as_dict()
        out["notes"] = list(dict.fromkeys(self.notes + list(out.get("notes") or [])))
        out["samples"] = self.samples()
        out["classes"] = list(self.arrays.classes)
        out["best_val_accuracy"] = self.best_val
        return out

    def samples(self, count: int = 8, max_values: int = 4096) -> list[dict]:
        """A few test samples with the trained model's predictions, for the run page."""
        x, y = self.arrays.x_test[:count], self.arrays.y_test[:count]
        if len(x) == 0:
            return []
        self.model.eval()
        with torch.no_grad():
            param = next(self.model.parameters(), None)
            device = param.device if param is not None else torch.device("cpu")
            out = self.model(model_input(torch.as_tensor(x)).to(device))
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


def check_job(document, arrays: Arrays, options: dict, limits: Limits) -> tuple[TrainConfig, list[str]]:
    """The settings and notes for a run, or JobError naming every problem."""
    summary = summarize(document, limits)
    if not summary["valid"]:
        raise JobError([dict(e, fix=None) for e in summary["errors"]])
    graph = check_document(document, limits)
    config = config_from(options)
    problems = [{"node": None, "param": None, "message": m, "fix": None} for m in config.check()]
    output_shape = summary["output_shape"]
    problems += check_input_matches(summary["input_shapes"], input_dtypes(document, summary),
                                    arrays, config.loss, output_shape=output_shape,
                                    output_node=graph.outputs[0])
    if problems:
        raise JobError(problems)
    notes = []
    if config.loss == "cross_entropy" and ends_in_softmax(graph):
        config.output_is_probability = True
        notes.append(SOFTMAX_NOTE)
    return config, notes


def input_dtypes(document, summary) -> dict:
    return {nid: summary["nodes"][nid].get("dtype", "float32") for nid in summary["input_shapes"]}


def build_job(document, arrays: Arrays, options: dict, limits: Limits = Limits()) -> Job:
    config, notes = check_job(document, arrays, options, limits)
    torch.manual_seed(config.seed)  # the initial weights are part of what the seed reproduces
    model = compile_graph(document, limits)
    return Job(model=model, arrays=arrays, config=config, device=resolve_device(config.device), notes=notes)
