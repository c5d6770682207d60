import subprocess
import sys

CORE = ["errors", "blocks", "blocks_doc", "document", "infer", "summary", "compile", "export", "templates", "preprocess",
        "importers", "importers.keras", "importers.onnx", "importers.layerlab", "importers.pt2"]


def test_it_imports_the_core_without_django():
    code = ("import sys\n" + "".join(f"import builder.{m}\n" for m in CORE) +
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'channels', 'rest_framework'))\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
