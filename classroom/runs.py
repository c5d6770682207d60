"""A run request in a lab: the lab's dataset and pinned settings, and every rule it breaks.

Called by trainer/api.py for POST /api/runs/ and /api/runs/check/."""
from dataclasses import dataclass, field

from django.utils import timezone

from trainer.models import Run
from webapp.errors import rejected

from . import rules
from .access import lab_for
from .limits import lab_limits


@dataclass
class LabRun:
    options: dict  # what to train with; `dataset` included
    dataset_owner: object  # whose uploads the dataset id is looked up in
    fields: dict = field(default_factory=dict)  # for Run: lab, late
    problems: list = field(default_factory=list)
    result: dict = field(default_factory=dict)  # the run's result from the start: the design's params


def check_lab_run(user, options: dict, document, params: int | None) -> LabRun:
    """Without `lab`: the request as it is. With one: Http404 unless I may see the lab; else the
    options with the lab's dataset and settings pinned, and the lab's problems with the request.
    `params`: the design's parameter count, from the summary the caller made."""
    options = dict(options)
    lab_id = options.pop("lab", None)
    if lab_id is None:
        if options.get("dataset") is None:
            raise rejected("dataset: give a dataset id, e.g. \"digits\" (or the lab you train for)")
        return LabRun(options, user)
    lab, _ = lab_for(user, lab_id)
    asked = options.pop("dataset", None)
    if asked is not None and str(asked) != lab.dataset:
        raise rejected(f"this lab trains on its own dataset ({lab.dataset}): leave dataset out")
    options.update(lab.settings, dataset=lab.dataset)
    late, problems = rules.check_deadline(lab.deadline, timezone.now(), lab.accept_late)
    problems += rules.check_locked(lab.starter, document, lab.locked)
    problems += rules.check_blocks(document, lab.allowed_blocks, lab.locked)
    mine = Run.objects.filter(lab=lab, owner=user)
    problems += rules.check_limits(lab_limits(lab), params, options.get("epochs", 10), mine.count(),
                                   mine.filter(status=Run.QUEUED).count())
    # The wall shows the parameter count from the moment the run is queued, not only once it is scored.
    return LabRun(options, lab.course.teacher, {"lab": lab, "late": late}, problems, {"params": params})
