"""The optimizer, its learning-rate schedule and early stopping, all from the settings.

Schedules are torch's own: StepLR steps once an epoch; cosine and onecycle step every batch over
the steps of the plan (from where the run starts to its last epoch), so their state_dicts carry on
exactly in a resumed run.
"""
import torch


def make_optimizer(model: torch.nn.Module, config) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)


class Schedule:
    """`after_step()` every batch and `after_epoch()` every epoch; `lr` is the learning rate now."""

    def __init__(self, optimizer: torch.optim.Optimizer, config, plan_steps: int):
        self.optimizer, self.kind = optimizer, config.lr_schedule
        self.scheduler = None
        if self.kind == "step":
            self.scheduler = torch.optim.lr_scheduler.StepLR(optimizer, config.lr_step_epochs, config.lr_gamma)
        elif self.kind == "cosine":
            self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(1, plan_steps))
        elif self.kind == "onecycle":
            self.scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, config.lr, total_steps=max(1, plan_steps))
        self.per_batch = self.kind in ("cosine", "onecycle")

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def after_step(self) -> None:
        if self.per_batch:
            self.scheduler.step()

    def after_epoch(self) -> None:
        if self.kind == "step":
            self.scheduler.step()

    def state_dict(self) -> dict | None:
        return self.scheduler.state_dict() if self.scheduler else None

    def load_state_dict(self, state: dict | None) -> None:
        if self.scheduler and state:
            self.scheduler.load_state_dict(state)


class EarlyStop:
    """Counts epochs without a lower validation loss; `stop` once `patience` of them have passed."""

    def __init__(self, patience: int):
        self.patience, self.best, self.bad = patience, None, 0

    def update(self, val_loss: float | None) -> bool:
        if not self.patience or val_loss is None:
            return False
        if self.best is None or val_loss < self.best:
            self.best, self.bad = val_loss, 0
        else:
            self.bad += 1
        return self.bad >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad": self.bad}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad = state["best"], state["bad"]
