// X-ray: the run's design, each block coloured by a statistic of the newest (or scrubbed-to) `layers`
// message, the selected block's feature maps and the statistic's sparkline, flags in plain sentences,
// and a table of the numbers (colour is never the only carrier).
import { $, api, el, pageData } from "./util.js";

const STATS = {
  std: { label: "activation std", get: (b) => b.std, log: true },
  zeros: { label: "zero fraction", get: (b) => b.zeros, log: false },
  dead: { label: "dead units", get: (b) => b.dead, log: false },
  grad_norm: { label: "grad norm", get: (b) => b.grad_norm, log: true },
  update_ratio: { label: "update ratio", get: (b) => b.update_ratio, log: true },
};
const SVG = "http://www.w3.org/2000/svg";
const root = $("#xray");
const messages = [];
let nodes = [];
let stat = "std";
let shown = null; // index into messages; null follows the newest
let selected = null;
let ready = false;

const fmt = (v) => (v === null || v === undefined ? "—" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toPrecision(3) : v.toExponential(1));
const svg = (tag, attrs = {}) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
};

// Columns by longest path from an input: a plain left-to-right drawing of any DAG.
function layout(document) {
  const byId = Object.fromEntries(document.nodes.map((n) => [n.id, n]));
  const depth = {};
  const of = (id) => depth[id] ?? (depth[id] = Math.max(-1, ...(byId[id].inputs || []).map(of)) + 1);
  const rows = {};
  return document.nodes.map((n) => {
    const col = of(n.id);
    rows[col] = (rows[col] || 0) + 1;
    return { ...n, x: 10 + col * 130, y: 10 + (rows[col] - 1) * 56 };
  });
}

function colour(value, key) {
  if (value === null || value === undefined) return "#e5e7eb";
  const s = STATS[key];
  let t = s.log ? (Math.log10(Math.max(value, 1e-12)) + 8) / 12 : value; // 1e-8 .. 1e4 on a log scale
  t = Math.min(1, Math.max(0, t));
  return `hsl(${220 - 220 * t}, 70%, ${85 - 30 * t}%)`;
}

function flags(blocks) {
  const out = [];
  for (const n of nodes) {
    const b = blocks[n.id];
    if (!b) continue;
    const name = `Block “${n.id}” (${n.type})`;
    if (b.grad_norm !== undefined && b.grad_norm < 1e-7) out.push(`${name}: its gradients are vanishing (norm ${fmt(b.grad_norm)}, below 1e-7), so it has almost stopped learning. Try ReLU instead of Sigmoid or Tanh, add BatchNorm, or raise the learning rate.`);
    if (b.grad_norm > 1e3) out.push(`${name}: its gradients are exploding (norm ${fmt(b.grad_norm)}, above 1000). Lower the learning rate or set a gradient clip.`);
    if ((/ReLU/.test(n.type) || /relu/i.test((n.params || {}).activation || "")) && b.dead > 0.5) out.push(`${name}: ${Math.round(100 * b.dead)}% of its units output zero for every probe sample (dead ReLUs), so they pass no gradient. Lower the learning rate, add BatchNorm before it, or use LeakyReLU.`);
    if (b.update_ratio !== null && b.update_ratio !== undefined && b.update_ratio < 1e-5) out.push(`${name}: each step changes its weights by only ${fmt(b.update_ratio)} of their size (about 1e-3 is healthy). Raise the learning rate.`);
    if (b.update_ratio > 1e-1) out.push(`${name}: each step changes its weights by ${fmt(b.update_ratio)} of their size (about 1e-3 is healthy). Lower the learning rate.`);
  }
  return out;
}

function drawGraph(blocks) {
  const box = $("#xray-graph");
  const width = Math.max(...nodes.map((n) => n.x)) + 130, height = Math.max(...nodes.map((n) => n.y)) + 56;
  const picture = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "group", "aria-label": "The design, coloured by the chosen statistic" });
  const at = Object.fromEntries(nodes.map((n) => [n.id, n]));
  for (const n of nodes) for (const i of n.inputs || []) picture.append(svg("line", { x1: at[i].x + 110, y1: at[i].y + 20, x2: n.x, y2: n.y + 20, stroke: "#9aa3b2" }));
  for (const n of nodes) {
    const b = blocks[n.id] || {};
    const value = STATS[stat].get(b);
    const g = svg("g", { class: `xray-node${n.id === selected ? " selected" : ""}`, "data-id": n.id, tabindex: 0, role: "button" });
    const title = svg("title");
    title.textContent = `${n.id} (${n.type}): ${STATS[stat].label} ${fmt(value)}`;
    g.append(title, svg("rect", { x: n.x, y: n.y, width: 110, height: 40, rx: 6, fill: colour(value, stat), stroke: n.id === selected ? "#111" : "#6b7280", "stroke-width": n.id === selected ? 3 : 1 }));
    const label = svg("text", { x: n.x + 6, y: n.y + 16, "font-size": 12 });
    label.textContent = n.id;
    const number = svg("text", { x: n.x + 6, y: n.y + 32, "font-size": 11 });
    number.textContent = fmt(value);
    g.append(label, number);
    g.addEventListener("click", () => select(n.id));
    g.addEventListener("keydown", (e) => (e.key === "Enter" || e.key === " ") && select(n.id));
    picture.append(g);
  }
  box.replaceChildren(picture);
}

function drawMaps(block) {
  const maps = (block && block.maps) || [];
  $("#xray-maps").replaceChildren(...maps.map((map, c) => {
    const canvas = el("canvas", { width: map[0].length, height: map.length, class: "xray-map", "aria-label": `feature map, channel ${c}` });
    const image = canvas.getContext("2d").createImageData(map[0].length, map.length);
    map.flat().forEach((v, i) => image.data.set([v, v, v, 255], 4 * i));
    canvas.getContext("2d").putImageData(image, 0, 0);
    return canvas;
  }));
  if (!maps.length) $("#xray-maps").append(el("p", { class: "muted small" }, "Feature maps are recorded for Conv2d blocks."));
}

function drawSparkline(upto) {
  const values = messages.slice(0, upto + 1).map((m) => STATS[stat].get(m.blocks[selected] || {}));
  const ok = values.filter((v) => v !== null && v !== undefined && Number.isFinite(v));
  const line = svg("svg", { viewBox: "0 0 200 50", width: 200, height: 50, role: "img", "aria-label": `${STATS[stat].label} of ${selected} over steps` });
  if (ok.length) {
    const f = STATS[stat].log ? (v) => Math.log10(Math.max(v, 1e-12)) : (v) => v;
    const lo = Math.min(...ok.map(f)), hi = Math.max(...ok.map(f));
    const pts = values.map((v, i) => (v === null || v === undefined ? null : `${(200 * i) / Math.max(1, values.length - 1)},${45 - (40 * (f(v) - lo)) / (hi - lo || 1)}`)).filter(Boolean);
    line.append(svg("polyline", { points: pts.join(" "), fill: "none", stroke: "#2456a6", "stroke-width": 2 }));
  }
  $("#xray-spark").replaceChildren(line, el("span", { class: "small" }, `${STATS[stat].label}: ${fmt(ok[ok.length - 1])}${STATS[stat].log ? " (log scale)" : ""}`));
}

function render() {
  if (!ready || !messages.length) return;
  const index = shown ?? messages.length - 1;
  const m = messages[index];
  const range = $("#xray-step");
  Object.assign(range, { max: messages.length - 1, value: index });
  $("#xray-step-label").textContent = `step ${m.step} (epoch ${m.epoch})${shown === null ? " · live" : ""}`;
  drawGraph(m.blocks);
  const found = flags(m.blocks);
  $("#xray-flags").replaceChildren(...found.map((f) => el("li", {}, `⚠ ${f}`)));
  if (!found.length) $("#xray-flags").append(el("li", { class: "muted" }, "No problems seen at this step."));
  $("#xray-table").replaceChildren(el("tr", {}, ...["block", "type", "mean", "std", "zero fraction", "dead units", "grad norm", "update ratio"].map((h) => el("th", { scope: "col" }, h))),
    ...nodes.filter((n) => m.blocks[n.id]).map((n) => {
      const b = m.blocks[n.id];
      return el("tr", {}, el("th", { scope: "row" }, n.id), el("td", {}, n.type), ...[b.mean, b.std, b.zeros, b.dead, b.grad_norm, b.update_ratio].map((v) => el("td", {}, fmt(v))));
    }));
  if (selected) {
    $("#xray-selected").textContent = `${selected} at step ${m.step}`;
    drawMaps(m.blocks[selected]);
    drawSparkline(index);
  }
}

function select(id) {
  selected = id;
  render();
}

export function onLayers(m) {
  messages.push(m);
  $("#xray-wait").hidden = true;
  render();
}

async function start() {
  const run = pageData("run-data") ?? await api(`/api/runs/${root.dataset.runId}/`);
  nodes = layout(run.document);
  if (run.config.xray === false) $("#xray-off").hidden = false, $("#xray-wait").hidden = true;
  $("#xray-stat").replaceChildren(...Object.entries(STATS).map(([k, s]) => el("option", { value: k }, s.label)));
  $("#xray-stat").addEventListener("change", (e) => { stat = e.target.value; render(); });
  $("#xray-step").addEventListener("input", (e) => {
    const i = Number(e.target.value);
    shown = i >= messages.length - 1 ? null : i;
    render();
  });
  ready = true;
  render();
}

start();
