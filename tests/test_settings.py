"""Settings come from the environment; a bad value stops the start with a message naming it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start_django(**env) -> subprocess.CompletedProcess:
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    full = dict(os.environ, DJANGO_SETTINGS_MODULE="webapp.settings", **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name,value", [
    ("DEBUG", "maybe"), ("DATABASE_URL", "mysql://root@localhost/x"), ("DATABASE_URL", "postgresql://host:5432/"),
    ("LAYERLAB_MAX_NODES", "lots"), ("LAYERLAB_MAX_NODES", "0"), ("REDIS_URL", "http://localhost:6379"),
])
def test_it_fails_at_start_naming_a_bad_value(name, value):
    result = start_django(**{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_it_uses_postgresql_when_database_url_names_it():
    result = start_django(DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_it_defaults_to_sqlite():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=dict(env, DJANGO_SETTINGS_MODULE="webapp.settings"),
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "django.db.backends.sqlite3"
