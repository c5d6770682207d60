// Compare runs: their curves overlaid, beside a table of how designs and settings differ.
import { $, api, el, fmtInt, fmtPct } from "./util.js";

const ids = ($("#compare").dataset.ids || "").split(",").map((s) => s.trim()).filter(Boolean);
const layout = (title) => ({
  title: { text: title, font: { size: 14 } }, margin: { l: 50, r: 10, t: 36, b: 70 },
  xaxis: { title: { text: "epoch" } }, legend: { orientation: "h", y: -0.35 },
});
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash"];

function curves(run, metrics, key, i) {
  const epochs = run.config.epochs || 1;
  const at = (m) => (m.total_steps ? (m.step * epochs) / m.total_steps : m.epoch);
  const train = metrics.filter((m) => m.type === "metric" && m.split === "train" && m[key] !== null);
  const val = metrics.filter((m) => m.type === "metric" && m.split === "val" && m[key] !== null);
  const name = `#${run.id} ${run.name}`;
  return [
    { x: train.map(at), y: train.map((m) => m[key]), name: `${name} train`, mode: "lines", line: { dash: DASHES[i % 5], width: 1 }, opacity: 0.5, legendgroup: name },
    { x: val.map(at), y: val.map((m) => m[key]), name: `${name} val`, mode: "lines+markers", line: { dash: DASHES[i % 5], width: 2 }, legendgroup: name },
  ];
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
  Plotly.newPlot("cmp-loss", runs.flatMap((r, i) => curves(r, metrics[i], "loss", i)), layout("Loss"), { responsive: true, displaylogo: false });
  Plotly.newPlot("cmp-acc", runs.flatMap((r, i) => curves(r, metrics[i], "accuracy", i)), layout("Accuracy"), { responsive: true, displaylogo: false });

  const row = (label, values) => {
    const differs = new Set(values.map(String)).size > 1;
    return el("tr", {}, el("th", { scope: "row" }, label), values.map((v) => cell(v, differs)));
  };
  const configKeys = [...new Set(runs.flatMap((r) => Object.keys(r.config || {})))];
  const section = (title) => el("tr", {}, el("th", { colspan: runs.length + 1, class: "muted" }, title));
  $("#cmp-table").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, ""), runs.map((r) => el("th", { scope: "col" }, el("a", { href: `/runs/${r.id}/` }, `#${r.id} ${r.name}`))))),
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
