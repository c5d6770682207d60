"""Users built in code, and API clients that authenticate the way scripts do (a token)."""
import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

SPEC_EXAMPLE = {
    "format": "layerlab.graph/1",
    "name": "seed-cnn",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [3, 32, 32]}},
        {"id": "conv1", "type": "Conv2d", "inputs": ["image"],
         "params": {"out_channels": 32, "kernel_size": 3, "activation": "relu"}, "ui": {"x": 120, "y": 40}},
        {"id": "pool1", "type": "MaxPool2d", "inputs": ["conv1"], "params": {"kernel_size": 2}},
        {"id": "flat", "type": "Flatten", "inputs": ["pool1"]},
        {"id": "logits", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 10}},
    ],
    "outputs": ["logits"],
}

DIGITS_MLP = {
    "format": "layerlab.graph/1",
    "name": "digits-mlp",
    "nodes": [
        {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
        {"id": "flat", "type": "Flatten", "inputs": ["image"]},
        {"id": "hidden", "type": "Linear", "inputs": ["flat"], "params": {"out_features": 32, "activation": "relu"}},
        {"id": "logits", "type": "Linear", "inputs": ["hidden"], "params": {"out_features": 10}},
    ],
}


@pytest.fixture
def make_client(django_user_model):
    def make(username: str) -> APIClient:
        user = django_user_model.objects.create_user(username=username, password="pw-" + username * 2)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        client.user = user
        return client
    return make


@pytest.fixture
def alice(db, make_client):
    return make_client("alice")


@pytest.fixture
def bob(db, make_client):
    return make_client("bob")


@pytest.fixture
def anon(db):
    return APIClient()


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
