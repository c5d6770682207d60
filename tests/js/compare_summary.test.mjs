// The compare page's summary of runs (static/js/compare_summary.js): records and the parallel
// coordinates' scaling, checked by hand.
import assert from "node:assert/strict";
import { test } from "node:test";

import { parallelFigure, summarize } from "../../static/js/compare_summary.js";

const run = (id, config, test_accuracy, started, finished) =>
  ({ id, name: `r${id}`, config, result: { test_accuracy }, started, finished });
const val = (...accs) => accs.map((accuracy) => ({ type: "metric", split: "val", accuracy }));

const runs = [
  run(1, { lr: 0.1, optimizer: "sgd", epochs: 2 }, 0.8, "2026-01-01T00:00:00Z", "2026-01-01T00:01:30Z"),
  run(2, { lr: 0.01, optimizer: "adam", epochs: 2 }, 0.9, "2026-01-01T00:00:00Z", null),
  run(3, { lr: 0.05, optimizer: "adam", epochs: 2 }, null, null, null),
];
const metrics = [val(0.5, 0.7, 0.6), val(0.85), []];
const summaries = [{ params: 100 }, { params: 100 }, { params: 250 }];

test("it summarizes each run: best validation accuracy, time and only the settings that differ", () => {
  const { records, differing } = summarize(runs, metrics, summaries);
  assert.deepEqual(differing, ["lr", "optimizer"]);
  assert.deepEqual(records.map((r) => [r.best_val, r.test, r.params, r.seconds]),
    [[0.7, 0.8, 100, 90], [0.85, 0.9, 100, null], [null, null, 250, null]]);
  assert.deepEqual(records[2].settings, { lr: 0.05, optimizer: "adam" });
});

test("it scales each parallel axis to 0..1, numbers by value and text as sorted categories", () => {
  const { traces, layout } = parallelFigure(summarize(runs, metrics, summaries), ["#000"]);
  assert.deepEqual(layout.xaxis.ticktext, ["lr", "optimizer", "parameters", "best val. accuracy", "test accuracy"]);
  // lr 0.1, 0.01, 0.05 over [0.01, 0.1]; optimizer adam=0, sgd=1; params 100,100,250; missing stays a gap.
  const lr = traces.map((t) => t.y[0]);
  assert.deepEqual(lr.slice(0, 2), [1, 0]);
  assert.ok(Math.abs(lr[2] - 0.04 / 0.09) < 1e-12);
  assert.deepEqual(traces.map((t) => t.y[1]), [1, 0, 0]);
  assert.deepEqual(traces.map((t) => t.y[2]), [0, 0, 1]);
  assert.deepEqual(traces.map((t) => t.y[4]), [0, 1, null]);
  const ends = layout.annotations.filter((a) => a.x === 1).map((a) => a.text);
  assert.deepEqual(ends, ["adam", "sgd"]);
});
