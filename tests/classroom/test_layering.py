import subprocess
import sys


def test_it_imports_the_lab_rules_without_django():
    code = ("import sys\nimport classroom.rules\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'celery', 'channels', 'rest_framework'))\n"
            "assert not bad, bad\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
