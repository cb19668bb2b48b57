import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir, maxAbsDiff, values } from "../helpers/setup";
import { BertForSequenceClassification, DistilBertForSequenceClassification, PreTrainedModel, labelMaps } from "../../lib/models";
import { EnsembleForSequenceClassification, loadSequenceClassificationModel } from "../../lib/models/ensemble";
import { BagOfWordsClassifier } from "../../lib/models";
import { DistillationTrainer, studentInit } from "../../lib/distillation";
import { ClassLabel, Dataset } from "../../lib/data";
import type { IntentRow } from "../../lib/data";
import type { EncodedRow } from "../../lib/training";
import { DataCollatorWithPadding } from "../../lib/training";
import { pipeline } from "../../lib/pipelines";
import { PerformanceBenchmark } from "../../lib/benchmark";
import { LABELS, bert, bow, distilbert, tokenizer } from "../helpers/tinyModels";

function batchOf(texts: string[]) {
  const enc = tokenizer.call(texts, { padding: "longest" });
  return { input_ids: tf.tensor2d(enc.input_ids, undefined, "int32") as tf.Tensor2D, attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") as tf.Tensor2D };
}

const TEXTS = ["a b c", "d e", "f g h i j", "k"];
const rowsOf = (t: tf.Tensor2D) => t.arraySync() as number[][];
const softmax = (r: number[]) => {
  const m = Math.max(...r);
  const e = r.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

test("ensemble logits: the weighted mean of the members' logits (to 1e-6)", async () => {
  await ready;
  const members = [bert(), distilbert(), bow()];
  const weights = [0.5, 0.2, 0.3];
  const ens = new EnsembleForSequenceClassification(members, { weights, combine: "logits" });
  const batch = batchOf(TEXTS);
  const member = members.map((m) => tf.tidy(() => rowsOf(m.call(batch).logits)));
  const out = tf.tidy(() => ens.call(batch).logits);
  assert.deepEqual(out.shape, [4, 3]);
  const expected = member[0].map((row, b) => row.map((_, c) => weights.reduce((s, w, k) => s + w * member[k][b][c], 0)));
  assert.ok(maxAbsDiff(values(out), expected.flat()) < 1e-6);
  assert.equal(ens.numLabels, 3);
  assert.equal(ens.maxSequenceLength, 12, "the shortest member limit (DistilBERT's 12 positions)");
  assert.deepEqual(ens.config.id2label, members[0].config.id2label);
  out.dispose();
  tf.dispose(Object.values(batch));
  ens.dispose();
});

test("ensemble probabilities: softmax of the output is the weighted mean of the members' softmaxes (to 1e-6), returned as log-probabilities", async () => {
  await ready;
  const members = [bert(), bow()];
  const weights = [0.7, 0.3];
  const ens = new EnsembleForSequenceClassification(members, { weights, combine: "probabilities" });
  const batch = batchOf(TEXTS);
  const probs = members.map((m) => tf.tidy(() => rowsOf(m.call(batch).logits)).map(softmax));
  const out = tf.tidy(() => rowsOf(ens.call(batch).logits));
  out.forEach((row, b) => {
    const mixture = row.map((_, c) => weights[0] * probs[0][b][c] + weights[1] * probs[1][b][c]);
    assert.ok(maxAbsDiff(softmax(row), mixture) < 1e-6);
    assert.ok(maxAbsDiff(row.map(Math.exp), mixture) < 1e-6, "the output is log(mixture) itself");
  });
  // Default: equal weights, probabilities.
  const equal = new EnsembleForSequenceClassification(members);
  assert.deepEqual(equal.weights, [0.5, 0.5]);
  assert.equal(equal.combine, "probabilities");
  // A zero-weight member is not run and changes nothing.
  let called = 0;
  const spy = Object.assign(Object.create(Object.getPrototypeOf(members[1])), members[1], { call: () => { called++; throw new Error("must not run"); } });
  const skip = new EnsembleForSequenceClassification([members[0], spy], { weights: [1, 0] });
  const alone = tf.tidy(() => rowsOf(skip.call(batch).logits));
  const first = tf.tidy(() => rowsOf(members[0].call(batch).logits));
  alone.forEach((row, b) => assert.ok(maxAbsDiff(softmax(row), softmax(first[b])) < 1e-6));
  assert.equal(called, 0);
  tf.dispose(Object.values(batch));
  ens.dispose();
});

test("ensemble errors: mismatched labels name the first differing label; bad weights, options and vocabularies are clear", async () => {
  await ready;
  const a = bert();
  const swapped = bert(3, ["no", "yes", "maybe"]);
  assert.throws(() => new EnsembleForSequenceClassification([a, swapped]), /member 1 names label 1 "yes", member 0 names it "maybe" \(the members must share one label set, in the same order\)/);
  const fewer = bert(3, ["no", "yes"]);
  assert.throws(() => new EnsembleForSequenceClassification([a, fewer]), /member 1 has 2 labels, member 0 has 3/);
  const b = bow();
  assert.throws(() => new EnsembleForSequenceClassification([a, b], { weights: [0.5, 0.6] }), /weights must sum to 1, got 1.1/);
  assert.throws(() => new EnsembleForSequenceClassification([a, b], { weights: [1.5, -0.5] }), /weight 1 is -0.5; weights must be finite numbers >= 0/);
  assert.throws(() => new EnsembleForSequenceClassification([a, b], { weights: [NaN, 1] }), /weight 0 is NaN/);
  assert.throws(() => new EnsembleForSequenceClassification([a, b], { weights: [1] }), /weights must have one entry per member \(2\), got \[1\]/);
  assert.throws(() => new EnsembleForSequenceClassification([a, b], { combine: "votes" as any }), /combine must be one of logits, probabilities, got "votes"/);
  assert.throws(() => new EnsembleForSequenceClassification([a, b], { weight: [1, 0] } as any), /unknown option "weight"/);
  assert.throws(() => new EnsembleForSequenceClassification([]), /pass at least one member model/);
  assert.throws(() => new EnsembleForSequenceClassification([a, {} as any]), /member 1 is not a sequence classifier/);
  const otherVocab = BertForSequenceClassification.fromConfig({ vocab_size: 40, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(LABELS) });
  assert.throws(() => new EnsembleForSequenceClassification([a, otherVocab]), /member 1 has vocab_size 40, member 0 has 25 \(the members must read the same token ids: one tokenizer\)/);
  for (const m of [a, swapped, fewer, b, otherVocab]) m.dispose();
});

test("ensemble runs its members without gradients and leaks no tensors", async () => {
  await ready;
  const ens = new EnsembleForSequenceClassification([bert(), bow()], { weights: [0.6, 0.4] });
  const batch = batchOf(TEXTS);
  assert.throws(() => tf.variableGrads(() => tf.sum(ens.call(batch).logits) as tf.Scalar), /Cannot find a connection between any variable and the result of the loss function/);
  tf.tidy(() => {
    ens.call(batch);
  });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    tf.tidy(() => {
      ens.call(batch);
    });
    ens.call(batch).logits.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(Object.values(batch));
  ens.dispose();
});

test("ensemble as the DistillationTrainer's teacher: its logits are the teacher logits, and the label count is checked", async () => {
  await ready;
  const teacherBert = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(LABELS) }, { seed: 3 });
  const ens = new EnsembleForSequenceClassification([teacherBert, bow()], { weights: [0.5, 0.5] });
  const rows: EncodedRow[] = Array.from({ length: 12 }, (_, i) => ({ input_ids: [2, 5 + (i % 7), 6 + (i % 5), 3], label: i % 3 }));
  const trainDataset = new Dataset(rows, { intent: new ClassLabel(LABELS) });
  // DistillationTrainer types its teacher as PreTrainedModel; at runtime it needs only numLabels and call().logits.
  const trainer = new DistillationTrainer({ model: studentInit(teacherBert), teacherModel: ens as unknown as PreTrainedModel, tokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 4, evaluationStrategy: "no", alpha: 0.5, temperature: 2 }, trainDataset });
  const inputs = new DataCollatorWithPadding({ padTokenId: 0 }).call(rows.slice(0, 5));
  const fromTrainer = trainer.teacherLogits(inputs);
  const direct = tf.tidy(() => ens.call(inputs).logits);
  assert.equal(maxAbsDiff(values(fromTrainer), values(direct)), 0);
  const twoLabels = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(["no", "yes"]) });
  assert.throws(() => new DistillationTrainer({ model: twoLabels, teacherModel: ens as unknown as PreTrainedModel, tokenizer, args: { outputDir: "x" }, trainDataset: new Dataset(rows.map((r) => ({ ...r, label: r.label % 2 })), { intent: new ClassLabel(["no", "yes"]) }) }), /the student has 2 labels, the teacher 3/);
  tf.dispose([fromTrainer, direct, ...Object.values(inputs)]);
  twoLabels.dispose();
  trainer.model?.dispose();
  ens.dispose();
});

test("ensemble save → load round trip (identical logits); the pipeline and PerformanceBenchmark size it as the sum of its members", async () => {
  await ready;
  const ens = new EnsembleForSequenceClassification([bert(), bow()], { weights: [0.25, 0.75], combine: "logits" });
  const dir = tmpDir();
  ens.savePretrained(dir);
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  assert.equal(config.model_type, "ensemble");
  assert.deepEqual(config.members, ["member_0", "member_1"]);
  assert.deepEqual(config.weights, [0.25, 0.75]);
  const loaded = loadSequenceClassificationModel(dir) as EnsembleForSequenceClassification;
  assert.ok(loaded instanceof EnsembleForSequenceClassification);
  assert.ok(loaded.members[1] instanceof BagOfWordsClassifier);
  assert.equal(loaded.combine, "logits");
  const batch = batchOf(TEXTS);
  const [a, b] = tf.tidy(() => [ens.call(batch).logits, loaded.call(batch).logits]);
  assert.equal(maxAbsDiff(values(a), values(b)), 0);
  const memberBytes = ["member_0", "member_1"].reduce((s, m) => s + fs.statSync(path.join(dir, m, "model.safetensors")).size, 0);
  const intent = new ClassLabel(LABELS);
  const ds = new Dataset<IntentRow>(TEXTS.map((text, i) => ({ text, intent: i % 3 })), { intent });
  const pipe = pipeline("text-classification", loaded, { tokenizer });
  const preds = await pipe(TEXTS);
  assert.deepEqual(preds.map((p) => p[0].label), rowsOf(a).map((r) => LABELS[r.indexOf(Math.max(...r))]));
  const pb = new PerformanceBenchmark(pipe, ds, "Ensemble", { warmupRuns: 0, timedRuns: 2, verbose: false });
  assert.equal(pb.computeSize().sizeMb, memberBytes / (1024 * 1024));
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...config, model_type: "bert" }));
  assert.throws(() => EnsembleForSequenceClassification.fromPretrained(dir), /holds a "bert" model, not an ensemble/);
  tf.dispose([a, b, ...Object.values(batch)]);
  pipe.dispose();
  ens.dispose();
});
