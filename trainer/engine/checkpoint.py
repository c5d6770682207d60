"""A run's whole state as a torch.save-able dict, and back: resuming gives the very steps it would have taken.

Kept: the weights, the optimizer and its schedule, every random generator (torch's CPU and CUDA
ones, which drive dropout; the data-order generator; the augmentation generator), where in which
epoch the run was (with that epoch's data order), the early-stop counters and the meters a live
curve needs to go on where it stopped (steps, samples, the partly filled train point).
"""
import torch

from .schedule import Schedule

VERSION = 1


def to_cpu(value):
    """Tensors anywhere inside dicts and lists, copied to the CPU (optimizer state lives on the device)."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(to_cpu(v) for v in value)
    return value


def capture(loop, epoch: int, position: int, order: torch.Tensor | None) -> dict:
    """The state after `epoch` whole epochs and, within the next, the batches before `position` of `order`."""
    return {
        "version": VERSION,
        "model": to_cpu(loop.model.state_dict()),
        "optimizer": to_cpu(loop.optimizer.state_dict()),
        "scheduler": to_cpu(loop.schedule.state_dict()),
        "plan": dict(loop.plan),
        "split": split_key(loop.arrays, loop.config),
        "rng": {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if loop.cuda else None,
            "data": loop.generator.get_state(),
            "augment": loop.inputs.generator.get_state().cpu(),
        },
        "epoch": epoch,
        "position": position,
        "order": None if order is None else order.cpu(),
        "step": loop.step,
        "samples": loop.samples,
        "train_seconds": loop.train_seconds,
        "early_stop": loop.early_stop.state_dict(),
        "meter": loop.meter.snapshot(),
        "last": dict(loop.last),
        "normalization": loop.inputs.normalization,
    }


def split_key(arrays, config) -> dict:
    """What decides the train/validation split and the data order: a resumed run must share it."""
    return {"train_size": arrays.train_size, "val_fraction": config.val_fraction, "seed": config.seed}


def remaining_epochs(state: dict) -> int:
    """Epochs left in the plan a checkpoint was taken in, counting a partly trained one: what to pass as
    config.epochs to finish that plan."""
    return state["plan"]["last_epoch"] - state["epoch"]


def fresh_start(optimizer, config) -> None:
    """The settings' learning rate and momentum again, for a schedule that starts over."""
    for group in optimizer.param_groups:
        group.pop("initial_lr", None)
        group["lr"] = config.lr
        if "betas" in group:
            group["betas"] = (0.9, group["betas"][1])  # Adam's default, which onecycle cycles
        elif "momentum" in group:
            group["momentum"] = config.momentum


def check_state(state: object, arrays, config) -> str | None:
    """Why `state` cannot resume a run on `arrays` with `config`, or None."""
    if not isinstance(state, dict) or state.get("version") != VERSION:
        return f"the checkpoint is not a LayerLab engine state (version {VERSION})"
    if state["split"] != split_key(arrays, config):
        return ("the checkpoint was trained on another split of the data (its dataset size, val_fraction and "
                f"seed were {state['split']}): resume with the same dataset, val_fraction and seed")
    return None


def restore(loop, state: dict) -> None:
    """Put a checkpoint's state into a freshly built loop whose model, optimizer and schedule exist."""
    loop.model.load_state_dict(state["model"])
    loop.optimizer.load_state_dict(state["optimizer"])
    same_plan = all(state["plan"][k] == loop.plan[k] for k in ("last_epoch", "total_steps"))
    if same_plan or loop.schedule.kind == "step":
        loop.schedule.load_state_dict(state["scheduler"])  # the same plan, or a per-epoch schedule, carries on
        loop.plan["first_step"] = state["plan"]["first_step"]
    else:  # a new plan: its own schedule from the settings' lr, over its own steps
        fresh_start(loop.optimizer, loop.config)
        loop.schedule = Schedule(loop.optimizer, loop.config, loop.total_steps - loop.plan["first_step"])
    rng = state["rng"]
    torch.set_rng_state(rng["torch"])
    if loop.cuda and rng["cuda"]:
        torch.cuda.set_rng_state_all(rng["cuda"])
    loop.generator.set_state(rng["data"])
    try:
        loop.inputs.generator.set_state(rng["augment"])
    except RuntimeError:  # taken on another kind of device: the augmentation draws differ from here on
        loop.inputs.generator.manual_seed(loop.config.seed + state["step"])
    loop.epochs_done, loop.step, loop.samples = state["epoch"], state["step"], state["samples"]
    loop.train_seconds = state["train_seconds"]
    loop.early_stop.load_state_dict(state["early_stop"])
    loop.meter.restore(state["meter"])
    loop.last.update(state["last"])
    loop.resume_order, loop.resume_position = state["order"], state["position"]
