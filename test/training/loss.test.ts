// The loss registry (lib/training/losses.ts) and the "ce" loss. The first
// test runs before any loss module is loaded (they are required later), so
// the registry is empty.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready } from "../helpers/setup";
import { buildLoss, lossModule, lossTargets, registerLoss, registeredLosses } from "../../lib/training/losses";

test("an empty registry says so", () => {
  assert.deepEqual(registeredLosses(), []);
  assert.throws(() => buildLoss({ kind: "ce" }), /buildLoss: unknown loss kind "ce" \(registered: none\); import the module that registers it/);
});

test("buildLoss, lossModule and lossTargets name the problem with a spec", async () => {
  await ready;
  require("../../lib/training/loss");
  require("../../lib/distillation/loss");
  assert.deepEqual(registeredLosses(), ["ce", "kd"]);
  assert.throws(() => buildLoss({ kind: "hinge" }), /buildLoss: unknown loss kind "hinge" \(registered: ce, kd\);/);
  assert.throws(() => lossModule({ kind: "hinge" }), /unknown loss kind "hinge"/);
  assert.throws(() => lossTargets({ kind: "hinge" }), /unknown loss kind "hinge"/);
  assert.throws(() => buildLoss(null as any), /buildLoss: a loss spec needs a string "kind", got null/);
  assert.throws(() => buildLoss({ kind: 3 } as any), /buildLoss: a loss spec needs a string "kind", got \{"kind":3\}/);
  assert.match(lossModule({ kind: "ce" }), /lib[\\/]training[\\/]loss\.ts$/);
  assert.match(lossModule({ kind: "kd" }), /lib[\\/]distillation[\\/]loss\.ts$/);
  assert.deepEqual(lossTargets({ kind: "ce" }), []);
  assert.deepEqual(lossTargets({ kind: "kd" }), ["teacherLogits"]);
});

test("registerLoss: the same module may register a kind again, another module may not", async () => {
  await ready;
  const build = () => () => tf.scalar(7);
  registerLoss("seven", build, "/x/seven.ts");
  registerLoss("seven", build, "/x/seven.ts");
  assert.throws(() => registerLoss("seven", build, "/y/other.ts"), /registerLoss: loss kind "seven" is already registered by \/x\/seven.ts/);
  assert.equal(lossModule({ kind: "seven" }), "/x/seven.ts");
  assert.deepEqual(lossTargets({ kind: "seven" }), []);
  assert.equal(buildLoss({ kind: "seven" })({} as any).dataSync()[0], 7);
});

test('the "ce" spec: labelSmoothing in [0, 1), applied in training steps only', async () => {
  await ready;
  const { crossEntropy } = require("../../lib/training/loss") as typeof import("../../lib/training/loss");
  for (const s of [-0.1, 1, 1.5, NaN]) assert.throws(() => buildLoss({ kind: "ce", labelSmoothing: s }), new RegExp(`loss "ce": labelSmoothing must be in \\[0, 1\\), got ${s}`));
  const logits = tf.tensor2d([[2, 0, -1], [0, 1, 3]]);
  const labels = tf.tensor1d([0, 1], "int32");
  const outputs = { logits } as any;
  const inputs = { labels } as any;
  // By hand: mean over rows of -log softmax(row)[label], and with smoothing s, (1-s)·that + s·mean(-log softmax(row)).
  const rows = logits.arraySync();
  const lsm = rows.map((r) => {
    const z = Math.log(r.reduce((a, v) => a + Math.exp(v), 0));
    return r.map((v) => v - z);
  });
  const nll = [-lsm[0][0], -lsm[1][1]];
  const uniform = lsm.map((r) => -r.reduce((a, v) => a + v, 0) / r.length);
  const plain = (nll[0] + nll[1]) / 2;
  const smoothed = (0.9 * nll[0] + 0.1 * uniform[0] + 0.9 * nll[1] + 0.1 * uniform[1]) / 2;
  const fn = buildLoss({ kind: "ce", labelSmoothing: 0.1 });
  assert.ok(Math.abs(fn({ outputs, inputs, targets: {}, training: false }).dataSync()[0] - plain) < 1e-5);
  assert.ok(Math.abs(fn({ outputs, inputs, targets: {}, training: true }).dataSync()[0] - smoothed) < 1e-5);
  assert.ok(Math.abs(buildLoss({ kind: "ce", labelSmoothing: 0 })({ outputs, inputs, targets: {}, training: true }).dataSync()[0] - plain) < 1e-5);
  assert.ok(Math.abs(buildLoss({ kind: "ce" })({ outputs, inputs, targets: {}, training: true }).dataSync()[0] - plain) < 1e-5);
  assert.ok(Math.abs(crossEntropy(logits, labels, 0.1).dataSync()[0] - smoothed) < 1e-5);
});
