// PruningConfig: gradual magnitude, movement and soft-movement pruning while
// training, composed with distillation (lib/pruning/config.ts).
import { distill } from "../../lib/compression";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, quietly, ready, tmpDir } from "../helpers/setup";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { ClassLabel, Dataset } from "../../lib/data";
import { AdamW, DataCollatorWithPadding, EncodedRow, Trainer, computeAccuracy } from "../../lib/training";
import { crossEntropy } from "../../lib/training/loss";
import { DistillationConfig, DistillationTrainer, KnowledgeDistillationLossConfig, studentInit } from "../../lib/distillation";
import { prepareCompression } from "../../lib/compression";
import { PruningConfig, defaultPrunedParameters, l1Unstructured, modelSparsity, moduleOf, numToPrune, softMovementRegularizerGrad } from "../../lib/pruning";
import { Random } from "../../lib/utils/random";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")]);
const labels = labelMaps(["no", "yes"]);
const teacherModel = () => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labels }, { seed: 1 });

function toy(n: number, seed = n): Dataset<EncodedRow> {
  const rng = new Random(seed);
  const rows = Array.from({ length: n }, (_, i) => {
    const body = Array.from({ length: 3 + rng.int(3) }, () => 6 + rng.int(14));
    if (i % 2) body[rng.int(body.length)] = 5;
    return { input_ids: [2, ...body, 3], label: i % 2 };
  });
  return new Dataset(rows, { intent: new ClassLabel(["no", "yes"]) });
}

/** A hand-written loop over the manager's hooks; `check` runs after every optimizer step. */
function handLoop(manager: ReturnType<typeof prepareCompression>, steps: number, opts: { weightDecay?: number; lr?: number; check?: (step: number, grads: Map<string, tf.Tensor>) => void } = {}): number[] {
  const model = manager.model;
  const data = toy(64, 5).rows as EncodedRow[];
  const collator = new DataCollatorWithPadding({ padTokenId: 0 });
  const vars = manager.trainableVariables();
  const params = new Map([...model.params, ...manager.trainableParams()]);
  const nameOf = new Map([...params].map(([n, v]) => [v.name, n]));
  const opt = new AdamW(params, { weightDecay: opts.weightDecay ?? 0.1 });
  const losses: number[] = [];
  manager.onTrainBegin();
  manager.onEpochBegin(0);
  for (let step = 0; step < steps; step++) {
    manager.onStepBegin(step);
    const rows = data.slice((step * 16) % 64, ((step * 16) % 64) + 16);
    const inputs = collator.call(rows);
    const rng = new Random(step);
    const { value, grads } = tf.variableGrads(() => {
      const outputs = model.call(inputs, manager.forwardOptions({ training: true, rng }));
      return manager.onAfterComputeLoss(inputs, outputs, crossEntropy(outputs.logits, inputs.labels));
    }, vars);
    losses.push(value.dataSync()[0]);
    const byName = new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g as tf.Tensor]));
    manager.onBeforeOptimizerStep(byName);
    opts.check?.(step, byName);
    opt.applyGradients(byName, opts.lr ?? 1e-2);
    manager.onStepEnd();
    tf.dispose([value, ...byName.values(), ...Object.values(inputs)]);
  }
  manager.onEpochEnd();
  manager.onTrainEnd();
  opt.dispose();
  return losses;
}

test("magnitude pruning with distillation: the cubic schedule reaches its sparsity at endStep; pruned weights stay exactly zero through AdamW (weight decay included); gradients are masked", async () => {
  await ready;
  const teacher = teacherModel();
  const student = studentInit(teacher, { init: "distilbert" });
  const pConf = new PruningConfig({ targetSparsity: 0.8, endStep: 8, pruningFrequency: 2 });
  const manager = prepareCompression(student, [new DistillationConfig({ teacherModel: teacher, criterion: new KnowledgeDistillationLossConfig({ temperature: 2 }) }), pConf]);
  const names = defaultPrunedParameters(student);
  assert.equal(names.length, 6);
  assert.ok(names.every((n) => student.weightTransforms.has(n)), "masks act through weight transforms");
  const total = names.reduce((a, n) => a + student.params.get(n)!.size, 0);
  let checked = 0;
  const losses = handLoop(manager, 12, {
    weightDecay: 0.5,
    check: (step, grads) => {
      // After the hooks every masked entry has a zero gradient, and the stored weights of entries masked before this step are zero.
      const masks = pConf.hooksFor(student)!.masks();
      for (const n of names) {
        const g = grads.get(n)!.dataSync();
        const m = masks.get(n)!;
        for (let i = 0; i < g.length; i++) if (m[i] === 0) assert.ok(g[i] === 0, `step ${step}: gradient of pruned ${n}[${i}] is ${g[i]}`);
      }
      checked++;
    },
  });
  assert.equal(checked, 12);
  assert.ok(losses.every(Number.isFinite));
  // Schedule: updates at 0, 2, 4, 6, 8; cubic values; the final count is exact (global ranking).
  assert.deepEqual(pConf.history.map((e) => e.step), [0, 2, 4, 6, 8]);
  pConf.history.forEach((e) => assert.ok(Math.abs(e.targetSparsity! - (0.8 - 0.8 * (1 - e.step / 8) ** 3)) < 1e-12, `step ${e.step}`));
  assert.ok(Math.abs(pConf.history.at(-1)!.sparsity - numToPrune(0.8, total) / total) < 1e-12);
  // onTrainEnd made it permanent: plain zeros in the stored weights, no transforms left.
  assert.equal(student.weightTransforms.size, 0);
  assert.ok(Math.abs(modelSparsity(student) - numToPrune(0.8, total) / total) < 1e-12);
  manager.dispose();
  teacher.dispose();
  student.dispose();
});

test("masked weights stay zero through optimizer steps after a mask update (AdamW's moments and weight decay would move them)", async () => {
  await ready;
  const model = teacherModel();
  // Train unpruned first so AdamW's moments are non-zero, then prune at step 3 and keep training.
  const pConf = new PruningConfig({ targetSparsity: 0.5, initialSparsity: 0, startStep: 3, endStep: 4, pruningFrequency: 1, pruningScope: "local" });
  const manager = prepareCompression(model, pConf);
  const names = defaultPrunedParameters(model);
  let zerosSeen = 0;
  handLoop(manager, 9, {
    weightDecay: 0.3,
    check: (step) => {
      // The masks change at step 4; from step 5 on, check what the previous optimizer step left.
      if (step < 5) return;
      for (const n of names) {
        const stored = model.params.get(n)!.dataSync();
        const eff = model.weight(n).dataSync();
        for (let i = 0; i < stored.length; i++) if (eff[i] === 0 && Math.abs(stored[i]) > 0) assert.fail(`step ${step}: ${n}[${i}] is masked but stored ${stored[i]}`);
        zerosSeen += Array.from(stored).filter((v) => v === 0).length;
      }
    },
  });
  assert.ok(zerosSeen > 0);
  // Local scope: each matrix holds exactly half zeros.
  for (const n of names) {
    const d = model.params.get(n)!.dataSync();
    assert.equal(Array.from(d).filter((v) => v === 0).length, numToPrune(0.5, d.length), n);
  }
  manager.dispose();
  model.dispose();
});

test("movement pruning: scores train with the weights (straight-through Top-k) and reach the exact sparsity; the Trainer runs it with distillation", async () => {
  await ready;
  const teacher = teacherModel();
  const student = studentInit(teacher, { init: "distilbert" });
  const pConf = new PruningConfig({ pruningType: "movement", targetSparsity: 0.7, endStep: 6, pruningScope: "local" });
  const dConf = new DistillationConfig({ teacherModel: teacher });
  const manager = prepareCompression(student, [dConf, pConf]);
  const scores = manager.trainableParams();
  assert.deepEqual([...scores.keys()].slice(0, 2), ["distilbert.transformer.layer.0.attention.q_lin.mask_scores", "distilbert.transformer.layer.0.attention.k_lin.mask_scores"]);
  assert.equal(scores.size, 6);
  const before = scores.get("distilbert.transformer.layer.0.ffn.lin1.mask_scores")!.dataSync().slice();
  // The Trainer's built-in loop (trainer.distill) with the same manager.
  const trainer = new Trainer({ model: student, tokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 8, learningRate: 1e-2, evaluationStrategy: "no", disableTqdm: true }, trainDataset: toy(32) });
  await quietly(() => distill(trainer, manager));
  assert.equal(trainer.state.globalStep, 8);
  const after = scores.get("distilbert.transformer.layer.0.ffn.lin1.mask_scores")!.dataSync();
  assert.ok(after.some((v, i) => v !== before[i]), "scores were trained");
  for (const n of defaultPrunedParameters(student)) {
    const d = student.params.get(n)!.dataSync();
    assert.equal(Array.from(d).filter((v) => v === 0).length, numToPrune(0.7, d.length), n);
  }
  // The kept weights are those of highest score (ranks of the last step's scores).
  const n0 = "distilbert.transformer.layer.0.ffn.lin1.weight";
  const w = student.params.get(n0)!.dataSync();
  const s = scores.get("distilbert.transformer.layer.0.ffn.lin1.mask_scores")!.dataSync();
  const keptMin = Math.min(...Array.from(s).filter((_, i) => w[i] !== 0));
  const prunedMax = Math.max(...Array.from(s).filter((_, i) => w[i] === 0));
  assert.ok(keptMin >= prunedMax, `kept scores ≥ pruned scores (${keptMin} vs ${prunedMax})`);
  manager.dispose();
  teacher.dispose();
  student.dispose();
});

test("soft movement: masks are σ(S) > τ with τ on the schedule; the L1 regulariser's gradient is λ·σ′(S)/(count·n) and prunes", async () => {
  await ready;
  const s = tf.variable(tf.randomNormal([3, 4], 0, 1, "float32", 9));
  const { grads } = tf.variableGrads(() => tf.mul(tf.mean(tf.sigmoid(tf.mul(s, 5))), 2 / 6) as tf.Scalar, [s]);
  assert.ok(maxAbsDiff(Object.values(grads)[0].dataSync(), softMovementRegularizerGrad(s, 2, 6, 5).dataSync()) < 1e-7);
  s.dispose();

  const model = teacherModel();
  const pConf = new PruningConfig({ pruningType: "softMovement", finalThreshold: 0.3, regularizationLambda: 1e-3, endStep: 8, pruningFrequency: 1 });
  assert.equal(pConf.scoreScale, 50);
  const manager = prepareCompression(model, pConf);
  handLoop(manager, 12, { lr: 1e-2 });
  const taus = pConf.history.map((e) => e.threshold!);
  assert.equal(taus[0], 0);
  assert.ok(Math.abs(taus.at(-1)! - 0.3) < 1e-12);
  for (let i = 1; i < taus.length; i++) assert.ok(taus[i] >= taus[i - 1]);
  const sparsity = modelSparsity(model);
  assert.ok(sparsity > 0.2 && sparsity < 0.95, `soft movement pruned ${sparsity}`);
  assert.ok(Math.abs(pConf.history.at(-1)!.sparsity - sparsity) < 0.05);
  // The regulariser decides how much goes: without it, less is pruned.
  const plain = teacherModel();
  const noReg = new PruningConfig({ pruningType: "softMovement", finalThreshold: 0.3, regularizationLambda: 0, endStep: 8, pruningFrequency: 1 });
  const m2 = prepareCompression(plain, noReg);
  handLoop(m2, 12, { lr: 1e-2 });
  assert.ok(modelSparsity(plain) < sparsity - 0.1, `λ = 0 pruned ${modelSparsity(plain)}, λ = 1e-3 ${sparsity}`);
  m2.dispose();
  plain.dispose();
  manager.dispose();
  model.dispose();
});

test("a DistillationTrainer (cached teacher logits) trains with a PruningConfig through distill()", async () => {
  await ready;
  const teacher = teacherModel();
  const student = studentInit(teacher, { init: "distilbert" });
  const trainer = new DistillationTrainer({ model: student, teacherModel: teacher, tokenizer, cacheTeacherLogits: true, args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 8, learningRate: 1e-2, alpha: 0.5, temperature: 2, disableTqdm: true, dataParallelWorkers: 2 }, trainDataset: toy(32), evalDataset: toy(16, 99), computeMetrics: computeAccuracy });
  const pConf = new PruningConfig({ targetSparsity: 0.5, endStep: 4, pruningFrequency: 1 });
  await quietly(() => distill(trainer, pConf));
  assert.ok(Math.abs(modelSparsity(student) - 0.5) < 0.01);
  assert.ok(trainer.state.logHistory.some((e) => e.evalAccuracy !== undefined));
  teacher.dispose();
  student.dispose();
});

test("onTrainEnd bakes the masks in: the same logits without transforms", async () => {
  await ready;
  const model = teacherModel();
  const pConf = new PruningConfig({ pruningType: "movement", targetSparsity: 0.6, endStep: 2 });
  const hooks = pConf.createHooks(model);
  for (const [, v] of hooks.trainableParams()) v.assign(tf.randomNormal(v.shape, 0, 1, "float32", 4));
  hooks.onStepBegin(2);
  assert.ok(Math.abs(hooks.sparsity() - 0.6) < 1e-3);
  const ids = tf.tensor2d([[2, 7, 9, 5, 3]], undefined, "int32");
  const masked = model.call({ input_ids: ids }).logits.dataSync();
  hooks.onTrainEnd();
  assert.equal(model.weightTransforms.size, 0);
  assert.ok(maxAbsDiff(model.call({ input_ids: ids }).logits.dataSync(), masked) < 1e-6);
  hooks.dispose();
  model.dispose();
});

test("the hooks' weight transforms: backward equals the autodiff gradient (magnitude mask, movement straight-through)", async () => {
  await ready;
  for (const pruningType of ["magnitude", "movement"] as const) {
    const model = teacherModel();
    const config = new PruningConfig({ pruningType, targetSparsity: 0.5, endStep: 1, pruningScope: "local" });
    const hooks = config.createHooks(model);
    for (const [, v] of hooks.trainableParams()) v.assign(tf.randomNormal(v.shape, 0, 1, "float32", 2));
    hooks.onStepBegin(1);
    const name = "bert.encoder.layer.1.intermediate.dense.weight";
    const w = model.params.get(name)!;
    const transform = model.weightTransforms.get(name)!;
    const r = tf.randomNormal(w.shape, 0, 1, "float32", 3);
    const vars = [w, ...hooks.trainableParams().values()];
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.weight(name), r)) as tf.Scalar, vars);
    const hand = transform.backward!(r, w, name);
    assert.ok(maxAbsDiff(grads[w.name].dataSync(), hand.weight.dataSync()) < 1e-7, pruningType);
    if (pruningType === "movement") {
      const scores = hooks.trainableParams().get("bert.encoder.layer.1.intermediate.dense.mask_scores")!;
      assert.ok(maxAbsDiff(grads[scores.name].dataSync(), hand.extra!.get("bert.encoder.layer.1.intermediate.dense.mask_scores")!.dataSync()) < 1e-6);
    } else assert.equal(hand.extra, undefined);
    hooks.dispose();
    model.dispose();
  }
});

test("PruningConfig rejects bad options with clear errors", async () => {
  await ready;
  assert.throws(() => new PruningConfig({ endStep: 10, targetSparsity: 1.2 }), /targetSparsity must be in \[0, 1\), got 1.2/);
  assert.throws(() => new PruningConfig({ endStep: 10, pruningType: "snip" as any }), /pruningType must be one of magnitude, movement, softMovement, got "snip"/);
  assert.throws(() => new PruningConfig({ endStep: 0 }), /endStep must be an integer above startStep \(0\), got 0/);
  assert.throws(() => new PruningConfig({ endStep: 10, sparsity: 0.5 } as any), /unknown option "sparsity"/);
  assert.throws(() => new PruningConfig({ endStep: 10, pruningScope: "layer" as any }), /pruningScope must be "global" or "local", got "layer"/);
  assert.throws(() => new PruningConfig({ endStep: 10, finalThreshold: 0.2 }), /finalThreshold applies to pruningType "softMovement" only/);
  assert.throws(() => new PruningConfig({ endStep: 10, pruningType: "softMovement", targetSparsity: 0.9 }), /softMovement's sparsity follows its threshold/);
  const model = teacherModel();
  assert.throws(() => new PruningConfig({ endStep: 10, opNames: ["nothing\\.here"] }).createHooks(model), /match no parameter of BertForSequenceClassification/);
  l1Unstructured(moduleOf(model, "bert.encoder.layer.0.attention.self.query"), "weight", 0.5);
  assert.throws(() => prepareCompression(model, new PruningConfig({ endStep: 10 })), /parameter "bert.encoder.layer.0.attention.self.query.weight" already has a weight transform/);
  assert.throws(() => prepareCompression(model, [new PruningConfig({ endStep: 10 }), new PruningConfig({ endStep: 10 })]), /two pruning configs for one model/);
  model.dispose();
});

test("modelSparsity counts masks the forward pass applies (prune API on moduleOf views), not only stored zeros", async () => {
  await ready;
  const model = teacherModel();
  const names = defaultPrunedParameters(model);
  assert.equal(modelSparsity(model), 0);
  const view = moduleOf(model, names[0].replace(/\.weight$/, ""));
  l1Unstructured(view, "weight", 0.5);
  const sizes = names.map((n) => model.params.get(n)!.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(modelSparsity(model) - numToPrune(0.5, sizes[0]) / total) < 1e-12);
  assert.equal(modelSparsity(model, [names[0]]), numToPrune(0.5, sizes[0]) / sizes[0]);
  // The stored weight is untouched (PyTorch's weight_orig) until remove().
  assert.equal(Array.from(model.params.get(names[0])!.dataSync()).filter((v) => v === 0).length, 0);
  model.dispose();
});
