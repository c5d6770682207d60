// Run page: live curves from ws/runs/<id>/ (replay after ?after=SEQ, so a reconnect has no gap
// and no duplicate), progress, queue position, stop, and the results once the run ends.
import { $, api, drawSample, el, fmtDuration, fmtInt, fmtPct, pageData } from "./util.js";
import { PLOT_CONFIG, bindControls, curveLayout, download, downloadPng, loadPrefs, noisyTraces } from "./charts.js";
import { metricsCsv, xOf } from "./curves.js";
import { onLayers } from "./xray.js";

const root = $("#run");
const runId = root.dataset.runId;
const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const COLORS = { train: "#2456a6", val: "#c2410c", lr: "#6b21a8" };
let run = pageData("run-data") ?? await api(`/api/runs/${runId}/`); // as the page was rendered
let lastSeq = 0;
let finished = false;
let retry = 0;
let pending = [];
let points = 0;
let firstTime = null;
const metrics = []; // every metric message, in order
const prefs = loadPrefs();

const finite = (v) => typeof v === "number" && Number.isFinite(v);

// One chart: the training series (smoothed, downsampled as the controls say) and, when given,
// the validation points; Plotly.react redraws only what changed.
function drawChart(div, key, title, ytitle, withVal = true) {
  const axis = { epochs: run.config.epochs || 1, batchSize: run.config.batch_size || 1, startTime: firstTime ?? 0 };
  const at = (ms) => ms.map((m) => xOf(m, prefs.xaxis, axis));
  const train = metrics.filter((m) => m.split === "train" && finite(m[key]));
  const val = metrics.filter((m) => m.split === "val" && finite(m[key]));
  const { raw, extra } = noisyTraces(at(train), train.map((m) => m[key]), prefs,
    { name: `train ${ytitle}`, color: key === "lr" ? COLORS.lr : COLORS.train });
  const traces = [raw];
  if (withVal) {
    traces.push({ x: at(val), y: val.map((m) => m[key]), name: `validation ${ytitle}`, mode: "lines+markers",
      line: { dash: "dot", width: 2, color: COLORS.val }, marker: { size: 7 }, meta: "val" });
  }
  Plotly.react(div, [...traces, ...extra], curveLayout(title, ytitle, prefs), PLOT_CONFIG);
}

function draw() {
  drawChart("chart-loss", "loss", "Loss", "loss");
  drawChart("chart-acc", "accuracy", "Accuracy", "accuracy");
  const hasLr = metrics.some((m) => finite(m.lr));
  $("#chart-lr").hidden = !hasLr;
  if (hasLr) drawChart("chart-lr", "lr", "Learning rate", "learning rate", false);
}

// Points are buffered and drawn once per frame: a replay of thousands of messages stays smooth.
function flush() {
  if (!pending.length) return;
  const batch = pending;
  metrics.push(...batch);
  pending = [];
  showProgress(batch);
  draw();
  // User Timing mark: when the first point is on screen (read by bench/bench_pages.py).
  if (!performance.getEntriesByName("layerlab:first-point").length) performance.mark("layerlab:first-point");
}

function onMetric(m) {
  if (!pending.length) requestAnimationFrame(flush);
  pending.push(m);
  points += 1;
  if (firstTime === null) firstTime = run.started ? Date.parse(run.started) / 1000 : m.time;
}

// The numbers above the charts, from the newest point of the points just drawn: once per frame,
// not once per message (a late page's replay brings thousands at once).
function showProgress(batch) {
  const m = batch[batch.length - 1];
  $("#points").textContent = fmtInt(points);
  const done = m.total_steps ? m.step / m.total_steps : 0;
  const bar = $("#progress");
  bar.firstElementChild.style.width = `${(100 * done).toFixed(1)}%`;
  bar.setAttribute("aria-valuenow", Math.round(100 * done));
  $("#epoch").textContent = `${m.epoch} / ${run.config.epochs}`;
  $("#step").textContent = `${fmtInt(m.step)} / ${fmtInt(m.total_steps)}`;
  if (m.samples_per_s) $("#speed").textContent = `${fmtInt(Math.round(m.samples_per_s))} samples/s`;
  const elapsed = m.time - firstTime;
  if (!finished) $("#eta").textContent = done > 0 && elapsed > 0 ? fmtDuration((elapsed * (1 - done)) / done) : "—";
  // A validation point means an epoch ended, and its weights are on disk.
  if (batch.some((p) => p.split === "val")) $("#weights-links").hidden = false, $("#no-weights").hidden = true;
}

function setStatus(status) {
  const badge = $("#status");
  badge.textContent = status;
  badge.className = `status status-${status}`;
  root.dataset.status = status;
  $("#stop").hidden = FINAL.includes(status);
  $("#queue").hidden = status !== "queued";
}

async function onStatus(m) {
  setStatus(m.status);
  if (m.device) $("#device").textContent = m.device;
  if (m.notes && m.notes.length) showNotes(m.notes);
  if (FINAL.includes(m.status)) {
    finished = true;
    flush();
    $("#eta").textContent = "—";
    run = await api(`/api/runs/${runId}/`);
    showResults();
  }
}

function showNotes(notes) {
  $("#notes").replaceChildren(...notes.map((n) => el("p", { class: "problem warning" }, "ⓘ Note: ", n)));
}

function showResults() {
  const r = run.result || {};
  $("#continue").hidden = !run.can_continue;
  $("#results").hidden = false;
  $("#test-acc").textContent = fmtPct(r.test_accuracy);
  $("#test-loss").textContent = r.test_loss === undefined || r.test_loss === null ? "—" : r.test_loss.toFixed(4);
  if (r.error) Object.assign($("#run-error"), { hidden: false, textContent: `⚠ ${r.error}` });
  if (r.notes && r.notes.length) showNotes(r.notes);
  $("#weights-links").hidden = !run.has_weights;
  $("#no-weights").hidden = run.has_weights;
  if (!run.has_weights) $("#no-weights").textContent = "This run has no weights.";
  const cm = r.confusion_matrix;
  if (Array.isArray(cm) && cm.length) {
    const labels = cm.map((_, i) => String(i));
    Plotly.newPlot("confusion", [{
      z: cm, x: labels, y: labels, type: "heatmap", colorscale: "Blues", hovertemplate: "true %{y}, predicted %{x}: %{z}<extra></extra>",
    }], {
      title: { text: "Confusion matrix (test)", font: { size: 14 } }, margin: { l: 60, r: 10, t: 36, b: 50 },
      xaxis: { title: { text: "predicted" }, type: "category" }, yaxis: { title: { text: "true" }, type: "category", autorange: "reversed" },
      annotations: cm.flatMap((row, i) => row.map((v, j) => ({ x: labels[j], y: labels[i], text: String(v), showarrow: false, font: { size: 10, color: v > Math.max(...cm.flat()) / 2 ? "#fff" : "#000" } }))),
    }, PLOT_CONFIG);
  } else $("#confusion").hidden = true;
  const samples = r.samples || [];
  $("#samples").replaceChildren(...samples.map((s) => {
    const right = String(s.label) === String(s.prediction);
    const name = (v, n) => (n !== undefined ? n : Array.isArray(v) ? v.map((x) => x.toFixed(2)).join(", ") : v);
    return el("li", {},
      s.input ? drawSample(s.input, 64, `test sample, true ${name(s.label, s.label_name)}`) : null,
      el("div", {}, `true: ${name(s.label, s.label_name)}`),
      el("div", { class: right ? "right" : "wrong" }, `${right ? "✓" : "✗"} predicted: ${name(s.prediction, s.prediction_name)}`));
  }));
  if (!samples.length) $("#samples").replaceChildren(el("li", { class: "muted" }, "No samples for this run."));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  // replay=batch: what is stored arrives as one frame, so a page opened late in a long run is quick.
  const socket = new WebSocket(`${scheme}://${location.host}/ws/runs/${runId}/?after=${lastSeq}&replay=batch`);
  $("#conn").textContent = "connecting…";
  socket.onopen = () => {
    retry = 0;
    $("#conn").textContent = "● live";
  };
  socket.onmessage = (event) => {
    const data = JSON.parse(event.data);
    for (const m of data.type === "replay" ? data.messages : [data]) {
      if (m.seq <= lastSeq) continue;
      lastSeq = m.seq;
      if (m.type === "metric") onMetric(m);
      else if (m.type === "status") onStatus(m);
      else if (m.type === "layers") onLayers(m);
    }
  };
  socket.onclose = (event) => {
    if (finished || event.code === 4404 || event.code === 4401) {
      $("#conn").textContent = finished ? "" : "⚠ not allowed to watch this run";
      return;
    }
    retry += 1;
    $("#conn").textContent = "reconnecting…";
    setTimeout(connect, Math.min(10000, 500 * 2 ** Math.min(retry, 5)));
  };
  root.socket = socket; // lets a test drop the connection
}

async function pollQueue() {
  if (root.dataset.status !== "queued") return;
  const fresh = await api(`/api/runs/${runId}/`);
  $("#queue-pos").textContent = fresh.queue_position ?? "—";
  if (fresh.status === "queued") setTimeout(pollQueue, 2000);
}

// A new run from this one's last checkpoint, for N more epochs; its page takes over.
$("#continue").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const child = await api(`/api/runs/${runId}/continue/`, { method: "POST", body: { epochs: Number($("#continue-epochs").value) } });
    location.href = `/runs/${child.id}/`;
  } catch (err) {
    $("#conn").textContent = `⚠ ${err.message}`;
  }
});

$("#stop").addEventListener("click", async () => {
  $("#stop").disabled = true;
  try {
    const fresh = await api(`/api/runs/${runId}/stop/`, { method: "POST" });
    if (FINAL.includes(fresh.status)) await onStatus({ status: fresh.status });
    else $("#stop").textContent = "Stopping…";
  } catch (e) {
    $("#conn").textContent = `⚠ ${e.message}`;
    $("#stop").disabled = false;
  }
});

const rows = { dataset: run.dataset_name, ...run.config, versions: Object.entries(run.versions || {}).map(([k, v]) => `${k} ${v}`).join(", ") };
$("#config").replaceChildren(...Object.entries(rows).map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v)))));
bindControls(prefs, draw);
$("#download-csv").addEventListener("click", () => download(`run-${runId}-curves.csv`, metricsCsv([{ id: runId, metrics }])));
$("#download-png").addEventListener("click", () => downloadPng(`run-${runId}-curves.png`,
  ["chart-loss", "chart-acc", "chart-lr"].map((id) => $(`#${id}`)).filter((div) => !div.hidden)));
// Empty axes for a run that has no points yet; a running or ended run's first drawing is its replayed
// points (one drawing instead of two), or empty axes if none came within a second.
if (run.status === "queued") draw();
else setTimeout(() => metrics.length || pending.length || draw(), 1000);
setStatus(run.status);
if (run.result && run.result.notes) showNotes(run.result.notes);
pollQueue();
connect();
