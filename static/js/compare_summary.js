// The compare page's summary of the chosen runs: a sortable table (one row per run: accuracies,
// parameters, time and the settings that differ) and a parallel-coordinates chart of those
// settings against accuracy (drawn as lines over normalised axes, so no WebGL is needed).
import { el, fmtDuration, fmtInt, fmtPct } from "./util.js";

const finite = (v) => typeof v === "number" && Number.isFinite(v);

// One record per run: what the table and the chart show.
export function summarize(runs, metrics, summaries) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.config || {})))];
  const differing = keys.filter((k) => new Set(runs.map((r) => JSON.stringify((r.config || {})[k] ?? null))).size > 1);
  const records = runs.map((r, i) => {
    const val = metrics[i].filter((m) => m.type === "metric" && m.split === "val" && finite(m.accuracy));
    const seconds = r.started && r.finished ? (Date.parse(r.finished) - Date.parse(r.started)) / 1000 : null;
    const settings = Object.fromEntries(differing.map((k) => [k, (r.config || {})[k] ?? null]));
    return { id: r.id, name: r.name, best_val: val.length ? Math.max(...val.map((m) => m.accuracy)) : null,
      test: (r.result || {}).test_accuracy ?? null, params: summaries[i].params ?? null, seconds, settings };
  });
  return { records, differing };
}

const COLUMNS = [
  ["run", "Run", (r) => r.id, (r) => el("a", { href: `/runs/${r.id}/` }, `#${r.id} ${r.name}`)],
  ["best_val", "Best validation accuracy", (r) => r.best_val, (r) => fmtPct(r.best_val)],
  ["test", "Test accuracy", (r) => r.test, (r) => fmtPct(r.test)],
  ["params", "Parameters", (r) => r.params, (r) => fmtInt(r.params)],
  ["seconds", "Time", (r) => r.seconds, (r) => (r.seconds === null ? "—" : fmtDuration(r.seconds))],
];

// Missing values sort last whichever the direction; numbers as numbers, the rest as text.
function compare(a, b, direction) {
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : 1;
  if (b === null || b === undefined) return -1;
  const order = finite(a) && finite(b) ? a - b : String(a).localeCompare(String(b), "en", { numeric: true });
  return direction === "ascending" ? order : -order;
}

export function renderTable(table, { records, differing }) {
  const columns = [...COLUMNS, ...differing.map((k) => [`setting:${k}`, k, (r) => r.settings[k],
    (r) => (r.settings[k] === null ? "—" : typeof r.settings[k] === "object" ? JSON.stringify(r.settings[k]) : String(r.settings[k]))])];
  let sorted = { key: null, direction: "descending" };
  const render = () => {
    const column = columns.find((c) => c[0] === sorted.key);
    const rows = column ? [...records].sort((a, b) => compare(column[2](a), column[2](b), sorted.direction)) : records;
    table.replaceChildren(
      el("thead", {}, el("tr", {}, columns.map(([key, label]) => el("th", {
        scope: "col", "data-key": key, "aria-sort": key === sorted.key ? sorted.direction : null,
      }, el("button", { type: "button", class: "sort", onclick: () => sortBy(key) }, label))))),
      el("tbody", {}, rows.map((r) => el("tr", { "data-run": r.id }, columns.map(([, , , show], i) => (i === 0
        ? el("th", { scope: "row" }, show(r)) : el("td", {}, show(r))))))));
  };
  const sortBy = (key) => {
    sorted = { key, direction: sorted.key === key && sorted.direction === "descending" ? "ascending" : "descending" };
    render();
    table.querySelector(`th[data-key="${key}"] button`).focus();
  };
  render();
}

// Each axis is a differing setting (numbers as numbers, anything else as categories) and then
// the two accuracies; values map to 0..1 on their axis, with the axis's range written at its ends.
export function parallelFigure({ records, differing }, colors) {
  const axes = [...differing.map((k) => [k, (r) => r.settings[k]]), ["parameters", (r) => r.params],
    ["best val. accuracy", (r) => r.best_val], ["test accuracy", (r) => r.test]];
  const scaled = axes.map(([name, get]) => {
    const values = records.map(get);
    const numeric = values.every((v) => v === null || finite(v));
    const categories = numeric ? [] : [...new Set(values.map((v) => JSON.stringify(v)))].sort();
    const position = (v) => (numeric ? v : categories.indexOf(JSON.stringify(v)));
    const known = values.filter((v) => v !== null).map(position);
    const lo = Math.min(...known), hi = Math.max(...known);
    const unit = (v) => (v === null ? null : hi > lo ? (position(v) - lo) / (hi - lo) : 0.5);
    const label = (p) => (numeric ? String(Number(p.toPrecision(4))) : JSON.parse(categories[p] ?? "null"));
    return { name, values, unit, ends: known.length ? [label(lo), label(hi)] : ["—", "—"] };
  });
  const x = scaled.map((_, i) => i);
  const traces = records.map((r, j) => ({
    x, y: scaled.map((a) => a.unit(a.values[j])), name: `#${r.id} ${r.name}`, mode: "lines+markers", connectgaps: false,
    line: { color: colors[j % colors.length], width: 2 },
    text: scaled.map((a) => `${a.name}: ${a.values[j] ?? "—"}`), hovertemplate: "%{text}<extra>%{fullData.name}</extra>",
  }));
  const ends = scaled.flatMap((a, i) => [[a.ends[0], -0.08], [a.ends[1], 1.08]].map(([text, y]) => ({
    x: i, y, text: String(text), showarrow: false, font: { size: 10 } })));
  return {
    traces,
    layout: {
      title: { text: "Settings against accuracy", font: { size: 14 } }, margin: { l: 30, r: 30, t: 40, b: 60 },
      xaxis: { tickvals: x, ticktext: scaled.map((a) => a.name), zeroline: false, showgrid: true, gridwidth: 2 },
      yaxis: { range: [-0.15, 1.15], showticklabels: false, zeroline: false, showgrid: false },
      annotations: ends, legend: { orientation: "h", y: -0.25 },
    },
  };
}
