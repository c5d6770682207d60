"""Shared fixtures: one dataset cache per test session, so built-ins are generated once."""
import pytest

from trainer.datasets import load_builtin


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("datasets")


@pytest.fixture(scope="session")
def digits(cache_dir):
    return load_builtin("digits", cache_dir)
