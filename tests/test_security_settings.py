"""Deployment settings: LAYERLAB_HTTPS passes `check --deploy`, and the built-in SECRET_KEY is refused
whenever the server answers to names other than loopback ones with DEBUG off."""
import os
import secrets
import subprocess
import sys

import pytest

from tests.live import ROOT

LOOPBACK_ONLY = ["localhost,127.0.0.1,[::1]", "127.0.0.1", "localhost", "[::1]", "127.0.0.2,localhost"]
NOT_LOOPBACK = ["layerlab.example.org", "localhost,192.168.1.5", "*", "0.0.0.0", ".localhost.example.org"]


def python(*args, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if k not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "LAYERLAB_HTTPS", "LAYERLAB_REQUIRE_SECRET_KEY")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=dict(base, **env),
                          capture_output=True, text=True, timeout=120)


def settings_load(**env) -> subprocess.CompletedProcess:
    return python("-c", "import webapp.settings", **env)


def test_it_passes_check_deploy_with_https_on():
    result = python("manage.py", "check", "--deploy", "--fail-level", "WARNING", LAYERLAB_HTTPS="true", DEBUG="false",
                    SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="layerlab.example.org")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_warns_in_check_deploy_with_https_off():
    result = python("manage.py", "check", "--deploy", DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50),
                    ALLOWED_HOSTS="layerlab.example.org")
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr + result.stdout


@pytest.mark.parametrize("hosts", NOT_LOOPBACK)
def test_it_refuses_the_builtin_secret_key_when_serving_other_hosts(hosts):
    result = settings_load(ALLOWED_HOSTS=hosts, DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY must be set" in result.stderr


def test_it_refuses_the_builtin_secret_key_when_a_deployment_requires_one():
    result = settings_load(ALLOWED_HOSTS="localhost", DEBUG="false", LAYERLAB_REQUIRE_SECRET_KEY="true")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("hosts", LOOPBACK_ONLY)
def test_it_runs_on_loopback_without_a_secret_key(hosts):
    result = settings_load(ALLOWED_HOSTS=hosts, DEBUG="false")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("env", [{"DEBUG": "true", "ALLOWED_HOSTS": "layerlab.example.org"},
                                 {"SECRET_KEY": "a-real-key", "ALLOWED_HOSTS": "layerlab.example.org"}])
def test_it_accepts_other_hosts_with_debug_or_a_real_key(env):
    assert settings_load(**env).returncode == 0
