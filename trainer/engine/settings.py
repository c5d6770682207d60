"""The training settings, declared once: type, default, limits and help for each.

TrainConfig's fields and checks, the API's run request (trainer/serializers.py), the command line
(`manage.py train`) and the Train dialog (`GET /api/training-settings/`) are all built from
SETTINGS, as the palette and the document checks are built from the block catalogue.
"""
import math
from dataclasses import asdict, dataclass, replace
from numbers import Real

MAX_EPOCHS = 500  # the default of LAYERLAB_MAX_EPOCHS; the server passes its own


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # "int" | "float" | "choice" | "bool"
    default: object
    label: str
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # the value must be above `low`, not equal to it
    choices: tuple = ()
    applies_to: str = "all"  # "all" | "image": the form shows it only for image datasets
    group: str = "basic"  # "basic" | "schedule" | "data": where the form puts it

    @property
    def type(self) -> type:
        return {"int": int, "float": float, "choice": str, "bool": bool}[self.kind]

    def check(self, value) -> str | None:
        """A sentence saying what is wrong with `value`, or None."""
        if self.kind == "choice":
            return None if value in self.choices else f"{self.name} must be one of {', '.join(self.choices)}, not {value!r}"
        if self.kind == "bool":
            return None if isinstance(value, bool) else f"{self.name} must be true or false, not {value!r}"
        whole = self.kind == "int"
        ok = _whole(value) if whole else _number(value)
        if ok and (value > self.low if self.low_open else value >= self.low) and value <= self.high:
            return None
        kind = "a whole number" if whole else "a number"
        span = f"above {self.low} and at most {self.high}" if self.low_open else f"from {self.low} to {self.high}"
        return f"{self.name} must be {kind} {span}, not {value!r}"

    def as_dict(self) -> dict:
        out = asdict(self)
        out["choices"] = list(self.choices)
        return out


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _int(name, default, low, high, label, help, **kw) -> Setting:
    return Setting(name, "int", default, label, help, low=low, high=high, **kw)


def _float(name, default, low, high, label, help, **kw) -> Setting:
    return Setting(name, "float", default, label, help, low=low, high=high, **kw)


def _choice(name, default, choices, label, help, **kw) -> Setting:
    return Setting(name, "choice", default, label, help, choices=tuple(choices), **kw)


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    _int("epochs", 10, 1, MAX_EPOCHS, "Epochs", "Passes over the training split."),
    _int("batch_size", 64, 1, 65536, "Batch size", "Samples per optimizer step."),
    _choice("optimizer", "adam", ("sgd", "adam", "adamw"), "Optimizer",
            "sgd: with momentum; adam: a safe start; adamw: Adam with decoupled weight decay."),
    _float("lr", 0.001, 0, 10, "Learning rate", "Step size of the optimizer (the peak, with a schedule).",
           low_open=True),
    _float("weight_decay", 0.0, 0, 1, "Weight decay", "Pulls weights towards zero; 0 is off."),
    _float("momentum", 0.9, 0, 1, "Momentum (SGD)", "Used by sgd only."),
    _choice("loss", "cross_entropy", ("cross_entropy", "mse"), "Loss",
            "cross_entropy for classes, mse for numeric targets."),
    _int("seed", 0, 0, 2**31 - 1, "Seed", "The same seed repeats a run exactly: initial weights, data order, "
         "augmentation."),
    _float("val_fraction", 0.1, 0, 0.5, "Validation fraction", "Share of the training split held out to "
           "validate after each epoch."),
    _choice("device", "auto", ("auto", "cpu", "cuda"), "Device", "auto uses a GPU when the worker has one."),
    _choice("lr_schedule", "constant", ("constant", "step", "cosine", "onecycle"), "LR schedule",
            "constant; step: times lr_gamma every lr_step_epochs; cosine: down to 0 by the end; "
            "onecycle: warm up to lr, then down.", group="schedule"),
    _int("lr_step_epochs", 10, 1, 10_000, "LR step every (epochs)", "For the step schedule.", group="schedule"),
    _float("lr_gamma", 0.1, 0, 1, "LR step factor", "For the step schedule: lr is multiplied by it.",
           low_open=True, group="schedule"),
    _int("early_stop_patience", 0, 0, 10_000, "Early stop patience", "Stop after this many epochs without a "
         "lower validation loss; 0 is off.", group="schedule"),
    _float("grad_clip", 0.0, 0, 1e6, "Gradient clip", "Largest global norm of the gradients; 0 is off.",
           group="schedule"),
    _choice("normalize", "auto", ("auto", "on", "off"), "Normalize inputs",
            "Per channel, with the mean and std of the training split; auto: on for images.", group="data"),
    _int("augment_crop", 0, 0, 64, "Random crop padding", "Pixels of zero padding before a random crop of the "
         "original size; 0 is off.", applies_to="image", group="data"),
    Setting("augment_flip", "bool", False, "Random horizontal flip", "Mirror half the training images; leave it "
            "off for digits and text.", applies_to="image", group="data"),
    Setting("xray", "bool", True, "X-ray", "Every few steps, record each block's activations, gradients and "
            "updates, shown live on the run page."),
]}


def declared(max_epochs: int = MAX_EPOCHS) -> dict[str, Setting]:
    """SETTINGS with the server's epoch limit."""
    return {**SETTINGS, "epochs": replace(SETTINGS["epochs"], high=max_epochs)}


def catalogue(max_epochs: int = MAX_EPOCHS) -> list[dict]:
    """The settings as JSON, for the Train dialog."""
    return [s.as_dict() for s in declared(max_epochs).values()]


def check_settings(values, max_epochs: int = MAX_EPOCHS) -> list[str]:
    """Readable problems with an object holding every setting as an attribute; empty when fine."""
    problems = [s.check(getattr(values, s.name)) for s in declared(max_epochs).values()]
    return [p for p in problems if p]
