"""What a person does in the editor: drag blocks, wire ports, fill the inspector."""
from playwright.sync_api import Page, expect


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def open_editor(page: Page, url: str, query: str = "") -> None:
    page.goto(f"{url}/editor/{query}")
    expect(page.locator("#editor[data-ready='1']")).to_be_attached()


def canvas_point(page: Page, fx: float, fy: float) -> tuple[float, float]:
    box = page.locator("#canvas").bounding_box()
    return box["x"] + fx * box["width"], box["y"] + fy * box["height"]


def drag_block(page: Page, block_type: str, x: float, y: float) -> None:
    """Press on a palette block, move the mouse over the canvas, release: a real drag."""
    item = page.locator(f'.palette-item[data-type="{block_type}"]')
    item.scroll_into_view_if_needed()
    page.mouse.move(*centre(item.bounding_box()))
    page.mouse.down()
    page.mouse.move(x, y, steps=12)
    page.mouse.up()


def node(page: Page, node_id: str):
    return page.locator(f'.drawflow-node[data-node-id="{node_id}"]')


def settle(page: Page) -> None:
    """Wait until the server's summary of the latest edit is on the page."""
    expect(page.locator("#editor:not([data-summarizing])")).to_be_attached()


def wire(page: Page, source: str, target: str, port: int = 1) -> None:
    """Drag from the source's output port to the target's input port."""
    settle(page)
    start = centre(node(page, source).locator(".output_1").bounding_box())
    end = centre(node(page, target).locator(f".input_{port}").bounding_box())
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(*end, steps=15)
    page.mouse.up()


def set_param(page: Page, name: str, value: str) -> None:
    field = page.locator(f"#insp-{name}")
    if field.evaluate("e => e.tagName") == "SELECT":
        field.select_option(value)
    else:
        field.fill(value)
        field.press("Tab")


def select_node(page: Page, node_id: str) -> None:
    node(page, node_id).locator(".blk-head").click()
