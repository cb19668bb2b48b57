// kdLoss, distillationLoss and the "kd" loss spec: values and bad input.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready } from "../helpers/setup";
import { distillationLoss, kdLoss } from "../../lib/distillation/loss";
import { crossEntropy } from "../../lib/training/loss";
import { buildLoss, lossTargets } from "../../lib/training/losses";

const student = () => tf.tensor2d([[1, 0, -1], [0.5, 0.5, 2]]);
const teacher = () => tf.tensor2d([[2, -1, 0], [0, 1, 1]]);
const labels = () => tf.tensor1d([0, 2], "int32");

test("kdLoss rejects a temperature that is not > 0", async () => {
  await ready;
  assert.throws(() => kdLoss(student(), teacher(), 0), /kdLoss: temperature must be > 0, got 0/);
  assert.throws(() => kdLoss(student(), teacher(), -1), /temperature must be > 0, got -1/);
  assert.ok(kdLoss(student(), teacher(), 1e-3).dataSync()[0] >= 0);
});

test("distillationLoss: alpha 1 is the cross-entropy itself, with no teacher term (the teacher logits are not read)", async () => {
  await ready;
  const ce = crossEntropy(student(), labels());
  assert.equal(distillationLoss(ce, student(), tf.tensor2d([[NaN]]), 1, 2), ce);
  const kd = kdLoss(student(), teacher(), 2).dataSync()[0];
  const mixed = distillationLoss(ce, student(), teacher(), 0.25, 2).dataSync()[0];
  assert.ok(Math.abs(mixed - (0.25 * ce.dataSync()[0] + 0.75 * kd)) < 1e-6);
});

test('the "kd" spec checks alpha and temperature, needs teacherLogits targets, and declares them', async () => {
  await ready;
  for (const alpha of [-0.1, 1.5, NaN]) assert.throws(() => buildLoss({ kind: "kd", alpha, temperature: 2 }), new RegExp(`loss "kd": alpha must be in \\[0, 1\\], got ${alpha}`));
  for (const temperature of [0, -1, Infinity, NaN]) assert.throws(() => buildLoss({ kind: "kd", alpha: 0.5, temperature }), new RegExp(`loss "kd": temperature must be a positive number, got ${temperature}`));
  const outputs = { logits: student() } as any;
  const inputs = { labels: labels() } as any;
  const ce = crossEntropy(student(), labels()).dataSync()[0];
  const kd = kdLoss(student(), teacher(), 2).dataSync()[0];
  // alpha 0 and 1 are the ends of the range: the teacher alone, the student alone.
  assert.ok(Math.abs(buildLoss({ kind: "kd", alpha: 0, temperature: 2 })({ outputs, inputs, targets: { teacherLogits: teacher() }, training: false }).dataSync()[0] - kd) < 1e-6);
  assert.ok(Math.abs(buildLoss({ kind: "kd", alpha: 1, temperature: 2 })({ outputs, inputs, targets: { teacherLogits: teacher() }, training: false }).dataSync()[0] - ce) < 1e-6);
  const fn = buildLoss({ kind: "kd", alpha: 0.5, temperature: 2, labelSmoothing: 0.2 });
  assert.throws(() => fn({ outputs, inputs, targets: {}, training: true }), /loss "kd": the batch has no teacherLogits targets/);
  const evalLoss = fn({ outputs, inputs, targets: { teacherLogits: teacher() }, training: false }).dataSync()[0];
  const trainLoss = fn({ outputs, inputs, targets: { teacherLogits: teacher() }, training: true }).dataSync()[0];
  assert.ok(Math.abs(evalLoss - (0.5 * ce + 0.5 * kd)) < 1e-6);
  assert.ok(Math.abs(trainLoss - (0.5 * crossEntropy(student(), labels(), 0.2).dataSync()[0] + 0.5 * kd)) < 1e-6, "label smoothing applies in training steps only");
  assert.deepEqual(lossTargets({ kind: "kd", alpha: 0.5, temperature: 2 }), ["teacherLogits"]);
});
