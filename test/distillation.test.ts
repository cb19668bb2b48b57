import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { quietly, ready, maxAbsDiff, tmpDir, values } from "./helpers/setup";
import { BertForSequenceClassification, labelMaps } from "../lib/models";
import { BertTokenizer } from "../lib/tokenizers";
import { ClassLabel, Dataset } from "../lib/data";
import { EncodedRow } from "../lib/training";
import { DistillationTrainer, distillationLoss, distilbertLayerMap, kdLoss, studentInit } from "../lib/distillation";
import { crossEntropy } from "../lib/training/loss";

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
  }
  assert.ok(Math.abs(kdLoss(tf.tensor2d(s), tf.tensor2d(s), 2).dataSync()[0]) < 1e-6); // identical logits: no KL
  const labels = tf.tensor1d([1, 2], "int32");
  const ce = crossEntropy(tf.tensor2d(s), labels);
  const kd = kdLoss(tf.tensor2d(s), tf.tensor2d(t), 2).dataSync()[0];
  assert.equal(distillationLoss(ce, tf.tensor2d(s), tf.tensor2d(t), 1, 2).dataSync()[0], ce.dataSync()[0]); // alpha 1: CE only
  assert.ok(Math.abs(distillationLoss(ce, tf.tensor2d(s), tf.tensor2d(t), 0, 2).dataSync()[0] - kd) < 1e-6); // alpha 0: KD only
  assert.ok(Math.abs(distillationLoss(ce, tf.tensor2d(s), tf.tensor2d(t), 0.5, 2).dataSync()[0] - (0.5 * ce.dataSync()[0] + 0.5 * kd)) < 1e-6);
  assert.throws(() => kdLoss(tf.tensor2d(s), tf.tensor2d(t), -1), /temperature must be > 0/);
  assert.throws(() => kdLoss(tf.tensor2d(s), tf.tensor2d([[1, 2]]), 2), /differ/);
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

test("DistillationTrainer: cached teacher logits give the identical loss; args are validated", async () => {
  await ready;
  const teacher = teacherModel();
  const make = (cache: boolean) =>
    new DistillationTrainer({ model: studentInit(teacher, { init: "distilbert" }), teacherModel: teacher, tokenizer, cacheTeacherLogits: cache, args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 8, learningRate: 1e-3, evaluationStrategy: "no", alpha: 0.5, temperature: 2 }, trainDataset: toy(24) });
  const [a, b] = [await quietly(() => make(false).train()), await quietly(() => make(true).train())];
  assert.ok(Math.abs(a.trainingLoss - b.trainingLoss) < 1e-6, `${a.trainingLoss} vs ${b.trainingLoss}`);
  const base = { model: studentInit(teacher), teacherModel: teacher, tokenizer, trainDataset: toy(8) };
  assert.throws(() => new DistillationTrainer({ ...base, args: { outputDir: "x", temperature: -1 } }), /temperature must be a positive number, got -1/);
  assert.throws(() => new DistillationTrainer({ ...base, args: { outputDir: "x", alpha: 1.5 } }), /alpha must be in \[0, 1\], got 1.5/);
  assert.throws(() => new DistillationTrainer({ ...base, args: { outputDir: "x" }, cacheTeacherLogits: true, tokenMaskProb: 0.1 }), /cacheTeacherLogits needs un-augmented inputs/);
  const other = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(["a", "b", "c"]) });
  assert.throws(() => new DistillationTrainer({ ...base, teacherModel: other, args: { outputDir: "x" } }), /the student has 2 labels, the teacher 3/);
});

test("DistillationTrainer on data-parallel workers computes the same update as one thread (cached logits, and alpha = 1)", async () => {
  await ready;
  const teacher = teacherModel();
  const noDropout = { dropout: 0, attention_dropout: 0, seq_classif_dropout: 0 };
  for (const alpha of [0.5, 1]) {
    const make = (workers: number) =>
      new DistillationTrainer({
        model: studentInit(teacher, { init: "distilbert", config: noDropout }),
        teacherModel: teacher,
        tokenizer,
        cacheTeacherLogits: true,
        args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 8, learningRate: 1e-3, evaluationStrategy: "no", alpha, temperature: 3, labelSmoothingFactor: 0.1, dataParallelWorkers: workers },
        trainDataset: toy(24),
      });
    const [one, two] = [make(1), make(2)];
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => void warnings.push(a.join(" "));
    try {
      const [a, b] = [await quietly(() => one.train()), await quietly(() => two.train())];
      assert.ok(Math.abs(a.trainingLoss - b.trainingLoss) < 1e-5, `alpha ${alpha}: ${a.trainingLoss} vs ${b.trainingLoss}`);
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warnings, [], "the workers were used, not refused");
    for (const [name, v] of one.model!.params) assert.ok(maxAbsDiff(values(v), values(two.model!.params.get(name)!)) < 1e-5, `alpha ${alpha}: ${name}`);
    one.model!.dispose();
    two.model!.dispose();
  }
  teacher.dispose();
});
