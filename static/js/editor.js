// The editor page: palette → canvas → live server summary, inspector, history, files and training.
import { $, announce, api, debounce, el } from "./util.js";
import { Canvas } from "./editor/canvas.js";
import { normalize } from "./editor/catalogue.js";
import { DesignFiles, needLogin } from "./editor/files.js";
import { History } from "./editor/history.js";
import { Inspector } from "./editor/inspector.js";
import { buildPalette } from "./editor/palette.js";
import { Summarizer } from "./editor/summary.js";
import { TrainDialog } from "./editor/train.js";

const root = $("#editor");
const signedIn = root.dataset.signedIn === "1";
const nameInput = $("#design-name");
const state = { graphId: root.dataset.graphId || null, outputs: null, extra: {}, importWeights: null };
const DRAFT = "layerlab-draft";

const blocks = normalize(await api("/api/blocks/"));
// ?lab=ID: a student's copy of a lab's starter: locked blocks, only the allowed blocks, the lab's Train settings.
const labId = new URLSearchParams(location.search).get("lab");
const lab = labId ? await api(`/api/labs/${labId}/`) : null;
const canvas = new Canvas($("#canvas"), blocks, { locked: lab ? lab.locked : [] });
canvas.addEventListener("refused", (e) => announce(`🔒 ${e.detail}`, "error"));
const inspector = new Inspector($("#inspector"), canvas, blocks);
const summarizer = new Summarizer(canvas, { onProblemClick: (id) => canvas.select(canvas.findById(id)) });
const undo = new History();

const getDoc = () => canvas.toDocument({ name: nameInput.value.trim() || "untitled", outputs: state.outputs, extra: state.extra });

// data-summarizing marks an edit whose summary has not come back yet (tests wait on it).
async function summarize() {
  root.dataset.summarizing = "1";
  const summary = await summarizer.run(getDoc());
  if (summary) delete root.dataset.summarizing;
  if (summary && inspector.dfId) inspector.showErrors(summarizer.errorsFor(canvas.nodes.get(inspector.dfId).id));
}
const summarizeLater = debounce(summarize, 250);
const summarizeSoon = () => {
  root.dataset.summarizing = "1";
  summarizeLater();
};

function markDirty(dirty) {
  $("#save").textContent = dirty ? "Save •" : "Save";
  $("#save").setAttribute("aria-label", dirty ? "Save (unsaved changes)" : "Save");
  if (dirty && !state.graphId) sessionStorage.setItem(DRAFT, JSON.stringify(getDoc()));
}

const commit = debounce(() => {
  if (undo.push(JSON.stringify(getDoc()))) markDirty(true);
  $("#undo").disabled = !undo.canUndo;
  $("#redo").disabled = !undo.canRedo;
}, 0);

canvas.addEventListener("change", (e) => {
  commit();
  if (e.detail !== "move") summarizeSoon();
});
canvas.addEventListener("select", (e) => {
  inspector.show(e.detail);
  if (e.detail) inspector.showErrors(summarizer.errorsFor(canvas.nodes.get(e.detail).id));
});
nameInput.addEventListener("change", () => commit());

// Show a document on the canvas (opening, undo/redo, import); `fresh` starts a new history.
function openDoc(doc, fresh = true, relayout = false) {
  const { format, name, nodes, outputs, ...extra } = doc;
  nameInput.value = name || "untitled";
  state.outputs = outputs || null;
  state.extra = extra;
  const selectedId = canvas.selected && canvas.nodes.get(canvas.selected)?.id;
  const placed = canvas.load({ nodes: nodes || [] });
  if (fresh) {
    if ((relayout || !placed) && (nodes || []).length) canvas.tidy();
    requestAnimationFrame(() => canvas.fit());
    undo.reset(JSON.stringify(getDoc()));
    markDirty(false);
  } else if (selectedId && canvas.findById(selectedId)) canvas.select(canvas.findById(selectedId));
  $("#undo").disabled = !undo.canUndo;
  $("#redo").disabled = !undo.canRedo;
  summarize();
}

function step(snapshot) {
  if (snapshot === null) return;
  openDoc(JSON.parse(snapshot), false);
  markDirty(true);
}

// Where a new block goes: right of the selected one (and wired to it), else the visible centre.
function addBlock(type) {
  const from = canvas.selected;
  let { x, y } = canvas.visibleCentre();
  if (from) {
    const d = canvas.data(from);
    x = d.pos_x + 220;
    y = d.pos_y;
  }
  while ([...canvas.nodes.keys()].some((k) => Math.abs(canvas.data(k).pos_x - x) < 60 && Math.abs(canvas.data(k).pos_y - y) < 60)) y += 130;
  const dfId = canvas.add(type, x, y);
  if (from && blocks.get(type)?.arity.max !== 0) canvas.connect(from, dfId, 1);
  canvas.select(dfId);
}

function duplicate() {
  if (!canvas.selected) return;
  const node = canvas.nodes.get(canvas.selected);
  const d = canvas.data(canvas.selected);
  canvas.select(canvas.add(node.type, d.pos_x + 40, d.pos_y + 60, { params: structuredClone(node.params) }));
}

function removeSelected() {
  if (canvas.df.connection_selected) canvas.df.removeConnection();
  else if (canvas.selected) canvas.remove(canvas.selected);
}

function applyFix(nodeId, fix) {
  const dfId = canvas.findById(nodeId);
  if (!dfId || canvas.isLocked(dfId)) return;
  canvas.setParams(dfId, { ...canvas.nodes.get(dfId).params, ...fix });
  if (canvas.selected === dfId) inspector.show(dfId);
}

const files = new DesignFiles(state, {
  getDoc, signedIn, loginUrl: root.dataset.loginUrl,
  onSaved: (saved) => {
    markDirty(false);
    sessionStorage.removeItem(DRAFT);
    nameInput.value = saved.name;
  },
});
const failSoft = (fn) => async (...args) => {
  try {
    await fn(...args);
  } catch (e) {
    announce(`⚠ ${e.message}`, "error");
  }
};
const train = new TrainDialog($("#train-dialog"), { getDoc, applyFix, save: () => (state.graphId ? files.save() : null), lab });
const allowed = lab && lab.allowed_blocks ? new Map([...blocks].filter(([type]) => lab.allowed_blocks.includes(type))) : blocks;

buildPalette($("#palette-groups"), $("#palette-search"), allowed, {
  canvasElement: $("#canvas"),
  onActivate: addBlock,
  onDrop: (type, cx, cy) => {
    const p = canvas.toCanvas(cx, cy);
    canvas.select(canvas.add(type, p.x - 85, p.y - 25));
  },
});

const on = (id, fn) => $(id).addEventListener("click", failSoft(fn));
on("#save", () => files.save());
on("#duplicate-design", () => files.saveCopy());
on("#delete-design", () => files.remove());
on("#export-json", () => files.exportJson());
on("#import-model", () => $("#import-file").click());
on("#download-pytorch", () => files.download("pytorch"));
on("#download-onnx", () => files.download("onnx"));
on("#download-pt2", () => files.download("pt2"));
on("#undo", () => step(undo.undo()));
on("#redo", () => step(undo.redo()));
on("#dup-node", duplicate);
on("#del-node", removeSelected);
on("#tidy", () => (canvas.tidy(), canvas.fit()));
on("#zoom-in", () => canvas.df.zoom_in());
on("#zoom-out", () => canvas.df.zoom_out());
on("#zoom-fit", () => canvas.fit());
on("#train", () => (signedIn ? train.open() : needLogin(root.dataset.loginUrl, "Training")));
$("#import-file").addEventListener("change", failSoft(async (e) => {
  const file = e.target.files[0];
  e.target.value = "";
  if (!file) return;
  const { doc, report } = await files.importFile(file);
  openDoc(doc, true, true);
  markDirty(true);
  showImportReport(report);
}));

// What the import mapped, in a sentence or two: the parameter count and each note (layout, PyTorch's counts).
function showImportReport(report) {
  const box = $("#flash");
  const from = report.source === "keras" ? report.format : report.source === "onnx" ? `ONNX (${report.format})` : "LayerLab JSON";
  const counts = report.keras_params !== undefined && report.keras_params !== report.params
    ? `${(report.params ?? 0).toLocaleString("en-US")} parameters here, ${report.keras_params.toLocaleString("en-US")} in Keras`
    : `${(report.params ?? 0).toLocaleString("en-US")} parameters`;
  const weights = report.weights ? " Its weights are kept as the starting weights when you save it." : "";
  box.replaceChildren(`Imported from ${from}: ${counts}.${weights}`, ...report.notes.map((n) => el("div", { class: "small" }, n)));
  box.dataset.kind = "info";
  box.hidden = false;
}

const starterSelect = $("#starter-select");
const starters = await api("/api/templates/");
for (const s of starters) starterSelect.append(new Option(s.name, s.slug));
starterSelect.addEventListener("change", () => {
  const s = starters.find((t) => t.slug === starterSelect.value);
  if (s && (!undo.canUndo || confirm(`Replace the canvas with “${s.name}”?`))) {
    state.graphId = null;
    history.replaceState(null, "", "/editor/");
    openDoc(structuredClone(s.document), true, true);
  }
  starterSelect.value = "";
});

const KEYS = {
  Delete: removeSelected, Backspace: removeSelected, l: () => (canvas.tidy(), canvas.fit()),
  "+": () => canvas.df.zoom_in(), "=": () => canvas.df.zoom_in(), "-": () => canvas.df.zoom_out(), 0: () => canvas.fit(),
  Escape: () => canvas.select(null),
};
const MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
document.addEventListener("keydown", (e) => {
  const typing = e.target.closest("input, select, textarea, dialog, [contenteditable]");
  const ctrl = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  let action = null;
  if (ctrl && key === "s") action = () => failSoft(() => files.save())();
  else if (typing) return;
  else if (ctrl && key === "z") action = () => step(e.shiftKey ? undo.redo() : undo.undo());
  else if (ctrl && key === "y") action = () => step(undo.redo());
  else if (ctrl && key === "d") action = duplicate;
  else if (!ctrl && !e.altKey && KEYS[key]) action = KEYS[key];
  else if (MOVES[key] && canvas.selected) {
    const [dx, dy] = MOVES[key].map((v) => v * (e.shiftKey ? 50 : 10));
    const d = canvas.data(canvas.selected);
    action = () => (canvas.moveTo(canvas.selected, d.pos_x + dx, d.pos_y + dy), canvas.changed("move"));
  }
  if (action) {
    e.preventDefault();
    action();
  }
});

const params = new URLSearchParams(location.search);
if (state.graphId) {
  const saved = await api(`/api/graphs/${state.graphId}/`);
  openDoc({ ...saved.document, name: saved.name });
} else if (params.get("starter")) {
  const s = starters.find((t) => t.slug === params.get("starter"));
  openDoc(s ? structuredClone(s.document) : { nodes: [] }, true, true);
} else if (params.get("draft") && sessionStorage.getItem(DRAFT)) {
  openDoc(JSON.parse(sessionStorage.getItem(DRAFT)));
  markDirty(true);
} else {
  openDoc({ name: "untitled", nodes: [] });
}
window.layerlab = { canvas, getDoc }; // for the console and the browser tests
root.dataset.ready = "1";
