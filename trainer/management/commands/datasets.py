"""manage.py datasets list | datasets fetch NAME...: see what is on this server, fetch ahead of time."""
import time

from django.core.management.base import BaseCommand, CommandError


class Progress:
    """A bar redrawn in place on a terminal; elsewhere (logs, pipes) a line every 10%."""

    def __init__(self, out, name: str, total: int, tty: bool):
        self.out, self.name, self.total, self.tty = out, name, total, tty
        self.last_step, self.last_draw = -1, 0.0

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        if self.tty:
            now = time.monotonic()
            if now - self.last_draw < 0.1 and fraction < 1:
                return
            self.last_draw = now
            bar = "#" * (percent // 4)
            done = fraction * self.total / 2**20
            self.out.write(f"\r{self.name:<14} [{bar:<25}] {percent:3d}%  {done:,.1f} / {self.total / 2**20:,.1f} MB",
                           ending="")
            self.out.flush()
        elif percent // 10 > self.last_step:
            self.last_step = percent // 10
            self.out.write(f"{self.name}: {percent}%")


class Command(BaseCommand):
    help = "List the built-in datasets and whether they are on this server, or fetch downloadable ones now."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every built-in, its size and whether it is present")
        fetch = sub.add_parser("fetch", help="download and prepare these datasets (mirror first)")
        fetch.add_argument("names", nargs="+", metavar="NAME")

    def handle(self, *args, **options):
        if options["action"] == "list":
            return self.show_list()
        return self.do_fetch(options["names"])

    def show_list(self) -> None:
        from trainer.dataset_store import builtin_list

        self.stdout.write(f"{'id':<14} {'present':<8} {'download':>10}  description")
        for d in builtin_list():
            size = f"{d['download_bytes'] / 2**20:,.1f} MB" if d["downloadable"] else "generated"
            self.stdout.write(f"{d['id']:<14} {'yes' if d['present'] else 'no':<8} {size:>10}  {d['description']}")

    def do_fetch(self, names: list[str]) -> None:
        from trainer.dataset_store import cache_dir, prepare_dataset
        from trainer.datasets import BUILTINS, DatasetError, is_present

        unknown = [n for n in names if n not in BUILTINS]
        if unknown:
            raise CommandError(f"no built-in dataset {unknown[0]!r}; choose from {', '.join(BUILTINS)}")
        tty = self.stdout.isatty()
        for name in names:
            spec = BUILTINS[name]
            if not spec.sources:
                self.stdout.write(f"{name}: generated on this server, nothing to download")
                continue
            if is_present(name, cache_dir()):
                self.stdout.write(f"{name}: already present")
                continue
            try:
                prepare_dataset(name, Progress(self.stdout, name, spec.download_bytes, tty))
            except DatasetError as exc:
                if tty:
                    self.stdout.write("")
                raise CommandError(f"{name}: {exc}") from None
            self.stdout.write(("\n" if tty else "") + f"{name}: ready")
