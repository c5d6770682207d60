// A lab: the student's runs (queue position, public score, which one counts) and the leaderboard;
// the teacher reveals private scores. Refreshes every few seconds while a run is live.
import { $, announce, api, el, fmtInt, fmtPct } from "../util.js";

const root = $("#lab");
const id = root.dataset.labId;
const student = root.dataset.role === "student";
const LIVE = ["queued", "running"];

function table(node, head, rows) {
  node.replaceChildren(el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.length ? rows : el("tr", {}, el("td", { colspan: head.length, class: "muted" }, "Nothing yet."))));
}

async function board() {
  const rows = await api(`/api/labs/${id}/leaderboard/`);
  const hasPrivate = rows.some((r) => "score_private" in r);
  table($("#leaderboard"), ["#", "Student", "Public score", ...(hasPrivate ? ["Private score"] : []), "Parameters", ""],
    rows.map((r, i) => el("tr", {}, el("td", {}, i + 1), el("td", {}, r.student), el("td", {}, fmtPct(r.score_public)),
      hasPrivate ? el("td", {}, fmtPct(r.score_private)) : null, el("td", {}, fmtInt(r.params)),
      el("td", {}, [r.submitted ? "submitted" : "", r.late ? " late" : ""].join("")))));
}

async function mine() {
  const runs = await api(`/api/labs/${id}/runs/`);
  table($("#my-runs"), ["Run", "Status", "Queue", "Public score", ""], runs.map((r) => el("tr", { "data-run": r.id },
    el("td", {}, el("a", { href: `/runs/${r.id}/` }, `#${r.id}`)), el("td", {}, r.status + (r.late ? " (late)" : "")),
    el("td", {}, r.queue_position ?? "—"), el("td", { class: "score" }, fmtPct(r.result?.score_public)),
    el("td", {}, r.result?.score_public != null ? el("button", { type: "button", class: "small", onclick: () => submit(r.id) },
      "Count this run") : null))));
  return runs.some((r) => LIVE.includes(r.status));
}

async function submit(run) {
  await api(`/api/labs/${id}/submit/`, { method: "POST", body: { run } });
  announce(`Run #${run} now counts for this lab.`);
  board();
}

async function refresh() {
  try {
    const live = student ? await mine() : true;
    await board();
    setTimeout(refresh, live ? 3000 : 15000);
  } catch (e) {
    announce(`⚠ ${e.message}`, "error");
  }
}

if (student) {
  $("#open-design").addEventListener("click", async () => {
    const design = await api(`/api/labs/${id}/design/`);
    location.href = `/editor/${design.id}/?lab=${id}`;
  });
} else {
  $("#reveal").addEventListener("click", async () => {
    if (!confirm("Show every student the private scores?")) return;
    await api(`/api/labs/${id}/reveal/`, { method: "POST" });
    $("#reveal").hidden = true;
    board();
  });
}
refresh();
