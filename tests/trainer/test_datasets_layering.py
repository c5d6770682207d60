"""trainer/datasets/ is pure core: importing every module of it brings in no Django, Celery or Channels."""
import pkgutil
import subprocess
import sys

import trainer.datasets


def test_it_imports_the_datasets_core_without_django():
    modules = [m.name for m in pkgutil.iter_modules(trainer.datasets.__path__)]
    assert {"catalogue", "download", "prepare", "originals", "sources"} <= set(modules)
    code = ("import sys\n" + "".join(f"import trainer.datasets.{m}\n" for m in modules) +
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'channels', 'rest_framework'))\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
