"""manage.py train FILE --dataset NAME [...] [--json]: train in this process with the same engine."""
import argparse
import json
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from builder.config import limits
from builder.management.commands.graph import read_document
from trainer.engine.settings import SETTINGS, Setting, declared


def add_setting(parser, setting: Setting) -> None:
    """--batch-size and the like, from the declared training settings."""
    flag = "--" + setting.name.replace("_", "-")
    help = f"{setting.help} (default {setting.default})"
    if setting.kind == "bool":
        parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=setting.default, help=help)
    elif setting.kind == "choice":
        parser.add_argument(flag, default=setting.default, choices=setting.choices, help=help)
    else:
        parser.add_argument(flag, type=setting.type, default=setting.default, help=help,
                            metavar=f"{setting.low}..{setting.high}")


class Command(BaseCommand):
    help = "Train a design on a dataset in this process; --json prints one JSON result line at the end."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a layerlab.graph/1 document, or - for standard input")
        parser.add_argument("--dataset", required=True, help="a built-in (manage.py datasets list) or an uploaded dataset's id")
        parser.add_argument("--user", help="owner of an uploaded dataset (username)")
        for setting in declared(settings.LAYERLAB_MAX_EPOCHS).values():
            add_setting(parser, setting)
        parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
        parser.add_argument("--save", help="write the trained state_dict to this .pt file")

    def handle(self, *args, **o):
        from django.contrib.auth import get_user_model
        from django.http import Http404

        from trainer.dataset_store import resolve
        from trainer.datasets import DatasetError
        from trainer.engine.job import JobError, build_job

        document = read_document(o["file"])
        user = get_user_model().objects.filter(username=o["user"]).first() if o["user"] else None
        def preparing(fraction: float) -> None:  # a downloadable built-in fetched on first use
            self.stderr.write(f"\rpreparing data {fraction:4.0%}", ending="\n" if fraction >= 1 else "")

        try:
            arrays, _ = resolve(o["dataset"], user, on_progress=preparing)
        except (Http404, DatasetError) as exc:
            raise CommandError(str(exc)) from None
        try:
            job = build_job(document, arrays, {k: o[k] for k in SETTINGS}, limits())
        except JobError as exc:
            for problem in exc.problems:
                self.stderr.write(f"error: {problem.get('node') or 'run'}: {problem['message']}")
            sys.exit(1)
        for note in job.notes:
            self.stderr.write(f"note: {note}")
        started = time.perf_counter()
        result = job.train(on_event=self.progress(o["json"]))
        seconds = time.perf_counter() - started
        if o["save"]:
            import torch

            torch.save(job.model.state_dict(), o["save"])
        self.report(result, seconds, o["json"])

    def progress(self, quiet_stdout: bool):
        out = self.stderr if quiet_stdout else self.stdout

        def show(event: dict) -> None:
            if event.get("type") != "metric":
                return
            acc = event.get("accuracy")
            acc_text = f"  acc {acc:.3f}" if acc is not None else ""
            if event["split"] == "val":
                out.write(f"epoch {event['epoch']}  val loss {event['loss']:.4f}{acc_text}")
            else:
                out.write(f"\repoch {event['epoch']}  step {event['step']}/{event.get('total_steps', '?')}"
                          f"  loss {event['loss']:.4f}{acc_text}  {event.get('samples_per_s', 0):,.0f} samples/s", ending="")
                out.flush()
        return show

    def report(self, result: dict, seconds: float, as_json: bool) -> None:
        line = {"test_accuracy": result.get("test_accuracy"), "test_loss": result.get("test_loss"),
                "epochs": result.get("epochs"), "seconds": round(seconds, 3),
                "samples_per_s": result.get("samples_per_s"), "status": result.get("status"),
                "device": result.get("device")}
        if as_json:
            self.stdout.write(json.dumps(line))
        else:
            self.stdout.write(f"\ndone: test accuracy {line['test_accuracy']}, test loss {line['test_loss']}, "
                              f"{seconds:.1f} s on {line['device']}")
