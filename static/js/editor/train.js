// The Train dialog: pick a dataset (one-click fix when the Input does not match it, from
// POST /api/runs/check/), set the training settings (served by the API), start and open the run page.
import { api, el } from "../util.js";
import { SettingsForm } from "./settings-form.js";

export class TrainDialog {
  // `lab`: train for a lab: its dataset and pinned settings, shown but not editable.
  constructor(dialog, { getDoc, applyFix, save, lab = null }) {
    Object.assign(this, { dialog, getDoc, applyFix, save, lab });
    this.form = dialog.querySelector("form");
    this.select = dialog.querySelector("#t-dataset");
    this.problems = dialog.querySelector("#t-problems");
    this.datasets = null;
    this.settings = null;
    this.select.addEventListener("change", () => {
      this.settings.showFor(this.dataset());
      this.check();
    });
    // A setting can make the run impossible (e.g. mse on classes of the wrong size): ask again.
    this.form.addEventListener("change", (e) => {
      if (e.target !== this.select) this.check();
    });
    dialog.querySelector("#t-cancel").addEventListener("click", () => dialog.close());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.start();
    });
  }

  dataset() {
    return (this.datasets || []).find((d) => String(d.id) === this.select.value);
  }

  options() {
    return { dataset: this.select.value, ...this.settings.values() };
  }

  async open() {
    if (!this.settings) this.settings = new SettingsForm(this.form, await api("/api/training-settings/"));
    if (!this.datasets && this.lab) this.pinLab();
    if (!this.datasets) {
      this.datasets = await api("/api/datasets/");
      const inputShape = JSON.stringify(((this.getDoc().nodes.find((n) => n.type === "Input") || {}).params || {}).shape);
      this.select.replaceChildren(...this.datasets.map((d) => el("option", {
        value: d.id, selected: JSON.stringify(d.input_shape) === inputShape,
      }, `${d.name} — [${d.input_shape.join(", ")}], ${d.num_classes ?? "?"} classes`)));
    }
    this.settings.showFor(this.dataset());
    this.dialog.showModal();
    await this.check();
  }

  pinLab() {
    this.datasets = [{ id: this.lab.dataset, name: this.lab.dataset }];
    this.select.replaceChildren(el("option", { value: this.lab.dataset }, `${this.lab.dataset} (the lab's)`));
    this.select.disabled = true;
    for (const [name, value] of Object.entries(this.lab.settings)) {
      const field = this.form.elements[name];
      if (field) Object.assign(field, { value, disabled: true, title: "pinned by the teacher" });
    }
  }

  body(graph) {
    if (this.lab) return { ...this.options(), graph, lab: this.lab.id };
    const options = this.options();
    const dataset = this.datasets.find((d) => String(d.id) === options.dataset);
    return { ...options, dataset: dataset ? dataset.id : options.dataset, graph };
  }

  async check() {
    this.problems.replaceChildren(el("p", { class: "muted" }, "Checking…"));
    try {
      const verdict = await api("/api/runs/check/", { method: "POST", body: this.body(this.getDoc()) });
      if (!verdict.ok) {
        this.showProblems({ message: verdict.detail, body: verdict });
        return false;
      }
      this.problems.replaceChildren(el("p", { class: "ok-text" }, "✓ The design fits this dataset."));
      return true;
    } catch (e) {
      this.showProblems(e);
      return false;
    }
  }

  showProblems(e) {
    const problems = (e.body && e.body.problems) || [{ message: e.message }];
    this.problems.replaceChildren(...problems.map((p) => el("div", { class: "problem error", role: "alert" },
      el("span", { "aria-hidden": "true" }, "⚠ "), p.node ? el("b", {}, `${p.node}: `) : null, p.message, " ",
      p.fix ? el("button", {
        type: "button", class: "small fix",
        onclick: async () => {
          if (p.node) this.applyFix(p.node, p.fix);
          else this.settings.apply(p.fix);
          await this.check();
        },
      }, `Fix: set ${Object.entries(p.fix).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(", ")}`) : null)));
  }

  async start() {
    const button = this.dialog.querySelector("#t-start");
    button.disabled = true;
    try {
      if (!(await this.check())) return;
      const saved = await this.save();
      const run = await api("/api/runs/", { method: "POST", body: this.body(saved ? saved.id : this.getDoc()) });
      location.href = `/runs/${run.id}/`;
    } catch (e) {
      this.showProblems(e);
    } finally {
      button.disabled = false;
    }
  }
}
