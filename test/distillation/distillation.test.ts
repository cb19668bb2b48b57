import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { FIXTURES, quietly, ready, maxAbsDiff, tmpDir, values } from "../helpers/setup";
import { BertForSequenceClassification, DistilBertForSequenceClassification, PreTrainedModel, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { ClassLabel, Dataset } from "../../lib/data";
import { EncodedRow, TrainerCallback } from "../../lib/training";
import { DistillationTrainer, distillationLoss, distilbertLayerMap, kdLoss, studentInit } from "../../lib/distillation";
import { crossEntropy } from "../../lib/training/loss";

const softmax = (r: number[], t: number) => {
  const e = r.map((v) => Math.exp(v / t));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

test("kdLoss = T² · batch-mean KL(softmax(teacher/T) ‖ softmax(student/T)), against hand-computed values", async () => {
  await ready;
  const s = [[1, 2, 0.5], [0, -1, 3]];
  const t = [[2, 1, 0], [0.5, 0.5, 4]];
  for (const T of [1, 2, 5]) {
    let kl = 0;
    s.forEach((row, i) => {
      const p = softmax(t[i], T);
      const q = softmax(row, T);
      kl += p.reduce((a, pi, j) => a + pi * Math.log(pi / q[j]), 0);
    });
    const expected = (T * T * kl) / s.length;
    assert.ok(Math.abs(kdLoss(tf.tensor2d(s), tf.tensor2d(t), T).dataSync()[0] - expected) < 1e-5, `T=${T}`);
    // The element-wise mean (KLDivLoss's default, the DistillationConfig KL route) divides by the classes too.
    assert.ok(Math.abs(kdLoss(tf.tensor2d(s), tf.tensor2d(t), T, "mean").dataSync()[0] - expected / 3) < 1e-5, `T=${T}, mean`);
  }
  assert.throws(() => kdLoss(tf.tensor2d(s), tf.tensor2d(t), 2, "sum" as never), /reduction must be "batchmean" or "mean", got "sum"/);
  assert.ok(Math.abs(kdLoss(tf.tensor2d(s), tf.tensor2d(s), 2).dataSync()[0]) < 1e-6); // identical logits: no KL
  const labels = tf.tensor1d([1, 2], "int32");
  const ce = crossEntropy(tf.tensor2d(s), labels);
  const kd = kdLoss(tf.tensor2d(s), tf.tensor2d(t), 2).dataSync()[0];
  assert.equal(distillationLoss(ce, tf.tensor2d(s), tf.tensor2d(t), 1, 2).dataSync()[0], ce.dataSync()[0]); // alpha 1: CE only
  assert.ok(Math.abs(distillationLoss(ce, tf.tensor2d(s), tf.tensor2d(t), 0, 2).dataSync()[0] - kd) < 1e-6); // alpha 0: KD only
  assert.ok(Math.abs(distillationLoss(ce, tf.tensor2d(s), tf.tensor2d(t), 0.5, 2).dataSync()[0] - (0.5 * ce.dataSync()[0] + 0.5 * kd)) < 1e-6);
  assert.throws(() => kdLoss(tf.tensor2d(s), tf.tensor2d(t), -1), /temperature must be > 0/);
  assert.throws(() => kdLoss(tf.tensor2d(s), tf.tensor2d([[1, 2]]), 2), /differ/);
  assert.throws(() => kdLoss([tf.tensor2d(s)] as never, tf.tensor2d(t), 2), /kdLoss: studentLogits must be a tensor of logits \[batch, classes\], got an array of 1/);
  assert.throws(() => kdLoss(tf.tensor2d(s), undefined as never, 2), /kdLoss: teacherLogits must be a tensor of logits \[batch, classes\], got undefined/);
});

test("no gradient flows into the teacher", async () => {
  await ready;
  const student = tf.variable(tf.tensor2d([[1, 2, 0.5]]));
  const teacher = tf.variable(tf.tensor2d([[2, 1, 0]]));
  const { grads } = tf.variableGrads(() => kdLoss(student as tf.Tensor2D, teacher as tf.Tensor2D, 2), [student, teacher]);
  assert.ok(Math.max(...values(grads[student.name]).map(Math.abs)) > 1e-3);
  assert.deepEqual([...values(grads[teacher.name])], [0, 0, 0]);
});

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")]);
const teacherModel = () =>
  BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 4, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(["no", "yes"]) }, { seed: 3 });

test("studentInit: DistilBERT-style copies the embeddings and every other layer, keeps the labels", async () => {
  await ready;
  const teacher = teacherModel();
  assert.deepEqual(distilbertLayerMap(4, 2), [0, 2]);
  assert.deepEqual(distilbertLayerMap(12, 6), [0, 2, 4, 6, 8, 10]);
  assert.throws(() => distilbertLayerMap(4, 5), /numLayers must be an integer in \[1, 4\]/);
  assert.throws(() => studentInit(teacher, { init: "gpt2" as "random" }), /studentInit: init must be "random" or "distilbert", got "gpt2"/);
  const student = studentInit(teacher, { init: "distilbert" });
  assert.equal(student.config.model_type, "distilbert");
  assert.equal(student.spec.layers, 2);
  assert.deepEqual(student.config.id2label, teacher.config.id2label);
  assert.deepEqual(student.config.label2id, teacher.config.label2id);
  const same = (a: string, b: string) => maxAbsDiff(values(student.params.get(a)!), values(teacher.params.get(b)!)) === 0;
  assert.ok(same("distilbert.embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight"));
  assert.ok(same("distilbert.transformer.layer.0.attention.q_lin.weight", "bert.encoder.layer.0.attention.self.query.weight"));
  assert.ok(same("distilbert.transformer.layer.1.ffn.lin2.bias", "bert.encoder.layer.2.output.dense.bias"));
  assert.ok(same("distilbert.transformer.layer.1.output_layer_norm.weight", "bert.encoder.layer.2.output.LayerNorm.weight"));
  assert.ok(!same("distilbert.transformer.layer.1.attention.k_lin.weight", "bert.encoder.layer.1.attention.self.key.weight"));
  // Token-type row 0 is folded into the positions: the student's embeddings equal the teacher's for type-0 inputs.
  const ids = tf.tensor2d([[2, 7, 9, 3]], undefined, "int32");
  const a = student.call({ input_ids: ids }, { outputHiddenStates: true }).hiddenStates![0];
  const b = teacher.call({ input_ids: ids }, { outputHiddenStates: true }).hiddenStates![0];
  assert.ok(maxAbsDiff(values(a), values(b)) < 1e-5);
  const random = studentInit(teacher, { numLayers: 1 });
  assert.equal(random.spec.layers, 1);
  assert.ok(!(maxAbsDiff(values(random.params.get("distilbert.embeddings.word_embeddings.weight")!), values(teacher.params.get("bert.embeddings.word_embeddings.weight")!)) === 0));
  for (const m of [teacher, student, random]) m.dispose();
});

function toy(n: number): Dataset<EncodedRow> {
  const rows = Array.from({ length: n }, (_, i) => ({ input_ids: [2, 5 + (i % 7), 6 + (i % 5), 3], label: i % 2 }));
  return new Dataset(rows, { intent: new ClassLabel(["no", "yes"]) });
}

// ---------------------------------------------------------------------------
// Two optimizer steps of the DistillationTrainer against PyTorch
// (test/fixtures/make_distillation_reference.py): a tiny BERT teacher and
// DistilBERT student with fixed weights, one fixed 6-row batch seen twice,
// dropout off. PyTorch computes α·CE + (1−α)·T²·KLDivLoss(batchmean) in
// float64, its gradients, clip_grad_norm_(1) and torch.optim.AdamW.

interface RefCase { name: string; alpha: number; temperature: number; label_smoothing: number; cache: boolean; losses: number[]; grads: Record<string, number[]>; weights: Record<string, number[]> }
type RefWeights = Record<string, { shape: number[]; data: number[] }>;
const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, "distillation_reference.json"), "utf8")) as {
  teacher_config: Record<string, unknown>;
  student_config: Record<string, unknown>;
  teacher_weights: RefWeights;
  student_weights: RefWeights;
  rows: number[][];
  labels: number[];
  training: { learning_rate: number; weight_decay: number; max_grad_norm: number; steps: number; warmup_ratio: number };
  cases: RefCase[];
};
// 24 ids: [PAD]=0, [UNK], [CLS]=2, [SEP]=3, [MASK], then 19 letters.
const refTokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrs".split("")]);

function loadRef<M extends PreTrainedModel>(model: M, weights: RefWeights): M {
  const { missingKeys, unexpectedKeys } = model.loadStateDict(new Map(Object.entries(weights).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }])), { strict: true });
  assert.deepEqual([missingKeys, unexpectedKeys], [[], []]);
  return model;
}

interface StepResult { losses: number[]; grads: Map<string, Float32Array>; weights: Map<string, Float32Array> }

/** Runs one reference case through the DistillationTrainer; gradients of the first step in PyTorch layout. */
async function runReferenceCase(c: RefCase): Promise<StepResult> {
  const teacher = loadRef(BertForSequenceClassification.fromConfig(ref.teacher_config as any), ref.teacher_weights);
  const student = loadRef(DistilBertForSequenceClassification.fromConfig(ref.student_config as any), ref.student_weights);
  const grads = new Map<string, Float32Array>();
  const recorder: TrainerCallback = {
    onBeforeOptimizerStep: (_args, state, g) => {
      if (state.globalStep !== 0) return;
      for (const [name, t] of g) grads.set(name, (student.isLinearWeight(name) ? tf.tidy(() => tf.transpose(t)) : t).dataSync() as Float32Array);
    },
  };
  const t = ref.training;
  const trainer = new DistillationTrainer({
    model: student,
    teacherModel: teacher,
    tokenizer: refTokenizer,
    cacheTeacherLogits: c.cache,
    callbacks: [recorder],
    args: {
      outputDir: tmpDir(),
      numTrainEpochs: t.steps,
      perDeviceTrainBatchSize: ref.rows.length,
      learningRate: t.learning_rate,
      weightDecay: t.weight_decay,
      maxGradNorm: t.max_grad_norm,
      warmupRatio: t.warmup_ratio,
      labelSmoothingFactor: c.label_smoothing,
      alpha: c.alpha,
      temperature: c.temperature,
      evaluationStrategy: "no",
      loggingSteps: 1,
    },
    trainDataset: new Dataset(ref.rows.map((input_ids, i) => ({ input_ids, label: ref.labels[i] })), { intent: new ClassLabel(["label_0", "label_1", "label_2"]) }),
  });
  await quietly(() => trainer.train());
  const losses = trainer.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);
  const weights = new Map([...student.stateDict()].map(([k, v]) => [k, v.data]));
  student.dispose();
  teacher.dispose();
  return { losses, grads, weights };
}

const caseRuns = new Map<string, Promise<StepResult>>();
const runCase = (name: string): Promise<StepResult> => {
  const c = ref.cases.find((x) => x.name === name);
  if (!c) throw new Error(`no reference case "${name}" in distillation_reference.json`);
  if (!caseRuns.has(name)) caseRuns.set(name, ready.then(() => runReferenceCase(c)));
  return caseRuns.get(name)!;
};

// float32 against float64 (measured here: losses within 6e-7 relative,
// gradients within 1.5e-7, weights within 2e-7): the loss to 3e-6 relative,
// gradients to 1e-6 of the largest, weights after two AdamW steps to 2e-6.
const LOSS_TOL = 3e-6;
const GRAD_TOL = 1e-6;
const WEIGHT_TOL = 2e-6;
// Softmax ignores a shift of the scores, so the key bias has no effect on the
// loss: its gradient is zero up to rounding, and AdamW's normalised step on
// rounding noise is arbitrary. Its gradient is checked (zero), not its update.
const INERT = ["distilbert.transformer.layer.0.attention.k_lin.bias"];

for (const c of ref.cases) {
  test(`DistillationTrainer (${c.name}): loss, gradients and AdamW update of two steps equal PyTorch's α·CE + (1−α)·T²·KL(batchmean)`, async () => {
    const got = await runCase(c.name);
    assert.equal(got.losses.length, c.losses.length);
    got.losses.forEach((l, i) => assert.ok(Math.abs(l - c.losses[i]) <= LOSS_TOL * Math.abs(c.losses[i]), `step ${i + 1} loss ${l}, PyTorch ${c.losses[i]}`));
    assert.deepEqual([...got.grads.keys()].sort(), Object.keys(c.grads).sort(), "a gradient for every student parameter");
    const gmax = Math.max(...Object.values(c.grads).flat().map(Math.abs));
    for (const [name, g] of got.grads) assert.ok(maxAbsDiff(g, c.grads[name]) <= GRAD_TOL * gmax, `${name}: gradient differs by ${maxAbsDiff(g, c.grads[name])} (largest gradient ${gmax})`);
    assert.deepEqual(Object.keys(c.grads).filter((k) => Math.max(...c.grads[k].map(Math.abs)) < 1e-12 * gmax), INERT, "the parameters PyTorch gives no gradient");
    for (const [name, w] of got.weights) if (!INERT.includes(name)) assert.ok(maxAbsDiff(w, c.weights[name]) <= WEIGHT_TOL, `${name}: weights after 2 steps differ by ${maxAbsDiff(w, c.weights[name])}`);
  });
}

test("alpha 1 vs 0.5 and T 1 vs 5 give different updates, each the one PyTorch computes", async () => {
  const diff = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) => Math.max(...[...a].filter(([k]) => !INERT.includes(k)).map(([k, v]) => maxAbsDiff(v, b.get(k)!)));
  for (const [x, y] of [["alpha 1, T 5", "alpha 0.5, T 5"], ["alpha 0.5, T 1", "alpha 0.5, T 5"]]) {
    const [a, b] = [await runCase(x), await runCase(y)];
    const [ra, rb] = [ref.cases.find((c) => c.name === x)!, ref.cases.find((c) => c.name === y)!];
    const refWeights = (c: RefCase) => new Map(Object.entries(c.weights).map(([k, v]) => [k, Float32Array.from(v)]));
    const refGrads = (c: RefCase) => new Map(Object.entries(c.grads).map(([k, v]) => [k, Float32Array.from(v)]));
    // The two settings move the weights apart by far more than our distance to PyTorch…
    const apart = diff(a.weights, b.weights);
    assert.ok(apart > 100 * WEIGHT_TOL, `${x} vs ${y}: updates differ by only ${apart}`);
    assert.ok(Math.abs(diff(refWeights(ra), refWeights(rb)) - apart) < 2 * WEIGHT_TOL, "…by the same amount as in PyTorch");
    assert.ok(diff(a.grads, b.grads) > 100 * GRAD_TOL * Math.max(...[...refGrads(ra).values()].flatMap((g) => [...g].map(Math.abs))), `${x} vs ${y}: first-step gradients too close`);
    assert.ok(Math.abs(a.losses[0] - b.losses[0]) > 1e-3, `${x} vs ${y}: same loss ${a.losses[0]}`);
  }
});

test("DistillationTrainer: cached teacher logits give the same losses and weights as running the teacher; args are validated", async () => {
  await ready;
  const teacher = teacherModel();
  const make = (cache: boolean) =>
    new DistillationTrainer({ model: studentInit(teacher, { init: "distilbert" }), teacherModel: teacher, tokenizer, cacheTeacherLogits: cache, args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 8, learningRate: 1e-3, evaluationStrategy: "no", alpha: 0.5, temperature: 2, loggingSteps: 1 }, trainDataset: toy(24) });
  const [uncached, cached] = [make(false), make(true)];
  await quietly(() => uncached.train());
  await quietly(() => cached.train());
  const losses = (t: DistillationTrainer) => t.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);
  assert.equal(losses(cached).length, 6);
  assert.ok(maxAbsDiff(losses(cached), losses(uncached)) < 1e-6, `${losses(cached)} vs ${losses(uncached)}`);
  for (const [name, v] of uncached.model!.params) assert.ok(maxAbsDiff(values(v), values(cached.model!.params.get(name)!)) < 1e-6, name);
  const base = { model: studentInit(teacher), teacherModel: teacher, tokenizer, trainDataset: toy(8) };
  assert.throws(() => new DistillationTrainer({ ...base, args: { outputDir: "x", temperature: -1 } }), /temperature must be a positive number, got -1/);
  assert.throws(() => new DistillationTrainer({ ...base, args: { outputDir: "x", alpha: 1.5 } }), /alpha must be in \[0, 1\], got 1.5/);
  assert.throws(() => new DistillationTrainer({ ...base, args: { outputDir: "x" }, cacheTeacherLogits: true, tokenMaskProb: 0.1 }), /cacheTeacherLogits needs un-augmented inputs/);
  const other = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(["a", "b", "c"]) });
  assert.throws(() => new DistillationTrainer({ ...base, teacherModel: other, args: { outputDir: "x" } }), /the student has 2 labels, the teacher 3/);
  [uncached.model!, cached.model!, teacher, other].forEach((m) => m.dispose());
});
