"""The datasets page, as a student uses it: upload a CSV or a ZIP of images, read the preview, and
read the server's reason when a file is refused."""
import io
import re
import zipfile

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def csv_bytes(rows: list[tuple]) -> bytes:
    lines = ["f0,f1,f2,f3,label"] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def two_class_rows(n: int = 40) -> list[tuple]:
    """Half "cat" (small features), half "dog" (large ones)."""
    return [(i % 7 * 0.1 + 5 * (i % 2), 1.5, -i * 0.01, 2 * (i % 2), "dog" if i % 2 else "cat") for i in range(n)]


def image_zip() -> bytes:
    """One folder per class of small greyscale PNGs: bright circles-ish centres vs. dark squares."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for cls, shade in (("bright", 220), ("dark", 30)):
            for i in range(10):
                im = Image.new("L", (12, 12), 128)
                for y in range(3, 9):
                    for x in range(3, 9):
                        im.putpixel((x, y), (shade + 3 * i) % 256)
                png = io.BytesIO()
                im.save(png, format="PNG")
                z.writestr(f"{cls}/{i:02d}.png", png.getvalue())
    return buf.getvalue()


def watch_status(page) -> None:
    """Record every text #u-status shows, so a short-lived "Uploading…" can be checked afterwards."""
    page.evaluate("""() => {
      window.statusSeen = [];
      const box = document.querySelector('#u-status');
      new MutationObserver(() => window.statusSeen.push(box.textContent)).observe(box, {childList: true, characterData: true, subtree: true});
    }""")


def open_datasets(page, live_app, account) -> None:
    log_in(page, live_app.url, *account)
    page.goto(f"{live_app.url}/datasets/")
    expect(page.locator("#ds-table tbody tr", has_text="digits").first).to_be_visible()
    watch_status(page)


def upload(page, name: str, filename: str, mime: str, data: bytes) -> None:
    page.fill("#u-name", name)
    page.set_input_files("#u-file", files=[{"name": filename, "mimeType": mime, "buffer": data}])
    page.click("#u-submit")


def test_it_uploads_a_csv_and_previews_its_classes_and_samples(page, console, live_app, account):
    open_datasets(page, live_app, account)
    upload(page, "toy-csv", "toy.csv", "text/csv", csv_bytes(two_class_rows()))
    expect(page.locator("#u-status")).to_contain_text("Uploaded “toy-csv”", timeout=60_000)
    expect(page.locator("#u-status")).to_contain_text("input [4], 2 classes")
    assert any("Uploading" in s or "Checking" in s for s in page.evaluate("window.statusSeen")), "no progress was shown"
    expect(page.locator("#u-progress")).to_be_hidden()
    expect(page.locator("#u-error")).to_be_hidden()

    row = page.locator("#ds-table tbody tr", has_text="toy-csv")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(1)).to_have_text(re.compile(r"^\[4\] "))
    expect(row.locator("td").nth(2)).to_have_text("2")

    expect(page.locator("#preview")).to_be_visible()
    expect(page.locator("#preview-title")).to_have_text("Preview: toy-csv")
    counts = page.locator("#class-counts")
    expect(counts).to_contain_text(re.compile(r"cat: \d+ · dog: \d+"))
    train, test = (int(n) for n in re.findall(r"\d+", row.locator("td").nth(3).inner_text()))
    assert train + test == 40
    assert sum(int(n) for n in re.findall(r": (\d+)", counts.inner_text())) == train
    samples = page.locator("#preview-samples li")
    expect(samples).to_have_count(8)
    expect(samples.locator("canvas")).to_have_count(8)  # each sample drawn
    for text in samples.locator("div").all_inner_texts():
        assert re.fullmatch(r"label: (cat|dog)", text), text


@pytest.mark.parametrize("rows, reason", [
    ([(1, 2, 3, 4, "cat"), (1, 2, "abc", 4, "dog")] + two_class_rows(10), "'abc' is not a number"),
    ([(i, 1, 2, 3, "cat") for i in range(12)], "a classifier needs at least two classes"),
])
def test_it_shows_the_servers_reason_for_refusing_a_csv(page, console, live_app, account, rows, reason):
    open_datasets(page, live_app, account)
    before = page.locator("#ds-table tbody tr").count()
    console.allow(r"status of 400")  # the refused upload itself; nothing else may fail
    with page.expect_response(lambda r: r.url.endswith("/api/datasets/") and r.request.method == "POST") as info:
        upload(page, "bad-csv", "bad.csv", "text/csv", csv_bytes(rows))
    response = info.value
    assert response.status == 400
    detail = response.json()["detail"]
    assert reason in detail
    error = page.locator("#u-error")
    expect(error).to_be_visible()
    expect(error).to_have_text(f"⚠ Upload refused: {detail}")
    expect(page.locator("#u-status")).to_have_text("")
    expect(page.locator("#u-progress")).to_be_hidden()
    expect(page.locator("#u-submit")).to_be_enabled()  # the student can fix the file and try again
    expect(page.locator("#ds-table tbody tr")).to_have_count(before)
    expect(page.locator("#ds-table tbody tr", has_text="bad-csv")).to_have_count(0)
    assert len(console.errors) == 1, console.errors  # exactly the one 400, no script error


def test_it_uploads_a_zip_of_images_and_previews_them(page, console, live_app, account, artifacts):
    open_datasets(page, live_app, account)
    page.click("#upload-form details summary")  # the options: keep the images at their own size
    page.fill("#u-size", "12")
    upload(page, "shades", "shades.zip", "application/zip", image_zip())
    expect(page.locator("#u-status")).to_contain_text("Uploaded “shades”: input [1, 12, 12], 2 classes", timeout=60_000)
    expect(page.locator("#ds-table tbody tr", has_text="shades")).to_have_count(1)
    expect(page.locator("#preview-title")).to_have_text("Preview: shades")
    expect(page.locator("#class-counts")).to_contain_text(re.compile(r"bright: \d+ · dark: \d+"))
    samples = page.locator("#preview-samples li")
    expect(samples).to_have_count(8)
    canvases = samples.locator("canvas.sample")
    expect(canvases).to_have_count(8)
    expect(canvases.first).to_be_visible()
    # An image, not a line plot: the centre pixel is the square's shade and the corner the grey border.
    for i, label in enumerate(samples.locator("div").all_inner_texts()):
        centre, corner = canvases.nth(i).evaluate("""c => {
          const ctx = c.getContext('2d');
          return [ctx.getImageData(c.width / 2, c.height / 2, 1, 1).data[0], ctx.getImageData(1, 1, 1, 1).data[0]];
        }""")
        if label == "label: bright":
            assert centre > corner, (label, centre, corner)
        else:
            assert label == "label: dark", label
            assert centre < corner, (label, centre, corner)
    page.screenshot(path=str(artifacts / "datasets-zip.png"), full_page=True)
