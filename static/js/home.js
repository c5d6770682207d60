// Home: starter designs and datasets from the API; live runs refresh their status.
import { api, el, fmtInt, fmtPct } from "./util.js";

const root = document.getElementById("home");
const signedIn = root.dataset.signedIn === "1";

async function showStarters() {
  const list = document.getElementById("starters");
  const starters = await api("/api/templates/");
  list.replaceChildren(...starters.map((s) => el("li", { class: "card" },
    el("h3", {}, el("a", { href: `/editor/?starter=${encodeURIComponent(s.slug)}` }, s.name)),
    el("p", {}, s.description || ""))));
}

async function showDatasets() {
  const list = document.getElementById("datasets");
  if (!list) return;
  const datasets = await api("/api/datasets/");
  list.replaceChildren(...datasets.map((d) => el("li", {},
    el("strong", {}, d.name), " ",
    el("span", { class: "muted" }, `${d.builtin ? "built-in" : "uploaded"} · input [${d.input_shape.join(", ")}] · ` +
      `${d.num_classes ?? "?"} classes · ${fmtInt(d.train_size)} train / ${fmtInt(d.test_size)} test`))));
}

// Runs still queued or running are re-read every few seconds so "live" stays true.
async function refreshLiveRuns() {
  const rows = [...document.querySelectorAll("#runs tr[data-run]")].filter((r) => ["queued", "running"].includes(r.dataset.status));
  for (const row of rows) {
    const run = await api(`/api/runs/${row.dataset.run}/`);
    if (run.status === row.dataset.status) continue;
    row.dataset.status = run.status;
    const live = ["queued", "running"].includes(run.status);
    row.cells[2].replaceChildren(el("span", { class: `status status-${run.status}` }, run.status + (live ? " · live" : "")));
    const acc = run.result && run.result.test_accuracy;
    if (acc !== undefined) row.cells[3].textContent = fmtPct(acc);
  }
  if (rows.length) setTimeout(refreshLiveRuns, 4000);
}

const form = document.getElementById("compare-form");
if (form) {
  form.addEventListener("submit", (event) => {
    const ids = [...form.querySelectorAll("input[name=pick]:checked")].map((c) => c.value);
    if (ids.length < 2) {
      event.preventDefault();
      alert("Pick two or more runs to compare.");
      return;
    }
    document.getElementById("compare-ids").value = ids.join(",");
    form.querySelectorAll("input[name=pick]").forEach((c) => (c.disabled = true));
  });
}

showStarters().catch((e) => document.getElementById("starters").replaceChildren(el("li", { class: "error-box" }, `⚠ ${e.message}`)));
if (signedIn) {
  showDatasets().catch(() => {});
  refreshLiveRuns().catch(() => {});
}
