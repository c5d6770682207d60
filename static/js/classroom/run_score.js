// A lab run's page: its public score once the worker has scored it (the private one stays hidden).
import { $, api, fmtPct, pageData } from "../util.js";

const id = $("#lab-result").dataset.runId;

async function poll(rendered = null) {
  const run = rendered ?? await api(`/api/runs/${id}/`);
  const score = run.result && run.result.score_public;
  $("#lab-score").textContent = score == null ? (run.status === "failed" ? "none (failed)" : "—") : fmtPct(score);
  if (!["succeeded", "failed", "cancelled", "timed_out"].includes(run.status)) setTimeout(poll, 3000);
}
poll(pageData("run-data"));
