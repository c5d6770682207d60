// The inspector: a form for the selected block, built from the catalogue's parameter types,
// defaults, limits and help. Every change goes straight to the canvas (which records history).
import { el } from "../util.js";
import { validId } from "./catalogue.js";

export function formatValue(value) {
  if (value === undefined) return "";
  if (value === null) return "none";
  if (Array.isArray(value)) return value.map(formatValue).join(", ");
  return String(value);
}

export function parseValue(text) {
  const s = text.trim();
  if (!s) return undefined;
  if (/^(true|false|null)$/.test(s)) return JSON.parse(s);
  if (s === "none") return null;
  if (/^-?\d+(\.\d*)?(e-?\d+)?$/i.test(s)) return Number(s);
  if (s.startsWith("[") || s.includes(",")) {
    try {
      return JSON.parse(s.startsWith("[") ? s : `[${s}]`);
    } catch {
      return s;
    }
  }
  return s;
}

export class Inspector {
  constructor(root, canvas, blocks) {
    this.root = root;
    this.canvas = canvas;
    this.blocks = blocks;
    this.dfId = null;
  }

  show(dfId) {
    this.dfId = dfId && this.canvas.nodes.has(dfId) ? dfId : null;
    if (!this.dfId) {
      this.root.replaceChildren(el("h2", {}, "Block"), el("p", { class: "muted" }, "Select a block to edit it."));
      return;
    }
    const node = this.canvas.nodes.get(this.dfId);
    const spec = this.blocks.get(node.type) || { params: [], doc: "", summary: "" };
    const idInput = el("input", { id: "insp-id", value: node.id, spellcheck: "false", "aria-describedby": "insp-id-msg" });
    const idMsg = el("span", { id: "insp-id-msg", class: "field-error", role: "alert" });
    idInput.addEventListener("change", () => this.rename(idInput, idMsg));
    const form = el("form", { class: "form inspector-form", onsubmit: (e) => e.preventDefault() },
      el("p", {}, el("label", { for: "insp-id" }, "Name (id)"), idInput, idMsg),
      spec.params.map((p) => this.field(node, p)));
    if (this.canvas.isLocked(this.dfId)) {
      form.querySelectorAll("input, select, textarea, button").forEach((field) => (field.disabled = true));
      form.prepend(el("p", { class: "locked-note" }, "🔒 Locked by the teacher: this block stays as it is."));
    }
    this.root.replaceChildren(
      el("h2", {}, node.type),
      el("p", { class: "muted small" }, spec.summary),
      spec.doc && spec.doc !== spec.summary ? el("details", {}, el("summary", {}, "Docs"), el("pre", { class: "doc" }, spec.doc)) : null,
      form);
  }

  rename(input, msg) {
    const node = this.canvas.nodes.get(this.dfId);
    const wanted = input.value.trim();
    if (wanted === node.id) return;
    let problem = "";
    if (!validId(wanted)) problem = "Use letters, digits and _, not starting with a digit (a Python name).";
    else if (this.canvas.findById(wanted)) problem = `Another block is already called ${wanted}.`;
    msg.textContent = problem ? `⚠ ${problem}` : "";
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    if (!problem) this.canvas.rename(this.dfId, wanted);
  }

  field(node, p) {
    const id = `insp-${p.name}`;
    const current = node.params[p.name];
    const shown = current === undefined ? p.default : current;
    let control;
    if (/bool/i.test(p.type) && !p.choices) {
      control = el("input", { id, type: "checkbox", name: p.name, checked: Boolean(shown) });
    } else if (p.choices) {
      const choices = p.nullable && !p.choices.includes(null) ? [null, ...p.choices] : p.choices;
      control = el("select", { id, name: p.name }, choices.map((c) =>
        el("option", { value: c === null ? "" : String(c), selected: c === (shown ?? null) || String(c) === String(shown) }, c === null ? "none" : String(c))));
    } else if (/^(int|integer|float|number)$/i.test(p.type)) {
      control = el("input", {
        id, name: p.name, type: "number", step: /int/i.test(p.type) ? "1" : "any",
        min: p.min, max: p.max, value: formatValue(current), placeholder: formatValue(p.default),
      });
    } else {
      control = el("input", { id, name: p.name, value: formatValue(current), placeholder: formatValue(p.default), spellcheck: "false" });
    }
    control.setAttribute("aria-describedby", `${id}-help ${id}-msg`);
    if (p.required) control.setAttribute("aria-required", "true");
    control.addEventListener("change", () => this.update(p, control));
    const limits = [p.min !== undefined ? `≥ ${p.min}` : "", p.max !== undefined ? `${p.maxExclusive ? "<" : "≤"} ${p.max}` : ""].filter(Boolean).join(", ");
    const defaultText = p.required ? "required" : `default ${formatValue(p.default)}`;
    return el("p", { class: "param", "data-param": p.name },
      el("label", { for: id }, p.name, p.required ? el("span", { class: "req", title: "required" }, " *") : null),
      control,
      el("small", { id: `${id}-help`, class: "help" }, [p.help, `(${defaultText}${limits ? "; " + limits : ""})`].filter(Boolean).join(" ")),
      el("span", { id: `${id}-msg`, class: "field-error", role: "alert" }));
  }

  update(p, control) {
    const node = this.canvas.nodes.get(this.dfId);
    const params = { ...node.params };
    let value;
    if (control.type === "checkbox") value = control.checked;
    else if (control.tagName === "SELECT") {
      const raw = control.value;
      const match = p.choices.find((c) => String(c) === raw);
      value = raw === "" ? null : match !== undefined ? match : raw;
    } else value = parseValue(control.value);
    if (value === undefined) delete params[p.name];
    else params[p.name] = value;
    this.canvas.setParams(this.dfId, params);
  }

  // Server-side errors for the shown block, under the field they name.
  showErrors(errors) {
    for (const msg of this.root.querySelectorAll(".param .field-error")) msg.textContent = "";
    for (const input of this.root.querySelectorAll(".param [aria-invalid]")) input.removeAttribute("aria-invalid");
    for (const e of errors) {
      const row = e.param && this.root.querySelector(`.param[data-param="${CSS.escape(e.param)}"]`);
      if (!row) continue;
      row.querySelector(".field-error").textContent = `⚠ ${e.message}`;
      row.querySelector("input, select").setAttribute("aria-invalid", "true");
    }
  }
}
