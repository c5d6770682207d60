// The lab editor: a starter (a built-in design or one of mine), blocks locked by clicking them
// on the starter's canvas (or with the list of buttons below it), allowed block types, dataset,
// limits, pinned settings, deadline, published.
import { $, announce, api, el } from "../util.js";
import { Canvas } from "../editor/canvas.js";
import { normalize } from "../editor/catalogue.js";
import { Summarizer } from "../editor/summary.js";

const root = $("#lab-edit");
const courseId = root.dataset.courseId;
const labId = root.dataset.labId;
const state = { starter: null, locked: new Set() };

const [templates, graphs, blocks, datasets] = await Promise.all([
  api("/api/templates/"), api("/api/graphs/"), api("/api/blocks/"), api("/api/datasets/")]);
const designs = [...templates.map((t) => ({ key: `t:${t.slug}`, name: `Starter: ${t.name}`, document: t.document })),
  ...graphs.map((g) => ({ key: `g:${g.id}`, name: `Mine: ${g.name}`, document: g.document }))];
$("#l-starter").replaceChildren(el("option", { value: "" }, "Choose a design…"),
  ...designs.map((d) => el("option", { value: d.key }, d.name)));
$("#l-dataset").replaceChildren(...datasets.filter((d) => d.num_classes).map((d) =>
  el("option", { value: d.id }, `${d.name} — [${d.input_shape.join(", ")}]`)));
const blockTypes = (Array.isArray(blocks) ? blocks : blocks.blocks || []).map((b) => b.type);
$("#l-blocks").replaceChildren(...blockTypes.map((type) => el("label", {},
  el("input", { type: "checkbox", value: type, "data-block": type }), ` ${type} `)));

// The starter as the students' editor draws it, read-only: a click on a block locks or unlocks it.
const canvas = new Canvas($("#l-canvas"), normalize(blocks), { readOnly: true });
const summarizer = new Summarizer(canvas);
$("#l-canvas").addEventListener("click", (e) => {
  const block = e.target.closest(".drawflow-node");
  if (block) toggle(block.dataset.nodeId);
});

function toggle(id) {
  if (state.locked.has(id)) state.locked.delete(id);
  else state.locked.add(id);
  showNodes();
}

// The list of buttons: the same choice for the keyboard and screen readers, kept in step with the canvas.
function showNodes() {
  const nodes = state.starter ? state.starter.nodes : [];
  $("#l-nodes").replaceChildren(...nodes.map((n) => el("button", {
    type: "button", class: `lock-node${state.locked.has(n.id) ? " locked" : ""}`, "data-node": n.id,
    "aria-pressed": String(state.locked.has(n.id)), onclick: () => toggle(n.id),
  }, state.locked.has(n.id) ? "🔒 " : "", `${n.id} (${n.type})`)));
  canvas.setLocked(state.locked);
}

function showStarter() {
  const nodes = state.starter ? state.starter.nodes || [] : [];
  $("#l-canvas").hidden = !nodes.length;
  if (!canvas.load({ nodes: structuredClone(nodes) }) && nodes.length) canvas.tidy();
  requestAnimationFrame(() => canvas.fit());
  showNodes();
  if (nodes.length) summarizer.run(state.starter); // shapes and parameters on the blocks
}

$("#l-starter").addEventListener("change", () => {
  const d = designs.find((x) => x.key === $("#l-starter").value);
  state.starter = d ? structuredClone(d.document) : null;
  state.locked = new Set();
  showStarter();
});

function read() {
  const number = (v) => (v === "" ? undefined : Number(v));
  const limits = {};
  for (const input of root.querySelectorAll("[data-limit]")) if (input.value !== "") limits[input.dataset.limit] = number(input.value);
  const settings = {};
  for (const input of root.querySelectorAll("[data-setting]")) {
    if (input.value !== "") settings[input.dataset.setting] = input.tagName === "SELECT" ? input.value : number(input.value);
  }
  const allowed = [...root.querySelectorAll("[data-block]:checked")].map((c) => c.value);
  const dataset = datasets.find((d) => String(d.id) === $("#l-dataset").value);
  const deadline = $("#l-deadline").value;
  return {
    title: $("#l-title").value, instructions: $("#l-instructions").value, starter: state.starter,
    locked: [...state.locked], allowed_blocks: allowed.length ? allowed : null, dataset: dataset ? dataset.id : null,
    public_fraction: Number($("#l-public").value), limits, settings,
    deadline: deadline ? `${deadline}:00Z` : null, accept_late: $("#l-late").checked, published: $("#l-published").checked,
  };
}

function fill(lab) {
  $("#l-title").value = lab.title;
  $("#l-instructions").value = lab.instructions;
  state.starter = lab.starter;
  state.locked = new Set(lab.locked);
  $("#l-starter").prepend(el("option", { value: "current", selected: true }, "This lab's starter"));
  designs.push({ key: "current", name: "", document: lab.starter });
  $("#l-dataset").value = String(lab.dataset);
  $("#l-public").value = lab.public_fraction;
  for (const input of root.querySelectorAll("[data-limit]")) input.value = lab.limits[input.dataset.limit] ?? "";
  for (const input of root.querySelectorAll("[data-setting]")) input.value = lab.settings[input.dataset.setting] ?? "";
  for (const box of root.querySelectorAll("[data-block]")) box.checked = (lab.allowed_blocks || []).includes(box.value);
  $("#l-deadline").value = lab.deadline ? lab.deadline.slice(0, 16) : "";
  $("#l-late").checked = lab.accept_late;
  $("#l-published").checked = lab.published;
  showStarter();
}

$("#lab-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const lab = labId
      ? await api(`/api/labs/${labId}/`, { method: "PATCH", body: read() })
      : await api(`/api/courses/${courseId}/labs/`, { method: "POST", body: read() });
    location.href = `/labs/${lab.id}/`;
  } catch (err) {
    announce(`⚠ ${err.message}`, "error");
  }
});

if (labId) fill(await api(`/api/labs/${labId}/`));
else showStarter();
root.dataset.ready = "1";
