// The pure maths behind the curves: smoothing, downsampling, the x axis, CSV. No DOM, no Plotly,
// so node's own test runner checks it (tests/js/curves.test.mjs).

const finite = (v) => typeof v === "number" && Number.isFinite(v);

// TensorBoard's smoothing: an exponential moving average whose early values are divided by
// (1 - weight^n), so the curve starts at the data instead of climbing from zero. Gaps (null,
// NaN) stay gaps and do not move the average. `weight` is in [0, 1): 0 is no smoothing.
export function ema(values, weight) {
  const out = [];
  let last = 0;
  let count = 0;
  for (const v of values) {
    if (!finite(v)) {
      out.push(v);
      continue;
    }
    last = last * weight + (1 - weight) * v;
    count += 1;
    out.push(last / (1 - weight ** count));
  }
  return out;
}

// For a long curve: cut the points into `buckets` runs of consecutive points and keep, from each,
// its lowest and its highest point in their own order, so a spike survives however long the run.
// Returns the indices kept (ascending), plus each bucket's first x, min and max for an envelope.
export function minMaxBuckets(xs, ys, buckets) {
  const n = xs.length;
  const keep = [];
  const band = { x: [], lo: [], hi: [] };
  for (let b = 0; b < buckets; b += 1) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let lo = -1;
    let hi = -1;
    for (let i = start; i < end; i += 1) {
      if (!finite(ys[i])) continue;
      if (lo < 0 || ys[i] < ys[lo]) lo = i;
      if (hi < 0 || ys[i] > ys[hi]) hi = i;
    }
    if (lo < 0) continue;
    keep.push(...(lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]));
    band.x.push(xs[start]);
    band.lo.push(ys[lo]);
    band.hi.push(ys[hi]);
  }
  return { keep, band };
}

// A curve as drawn: every point when there are at most `maxPoints`, else each bucket's min and
// max (at most maxPoints) with the envelope. The smoothed line is computed on every point, then
// taken at the kept indices, so downsampling never changes what the smoothing says.
export function prepare(xs, ys, { weight = 0, maxPoints = 800 } = {}) {
  const smooth = ema(ys, weight);
  if (xs.length <= maxPoints) return { x: xs, y: ys, smooth, band: null };
  const { keep, band } = minMaxBuckets(xs, ys, Math.floor(maxPoints / 2));
  return { x: keep.map((i) => xs[i]), y: keep.map((i) => ys[i]), smooth: keep.map((i) => smooth[i]), band };
}

export const X_AXES = {
  epoch: "epoch",
  step: "step",
  samples: "samples seen",
  time: "wall time (s since start)",
};

// The x of one metric message on the chosen axis. `run` gives what the message leaves out: the
// planned epochs (fractional epochs from steps), the batch size (samples seen = step × batch size
// unless the message says) and the start time.
export function xOf(m, axis, run) {
  if (axis === "step") return m.step;
  if (axis === "samples") return finite(m.samples) ? m.samples : m.step * run.batchSize;
  if (axis === "time") return m.time - run.startTime;
  return m.total_steps ? (m.step * run.epochs) / m.total_steps : m.epoch;
}

// RFC 4180 CSV: a header row, then one row per record; fields holding a comma, quote or line
// break are quoted with quotes doubled; a missing value is an empty field.
export function toCsv(columns, rows) {
  const field = (v) => {
    if (v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v))) return "";
    const text = String(v);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns, ...rows.map((r) => columns.map((c) => r[c]))].map((r) => r.map(field).join(",")).join("\r\n") + "\r\n";
}

// The CSV of a run's metric messages: one row per message, every recorded field.
export const CSV_COLUMNS = ["run", "split", "epoch", "step", "total_steps", "time", "loss", "accuracy", "lr", "samples_per_s"];
export function metricsCsv(runs) {
  const rows = runs.flatMap(({ id, metrics }) => metrics.filter((m) => m.type === "metric").map((m) => ({ ...m, run: id })));
  return toCsv(CSV_COLUMNS, rows);
}
