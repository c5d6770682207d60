// Live summary: the server infers shapes (the browser never does), and this module shows the answer
// on each block (output shape, parameters, errors and warnings) and in the totals bar.
import { api, el, fmtBytes, fmtCompact, fmtInt, shapeText } from "../util.js";

const BATCH = 64;
const prod = (shape) => (Array.isArray(shape) ? shape.flat(3).reduce((a, b) => a * b, 1) : 0);

// Weights + gradients + two Adam moments (4 copies × 4 bytes) plus activations kept for the
// backward pass (outputs × batch × 4 bytes × 2 for their gradients).
export function trainingMemory(summary) {
  const activations = Object.values(summary.nodes || {}).reduce((sum, n) => sum + prod(n.output_shape), 0);
  return (summary.params || 0) * 4 * 4 + activations * BATCH * 4 * 2;
}

const asProblem = (p) => (typeof p === "string" ? { node: null, param: null, message: p } : p);

export class Summarizer {
  constructor(canvas, { onProblemClick } = {}) {
    this.canvas = canvas;
    this.serial = 0;
    this.last = null;
    this.onProblemClick = onProblemClick;
  }

  async run(doc) {
    const serial = ++this.serial;
    let summary;
    try {
      summary = await api("/api/graphs/summary/", { method: "POST", body: doc });
    } catch (e) {
      summary = { valid: false, nodes: {}, errors: [{ node: null, param: null, message: `Could not check the design: ${e.message}` }], warnings: [] };
    }
    if (serial !== this.serial) return null; // a newer edit's answer wins
    this.last = summary;
    this.show(summary);
    return summary;
  }

  show(summary) {
    const errors = (summary.errors || []).map(asProblem);
    const warnings = (summary.warnings || []).map(asProblem);
    for (const [dfId, node] of this.canvas.nodes) {
      const element = this.canvas.element(dfId);
      if (!element) continue;
      const info = (summary.nodes || {})[node.id];
      element.querySelector(".blk-shape").textContent = info && info.output_shape ? shapeText(info.output_shape) : "?";
      element.querySelector(".blk-params").textContent = info && info.params ? `${fmtCompact(info.params)} params` : "";
      const mine = errors.filter((e) => e.node === node.id);
      const warned = warnings.filter((w) => w.node === node.id);
      element.classList.toggle("has-error", mine.length > 0);
      element.classList.toggle("has-warning", !mine.length && warned.length > 0);
      const msg = element.querySelector(".blk-msg");
      msg.replaceChildren(...mine.map((e) => el("div", { class: "blk-error" }, `⚠ Error: ${e.message}`)),
        ...warned.map((w) => el("div", { class: "blk-warning" }, `△ Warning: ${w.message}`)));
    }
    if (!document.getElementById("totals")) return; // the lab editor shows the blocks alone
    this.showTotals(summary);
    this.showProblems(errors, warnings);
  }

  showTotals(summary) {
    const ok = summary.valid;
    document.getElementById("total-params").textContent = ok ? fmtInt(summary.params) : "—";
    document.getElementById("total-flops").textContent = ok ? fmtCompact(summary.flops) : "—";
    document.getElementById("total-memory").textContent = ok ? fmtBytes(trainingMemory(summary)) : "—";
    const out = summary.output_shape;
    document.getElementById("total-output").textContent = ok ? (Array.isArray(out && out[0]) ? out.map(shapeText).join(" ") : shapeText(out)) : "—";
    const badge = document.getElementById("valid-badge");
    badge.textContent = ok ? "✓ valid" : `⚠ ${(summary.errors || []).length} error(s)`;
    badge.className = `badge ${ok ? "ok" : "bad"}`;
  }

  showProblems(errors, warnings) {
    const list = document.getElementById("problems");
    const item = (p, kind) => el("li", { class: `problem ${kind}` },
      el("span", { class: "problem-icon", "aria-hidden": "true" }, kind === "error" ? "⚠" : "△"),
      el("span", { class: "sr-only" }, kind === "error" ? "Error: " : "Warning: "),
      p.node ? el("button", { type: "button", class: "link", onclick: () => this.onProblemClick && this.onProblemClick(p.node) }, p.node) : el("b", {}, "Design"),
      p.param ? ` (${p.param})` : "", `: ${p.message}`);
    const items = [...errors.map((e) => item(e, "error")), ...warnings.map((w) => item(w, "warning"))];
    list.replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "None.")]));
  }

  errorsFor(nodeId) {
    return ((this.last && this.last.errors) || []).map(asProblem).filter((e) => e.node === nodeId);
  }
}
