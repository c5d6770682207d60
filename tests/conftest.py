import pytest

from tests.live import LiveApp


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """A whole LayerLab (Redis, Celery worker, Daphne) on a fresh database, shared by a session."""
    app = LiveApp(tmp_path_factory.mktemp("live")).start()
    yield app
    app.stop()
