// The chart maths of static/js/curves.js, checked against values worked out by hand.
import assert from "node:assert/strict";
import { test } from "node:test";

import { ema, metricsCsv, minMaxBuckets, prepare, toCsv, xOf } from "../../static/js/curves.js";

const close = (actual, expected) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-12, `at ${i}: ${a} != ${expected[i]}`));
};

test("it smooths with a bias-corrected exponential moving average", () => {
  // w = 0.5: raw averages 0.5, 1.25, 2.125 divided by 1-0.5, 1-0.25, 1-0.125.
  close(ema([1, 2, 3], 0.5), [1, 5 / 3, 17 / 7]);
  // w = 0.9 on a constant: bias correction keeps it exactly constant from the first point.
  close(ema([4, 4, 4, 4], 0.9), [4, 4, 4, 4]);
});

test("it leaves the values alone at weight zero", () => {
  assert.deepEqual(ema([3, 1, 2], 0), [3, 1, 2]);
});

test("it keeps gaps as gaps without moving the average", () => {
  const out = ema([1, null, 3], 0.5);
  assert.equal(out[1], null);
  close([out[0], out[2]], [1, (0.25 + 1.5) / 0.75]);
});

test("it keeps each bucket's min and max in order", () => {
  const xs = [0, 1, 2, 3, 4, 5, 6, 7];
  const ys = [5, 9, 1, 4, 2, 2, 8, 0];
  const { keep, band } = minMaxBuckets(xs, ys, 2);
  // bucket 0 = indices 0..3: max at 1, min at 2; bucket 1 = 4..7: max at 6, min at 7.
  assert.deepEqual(keep, [1, 2, 6, 7]);
  assert.deepEqual(band, { x: [0, 4], lo: [1, 0], hi: [9, 8] });
});

test("it keeps a single spike in a long curve", () => {
  const xs = Array.from({ length: 10000 }, (_, i) => i);
  const ys = xs.map((i) => (i === 7777 ? 100 : 1));
  const drawn = prepare(xs, ys, { maxPoints: 100 });
  assert.ok(drawn.x.length <= 100);
  assert.equal(Math.max(...drawn.y), 100);
  assert.equal(drawn.x[drawn.y.indexOf(100)], 7777);
});

test("it draws every point of a short curve and smooths all points before downsampling", () => {
  const short = prepare([0, 1, 2], [1, 2, 3], { weight: 0.5, maxPoints: 10 });
  assert.deepEqual(short.x, [0, 1, 2]);
  assert.equal(short.band, null);
  close(short.smooth, [1, 5 / 3, 17 / 7]);
  const xs = Array.from({ length: 40 }, (_, i) => i);
  const ys = xs.map((i) => (i * 7) % 11);
  const long = prepare(xs, ys, { weight: 0.6, maxPoints: 10 });
  const full = ema(ys, 0.6);
  assert.deepEqual(long.smooth, long.x.map((x) => full[x]));
});

test("it puts a message on each x axis", () => {
  const run = { epochs: 4, batchSize: 32, startTime: 1000 };
  const m = { epoch: 2, step: 150, total_steps: 400, time: 1012.5 };
  assert.equal(xOf(m, "epoch", run), 1.5);
  assert.equal(xOf(m, "step", run), 150);
  assert.equal(xOf(m, "samples", run), 4800);
  assert.equal(xOf({ ...m, samples: 4790 }, "samples", run), 4790);
  assert.equal(xOf(m, "time", run), 12.5);
});

test("it writes CSV with quoting and empty fields for missing values", () => {
  assert.equal(toCsv(["a", "b"], [{ a: 1, b: 'say "hi", then go' }, { a: null, b: NaN }]),
    'a,b\r\n1,"say ""hi"", then go"\r\n,\r\n');
});

test("it writes one CSV row per metric message of each run", () => {
  const csv = metricsCsv([{ id: 7, metrics: [
    { type: "metric", split: "train", epoch: 1, step: 10, total_steps: 20, time: 5, loss: 0.5, accuracy: 0.75, lr: 0.01, samples_per_s: 100 },
    { type: "status", status: "succeeded" },
  ] }]);
  assert.equal(csv, "run,split,epoch,step,total_steps,time,loss,accuracy,lr,samples_per_s\r\n7,train,1,10,20,5,0.5,0.75,0.01,100\r\n");
});
