// Datasets: list, upload with a progress bar (XMLHttpRequest reports upload progress; fetch does
// not), the API's error message when a file is refused, and a preview of samples and classes.
import { $, api, cookie, drawSample, el, fmtBytes, fmtInt } from "./util.js";

async function showUsage() {
  const u = await api("/api/usage/");
  $("#usage").textContent = `Storage: ${fmtBytes(u.used_bytes)} of ${fmtBytes(u.limit_bytes)} used ` +
    `(uploads ${fmtBytes(u.datasets_bytes)}, run weights ${fmtBytes(u.weights_bytes)}).`;
}

async function list() {
  showUsage().catch(() => {});
  const datasets = await api("/api/datasets/");
  $("#ds-table tbody").replaceChildren(...datasets.map((d) => el("tr", {},
    el("td", {}, d.name, d.builtin ? el("span", { class: "muted small" }, " (built-in)") : null),
    el("td", {}, `[${d.input_shape.join(", ")}] ${d.dtype}`),
    el("td", {}, d.num_classes ?? "—"),
    el("td", {}, `${fmtInt(d.train_size)} / ${fmtInt(d.test_size)}`),
    el("td", {}, el("button", { type: "button", class: "small", onclick: () => preview(d) }, "Preview")))));
}

async function preview(d) {
  const box = $("#preview");
  box.hidden = false;
  $("#preview-title").textContent = `Preview: ${d.name}`;
  $("#preview-samples").replaceChildren(el("li", { class: "muted" }, "Loading…"));
  const data = await api(`/api/datasets/${encodeURIComponent(d.id)}/preview/`);
  const counts = data.class_counts || data.counts || {};
  const entries = Array.isArray(counts) ? counts.map((c, i) => [i, c]) : Object.entries(counts);
  $("#class-counts").replaceChildren(el("p", {}, el("b", {}, "Class counts: "),
    entries.map(([k, v]) => `${k}: ${fmtInt(typeof v === "object" ? v.count ?? JSON.stringify(v) : v)}`).join(" · ") || "—"));
  const samples = data.samples || [];
  $("#preview-samples").replaceChildren(...samples.map((s) => el("li", {},
    Array.isArray(s.input ?? s.x) ? drawSample(s.input ?? s.x) : el("code", {}, String(s.input ?? s.text ?? "")),
    el("div", {}, `label: ${s.label_name ?? s.label ?? s.y}`))));
}

function upload(event) {
  event.preventDefault();
  const form = event.target;
  const data = new FormData(form);
  for (const [key, value] of [...data.entries()]) if (value === "") data.delete(key);
  const bar = $("#u-progress");
  const error = $("#u-error");
  error.hidden = true;
  bar.hidden = false;
  bar.value = 0;
  $("#u-submit").disabled = true;
  $("#u-status").textContent = "Uploading…";
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/datasets/");
  xhr.setRequestHeader("X-CSRFToken", cookie("csrftoken"));
  xhr.setRequestHeader("Accept", "application/json");
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    if (e.loaded === e.total) $("#u-status").textContent = "Checking the file…";
  };
  xhr.onloadend = async () => {
    $("#u-submit").disabled = false;
    bar.hidden = true;
    let body = {};
    try {
      body = JSON.parse(xhr.responseText || "{}");
    } catch {
      body = { detail: `the server answered ${xhr.status}` };
    }
    if (xhr.status === 201) {
      $("#u-status").textContent = `✓ Uploaded “${body.name}”: input [${body.input_shape.join(", ")}], ${body.num_classes} classes.`;
      form.reset();
      await list();
      preview(body);
    } else {
      $("#u-status").textContent = "";
      error.hidden = false;
      error.textContent = `⚠ Upload refused: ${body.detail || `error ${xhr.status || "(no connection)"}`}`;
    }
  };
  xhr.send(data);
}

$("#upload-form").addEventListener("submit", upload);
list().catch((e) => $("#ds-table tbody").replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "error-box" }, `⚠ ${e.message}`))));
