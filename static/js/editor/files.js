// Saving and files: save, rename, copy, delete (API); Keras JSON, ONNX or LayerLab JSON brought in through the
// server's importer, and the JSON document out as a file; PyTorch, ONNX and .pt2 downloads of a saved design.
import { announce, api, el } from "../util.js";

export function needLogin(loginUrl, what) {
  const box = document.getElementById("flash");
  const next = `${location.pathname}?draft=1`;
  box.replaceChildren(`${what} needs an account: `, el("a", { href: `${loginUrl}?next=${encodeURIComponent(next)}` }, "log in"),
    " or ", el("a", { href: `/accounts/signup/` }, "sign up"), ". Your design is kept in this tab meanwhile.");
  box.dataset.kind = "info";
  box.hidden = false;
}

export function downloadBlob(text, filename, type = "application/json") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export const safeName = (name) => (name.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^-+|-+$/g, "") || "design");

export class DesignFiles {
  constructor(state, { getDoc, signedIn, loginUrl, onSaved }) {
    Object.assign(this, { state, getDoc, signedIn, loginUrl, onSaved });
  }

  async save() {
    if (!this.signedIn) return needLogin(this.loginUrl, "Saving"), null;
    const doc = this.getDoc();
    const body = { name: doc.name, document: doc };
    // Weights that came with an import (ONNX) become the new design's starting weights.
    if (!this.state.graphId && this.state.importWeights) body.weights = this.state.importWeights;
    const saved = this.state.graphId
      ? await api(`/api/graphs/${this.state.graphId}/`, { method: "PUT", body })
      : await api("/api/graphs/", { method: "POST", body });
    this.state.graphId = saved.id;
    this.state.importWeights = null;
    history.replaceState(null, "", `/editor/${saved.id}/`);
    this.onSaved(saved);
    announce(`Saved “${saved.name}”.`);
    return saved;
  }

  async saveCopy() {
    if (!this.signedIn) return needLogin(this.loginUrl, "Saving");
    const doc = { ...this.getDoc() };
    doc.name = `${doc.name} (copy)`.slice(0, 100);
    const saved = await api("/api/graphs/", { method: "POST", body: { name: doc.name, document: doc } });
    location.href = `/editor/${saved.id}/`;
  }

  async remove() {
    if (!this.state.graphId) return announce("This design is not saved, so there is nothing to delete.");
    if (!confirm("Delete this design? Runs trained from it are kept.")) return;
    await api(`/api/graphs/${this.state.graphId}/`, { method: "DELETE" });
    location.href = "/";
  }

  exportJson() {
    const doc = this.getDoc();
    downloadBlob(JSON.stringify(doc, null, 2) + "\n", `${safeName(doc.name)}.json`);
  }

  // The server reads the file (it knows Keras, ONNX and LayerLab JSON) and answers a design and a report.
  async importFile(file) {
    const form = new FormData();
    form.append("file", file, file.name);
    const { document: doc, report, weights } = await api("/api/graphs/import/", { method: "POST", body: form });
    this.state.graphId = null;
    this.state.importWeights = weights;
    history.replaceState(null, "", "/editor/");
    return { doc, report };
  }

  async download(to) {
    if (!this.signedIn) return needLogin(this.loginUrl, "Downloading code");
    const saved = await this.save();
    if (!saved) return;
    if (!saved.summary.valid) return announce("Fix the design's errors first: only a valid design can be exported.", "error");
    const a = el("a", { href: `/api/graphs/${saved.id}/export/?to=${to}`, download: "" });
    document.body.append(a);
    a.click();
    a.remove();
  }
}
