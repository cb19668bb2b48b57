// Movement pruning's scores learn in the right direction, end to end: the
// scores S accumulate −W·∂L/∂W (Sanh et al. 2020), so after training through
// the Trainer a weight that moved away from zero has a higher score than one
// pushed toward zero. A flipped sign in the scores' gradient (S learning
// +W·∂L/∂W) or scores that do not train fail these tests.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { learnableTinyBert, learnableToyData } from "../helpers/learnableTask";
import { BertTokenizer } from "../../lib/tokenizers";
import { DataCollatorWithPadding, Trainer } from "../../lib/training";
import { prepareCompression, distill } from "../../lib/compression";
import { PruningConfig, defaultPrunedParameters } from "../../lib/pruning";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")]);

const toyData = learnableToyData;
const tinyBert = () => learnableTinyBert(tokenizer.vocabSize);

test("movement scores after training: weights that moved away from zero score higher than weights pushed toward zero (sign of −W·∂L/∂W)", async () => {
  await ready;
  const model = tinyBert();
  // The schedule starts after training ends: every mask stays 1, so the weights move freely while the scores learn.
  const pConf = new PruningConfig({ pruningType: "movement", targetSparsity: 0.5, startStep: 1000, endStep: 1001, pruningScope: "local" });
  const manager = prepareCompression(model, pConf);
  const scores = manager.trainableParams();
  const names = defaultPrunedParameters(model);
  assert.equal(scores.size, names.length);
  const before = new Map(names.map((n) => [n, Float32Array.from(model.params.get(n)!.dataSync())]));
  const trainer = new Trainer({ model, tokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 20, perDeviceTrainBatchSize: 32, learningRate: 3e-3, weightDecay: 0, evaluationStrategy: "no", loggingSteps: 1, disableTqdm: true, seed: 5 }, trainDataset: toyData() });
  await quietly(() => distill(trainer, manager));
  const losses = trainer.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);
  assert.ok(losses[losses.length - 1] < losses[0], `the toy task was not learned: ${losses[0]} -> ${losses[losses.length - 1]}`);
  const moves: number[] = [];
  const s: number[] = [];
  for (const n of names) {
    const w0 = before.get(n)!;
    const w1 = model.params.get(n)!.dataSync();
    const sc = scores.get(`${n.replace(/\.weight$/, "")}.mask_scores`)!.dataSync();
    for (let i = 0; i < w0.length; i++) {
      moves.push(Math.abs(w1[i]) - Math.abs(w0[i]));
      s.push(sc[i] * pConf.scoreScale);
    }
  }
  const order = moves.map((_, i) => i).sort((a, b) => moves[a] - moves[b]);
  const decile = Math.floor(order.length / 10);
  const mean = (idx: number[]) => idx.reduce((acc, i) => acc + s[i], 0) / idx.length;
  const towardZero = mean(order.slice(0, decile));
  const awayFromZero = mean(order.slice(-decile));
  assert.ok(awayFromZero > 0, `weights that moved most away from zero have mean score ${awayFromZero} (expected > 0)`);
  assert.ok(towardZero < 0, `weights pushed most toward zero have mean score ${towardZero} (expected < 0)`);
  // Sign agreement over the weights that moved clearly (above the median movement).
  const byMagnitude = moves.map((_, i) => i).sort((a, b) => Math.abs(moves[b]) - Math.abs(moves[a])).slice(0, Math.floor(moves.length / 2));
  const agree = byMagnitude.filter((i) => Math.sign(s[i]) === Math.sign(moves[i])).length / byMagnitude.length;
  assert.ok(agree > 0.9, `only ${(agree * 100).toFixed(1)}% of clearly moving weights have a score of the movement's sign`);
  manager.dispose();
  model.dispose();
});

test("one step: the scores' gradient is scoreScale · ∂L/∂W ⊙ W, so gradient descent adds −W·∂L/∂W to S", async () => {
  await ready;
  const model = tinyBert();
  const pConf = new PruningConfig({ pruningType: "movement", targetSparsity: 0.5, startStep: 1000, endStep: 1001, scoreScale: 4 });
  const manager = prepareCompression(model, pConf);
  const scores = manager.trainableParams();
  const rows = toyData().rows.slice(0, 16);
  const inputs = new DataCollatorWithPadding({ padTokenId: 0 }).call(rows);
  const labels = tf.oneHot(tf.tensor1d(rows.map((r) => r.label as number), "int32"), 2);
  for (const name of ["bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.1.output.dense.weight"]) {
    const w = model.params.get(name)! as tf.Variable;
    const sVar = scores.get(name.replace(/\.weight$/, ".mask_scores"))!;
    const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(labels, model.call(inputs).logits) as tf.Scalar, [w, sVar]);
    const gw = grads[w.name];
    const gs = grads[sVar.name];
    const expected = tf.tidy(() => tf.mul(tf.mul(gw, w), 4));
    assert.ok(tf.tidy(() => tf.norm(gs).dataSync()[0]) > 1e-7, `${name}: the scores get no gradient`);
    assert.ok(maxAbsDiff(values(gs), values(expected)) <= 1e-6 * Math.max(...Array.from(values(expected), Math.abs)), `${name}: ∂L/∂S′ ≠ scale · ∂L/∂W ⊙ W`);
    // Descent on S′ (S = scale·S′) moves S by −lr·scale²·W·∂L/∂W: up where W·∂L/∂W < 0, i.e. where the weight's own step grows |W|.
    const wv = values(w), gwv = values(gw), gsv = values(gs);
    for (let i = 0; i < wv.length; i++) if (gwv[i] !== 0 && wv[i] !== 0) assert.equal(Math.sign(-gsv[i]), Math.sign(-wv[i] * gwv[i]), `${name}[${i}]`);
    tf.dispose([value, gw, gs, expected]);
  }
  manager.dispose();
  model.dispose();
});
