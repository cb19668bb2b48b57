// Explicit out-of-scope distillation (OosTargetTeacher) and the synthetic
// out-of-scope rows (augmentOos): the numbers, the errors, and that a student
// trained through the trainer learns what the moved targets say.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { quietly, ready, tmpDir } from "../helpers/setup";
import { LABELS, bert, distilbert, tokenizer } from "../helpers/tinyModels";
import { ClassLabel, Dataset, augmentOos, carrierWords } from "../../lib/data";
import type { IntentRow } from "../../lib/data";
import type { EncodedRow } from "../../lib/training";
import { DistillationTrainer, OosTargetTeacher } from "../../lib/distillation";
import { studentTrainSplit, withOosTargets } from "../../lib/workbook/recipes";

const OOS = 2; // "yes" plays the out-of-scope label

const softmaxRows = (t: tf.Tensor2D) => tf.tidy(() => tf.softmax(t)).arraySync() as number[][];

test("OosTargetTeacher moves `mass` of an oos row's target to oos and leaves other rows and unlabelled batches alone", async () => {
  await ready;
  const teacher = bert(3);
  const input_ids = tf.tensor2d([[2, 5, 6, 3], [2, 7, 8, 3], [2, 9, 10, 3]], undefined, "int32");
  const labels = tf.tensor1d([0, OOS, 1], "int32");
  const plain = softmaxRows(teacher.call({ input_ids }).logits);
  const wrapped = new OosTargetTeacher(teacher, { oosId: OOS, mass: 0.6 });
  const moved = softmaxRows(wrapped.call({ input_ids, labels } as never).logits);
  for (const i of [0, 2]) plain[i].forEach((p, j) => assert.ok(Math.abs(moved[i][j] - p) < 1e-5, `row ${i} label ${j}`));
  plain[1].forEach((p, j) => assert.ok(Math.abs(moved[1][j] - (0.4 * p + (j === OOS ? 0.6 : 0))) < 1e-5, `oos row, label ${j}: ${moved[1][j]} vs ${0.4 * p + (j === OOS ? 0.6 : 0)}`));
  const unlabelled = softmaxRows(wrapped.call({ input_ids }).logits);
  assert.ok(unlabelled.every((row, i) => row.every((p, j) => Math.abs(p - plain[i][j]) < 1e-6)));
  assert.equal(wrapped.numLabels, 3);
  assert.deepEqual(wrapped.config.id2label, teacher.config.id2label);
  assert.throws(() => new OosTargetTeacher(teacher, { oosId: 3, mass: 0.5 }), /oosId must be a label id of the teacher \(0\.\.2\), got 3/);
  assert.throws(() => new OosTargetTeacher(teacher, { oosId: OOS, mass: 0 }), /mass must be in \(0, 1\], got 0/);
  assert.throws(() => new OosTargetTeacher(teacher, { oosId: OOS, mass: Number.NaN }), /mass must be in \(0, 1\], got NaN/);
  assert.throws(() => wrapped.savePretrained(), /a training-time wrapper; save the teacher it wraps instead/);
  teacher.dispose();
});

test("a student distilled through OosTargetTeacher learns to call the oos rows oos (cached and uncached teacher logits)", async () => {
  await ready;
  const teacher = bert(3);
  // Rows 0–11 in scope (labels 0, 1), rows 12–23 out of scope; the ids differ by group so a student can tell them apart.
  const rows: EncodedRow[] = Array.from({ length: 24 }, (_, i) => (i < 12 ? { input_ids: [2, 5 + (i % 4), 9 + (i % 3), 3], label: i % 2 } : { input_ids: [2, 14 + (i % 4), 18 + (i % 3), 3], label: OOS }));
  const data = new Dataset(rows, { intent: new ClassLabel(LABELS) });
  const oosInputs = tf.tensor2d(rows.slice(12).map((r) => r.input_ids), undefined, "int32");
  const oosProbability = async (teacherModel: OosTargetTeacher | typeof teacher, cache: boolean) => {
    const trainer = new DistillationTrainer({
      model: distilbert(4),
      teacherModel,
      tokenizer,
      cacheTeacherLogits: cache,
      // alpha 0: the student learns from the soft targets alone, so only the wrapper can teach it oos.
      args: { outputDir: tmpDir(), numTrainEpochs: 12, perDeviceTrainBatchSize: 8, learningRate: 1e-2, evaluationStrategy: "no", saveStrategy: "no", alpha: 0, temperature: 1 },
      trainDataset: data,
    });
    await quietly(() => trainer.train());
    const p = softmaxRows(trainer.model!.call({ input_ids: oosInputs }).logits).map((r) => r[OOS]);
    trainer.model!.dispose();
    return p.reduce((a, b) => a + b, 0) / p.length;
  };
  const teacherOos = softmaxRows(teacher.call({ input_ids: oosInputs }).logits).map((r) => r[OOS]);
  const plain = await oosProbability(teacher, true);
  for (const cache of [true, false]) {
    const moved = await oosProbability(new OosTargetTeacher(teacher, { oosId: OOS, mass: 0.9 }), cache);
    assert.ok(moved > 0.55 && moved > plain + 0.25, `cache ${cache}: oos probability ${moved.toFixed(3)} with the moved targets vs ${plain.toFixed(3)} with the teacher's (teacher ${Math.max(...teacherOos).toFixed(3)} at most)`);
  }
  teacher.dispose();
});

// A small intent split: in-scope queries share carrier words, out-of-scope ones have their own topics.
function intents(): Dataset<IntentRow> {
  const names = ["balance", "transfer", "weather", "oos"];
  const carriers = ["what is my", "can you tell me", "please show the", "i want to know", "tell me about", "how do i check"];
  const topics: Record<string, string[]> = { balance: ["account balance", "savings total"], transfer: ["money transfer", "wire payment"], weather: ["forecast today", "rain tomorrow"] };
  const rows: IntentRow[] = [];
  names.slice(0, 3).forEach((n, id) => carriers.forEach((c) => topics[n].forEach((t) => rows.push({ text: `${c} ${t}`, intent: id }))));
  for (const t of ["who painted the mona lisa", "recipe for banana bread", "how tall is mount everest", "best pizza in naples", "when did rome fall"]) rows.push({ text: t, intent: 3 });
  return new Dataset(rows, { intent: new ClassLabel(names) });
}

test("augmentOos makes out-of-scope rows from training text only: carrier phrases with oos topics, spliced oos queries; seeded; no training text repeated", () => {
  const train = intents();
  const carriers = carrierWords(train, 3, 3);
  assert.ok(["what", "me", "the"].every((w) => carriers.has(w)), [...carriers].join(" "));
  assert.ok(!carriers.has("balance") && !carriers.has("forecast"));
  const extra = augmentOos(train, { count: 20, oosId: 3, seed: 7, carrierIntents: 3 });
  assert.equal(extra.length, 20);
  assert.ok(extra.rows.every((r) => r.intent === 3));
  const vocabulary = new Set(train.rows.flatMap((r) => r.text.split(" ")));
  const oosWords = new Set(train.rows.filter((r) => r.intent === 3).flatMap((r) => r.text.split(" ")));
  const texts = new Set(train.rows.map((r) => r.text));
  for (const r of extra) {
    assert.ok(!texts.has(r.text), `repeats a training text: ${r.text}`);
    const ws = r.text.split(" ");
    assert.ok(ws.every((w) => vocabulary.has(w)), `a word not in the training text: ${r.text}`);
    // No in-scope topic survives: every word is a carrier or comes from an oos query.
    assert.ok(ws.every((w) => carriers.has(w) || oosWords.has(w)), `keeps an intent word: ${r.text}`);
  }
  // Both kinds: swaps keep an in-scope carrier phrase, splices are oos words only.
  const swapped = extra.rows.filter((r) => r.text.split(" ").some((w) => carriers.has(w) && !oosWords.has(w))).length;
  assert.ok(swapped >= 5 && swapped <= 15, `${swapped} of 20 rows are swaps`);
  assert.deepEqual(augmentOos(train, { count: 20, oosId: 3, seed: 7, carrierIntents: 3 }).rows, extra.rows);
  assert.notDeepEqual(augmentOos(train, { count: 20, oosId: 3, seed: 8, carrierIntents: 3 }).rows, extra.rows);
  assert.equal(new Set(extra.rows.map((r) => r.text)).size, 20);
  assert.equal(augmentOos(train, { count: 0, oosId: 3 }).length, 0);
  assert.throws(() => augmentOos(train, { count: -1, oosId: 3 }), /count must be an integer >= 0, got -1/);
  assert.throws(() => augmentOos(train, { count: 5, oosId: 9 }), /oosId 9 is not a label id of this dataset \(0\.\.3\)/);
  assert.throws(() => augmentOos(train.filter((r) => r.intent !== 3), { count: 5, oosId: 3 }), /needs at least 2 out-of-scope \("oos"\) rows to draw from, got 0/);
});

test("the student recipe's training split adds the synthetic rows after the oversampled ones, and wraps the teacher only when asked", async () => {
  await ready;
  const train = intents();
  const data = { train, validation: train, test: train };
  const base = studentTrainSplit(data, { subset: 0, oosOversample: 2, seed: 42 });
  assert.equal(base.length, train.length + 5);
  const augmented = studentTrainSplit(data, { subset: 0, oosOversample: 2, oosAugment: 6, seed: 42 });
  assert.equal(augmented.length, base.length + 6);
  assert.deepEqual(augmented.rows.slice(0, base.length), base.rows);
  assert.ok(augmented.rows.slice(base.length).every((r) => r.intent === 3));
  const teacher = bert(3, ["balance", "transfer", "weather", "oos"]);
  assert.equal(withOosTargets(teacher, { oosTargetMass: 0 }, data), teacher);
  const wrapped = withOosTargets(teacher, { oosTargetMass: 0.5 }, data) as OosTargetTeacher;
  assert.ok(wrapped instanceof OosTargetTeacher);
  assert.deepEqual([wrapped.oosId, wrapped.mass], [3, 0.5]);
  // Without an oos class there is nothing to move or add.
  const noOos = { train: train.filter((r) => r.intent !== 3), validation: train, test: train };
  const renamed = new Dataset(noOos.train.rows, { intent: new ClassLabel(["balance", "transfer", "weather", "other"]) });
  const data2 = { train: renamed, validation: renamed, test: renamed };
  assert.equal(withOosTargets(teacher, { oosTargetMass: 0.5 }, data2), teacher);
  assert.equal(studentTrainSplit(data2, { subset: 0, oosOversample: 1, oosAugment: 10, seed: 42 }).length, renamed.length);
  teacher.dispose();
});
