// The Train dialog's settings, built from GET /api/training-settings/ (the server's one declaration):
// a number input, a select or a checkbox per setting, grouped, with its limits and help.
import { el } from "../util.js";

const DIGITS = /digit|mnist/i; // mirroring digits changes what they mean, so flip stays off for them

function input(s) {
  const id = `t-${s.name}`;
  const attrs = { id, name: s.name, title: s.help };
  if (s.kind === "choice") {
    return el("select", attrs, ...s.choices.map((c) => el("option", { value: c, selected: c === s.default }, c)));
  }
  if (s.kind === "bool") return el("input", { ...attrs, type: "checkbox", checked: s.default });
  return el("input", {
    ...attrs, type: "number", value: s.default, required: true, step: s.kind === "int" ? "1" : "any",
    min: s.low_open ? null : s.low, max: s.high,
  });
}

function field(s) {
  const control = input(s);
  const label = el("label", { for: control.id, title: s.help }, s.label);
  const row = el("p", {}, label, control);
  row.dataset.appliesTo = s.applies_to;
  return row;
}

export class SettingsForm {
  constructor(form, settings) {
    this.form = form;
    this.settings = settings;
    this.touched = new Set();
    for (const s of settings) {
      const row = field(s);
      form.querySelector(`[data-group="${s.group}"]`).append(row);
      row.querySelector("input, select").addEventListener("change", () => this.touched.add(s.name));
    }
  }

  control(name) {
    return this.form.querySelector(`#t-${name}`);
  }

  // Image-only settings show (and are sent) only for image datasets.
  showFor(dataset) {
    const image = Boolean(dataset) && dataset.kind === "image" && dataset.input_shape.length === 3;
    for (const row of this.form.querySelectorAll('[data-applies-to="image"]')) {
      row.hidden = !image;
      row.querySelector("input, select").disabled = !image;
    }
    const flip = this.control("augment_flip");
    if (flip && image && !this.touched.has("augment_flip")) flip.checked = !DIGITS.test(`${dataset.id} ${dataset.name}`);
  }

  values() {
    const body = {};
    for (const s of this.settings) {
      const c = this.control(s.name);
      if (!c || c.disabled) continue;
      body[s.name] = s.kind === "bool" ? c.checked : s.kind === "choice" ? c.value : Number(c.value);
    }
    return body;
  }

  // A fix for the run rather than the design, e.g. {"loss": "mse"}.
  apply(fix) {
    for (const [name, value] of Object.entries(fix)) {
      const c = this.control(name);
      if (!c) continue;
      if (c.type === "checkbox") c.checked = Boolean(value);
      else c.value = value;
      this.touched.add(name);
    }
  }
}
