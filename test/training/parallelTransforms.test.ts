import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { goldenData, goldenTokenizer } from "../helpers/golden";
import { BertForSequenceClassification, WeightTransform, labelMaps } from "../../lib/models";
import { Trainer } from "../../lib/training";

const model = () =>
  BertForSequenceClassification.fromConfig({ vocab_size: goldenTokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, ...labelMaps(["no", "yes"]) }, { seed: 5 });

/** A fixed pruning mask with its hand-written backward (dL/dW = dL/dW' ⊙ mask). */
function maskTransform(shape: number[], seed: number): WeightTransform {
  const size = shape.reduce((a, b) => a * b, 1);
  const mask = tf.keep(tf.tensor(Float32Array.from({ length: size }, (_, i) => ((i * 7 + seed) % 3 === 0 ? 0 : 1)), shape));
  const t = ((w: tf.Tensor) => tf.mul(w, mask)) as WeightTransform;
  t.backward = (g) => ({ weight: tf.mul(g, mask) });
  return t;
}

test("weight transforms with a backward train the same on workers as in one thread (masked weights stay zero)", async () => {
  await ready;
  const names = ["bert.encoder.layer.0.intermediate.dense.weight", "bert.encoder.layer.0.attention.self.query.weight"];
  const run = async (workers: number) => {
    const m = model();
    names.forEach((n, i) => m.registerWeightTransform(n, maskTransform(m.params.get(n)!.shape, i)));
    const t = new Trainer({ model: m, tokenizer: goldenTokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 16, learningRate: 3e-3, evaluationStrategy: "no", dataParallelWorkers: workers, weightDecay: 0.01 }, trainDataset: goldenData() });
    const out = await quietly(() => t.train());
    return { m, loss: out.trainingLoss };
  };
  const one = await run(1);
  const two = await run(2);
  assert.ok(Math.abs(one.loss - two.loss) < 1e-5, `${one.loss} vs ${two.loss}`);
  for (const [name, v] of one.m.params) assert.ok(maxAbsDiff(values(v), values(two.m.params.get(name)!)) < 1e-4, name);
  // The forward pass sees zeros where the mask is 0, in both.
  for (const n of names) {
    const eff = tf.tidy(() => two.m.weight(n));
    const mask = tf.tidy(() => maskTransform(eff.shape, names.indexOf(n))(tf.onesLike(eff), n));
    values(mask).forEach((k, i) => k === 0 && assert.ok(values(eff)[i] === 0, `${n}[${i}] = ${values(eff)[i]}`));
  }
  one.m.dispose();
  two.m.dispose();
});
