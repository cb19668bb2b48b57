// Quantization-aware training learns, not only runs: the straight-through
// estimator passes the gradient of the fake-quantized weight to the stored
// float weight unchanged (and to activations only inside the clamp range),
// and a few QAT steps move every fake-quantized weight and lower the loss.
// Cutting the weight gradient (a stopGradient or a zero gradFunc in the
// fake-quant path) fails the first and the last test.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { learnableTinyBert, learnableToyData } from "../helpers/learnableTask";
import { goldenTokenizer } from "../helpers/golden";
import { DataCollatorWithPadding, Trainer } from "../../lib/training";
import { prepareCompression } from "../../lib/compression";
import { QuantizationAwareTrainingConfig, qatState } from "../../lib/quantization";
import { fakeQuantizePerTensorAffine } from "../../lib/int8";
import { Random } from "../../lib/utils/random";

const toyData = learnableToyData;
const tinyBert = () => learnableTinyBert(goldenTokenizer.vocabSize);

function batch() {
  const rows = toyData().rows.slice(0, 16);
  const inputs = new DataCollatorWithPadding({ padTokenId: 0 }).call(rows);
  const labels = tf.oneHot(tf.tensor1d(rows.map((r) => r.label as number), "int32"), 2);
  return { inputs, labels };
}

const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]);

test("STE for activations: the gradient passes where the quantized value lies in [quantMin, quantMax] and is 0 outside", async () => {
  await ready;
  // scale 0.1, zero point 10, grid [0, 20]: representable x in [-1.0, 1.0].
  const x = tf.tensor1d([-3, -1.04, -1.0, -0.26, 0, 0.33, 0.99, 1.0, 1.04, 5]);
  const c = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(c, fakeQuantizePerTensorAffine(t, 0.1, 10, 0, 20))))(x);
  // -1.04 / 0.1 rounds to -10 (+10 = 0, inside); 1.04 rounds to 10 (+10 = 20, inside).
  assert.deepEqual(Array.from(g.dataSync()), [0, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
});

test("QAT passes the weight gradient straight through: dL/dW (stored float) equals dL/dW_q (fake-quantized), and is not zero", async () => {
  await ready;
  const model = tinyBert();
  const manager = prepareCompression(model, new QuantizationAwareTrainingConfig());
  const { inputs, labels } = batch();
  // One training forward sets the activation observers; later forwards (training false) leave them fixed.
  tf.tidy(() => model.call(inputs, { training: true, rng: new Random(1) }).logits);
  const lossFn = () => tf.losses.softmaxCrossEntropy(labels, model.call(inputs).logits) as tf.Scalar;
  for (const name of ["bert.encoder.layer.0.intermediate.dense.weight", "bert.encoder.layer.1.attention.self.query.weight", "bert.pooler.dense.weight", "classifier.weight"]) {
    const w = model.params.get(name)! as tf.Variable;
    const gradOf = () => {
      const { value, grads } = tf.variableGrads(lossFn, [w]);
      value.dispose();
      return Object.values(grads)[0];
    };
    const gQat = gradOf();
    // Reference: the same loss with the weight replaced by its fake-quantized value and no transform.
    const wq = tf.tidy(() => model.weight(name));
    assert.ok(maxAbsDiff(values(wq), values(w)) > 0, `${name}: fake quantization changed nothing`);
    const transform = model.weightTransforms.get(name)!;
    const stored = w.clone();
    model.registerWeightTransform(name, undefined);
    w.assign(wq);
    const gRef = gradOf();
    w.assign(stored);
    model.registerWeightTransform(name, transform);
    assert.ok(norm(gRef) > 1e-6, `${name}: the reference gradient is zero`);
    assert.ok(norm(gQat) > 1e-6, `${name}: no gradient reaches the float weight through fake quantization`);
    assert.ok(maxAbsDiff(values(gQat), values(gRef)) <= 1e-6 * Math.max(1, norm(gRef)), `${name}: STE gradient differs by ${maxAbsDiff(values(gQat), values(gRef))}`);
    // The by-hand chain rule (used by data-parallel workers) is the same identity.
    const back = transform.backward!(gRef, w, name).weight;
    assert.deepEqual(Array.from(values(back)), Array.from(values(gRef)));
    tf.dispose([gQat, gRef, wq, stored, back]);
  }
  manager.dispose();
  model.dispose();
});

test("a few QAT training steps move every fake-quantized weight and lower the training loss", async () => {
  await ready;
  const model = tinyBert();
  const manager = prepareCompression(model, new QuantizationAwareTrainingConfig());
  const layers = qatState(model)!.layers;
  const before = new Map(layers.map((l) => [l, Float32Array.from(values(model.params.get(`${l}.weight`)!))]));
  const trainer = new Trainer({
    model,
    tokenizer: goldenTokenizer,
    // Full batch (32 rows), 30 steps: each logged loss is the training set's loss.
    args: { outputDir: tmpDir(), numTrainEpochs: 30, perDeviceTrainBatchSize: 32, learningRate: 3e-3, weightDecay: 0, evaluationStrategy: "no", loggingSteps: 1, disableTqdm: true, seed: 5 },
    trainDataset: toyData(),
  });
  await quietly(() => trainer.train());
  const losses = trainer.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);
  assert.equal(losses.length, 30);
  const [first, last] = [losses[0], losses[losses.length - 1]];
  assert.ok(last < first * 0.5, `training loss did not decrease enough: step 1 ${first}, step 30 ${last}`);
  // With weight decay 0, a weight moves only if a gradient reaches it: each fake-quantized weight must have.
  const unmoved = layers.filter((l) => maxAbsDiff(before.get(l)!, values(model.params.get(`${l}.weight`)!)) === 0);
  assert.deepEqual(unmoved, [], `weights that QAT training never moved: ${unmoved.join(", ")}`);
  manager.dispose();
  model.dispose();
});
