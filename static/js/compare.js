// Compare runs: their curves overlaid (with the run page's controls), a sortable table and a
// parallel-coordinates chart of the runs, and a table of how designs and settings differ.
import { $, api, el, fmtInt, fmtPct } from "./util.js";
import { PLOT_CONFIG, bindControls, curveLayout, download, downloadPng, loadPrefs, noisyTraces } from "./charts.js";
import { metricsCsv, xOf } from "./curves.js";
import { parallelFigure, renderTable, summarize } from "./compare_summary.js";

const ids = ($("#compare").dataset.ids || "").split(",").map((s) => s.trim()).filter(Boolean);
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash"];
const COLORS = ["#2456a6", "#c2410c", "#15803d", "#7e22ce", "#b45309", "#0e7490", "#be123c", "#4d7c0f"];
const prefs = loadPrefs();
const finite = (v) => typeof v === "number" && Number.isFinite(v);

// Per run: [train raw, val] in run order first (so trace 2i+1 is run i's validation curve), then
// the smoothed lines and envelopes.
function curves(runs, metrics, key) {
  const first = [], extras = [];
  runs.forEach((run, i) => {
    const start = run.started ? Date.parse(run.started) / 1000 : (metrics[i].find((m) => m.type === "metric") || {}).time;
    const axis = { epochs: run.config.epochs || 1, batchSize: run.config.batch_size || 1, startTime: start ?? 0 };
    const at = (ms) => ms.map((m) => xOf(m, prefs.xaxis, axis));
    const train = metrics[i].filter((m) => m.type === "metric" && m.split === "train" && finite(m[key]));
    const val = metrics[i].filter((m) => m.type === "metric" && m.split === "val" && finite(m[key]));
    const name = `#${run.id} ${run.name}`;
    const style = { color: COLORS[i % COLORS.length], dash: DASHES[i % DASHES.length], group: name };
    const { raw, extra } = noisyTraces(at(train), train.map((m) => m[key]), prefs, { ...style, name: `${name} train` });
    raw.line.width = prefs.smoothing > 0 ? 1 : 1.5;
    raw.opacity = prefs.smoothing > 0 ? 0.25 : 0.6;
    first.push(raw, { x: at(val), y: val.map((m) => m[key]), name: `${name} val`, mode: "lines+markers",
      line: { dash: style.dash, width: 2, color: style.color }, legendgroup: name, meta: "val" });
    extras.push(...extra);
  });
  return [...first, ...extras];
}

const cell = (text, differs = false) => el("td", { class: differs ? "differs" : null }, text);

// Params of each node id that differ between the designs ("conv1.out_channels: 32 / 64").
function nodeDiffs(docs) {
  const byId = docs.map((d) => new Map((d.nodes || []).map((n) => [n.id, n])));
  const allIds = [...new Set(byId.flatMap((m) => [...m.keys()]))];
  const rows = [];
  for (const id of allIds) {
    const nodes = byId.map((m) => m.get(id));
    if (nodes.some((n) => !n)) {
      rows.push([`${id}`, nodes.map((n) => (n ? n.type : "(absent)"))]);
      continue;
    }
    if (new Set(nodes.map((n) => n.type)).size > 1) rows.push([`${id}.type`, nodes.map((n) => n.type)]);
    const keys = [...new Set(nodes.flatMap((n) => Object.keys(n.params || {})))];
    for (const key of keys) {
      const values = nodes.map((n) => JSON.stringify((n.params || {})[key] ?? "default"));
      if (new Set(values).size > 1) rows.push([`${id}.${key}`, values]);
    }
    const inputs = nodes.map((n) => (n.inputs || []).join(", "));
    if (new Set(inputs).size > 1) rows.push([`${id} inputs`, inputs]);
  }
  return rows;
}

async function main() {
  if (ids.length < 1) return;
  const runs = await Promise.all(ids.map((id) => api(`/api/runs/${id}/`)));
  const metrics = await Promise.all(ids.map((id) => api(`/api/runs/${id}/metrics/`)));
  const summaries = await Promise.all(runs.map((r) => api("/api/graphs/summary/", { method: "POST", body: r.document })));
  const draw = () => {
    Plotly.react("cmp-loss", curves(runs, metrics, "loss"), curveLayout("Loss", "loss", prefs), PLOT_CONFIG);
    Plotly.react("cmp-acc", curves(runs, metrics, "accuracy"), curveLayout("Accuracy", "accuracy", prefs), PLOT_CONFIG);
  };
  bindControls(prefs, draw);
  draw();
  $("#download-csv").addEventListener("click", () => download(`compare-${ids.join("-")}-curves.csv`,
    metricsCsv(runs.map((r, i) => ({ id: r.id, metrics: metrics[i] })))));
  $("#download-png").addEventListener("click", () => downloadPng(`compare-${ids.join("-")}-curves.png`, [$("#cmp-loss"), $("#cmp-acc")]));

  const summary = summarize(runs, metrics, summaries);
  renderTable($("#cmp-runs"), summary);
  const figure = parallelFigure(summary, COLORS);
  Plotly.newPlot("cmp-parallel", figure.traces, figure.layout, PLOT_CONFIG);

  const row = (label, values) => {
    const differs = new Set(values.map(String)).size > 1;
    return el("tr", {}, el("th", { scope: "row" }, label), values.map((v) => cell(v, differs)));
  };
  const configKeys = [...new Set(runs.flatMap((r) => Object.keys(r.config || {})))];
  const section = (title) => el("tr", {}, el("th", { colspan: runs.length + 1, class: "muted" }, title));
  $("#cmp-table").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, el("span", { class: "sr-only" }, "Property")), runs.map((r) => el("th", { scope: "col" }, el("a", { href: `/runs/${r.id}/` }, `#${r.id} ${r.name}`))))),
    el("tbody", {},
      row("status", runs.map((r) => r.status)),
      row("test accuracy", runs.map((r) => fmtPct((r.result || {}).test_accuracy))),
      row("dataset", runs.map((r) => r.dataset_name)),
      section("Design"),
      row("nodes", runs.map((r) => String((r.document.nodes || []).length))),
      row("parameters", summaries.map((s) => fmtInt(s.params))),
      nodeDiffs(runs.map((r) => r.document)).map(([label, values]) => row(label, values)),
      section("Settings"),
      configKeys.map((k) => row(k, runs.map((r) => JSON.stringify((r.config || {})[k] ?? "—"))))));
}

main().catch((e) => Object.assign($("#compare-error"), { hidden: false, textContent: `⚠ ${e.message}` }));
