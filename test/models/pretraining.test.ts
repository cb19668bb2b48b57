import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { FIXTURES, maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { BertForMaskedLM, BertForSequenceClassification, labelMaps, readSafetensors, writeSafetensors } from "../../lib/models";
import { setLogSink } from "../../lib/utils/log";
import { BertTokenizer } from "../../lib/tokenizers";
import { ClassLabel, Dataset } from "../../lib/data";
import { DataCollatorForLanguageModeling, EncodedRow, Trainer, crossEntropy } from "../../lib/training";
import { Random } from "../../lib/utils/random";

const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, "mlm_reference.json"), "utf8"));

function fixtureModel(): BertForMaskedLM {
  const model = new BertForMaskedLM(ref.config);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of Object.entries(ref.weights as Record<string, { shape: number[]; data: number[] }>)) weights.set(k, { shape: v.shape, data: Float32Array.from(v.data) });
  const { missingKeys, unexpectedKeys } = model.loadStateDict(weights, { strict: true });
  assert.deepEqual([missingKeys, unexpectedKeys], [[], []]);
  return model;
}

test("BertForMaskedLM: HF parameter names; logits and masked-LM loss match an independent PyTorch BertForMaskedLM", async () => {
  await ready;
  const model = fixtureModel();
  assert.deepEqual([...model.params.keys()].sort(), Object.keys(ref.weights).sort());
  const input_ids = tf.tensor2d(ref.input_ids, undefined, "int32");
  const attention_mask = tf.tensor2d(ref.attention_mask, undefined, "int32");
  const all = model.call({ input_ids, attention_mask }).logits;
  const [b, s, v] = ref.logits.shape;
  assert.deepEqual(all.shape, [b * s, v]);
  assert.ok(maxAbsDiff(values(all), ref.logits.data) < 1e-4, "logits at every position");
  const flat = (ref.labels as number[][]).flat();
  const positions = flat.map((l, i) => (l === -100 ? -1 : i)).filter((i) => i >= 0);
  const masked = model.call({ input_ids, attention_mask, masked_positions: tf.tensor1d(positions, "int32") }).logits;
  const loss = crossEntropy(masked, tf.tensor1d(positions.map((i) => flat[i]), "int32")).dataSync()[0];
  assert.ok(Math.abs(loss - ref.loss) < 1e-5, `${loss} vs ${ref.loss}`);
  model.dispose();
});

test("BertForMaskedLM saves and loads; a sequence classifier takes its encoder and starts a fresh head", async () => {
  await ready;
  const model = fixtureModel();
  const dir = tmpDir();
  model.savePretrained(dir);
  const back = BertForMaskedLM.fromPretrained(dir, { quiet: true });
  for (const [k, v] of model.params) assert.equal(maxAbsDiff(values(v), values(back.params.get(k)!)), 0, k);
  assert.throws(() => BertForSequenceClassification.fromPretrained(dir, { quiet: true }), /holds a BertForMaskedLM; to fine-tune it for classification pass the labels/);
  const clf = BertForSequenceClassification.fromPretrained(dir, { quiet: true, config: labelMaps(["a", "b", "c"]) });
  assert.equal(clf.numLabels, 3);
  assert.deepEqual(clf.config.architectures, ["BertForSequenceClassification"]);
  for (const [k, v] of clf.params) {
    if (k.startsWith("bert.encoder") || k.startsWith("bert.embeddings")) assert.equal(maxAbsDiff(values(v), values(model.params.get(k)!)), 0, k);
  }
  assert.ok(clf.params.has("classifier.weight") && !clf.params.has("cls.predictions.bias"));
  [model, back, clf].forEach((m) => m.dispose());
});

test("DataCollatorForLanguageModeling: 15% of ordinary tokens, 80/10/10 replacement, specials never chosen, labels are the originals", async () => {
  await ready;
  const special = [0, 1, 2, 3, 4];
  const c = new DataCollatorForLanguageModeling({ kind: "mlm", padTokenId: 0, maskTokenId: 4, vocabSize: 50, specialIds: special });
  const rng = new Random(5);
  const rows: EncodedRow[] = Array.from({ length: 400 }, () => ({ input_ids: [2, ...Array.from({ length: 3 + rng.int(20) }, () => 5 + rng.int(45)), 3], label: 0 }));
  const batch = c.call(rows, new Random(9));
  const ids = batch.input_ids.dataSync();
  const positions = Array.from(batch.masked_positions!.dataSync());
  const labels = Array.from(batch.labels.dataSync());
  const len = batch.input_ids.shape[1];
  const original = (at: number) => rows[Math.floor(at / len)].input_ids[at % len];
  const ordinary = rows.reduce((a, r) => a + r.input_ids.length - 2, 0);
  assert.ok(Math.abs(positions.length / ordinary - 0.15) < 0.02, `${positions.length / ordinary}`);
  positions.forEach((at, i) => {
    assert.ok(!special.includes(original(at)), "a special token was chosen");
    assert.equal(labels[i], original(at));
  });
  const asMask = positions.filter((at) => ids[at] === 4).length / positions.length;
  const kept = positions.filter((at) => ids[at] === original(at)).length / positions.length;
  assert.ok(Math.abs(asMask - 0.8) < 0.04 && kept > 0.06 && kept < 0.16, `mask ${asMask}, kept ${kept}`);
  // Evaluation batches (no generator) are masked from a fixed seed: the same positions each time, other than a training generator's.
  const positionsOf = (rng?: Random) => Array.from(c.call(rows.slice(0, 5), rng).masked_positions!.dataSync());
  assert.deepEqual(positionsOf(), positionsOf());
  assert.deepEqual(positionsOf(), positionsOf(new Random(0)), "the evaluation seed is evalSeed (0)");
  assert.notDeepEqual(positionsOf(new Random(1)), positionsOf());
  // A tiny batch still gets one position.
  assert.equal(c.call([{ input_ids: [2, 7, 3], label: 0 }], new Random(1)).masked_positions!.size, 1);
  assert.throws(() => c.call([{ input_ids: [2, 3], label: 0 }]), /no ordinary tokens/);
  assert.throws(() => new DataCollatorForLanguageModeling({ kind: "mlm", padTokenId: 0, maskTokenId: 4, vocabSize: 50, specialIds: special, mlmProbability: 1.5 }), /mlmProbability must be in \(0, 1\)/);
});

test("masked-LM pretraining with the Trainer lowers the validation loss, in one thread and with workers", async () => {
  await ready;
  const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")]);
  const rng = new Random(3);
  // A language with structure: each row repeats a short random motif, so masked tokens are predictable.
  const rows: EncodedRow[] = Array.from({ length: 96 }, () => {
    const motif = Array.from({ length: 3 }, () => 5 + rng.int(8));
    return { input_ids: [2, ...motif, ...motif, ...motif, 3], label: 0 };
  });
  const ds = (r: EncodedRow[]) => new Dataset(r, { intent: new ClassLabel(["x"]) });
  for (const workers of [1, 2]) {
    const model = BertForMaskedLM.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 16 }, { seed: 1 });
    const collator = new DataCollatorForLanguageModeling({ kind: "mlm", padTokenId: 0, maskTokenId: tokenizer.maskTokenId, vocabSize: tokenizer.vocabSize, specialIds: [0, 1, 2, 3, 4], mlmProbability: 0.2 });
    const trainer = new Trainer({ model, tokenizer, dataCollator: collator, trainDataset: ds(rows.slice(0, 80)), evalDataset: ds(rows.slice(80)), args: { outputDir: tmpDir(), numTrainEpochs: 12, perDeviceTrainBatchSize: 16, learningRate: 3e-3, evaluationStrategy: "no", dataParallelWorkers: workers } });
    const before = await trainer.evaluate();
    const lines: string[] = [];
    const sink = setLogSink({ out: (l) => lines.push(l), err: (l) => lines.push(l) });
    try {
      await trainer.train();
    } finally {
      setLogSink(sink);
    }
    assert.equal(lines.some((l) => l.startsWith("Data-parallel training on 2 threads")), workers === 2, lines.filter((l) => !l.startsWith("|")).join("\n"));
    const after = await trainer.evaluate();
    assert.ok(after.evalLoss < before.evalLoss * 0.8, `${workers} thread(s): eval loss ${before.evalLoss} → ${after.evalLoss}`);
    assert.ok(after.evalAccuracy > before.evalAccuracy, `masked-token accuracy ${before.evalAccuracy} → ${after.evalAccuracy}`);
    model.dispose();
  }
});

test("fine-tuning a masked-LM folder is the one expected head swap: a warning names the new head; anything else missing is still an error", async () => {
  await ready;
  const model = fixtureModel();
  const dir = tmpDir();
  model.savePretrained(dir);
  const lines: string[] = [];
  const prev = setLogSink({ out: () => {}, err: (l) => lines.push(l) });
  let clf: BertForSequenceClassification;
  try {
    clf = BertForSequenceClassification.fromPretrained(dir, { config: labelMaps(["a", "b"]) });
  } finally {
    setLogSink(prev);
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^BertForSequenceClassification from .*model.safetensors: bert.pooler.dense.weight, bert.pooler.dense.bias, classifier.weight, classifier.bias are newly initialized and 5 weights of its other head are unused \(cls.predictions.bias, cls.predictions.transform.LayerNorm.bias, cls.predictions.transform.LayerNorm.weight, …\)\. Train this model before using its predictions\.$/);
  clf.dispose();
  // An encoder weight missing from the masked-LM folder is not part of the swap.
  const { tensors } = readSafetensors(path.join(dir, "model.safetensors"));
  tensors.delete("bert.encoder.layer.0.output.dense.bias");
  writeSafetensors(path.join(dir, "model.safetensors"), tensors);
  assert.throws(() => BertForSequenceClassification.fromPretrained(dir, { quiet: true, config: labelMaps(["a", "b"]) }), /1 of the model's parameters are missing from it \(first: bert.encoder.layer.0.output.dense.bias\)/);
  assert.throws(() => BertForMaskedLM.fromPretrained(dir), /missing from it \(first: bert.encoder.layer.0.output.dense.bias\)/);
  model.dispose();
});
