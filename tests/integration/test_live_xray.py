"""X-ray through the real stack: a Celery worker records `layers` messages, stored and replayed in order."""
import pytest

from tests.integration.test_live_runs import start_run, wait_status, watch
from tests.trainer.test_xray import TINY_CNN

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def alice(live_app):
    _, _, token = live_app.signup()
    return live_app.api(token), token


def test_it_streams_layers_messages_that_replay_after_a_seq_in_order(live_app, alice):
    api, token = alice
    run = start_run(live_app, api, graph=TINY_CNN, epochs=4, batch_size=8)
    messages = watch(live_app, token, run["id"])
    assert messages[-1]["status"] == "succeeded", messages[-1]
    layers = [m for m in messages if m["type"] == "layers"]
    assert layers and layers[0]["step"] == 1
    assert set(layers[-1]["blocks"]) == {"conv", "act", "flat", "logits"}
    assert len(layers[-1]["blocks"]["conv"]["maps"]) == 4
    cut = layers[0]["seq"]
    replay = api.get(f"{live_app.url}/api/runs/{run['id']}/metrics/?after={cut}").json()
    assert [m["seq"] for m in replay] == list(range(cut + 1, messages[-1]["seq"] + 1))
    assert [m for m in replay if m["type"] == "layers"] == layers[1:]
    steps = [m["step"] for m in layers]
    assert steps == sorted(steps) and len(steps) == len(set(steps))


def test_it_sends_no_layers_messages_when_xray_is_off(live_app, alice):
    api, _ = alice
    run = start_run(live_app, api, graph=TINY_CNN, epochs=1, batch_size=8, xray=False)
    assert wait_status(live_app, api, run["id"], {"succeeded", "failed"})["status"] == "succeeded"
    messages = api.get(f"{live_app.url}/api/runs/{run['id']}/metrics/").json()
    assert [m for m in messages if m["type"] == "metric"] and not [m for m in messages if m["type"] == "layers"]
