"""schemathesis generates requests for every operation in /api/schema/; none may answer a 5xx, and
every error is JSON with a detail sentence.

Bounded for the default suite: four examples per operation (about 20 s of CPU in all), through the
WSGI app in-process, signed in with a token.
"""
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from builder.models import Graph
from tests.api.conftest import DIGITS_MLP


def load_schema():
    """The schema drf-spectacular serves at /api/schema/, made directly (no request at import time)."""
    from drf_spectacular.generators import SchemaGenerator

    loaded = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    loaded.app = get_wsgi_application()  # requests go through the whole WSGI stack, middleware included
    return loaded


schema = load_schema()


@pytest.fixture
def in_test_transaction(db):
    # As Django's test client does: the test's transaction must outlive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, django_user_model):
    user = django_user_model.objects.create(username="fuzz")  # a token needs no (slowly hashed) password
    Graph.objects.create(owner=user, name="g", document=DIGITS_MLP)  # something for ids to hit
    return Token.objects.create(user=user).key


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_it_never_answers_a_5xx(case, token, in_test_transaction):
    response = case.call(headers={"Authorization": f"Token {token}"})
    where = (case.method, case.formatted_path, response.status_code, response.text[:300])
    assert response.status_code < 500, where
    if response.status_code >= 400 and case.method != "HEAD":
        assert response.headers.get("content-type", [""])[0].startswith("application/json"), where
        assert isinstance(response.json().get("detail"), str) and response.json()["detail"], where
