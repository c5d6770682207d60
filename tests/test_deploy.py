"""docker-compose.yml is a deployment docker-compose accepts: database, Redis, migrations, web, GPU workers."""
import os
import shutil
import subprocess

import pytest
import yaml

from tests.live import ROOT


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is installed by .ci/run")
def test_it_is_accepted_by_docker_compose():
    result = subprocess.run(["docker-compose", "config"], cwd=ROOT, capture_output=True, text=True,
                            env=dict(os.environ, SECRET_KEY="x"), timeout=60)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert {"db", "redis", "migrate", "web", "worker"} <= set(services)
    gpu = services["worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["driver"] == "nvidia" and "gpu" in gpu["capabilities"]
    worker = " ".join(services["worker"]["command"])
    assert "--concurrency" in worker and "LAYERLAB_RUNS_PER_WORKER:-1}" in worker and "-Q training" in worker
    assert "daphne" in services["web"]["command"]


def test_it_refuses_to_deploy_without_a_secret_key():
    if not shutil.which("docker-compose"):
        pytest.skip("docker-compose is installed by .ci/run")
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(["docker-compose", "config"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_it_deploys_with_https_settings_on():
    config = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = config["x-app"]["environment"]
    assert env["LAYERLAB_HTTPS"].startswith("${LAYERLAB_HTTPS:-true}")
    assert env["LAYERLAB_REQUIRE_SECRET_KEY"] == "1" and env["CSRF_TRUSTED_ORIGINS"].endswith("https://localhost}")
