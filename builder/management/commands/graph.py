"""manage.py graph summary FILE | graph export FILE --to pytorch|onnx|torchscript|pt2 [-o OUT]
| graph import FILE [-o OUT] [--weights W.safetensors]"""
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
        export.add_argument("--to", required=True, choices=["pytorch", "onnx", "torchscript", "pt2"])
        export.add_argument("-o", "--output", help="file to write (default: standard output for pytorch)")
        imp = sub.add_parser("import", help="a Keras model JSON, an ONNX file or a LayerLab design as a design document; "
                                            "the report goes to standard error")
        imp.add_argument("file")
        imp.add_argument("-o", "--output", help="file to write the design to (default: standard output)")
        imp.add_argument("--weights", help="also write an ONNX file's weights to this safetensors file")

    def handle(self, *args, **options):
        from builder.summary import summarize

        if options["action"] == "import":
            return self.do_import(options["file"], options.get("output"), options.get("weights"))
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
        from builder.export import BINARY_EXPORTS, export_pytorch

        if to == "pytorch":
            body = export_pytorch(document).encode()
        else:
            if not output:
                raise CommandError(f"--to {to} writes a binary file: give -o OUT")
            torch.manual_seed(0)
            module = compile_graph(document, limits())
            body = BINARY_EXPORTS[to](module, document)
        if output:
            with open(output, "wb") as f:
                f.write(body)
            self.stderr.write(f"wrote {output} ({len(body):,} bytes)")
        else:
            self.stdout.write(body.decode())

    def do_import(self, path: str, output: str | None, weights_path: str | None):
        from builder.api import import_limits
        from builder.importers import ImportRefused, import_file

        try:
            data = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            imported = import_file(data, path, import_limits())
        except ImportRefused as exc:
            self.stderr.write(f"error: {path}: {exc}")
            sys.exit(1)
        body = json.dumps(imported.document, indent=2)
        if output:
            with open(output, "w", encoding="utf-8") as f:
                f.write(body + "\n")
        else:
            self.stdout.write(body)
        if weights_path and imported.weights is not None:
            from safetensors.torch import save_file

            save_file({k: v.contiguous() for k, v in imported.weights.items()}, weights_path)
        elif weights_path:
            imported.report["notes"].append(f"{path} holds no weights, so {weights_path} was not written")
        self.stderr.write(json.dumps(imported.report, indent=2))
