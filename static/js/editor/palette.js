// The palette: every block type, grouped and searchable. Drag a block onto the canvas with the
// mouse, a pen or a finger (pointer events), or press Enter / click to add it after the selection.
import { el } from "../util.js";
import { GROUPS } from "./catalogue.js";

export function buildPalette(root, search, blocks, { onDrop, onActivate, canvasElement }) {
  const sections = GROUPS.map(([key, label]) => {
    const items = [...blocks.values()].filter((b) => b.group === key);
    if (!items.length) return null;
    const list = el("ul", { class: "palette-list" }, items.map((b) => el("li", { "data-type": b.type },
      paletteItem(b, { onDrop, onActivate, canvasElement }))));
    return el("section", { class: "palette-group", "data-group": key },
      el("h3", {}, label), list);
  }).filter(Boolean);
  root.replaceChildren(...sections);
  search.addEventListener("input", () => {
    const q = search.value.trim().toLowerCase();
    for (const li of root.querySelectorAll("li[data-type]")) {
      const b = blocks.get(li.dataset.type);
      li.hidden = Boolean(q) && !`${b.type} ${b.summary}`.toLowerCase().includes(q);
    }
    for (const section of root.querySelectorAll(".palette-group")) {
      section.hidden = !section.querySelector("li:not([hidden])");
    }
  });
}

function paletteItem(block, { onDrop, onActivate, canvasElement }) {
  const help = el("span", { class: "palette-help" }, block.summary);
  const button = el("button", {
    type: "button", class: "palette-item", "data-type": block.type,
    title: block.doc || block.summary, "aria-description": block.summary,
  }, el("span", { class: "palette-name" }, block.type), help);
  let start = null;
  let ghost = null;
  let dragged = false;
  button.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    start = { x: e.clientX, y: e.clientY };
    dragged = false;
    button.setPointerCapture(e.pointerId);
  });
  button.addEventListener("pointermove", (e) => {
    if (!start) return;
    if (!ghost && Math.hypot(e.clientX - start.x, e.clientY - start.y) > 5) {
      dragged = true;
      ghost = el("div", { class: "drag-ghost", "aria-hidden": "true" }, block.type);
      document.body.append(ghost);
    }
    if (ghost) {
      ghost.style.left = `${e.clientX}px`;
      ghost.style.top = `${e.clientY}px`;
    }
  });
  const finish = (e, cancelled) => {
    if (ghost) ghost.remove();
    ghost = null;
    if (start && dragged && !cancelled) {
      const r = canvasElement.getBoundingClientRect();
      if (e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom) {
        onDrop(block.type, e.clientX, e.clientY);
      }
    }
    start = null;
  };
  button.addEventListener("pointerup", (e) => finish(e, false));
  button.addEventListener("pointercancel", (e) => finish(e, true));
  button.addEventListener("click", (e) => {
    if (dragged) {
      dragged = false;
      e.preventDefault();
      return;
    }
    onActivate(block.type);
  });
  return button;
}
