// The wide part of a wide-and-deep student (lib/models/wideNgrams.ts): the
// n-gram buckets, the logits against a plain computation, the folder round
// trip, the config checks, the steps that refuse it, and that it learns what
// only bigrams can tell apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, ready, tmpDir } from "../helpers/setup";
import { LABELS, tokenizer } from "../helpers/tinyModels";
import { BertForSequenceClassification, DistilBertForSequenceClassification, labelMaps } from "../../lib/models";
import { bigramBucket, ngramBuckets, unigramBucket } from "../../lib/models/wideNgrams";
import { exportToOnnx } from "../../lib/onnx";
import { quantizeDynamicModel } from "../../lib/quantization";
import { pruneVocabulary } from "../../lib/pruning";

const WIDE = { wide_ngram_buckets: 16, wide_dim: 4 };
const tiny = (extra: Record<string, unknown> = WIDE, seed = 4) =>
  DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 32, max_position_embeddings: 12, ...labelMaps(LABELS), ...extra }, { seed });

test("ngramBuckets: the unigrams and bigrams of the attended tokens, each weighing 1/count; padding weighs 0", () => {
  const B = 16;
  const { index, weight, width } = ngramBuckets(Int32Array.from([2, 7, 3, 0]), Int32Array.from([1, 1, 1, 0]), 1, 4, B);
  assert.equal(width, 7);
  assert.deepEqual([...index.slice(0, 3)], [(2 * 7919) % B, (7 * 7919) % B, (3 * 7919) % B]);
  assert.deepEqual([...index.slice(4, 6)], [(2 * 31337 + 7 * 7919 + 104729) % B, (7 * 31337 + 3 * 7919 + 104729) % B]);
  assert.deepEqual([...weight].map((w) => +w.toFixed(6)), [0.2, 0.2, 0.2, 0, 0.2, 0.2, 0]);
  assert.equal(unigramBucket(7, B), index[1]);
  assert.equal(bigramBucket(7, 3, B), index[5]);
  // Order matters to bigrams, not to unigrams.
  assert.notEqual(bigramBucket(5, 6, 2048), bigramBucket(6, 5, 2048));
  // Without a mask every token counts; the largest ids stay exact integers.
  const all = ngramBuckets(Int32Array.from([30521, 30520]), undefined, 1, 2, 2048);
  assert.ok([...all.index].every((i) => Number.isInteger(i) && i >= 0 && i < 2048));
  assert.deepEqual([...all.weight].map((w) => +w.toFixed(6)), [0.333333, 0.333333, 0.333333]);
});

test("a wide-and-deep DistilBERT's logits are the deep model's plus the wide classifier on the mean n-gram row", async () => {
  await ready;
  const wide = tiny();
  const deep = tiny({});
  deep.loadStateDict(wide.stateDict(), { unusedWeights: (k) => k.startsWith("wide."), quiet: true });
  const ids = [[2, 5, 6, 7, 3], [2, 8, 3, 0, 0]];
  const maskRows = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]];
  const input_ids = tf.tensor2d(ids, undefined, "int32");
  const attention_mask = tf.tensor2d(maskRows, undefined, "int32");
  const got = wide.call({ input_ids, attention_mask }, { outputPooledOutput: true });
  const base = deep.call({ input_ids, attention_mask }, { outputPooledOutput: true });
  const table = wide.params.get("wide.embeddings.weight")!.arraySync() as number[][];
  const w = wide.params.get("wide.classifier.weight")!.arraySync() as number[][]; // [in, out]
  const b = wide.params.get("wide.classifier.bias")!.arraySync() as number[];
  const baseLogits = base.logits.arraySync();
  const expected = ids.map((row, r) => {
    const kept = row.filter((_, j) => maskRows[r][j] === 1);
    const grams = [...kept.map((t) => (t * 7919) % 16), ...kept.slice(1).map((t, j) => (kept[j] * 31337 + t * 7919 + 104729) % 16)];
    const mean = [0, 1, 2, 3].map((d) => grams.reduce((s, g) => s + table[g][d], 0) / grams.length);
    return b.map((bias, o) => baseLogits[r][o] + bias + mean.reduce((s, x, d) => s + x * w[d][o], 0));
  });
  assert.ok(maxAbsDiff(got.logits.dataSync(), expected.flat()) < 1e-5, "logits");
  assert.ok(maxAbsDiff(got.pooledOutput!.dataSync(), base.pooledOutput!.dataSync()) < 1e-6, "the pooled features are the deep part's");
  assert.equal(wide.numParameters() - deep.numParameters(), 16 * 4 + 4 * 3 + 3);

  // The folder round trip keeps the wide part and its config.
  const dir = tmpDir();
  wide.savePretrained(dir);
  const loaded = DistilBertForSequenceClassification.fromPretrained(dir);
  assert.equal(loaded.config.wide_ngram_buckets, 16);
  assert.ok(maxAbsDiff(loaded.call({ input_ids, attention_mask }).logits.dataSync(), got.logits.dataSync()) < 1e-6);
  // A folder without the wide weights is an error, as any missing weight.
  deep.savePretrained(dir + "-deep");
  const fs = await import("node:fs");
  const config = JSON.parse(fs.readFileSync(`${dir}-deep/config.json`, "utf8"));
  fs.writeFileSync(`${dir}-deep/config.json`, JSON.stringify({ ...config, ...WIDE }));
  assert.throws(() => DistilBertForSequenceClassification.fromPretrained(`${dir}-deep`), /3 of the model's parameters are missing from it \(first: wide\.embeddings\.weight/);
  for (const m of [wide, deep, loaded]) m.dispose();
});

test("the wide part's config must name both sizes as positive integers, on a DistilBERT model", () => {
  assert.throws(() => tiny({ wide_ngram_buckets: 16 }), /wide_ngram_buckets and wide_dim must both be positive integers \(or both absent\), got 16 and undefined/);
  assert.throws(() => tiny({ wide_ngram_buckets: 0, wide_dim: 4 }), /must both be positive integers.*got 0 and 4/);
  assert.throws(() => tiny({ wide_ngram_buckets: 16, wide_dim: 2.5 }), /got 16 and 2\.5/);
  assert.throws(() => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 12, ...labelMaps(LABELS), ...WIDE }), /only DistilBERT models have a wide n-gram part \(a BERT model would ignore them\)/);
});

test("ONNX export, dynamic quantization and vocabulary pruning refuse a wide part rather than drop it", async () => {
  await ready;
  const model = tiny();
  assert.throws(() => exportToOnnx(model, tmpDir() + "/m.onnx"), /exportToOnnx: the model has a wide n-gram part \(wide_ngram_buckets 16, wide_dim 4\)/);
  assert.throws(() => quantizeDynamicModel(model, ["Linear"], "qint8"), /quantizeDynamicModel: the model has a wide n-gram part/);
  assert.throws(() => pruneVocabulary(model, tokenizer, tokenizer.vocab), /pruneVocabulary: the model has a wide n-gram part/);
  model.dispose();
});

test("the wide part learns what only bigrams tell apart (the deep logits held at zero)", async () => {
  await ready;
  const model = tiny();
  // Deep logits fixed at 0: only the wide part can separate the rows.
  for (const k of ["classifier.weight", "classifier.bias"]) model.params.get(k)!.assign(tf.zerosLike(model.params.get(k)!));
  const wideVars = ["wide.embeddings.weight", "wide.classifier.weight", "wide.classifier.bias"].map((k) => model.params.get(k)!);
  // Same tokens, swapped order: the unigram bags are equal, the bigrams differ.
  const input_ids = tf.tensor2d([[2, 5, 6, 3], [2, 6, 5, 3]], undefined, "int32");
  const labels = tf.tensor1d([0, 1], "int32");
  const loss = () => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 3), model.call({ input_ids }).logits) as tf.Scalar;
  const before = tf.tidy(() => loss().dataSync()[0]);
  const opt = tf.train.adam(0.05);
  for (let i = 0; i < 60; i++) tf.tidy(() => {
    opt.minimize(loss, false, wideVars);
  });
  const after = tf.tidy(() => loss().dataSync()[0]);
  const predicted = tf.tidy(() => Array.from(tf.argMax(model.call({ input_ids }).logits, 1).dataSync()));
  assert.ok(after < before / 10, `loss ${before} → ${after}`);
  assert.deepEqual(predicted, [0, 1]);
  // Unigrams alone cannot do it: the two rows share every unigram bucket.
  const uni = (row: number[]) => row.map((t) => unigramBucket(t, 16)).sort().join();
  assert.equal(uni([2, 5, 6, 3]), uni([2, 6, 5, 3]));
  model.dispose();
});
