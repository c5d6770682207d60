from pathlib import Path

import pytest

from tests.live import LiveApp


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """A whole LayerLab (Redis, Celery worker, Daphne) on a fresh database, shared by a session."""
    app = LiveApp(tmp_path_factory.mktemp("live")).start()
    yield app
    app.stop()


@pytest.fixture(scope="session", autouse=True)
def _plain_static_storage():
    """In-process tests render pages without a collectstatic first, so plain storage names the
    files there. The live app (tests/live.py) serves the real thing: hashed, compressed, WhiteNoise."""
    from django.conf import settings
    from django.test import override_settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns if it is absent
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=plain):
        yield
