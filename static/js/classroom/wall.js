// The teacher's live wall: one tile per student with the current run's loss and accuracy, all
// fed by ONE websocket for the class (ws/labs/<id>/). Flags: NaN or rising loss, a failed run,
// a student who never trained. A click opens the student's design and run, read-only.
import { $, api, el, fmtInt, fmtPct } from "../util.js";

const root = $("#wall");
const labId = root.dataset.labId;
const tiles = new Map(); // username -> tile state
const FINAL = ["succeeded", "failed", "cancelled", "timed_out"];
const RISING = 4; // train points in a row with a higher loss than the one before

function tile(student) {
  if (tiles.has(student.username)) return tiles.get(student.username);
  const t = { ...student, run: null, status: "never trained", losses: [], best: null, queue: null, params: null };
  t.node = el("article", { class: "tile", "data-student": student.username, tabindex: "0", role: "button",
    onclick: () => peek(t), onkeydown: (e) => e.key === "Enter" && peek(t) });
  t.chart = el("div", { class: "tile-chart" });
  t.info = el("div", { class: "tile-info" });
  t.node.append(el("h3", {}, student.username), t.info, t.chart);
  $("#tiles").append(t.node);
  Plotly.newPlot(t.chart, [{ y: [], x: [], name: "loss", line: { width: 1.5 } },
    { y: [], x: [], name: "accuracy", yaxis: "y2", line: { width: 1.5 } }],
  { height: 120, margin: { l: 28, r: 28, t: 4, b: 18 }, showlegend: false,
    yaxis2: { overlaying: "y", side: "right", range: [0, 1] } }, { displayModeBar: false, staticPlot: true });
  tiles.set(student.username, t);
  draw(t);
  return t;
}

function flags(t) {
  const out = [];
  const l = t.losses;
  if (l.some((v) => v === null || Number.isNaN(v))) out.push("loss NaN");
  else if (l.length > RISING && l.slice(-RISING - 1).every((v, i, a) => i === 0 || v > a[i - 1])) out.push("loss rising");
  if (t.status === "failed") out.push("run failed");
  if (!t.run) out.push("never trained");
  return out;
}

function draw(t) {
  const f = flags(t);
  t.node.classList.toggle("flagged", f.length > 0);
  t.info.replaceChildren(...[
    el("span", { class: `status status-${t.status.split(" ")[0]}` }, t.status), t.run ? ` · run #${t.run}` : "",
    t.queue ? ` · queue ${t.queue}` : "", t.params ? ` · ${fmtInt(t.params)} params` : "",
    ` · best ${fmtPct(t.best)}`, f.length ? el("div", { class: "flags" }, f.map((x) => el("span", { class: "flag" }, `⚑ ${x}`))) : null].filter(Boolean));
}

function startRun(t, run) {
  t.run = run;
  t.losses = [];
  Plotly.restyle(t.chart, { x: [[], []], y: [[], []] });
}

function onMessage(m) {
  const t = tile({ username: m.student });
  if (m.run !== t.run) {
    if (t.run && m.run < t.run) return; // an older run's late message
    startRun(t, m.run);
    t.params = null; // a new run may be another design: its count comes with its queued status
  }
  if (m.type === "metric" && m.split === "train") {
    t.losses.push(m.loss);
    Plotly.extendTraces(t.chart, { x: [[m.step], [m.step]], y: [[m.loss], [m.accuracy]] }, [0, 1]);
  } else if (m.type === "status") {
    t.status = m.status;
    if (m.status !== "queued") t.queue = null;
    if (m.params != null) t.params = m.params; // a lab run's queued status: known before it trains
    if (m.result && m.result.score_public != null) t.best = Math.max(t.best ?? 0, m.result.score_public);
    if (m.result && m.result.params) t.params = m.result.params;
    if (m.status === "queued" || FINAL.includes(m.status)) loadWallSoon(); // queue positions moved
  }
  draw(t);
}

// The class at a glance (newest run, queue position, parameters, best public score per student):
// one small request, again when a run joins or leaves the queue, at most once a second.
async function loadWall() {
  for (const r of await api(`/api/labs/${labId}/wall/`)) {
    const t = tile({ username: r.student, id: r.student_id });
    t.id = r.student_id;
    if (r.best_public != null) t.best = Math.max(t.best ?? 0, r.best_public);
    if (r.run != null && (t.run == null || r.run >= t.run)) {
      if (r.run !== t.run) startRun(t, r.run);
      t.status = r.status;
      t.queue = r.queue_position;
      if (r.params != null) t.params = r.params;
    }
    draw(t);
  }
}

let reload = null;
function loadWallSoon() {
  if (!reload) reload = setTimeout(() => { reload = null; loadWall(); }, 1000);
}

async function peek(t) {
  $("#peek-title").textContent = `${t.username}${t.run ? ` · run #${t.run}` : ""} (read-only)`;
  $("#peek-design").textContent = "Loading…";
  $("#peek").showModal();
  try {
    const design = await api(`/api/labs/${labId}/designs/${t.id}/`);
    $("#peek-design").textContent = design.document.nodes.map((n) =>
      `${design.lab.locked.includes(n.id) ? "🔒 " : ""}${n.id}: ${n.type} ${JSON.stringify(n.params || {})} ← ${(n.inputs || []).join(", ")}`).join("\n");
  } catch (e) {
    $("#peek-design").textContent = e.message;
  }
  const stop = $("#peek-stop");
  stop.hidden = !["queued", "running"].includes(t.status);
  stop.onclick = async () => {
    await api(`/api/labs/${labId}/runs/${t.run}/stop/`, { method: "POST" });
    stop.hidden = true;
  };
  const messages = t.run ? await api(`/api/labs/${labId}/runs/${t.run}/metrics/`) : [];
  const val = messages.filter((m) => m.split === "val");
  Plotly.newPlot($("#peek-chart"), [{ x: val.map((m) => m.epoch), y: val.map((m) => m.accuracy), name: "val accuracy" },
    { x: val.map((m) => m.epoch), y: val.map((m) => m.loss), name: "val loss" }],
  { height: 260, margin: { t: 10 } }, { displayModeBar: false });
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${scheme}://${location.host}/ws/labs/${labId}/`);
  ws.onopen = () => {
    $("#conn").textContent = "● live";
    for (const t of tiles.values()) if (t.run) startRun(t, t.run); // the replay redraws every curve
  };
  ws.onmessage = (e) => onMessage(JSON.parse(e.data));
  ws.onclose = (e) => {
    $("#conn").textContent = "reconnecting…";
    if (e.code !== 4404 && e.code !== 4401) setTimeout(connect, 2000);
  };
}

const members = await api(`/api/courses/${root.dataset.courseId}/members/`);
members.forEach((m) => tile(m));
await loadWall();
connect();
root.dataset.ready = "1";
