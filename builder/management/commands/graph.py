"""manage.py graph summary FILE | graph export FILE --to pytorch|onnx|torchscript [-o OUT]"""
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from builder.config import limits


def read_document(path: str):
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


class Command(BaseCommand):
    help = "Summarize or export a layerlab.graph/1 document (FILE, or - for standard input)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        summary = sub.add_parser("summary", help="print the summary JSON; exit 1 when the document is invalid")
        summary.add_argument("file")
        export = sub.add_parser("export", help="export the design as PyTorch source, ONNX or TorchScript")
        export.add_argument("file")
        export.add_argument("--to", required=True, choices=["pytorch", "onnx", "torchscript"])
        export.add_argument("-o", "--output", help="file to write (default: standard output for pytorch)")

    def handle(self, *args, **options):
        from builder.summary import summarize

        document = read_document(options["file"])
        summary = summarize(document, limits())
        if options["action"] == "summary":
            self.stdout.write(json.dumps(summary, indent=2))
            if not summary["valid"]:
                sys.exit(1)
            return
        if not summary["valid"]:
            for error in summary["errors"]:
                self.stderr.write(f"error: {error['node'] or 'document'}: {error['message']}")
            sys.exit(1)
        self.export(document, options["to"], options.get("output"))

    def export(self, document, to: str, output: str | None):
        import torch

        from builder.compile import compile_graph
        from builder.export import export_onnx, export_pytorch, export_torchscript

        if to == "pytorch":
            body = export_pytorch(document).encode()
        else:
            if not output:
                raise CommandError(f"--to {to} writes a binary file: give -o OUT")
            torch.manual_seed(0)
            module = compile_graph(document, limits())
            body = (export_onnx if to == "onnx" else export_torchscript)(module, document)
        if output:
            with open(output, "wb") as f:
                f.write(body)
            self.stderr.write(f"wrote {output} ({len(body):,} bytes)")
        else:
            self.stdout.write(body.decode())
