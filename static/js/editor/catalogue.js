// The block catalogue from GET /api/blocks/, normalized for the palette and the inspector.

export const GROUPS = [
  ["inputs", "Inputs"],
  ["conv", "Convolution and pooling"],
  ["recurrent", "Recurrent"],
  ["dense", "Dense"],
  ["norm", "Normalization and regularization"],
  ["activation", "Activations"],
  ["merge", "Merge and reshape"],
];

const GROUP_WORDS = [
  ["inputs", /input|embed/i], ["conv", /conv|pool/i], ["recurrent", /recur|rnn|sequence/i],
  ["dense", /dense|linear/i], ["norm", /norm|regular|dropout/i], ["activation", /activ/i],
  ["merge", /merge|reshape|shape|combine/i],
];

function groupKey(block) {
  const label = String(block.group || "");
  const hit = GROUP_WORDS.find(([, re]) => re.test(label));
  if (hit) return hit[0];
  const t = block.type;
  if (t === "Input" || t === "Embedding") return "inputs";
  if (/Conv|Pool/.test(t)) return "conv";
  if (/^(RNN|LSTM|GRU)$/.test(t)) return "recurrent";
  if (t === "Linear") return "dense";
  if (/Norm|Dropout/.test(t)) return "norm";
  if (/^(Add|Concat|Flatten|Reshape|Permute)$/.test(t)) return "merge";
  return "activation";
}

function normParam(name, spec) {
  spec = spec || {};
  const choices = spec.choices || spec.enum || spec.options || null;
  const limit = (v) => (v === null || v === undefined ? undefined : v);
  return {
    name,
    type: String(spec.type || spec.kind || "any"),
    default: spec.default,
    hasDefault: "default" in spec && !spec.required,
    required: Boolean(spec.required) || !("default" in spec),
    min: limit(spec.min ?? spec.minimum ?? (spec.limits || {}).min),
    max: limit(spec.max ?? spec.maximum ?? (spec.limits || {}).max),
    maxExclusive: Boolean(spec.max_exclusive),
    choices: Array.isArray(choices) && choices.length ? choices : null,
    nullable: Boolean(spec.nullable) || spec.default === null,
    help: spec.help || spec.description || "",
  };
}

function arity(block) {
  const a = block.arity ?? block.inputs;
  if (typeof a === "number") return a >= 2 ? { min: a, max: null } : { min: a, max: a }; // 2: two or more
  if (a && typeof a === "object") return { min: a.min ?? 1, max: a.max ?? null };
  if (typeof a === "string") {
    if (/^(0|none)$/i.test(a)) return { min: 0, max: 0 };
    if (/many|\+|multi|variadic/i.test(a)) return { min: parseInt(a, 10) || 2, max: null };
    if (/^(1|one|single)$/i.test(a)) return { min: 1, max: 1 };
  }
  if (block.type === "Input") return { min: 0, max: 0 };
  if (block.type === "Add" || block.type === "Concat") return { min: 2, max: null };
  return { min: 1, max: 1 };
}

export function normalize(raw) {
  const list = Array.isArray(raw) ? raw : raw.blocks || Object.entries(raw).map(([type, b]) => ({ type, ...b }));
  const blocks = new Map();
  for (const block of list) {
    const params = Array.isArray(block.params)
      ? block.params.map((p) => normParam(p.name, p))
      : Object.entries(block.params || {}).map(([name, p]) => normParam(name, p));
    const doc = block.doc || block.help || "";
    blocks.set(block.type, {
      type: block.type, group: groupKey(block), doc,
      summary: block.summary || doc.split(/\n\s*\n/)[0].replace(/\s+/g, " ").trim(),
      params, arity: arity(block),
    });
  }
  return blocks;
}

const PREFIX = {
  Input: "input", Linear: "fc", Flatten: "flat", Dropout: "drop", Embedding: "embed",
  BatchNorm1d: "bn", BatchNorm2d: "bn", LayerNorm: "ln", Concat: "concat", Add: "add",
};

export function idPrefix(type) {
  if (PREFIX[type]) return PREFIX[type];
  if (/Conv/.test(type)) return "conv";
  if (/Pool/.test(type)) return "pool";
  return type.toLowerCase().replace(/\d+d$/, "");
}

export function nextId(type, taken) {
  const prefix = idPrefix(type);
  let n = 1;
  while (taken.has(prefix + n)) n += 1;
  return prefix + n;
}

export const ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const KEYWORDS = new Set(("False None True and as assert async await break class continue def del elif else except " +
  "finally for from global if import in is lambda nonlocal not or pass raise return try while with yield").split(" "));
export const validId = (id) => ID_PATTERN.test(id) && !KEYWORDS.has(id);
