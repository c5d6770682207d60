"""The datasets page's Download button: a built-in that is not on the server yet is fetched by the
Celery worker from a slow local mirror while the page shows its progress; then it can be previewed.
A damaged mirror file shows the server's reason."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.origins import Origin, app_on_mirror, originals, write_mirror

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    root = tmp_path_factory.mktemp("mirror")
    checksums = write_mirror(root, originals())
    # 1 KB every 100 ms: the small CIFAR-10 archive (75 KB) takes about 8 s, long enough to watch.
    with Origin(root, delay=0.1, chunk=1024) as server:
        yield server, checksums


@pytest.fixture(scope="module")
def live_app(tmp_path_factory, origin):
    """This module's own LayerLab: an empty dataset cache, the slow mirror, no internet."""
    app = app_on_mirror(tmp_path_factory.mktemp("live-download"), *origin).start()
    yield app
    app.stop()


def watch_progress(page, dataset: str) -> None:
    """Record every value the row's progress bar shows."""
    page.evaluate("""id => {
      window.barValues = [];
      const tick = () => {
        const bar = document.querySelector(`tr[data-id="${id}"] .fetch-progress`);
        if (bar && !bar.hidden) window.barValues.push(bar.value);
        if (window.barValues.length < 2000) setTimeout(tick, 50);
      };
      tick();
    }""", dataset)


def test_it_downloads_a_dataset_once_with_a_live_progress_bar(page, console, live_app, account, origin, artifacts):
    server, _ = origin
    other = page.context.browser.new_page()  # a second student, signed in before the download starts
    log_in(other, live_app.url, *live_app.signup()[:2])
    log_in(page, live_app.url, *account)
    page.goto(f"{live_app.url}/datasets/")
    row = page.locator('#ds-table tbody tr[data-id="cifar10"]')
    button = row.locator(".fetch-button")
    expect(button).to_have_text("Download (162.2 MB)")
    watch_progress(page, "cifar10")
    button.click()
    expect(row.locator(".fetch-progress")).to_be_visible()
    expect(row.locator(".fetch-status")).to_contain_text("Downloading…")
    page.screenshot(path=str(artifacts / "datasets-download.png"), full_page=True)

    # The second student opening the page meanwhile sees the same download, not a new one.
    other.goto(f"{live_app.url}/datasets/")
    expect(other.locator('tr[data-id="cifar10"] .fetch-progress')).to_be_visible()

    expect(row.locator("button", has_text="Preview")).to_be_visible(timeout=60_000)
    expect(other.locator('tr[data-id="cifar10"] button', has_text="Preview")).to_be_visible(timeout=30_000)
    other.close()
    seen = page.evaluate("window.barValues")
    assert any(0 < v < 100 for v in seen), seen  # the bar moved through the download, not just 0 then done
    assert seen == sorted(seen), seen
    assert server.requests == {"/cifar10/cifar-10-binary.tar.gz": 1}

    row.locator("button", has_text="Preview").click()
    expect(page.locator("#preview-title")).to_have_text("Preview: cifar10")
    expect(page.locator("#preview-samples li canvas")).to_have_count(8)
    expect(page.locator("#class-counts")).to_contain_text("airplane: ")


def test_it_shows_why_a_download_failed(page, console, live_app, account, origin):
    server, _ = origin
    broken = server.root / "imdb" / "aclImdb_v1.tar.gz"
    broken.write_bytes(broken.read_bytes()[:-10] + b"0123456789")
    log_in(page, live_app.url, *account)
    page.goto(f"{live_app.url}/datasets/")
    row = page.locator('#ds-table tbody tr[data-id="imdb"]')
    row.locator(".fetch-button").click()
    error = row.locator(".fetch-error")
    expect(error).to_contain_text("does not match its published checksum", timeout=60_000)
    expect(error).to_contain_text("⚠ Download failed: aclImdb_v1.tar.gz")
    expect(row.locator(".fetch-button")).to_have_text("Try again")
    expect(row.locator(".fetch-progress")).to_be_hidden()
