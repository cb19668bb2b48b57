import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir, maxAbsDiff, values } from "../helpers/setup";
import { BertTokenizer } from "../../lib/tokenizers";
import { BertForSequenceClassification, labelMaps, writeSafetensors, readSafetensors } from "../../lib/models";
import { ClassLabel, Dataset } from "../../lib/data";
import type { IntentRow } from "../../lib/data";
import { pipeline } from "../../lib/pipelines";
import { PerformanceBenchmark } from "../../lib/benchmark";
import { AdamW } from "../../lib/training";
import { setLogLevel } from "../../lib/utils/log";
import { SparseAdamW, predictBagOfWords, trainBagOfWordsClassifier } from "../../lib/baseline";
import { trainBagOfWords } from "../../lib/workbook/baselineRecipe";
import { murmurHash3Pair } from "../../lib/models";
import { murmurHash3 } from "../../lib/models";
import { compactRows } from "../../lib/models";
import { bigramBucket } from "../../lib/models";
import { bagOfWordsConfig } from "../../lib/models";
import { BagOfWordsFeaturizer } from "../../lib/models";
import { BagOfWordsClassifier } from "../../lib/models";

setLogLevel("warn");

// ids: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then words from 5.
const WORDS = ["what", "is", "the", "pin", "number", "for", "my", "account", "rent", "a", "car", "van", "hello", "there", "how", "are", "you", "weather", "today", "rain"];
const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...WORDS], { modelMaxLength: 16 });
const id = (w: string) => tokenizer.tokenToId(w);
const IGNORED = [0, 2, 3, 4];
const LABELS = ["pin", "car_rental", "greeting", "weather"];
const settings = (numBuckets = 64) => ({ vocabSize: tokenizer.vocabSize, numBuckets, ignoredTokenIds: IGNORED, sublinearTf: true });

test("MurmurHash3_x86_32 matches the published test vectors; the pair hash equals hashing 8 little-endian bytes", () => {
  const bytes = (b: number[]) => Uint8Array.from(b);
  const text = (s: string) => new TextEncoder().encode(s);
  const vectors: [Uint8Array, number, number][] = [
    [bytes([]), 0, 0],
    [bytes([]), 1, 0x514e28b7],
    [bytes([]), 0xffffffff, 0x81f16f39],
    [bytes([0xff, 0xff, 0xff, 0xff]), 0, 0x76293b50],
    [bytes([0x21, 0x43, 0x65, 0x87]), 0, 0xf55b516b],
    [bytes([0x21, 0x43, 0x65, 0x87]), 0x5082edee, 0x2362f9de],
    [bytes([0x21, 0x43, 0x65]), 0, 0x7e4a8634],
    [bytes([0x21, 0x43]), 0, 0xa0f7b07a],
    [bytes([0x21]), 0, 0x72661cf4],
    [bytes([0, 0, 0, 0]), 0, 0x2362f9de],
    [bytes([0, 0, 0]), 0, 0x85f0b427],
    [text("Hello, world!"), 0x9747b28c, 0x24884cba],
    [text("The quick brown fox jumps over the lazy dog"), 0x9747b28c, 0x2fa826cd],
  ];
  for (const [b, seed, expected] of vectors) assert.equal(murmurHash3(b, seed), expected, `${[...b]} seed ${seed}`);
  for (const [a, b] of [[0, 0], [2129, 2052], [7311, 5], [30521, 30521]]) {
    const buf = new Uint8Array(8);
    new DataView(buf.buffer).setUint32(0, a, true);
    new DataView(buf.buffer).setUint32(4, b, true);
    assert.equal(murmurHash3Pair(a, b), murmurHash3(buf, 0));
  }
  // Stable across runs and machines: pinned values (Python: mmh3.hash(struct.pack("<II", a, b), 0, signed=False) % n).
  assert.equal(murmurHash3Pair(2129, 2052), 826117607);
  assert.equal(bigramBucket(2129, 2052, 8192), 826117607 % 8192);
  assert.notEqual(bigramBucket(8, 9, 1 << 20), bigramBucket(9, 8, 1 << 20), "a bigram is ordered");
});

test("features: unigram counts and hashed bigrams; padding, [CLS], [SEP] and [MASK] are ignored and break bigrams", () => {
  const f = new BagOfWordsFeaturizer(settings(), new Float32Array(tokenizer.vocabSize + 64).fill(1));
  const V = tokenizer.vocabSize;
  const [what, is, pin] = [id("what"), id("is"), id("pin")];
  const counts = f.counts([2, what, is, pin, pin, 3, 0, 0]);
  const expected = new Map<number, number>([[what, 1], [is, 1], [pin, 2]]);
  for (const [a, b] of [[what, is], [is, pin], [pin, pin]]) {
    const k = V + bigramBucket(a, b, 64);
    expected.set(k, (expected.get(k) ?? 0) + 1);
  }
  assert.deepEqual(new Map([...counts].sort((x, y) => x[0] - y[0])), new Map([...expected].sort((x, y) => x[0] - y[0])));
  // [MASK] is skipped and no bigram spans it; a position with mask 0 is skipped whatever its id.
  const masked = f.counts([2, what, 4, pin, 3]);
  assert.deepEqual([...masked.keys()].sort((a, b) => a - b), [what, pin].sort((a, b) => a - b));
  assert.deepEqual(f.counts([2, what, is, 3, pin], [1, 1, 1, 1, 0]), f.counts([2, what, is, 3]));
  // Unigrams only.
  const uni = new BagOfWordsFeaturizer(settings(0), new Float32Array(V).fill(1));
  assert.deepEqual([...uni.counts([2, what, is, is, 3]).entries()], [[what, 1], [is, 2]]);
  // Bad ids and shapes are named.
  assert.throws(() => f.counts([2, 99, 3], undefined, "row 4"), /token id 99 at position 1 of row 4 is outside the vocabulary \[0, 25\) \(were the ids made by another tokenizer\?\)/);
  assert.throws(() => f.counts([2, what, 3], [1, 1]), /has 3 ids but 2 mask values/);
  assert.throws(() => new BagOfWordsFeaturizer(settings(), new Float32Array(3)), /the IDF vector has 3 values, the settings need 89 \(vocabSize 25 \+ numBuckets 64\)/);
  assert.throws(() => new BagOfWordsFeaturizer({ ...settings(), ignoredTokenIds: [40] }, new Float32Array(89)), /ignored token id 40 is outside the vocabulary \[0, 25\)/);
  assert.throws(() => new BagOfWordsFeaturizer({ ...settings(), numBuckets: -1 }, new Float32Array(24)), /numBuckets must be an integer >= 0, got -1/);
});

test("features: IDF fitted on a toy corpus equals the hand computation; TF-IDF rows are sublinear and L2-normalised", () => {
  const [a, b, c, d] = [id("pin"), id("car"), id("van"), id("rain")];
  const docs = [[2, a, b, 3], [2, a, c, 3], [2, a, 3]];
  const f = BagOfWordsFeaturizer.fit(docs, settings(0));
  // smooth idf: ln((1 + n) / (1 + df)) + 1 with n = 3; unseen features 0.
  const idf = (df: number) => Math.log(4 / (1 + df)) + 1;
  assert.ok(Math.abs(f.idf[a] - idf(3)) < 1e-6 && Math.abs(f.idf[a] - 1) < 1e-6);
  assert.ok(Math.abs(f.idf[b] - idf(1)) < 1e-6);
  assert.ok(Math.abs(f.idf[c] - (1 + Math.log(2))) < 1e-6);
  assert.equal(f.idf[d], 0);
  assert.equal(f.idf[2], 0, "[CLS] is never a feature");
  // [a, b, b, d]: tf(a) = 1, tf(b) = 1 + ln 2 (sublinear), d unseen → dropped; then L2.
  const row = f.transform([2, a, b, b, d, 3]);
  assert.deepEqual([...row.indices], [a, b].sort((x, y) => x - y));
  const va = 1 * idf(3);
  const vb = (1 + Math.log(2)) * idf(1);
  const norm = Math.hypot(va, vb);
  const got = new Map([...row.indices].map((k, i) => [k, row.values[i]]));
  assert.ok(Math.abs(got.get(a)! - va / norm) < 1e-6);
  assert.ok(Math.abs(got.get(b)! - vb / norm) < 1e-6);
  // Raw tf when sublinear is off; a row of unseen words is all zeros.
  const raw = new BagOfWordsFeaturizer({ ...settings(0), sublinearTf: false }, f.idf).transform([2, b, b, 3]);
  assert.deepEqual([...raw.values], [1]);
  assert.equal(f.transform([2, d, 3]).indices.length, 0);
  // Bigram document frequencies land in their buckets.
  const g = BagOfWordsFeaturizer.fit(docs, settings(64));
  assert.ok(Math.abs(g.idf[tokenizer.vocabSize + bigramBucket(a, b, 64)] - idf(1)) < 1e-6 || bigramBucket(a, b, 64) === bigramBucket(a, c, 64));
  assert.throws(() => BagOfWordsFeaturizer.fit([], settings()), /no documents to fit the IDF on/);
});

test("compactRows: the features a batch uses, as a dense matrix; an empty batch keeps one zero column", () => {
  const c = compactRows([
    { indices: Int32Array.of(3, 9), values: Float32Array.of(0.6, 0.8) },
    { indices: Int32Array.of(9, 12), values: Float32Array.of(1, 2) },
  ]);
  assert.deepEqual([...c.features], [3, 9, 12]);
  assert.deepEqual([...c.matrix], [0.6, 0.8, 0, 0, 1, 2].map((v) => Math.fround(v)));
  const empty = compactRows([{ indices: new Int32Array(0), values: new Float32Array(0) }]);
  assert.deepEqual([...empty.features], [0]);
  assert.deepEqual([...empty.matrix], [0]);
});

// A toy intent set: each label has its own words.
const TOY: [string, string][] = [
  ["what is the pin number", "pin"], ["what is my pin", "pin"], ["the pin for my account", "pin"], ["my account pin number", "pin"], ["pin number for account", "pin"],
  ["rent a car", "car_rental"], ["rent a van", "car_rental"], ["a car to rent", "car_rental"], ["how to rent a car", "car_rental"], ["rent my van", "car_rental"],
  ["hello there", "greeting"], ["hello how are you", "greeting"], ["how are you", "greeting"], ["hello you", "greeting"], ["are you there", "greeting"],
  ["weather today", "weather"], ["rain today", "weather"], ["is there rain", "weather"], ["the weather today", "weather"], ["what is the weather", "weather"],
];
const encodeToy = (rows: [string, string][]) => rows.map(([t, l]) => ({ input_ids: tokenizer.encode(t).input_ids, label: LABELS.indexOf(l) }));

function tinyModel(hidden = 8, seed = 1): BagOfWordsClassifier {
  const train = encodeToy(TOY);
  const f = BagOfWordsFeaturizer.fit(train.map((e) => e.input_ids), settings(32));
  return BagOfWordsClassifier.fromConfig({ vocab_size: tokenizer.vocabSize, ignored_token_ids: IGNORED, num_buckets: 32, hidden_size: hidden, dropout: 0.1, max_length: 16, ...labelMaps(LABELS) }, f.idf, { seed });
}

function batchOf(texts: string[]) {
  const enc = tokenizer.call(texts, { padding: "longest" });
  return { input_ids: tf.tensor2d(enc.input_ids, undefined, "int32") as tf.Tensor2D, attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") as tf.Tensor2D };
}

test("BagOfWordsClassifier learns a toy task (MLP and linear) and keeps its best validation epoch", async () => {
  await ready;
  const train = encodeToy(TOY);
  const heldOut = encodeToy([["my pin number", "pin"], ["rent a car today", "car_rental"], ["hello are you there", "greeting"], ["rain today", "weather"]]);
  for (const hidden of [16, 0]) {
    const model = tinyModel(hidden);
    const out = trainBagOfWordsClassifier(model, train, heldOut, { numTrainEpochs: 30, learningRate: 0.05, batchSize: 4, labelSmoothing: 0, earlyStoppingPatience: 0, warmupRatio: 0, seed: 3 });
    assert.equal(out.history.length, 30);
    assert.equal(out.bestValidationAccuracy, 1, `hidden ${hidden}: ${JSON.stringify(out.history.map((h) => h.validationAccuracy))}`);
    assert.ok(out.history.at(-1)!.trainLoss < out.history[0].trainLoss / 4, "the loss falls");
    // The model holds the best epoch's weights: predicting again gives that accuracy.
    const preds = predictBagOfWords(model, heldOut).map((r) => r.indexOf(Math.max(...r)));
    assert.deepEqual(preds, heldOut.map((e) => e.label));
    assert.equal(out.history[out.bestEpoch - 1].validationAccuracy, 1);
    model.dispose();
  }
  // Early stopping: patience 1 stops after the first epoch without progress.
  const model = tinyModel();
  const out = trainBagOfWordsClassifier(model, train, heldOut, { numTrainEpochs: 50, learningRate: 0.05, batchSize: 4, earlyStoppingPatience: 1, seed: 3 });
  assert.ok(out.stoppedEarly && out.history.length < 50 && out.history.length === out.bestEpoch + 1);
  assert.throws(() => trainBagOfWordsClassifier(model, train, heldOut, { epochs: 3 } as any), /unknown field "epochs"/);
  assert.throws(() => trainBagOfWordsClassifier(model, train, heldOut, { learningRate: -1 }), /learningRate must be a positive number, got -1/);
  assert.throws(() => trainBagOfWordsClassifier(model, [{ input_ids: [2, 5, 3], label: 7 }], heldOut), /train row 0 has label 7, outside the model's 4 labels/);
  model.dispose();
});

test("SparseAdamW equals AdamW on the rows it updates, and leaves the other rows alone", async () => {
  await ready;
  const rows = 5, width = 3;
  const init = Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i + 1));
  const table = init.slice();
  const sparse = new SparseAdamW(table, width, { weightDecay: 0.1 });
  const dense = tf.variable(tf.tensor2d(init, [rows, width]));
  const adam = new AdamW(new Map([["t", dense]]), { weightDecay: 0.1, noDecay: () => false });
  for (let step = 0; step < 4; step++) {
    const g = Float32Array.from({ length: rows * width }, (_, i) => Math.cos(i * (step + 2)));
    sparse.step([0, 1, 2, 3, 4], g, 0.01 * (step + 1));
    tf.tidy(() => adam.applyGradients(new Map([["t", tf.tensor2d(g, [rows, width])]]), 0.01 * (step + 1)));
  }
  assert.ok(maxAbsDiff(table, values(dense)) < 1e-6, `${maxAbsDiff(table, values(dense))}`);
  const lazy = new SparseAdamW(init.slice(), width);
  lazy.step([3, 1], new Float32Array(2 * width).fill(1), 0.1);
  for (const r of [0, 2, 4]) assert.deepEqual([...lazy.table.subarray(r * width, (r + 1) * width)], [...init.subarray(r * width, (r + 1) * width)]);
  assert.ok(lazy.table[3 * width] < init[3 * width]);
  assert.throws(() => lazy.step([9], new Float32Array(width), 0.1), /row 9 is outside the table's 5 rows/);
  assert.throws(() => lazy.step([1], new Float32Array(2), 0.1), /2 gradient values for 1 rows of width 3/);
  adam.dispose();
  dense.dispose();
});

test("call() takes padded int32 batches: padding and batching do not change a row's logits; bad inputs are named", async () => {
  await ready;
  const model = tinyModel();
  const texts = ["what is the pin number for my account", "rent a van", "hello"];
  const batch = batchOf(texts);
  const together = tf.tidy(() => model.call(batch).logits);
  assert.deepEqual(together.shape, [3, 4]);
  texts.forEach((t, i) => {
    const one = batchOf([t]);
    const alone = tf.tidy(() => model.call(one).logits);
    assert.ok(maxAbsDiff(values(alone), values(together).slice(i * 4, (i + 1) * 4)) < 1e-6);
    tf.dispose([alone, ...Object.values(one)]);
  });
  // Without a mask, [PAD] ids are ignored anyway.
  const noMask = tf.tidy(() => model.call({ input_ids: batch.input_ids }).logits);
  assert.ok(maxAbsDiff(values(noMask), values(together)) < 1e-6);
  assert.throws(() => model.call({ input_ids: tf.tensor2d([[2, 5, 3]], undefined, "float32") as tf.Tensor2D }), /input_ids must be int32, got float32/);
  assert.throws(() => model.call({ input_ids: tf.tensor2d([[2, 5, 3]], undefined, "int32") as tf.Tensor2D, attention_mask: tf.tensor2d([[1, 1]], undefined, "int32") as tf.Tensor2D }), /attention_mask has shape \[1,2\] but input_ids has \[1,3\]/);
  assert.throws(() => model.call({ input_ids: tf.tensor2d([[2, 500, 3]], undefined, "int32") as tf.Tensor2D }), /token id 500 at position 1 of row 0 is outside the vocabulary \[0, 25\)/);
  tf.dispose([together, noMask, ...Object.values(batch)]);
  model.dispose();
});

test("save → load is a round trip (identical logits); wrong folders, missing files and shape mismatches are clear errors", async () => {
  await ready;
  for (const hidden of [8, 0]) {
    const model = tinyModel(hidden, 5);
    const dir = tmpDir();
    model.savePretrained(dir);
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    assert.equal(config.model_type, "bag-of-words");
    assert.equal(config.num_features, tokenizer.vocabSize + 32);
    assert.deepEqual(config.id2label, labelMaps(LABELS).id2label);
    const names = [...readSafetensors(path.join(dir, "model.safetensors")).tensors.keys()].sort();
    assert.deepEqual(names, hidden ? ["bag.bias", "bag.weight", "classifier.bias", "classifier.weight", "idf"] : ["bag.bias", "bag.weight", "idf"]);
    const loaded = BagOfWordsClassifier.fromPretrained(dir);
    const batch = batchOf(["what is the pin number", "rent a car", "rain"]);
    const [a, b] = tf.tidy(() => [model.call(batch).logits, loaded.call(batch).logits]);
    assert.equal(maxAbsDiff(values(a), values(b)), 0);
    assert.deepEqual([...loaded.featurizer.idf], [...model.featurizer.idf]);
    tf.dispose([a, b, ...Object.values(batch)]);
    loaded.dispose();
    model.dispose();
  }
  const model = tinyModel();
  const dir = tmpDir();
  model.savePretrained(dir);
  // Another model type.
  const bertDir = tmpDir();
  const bert = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 16, ...labelMaps(LABELS) });
  bert.savePretrained(bertDir);
  assert.throws(() => BagOfWordsClassifier.fromPretrained(bertDir), /holds a "bert" model, not "bag-of-words" \(load it with AutoModelForSequenceClassification\)/);
  // Missing folder and files.
  assert.throws(() => BagOfWordsClassifier.fromPretrained(path.join(dir, "nope")), /model folder not found/);
  const noWeights = tmpDir();
  fs.copyFileSync(path.join(dir, "config.json"), path.join(noWeights, "config.json"));
  assert.throws(() => BagOfWordsClassifier.fromPretrained(noWeights), /model.safetensors is missing \(the folder has config.json but no weights\)/);
  assert.throws(() => BagOfWordsClassifier.fromPretrained(tmpDir()), /Model config not found/);
  // Shape mismatch, a missing tensor, an unexpected one.
  const { tensors } = readSafetensors(path.join(dir, "model.safetensors"));
  const rewrite = (edit: (t: Map<string, any>) => void) => {
    const d = tmpDir();
    fs.copyFileSync(path.join(dir, "config.json"), path.join(d, "config.json"));
    const copy = new Map(tensors);
    edit(copy);
    writeSafetensors(path.join(d, "model.safetensors"), copy);
    return d;
  };
  assert.throws(() => BagOfWordsClassifier.fromPretrained(rewrite((t) => t.set("bag.bias", { dtype: "F32", shape: [5], data: new Float32Array(5) }))), /"bag.bias" in .* has shape \[5\] but the config needs \[8\]/);
  assert.throws(() => BagOfWordsClassifier.fromPretrained(rewrite((t) => t.set("idf", { dtype: "F32", shape: [3], data: new Float32Array(3) }))), /"idf" in .* has shape \[3\] but the config needs \[57\]/);
  assert.throws(() => BagOfWordsClassifier.fromPretrained(rewrite((t) => t.delete("classifier.bias"))), /lacks the tensor "classifier.bias"/);
  assert.throws(() => BagOfWordsClassifier.fromPretrained(rewrite((t) => t.set("extra", { dtype: "F32", shape: [1], data: new Float32Array(1) }))), /unexpected tensor "extra"/);
  // Config validation.
  assert.throws(() => bagOfWordsConfig({ vocab_size: 10, ignored_token_ids: [0], hidden: 3, ...labelMaps(LABELS) } as any), /unknown field "hidden"/);
  assert.throws(() => bagOfWordsConfig({ vocab_size: 10, ignored_token_ids: [0], dropout: 1, ...labelMaps(LABELS) }), /dropout must be in \[0, 1\), got 1/);
  assert.throws(() => bagOfWordsConfig({ vocab_size: 10, ignored_token_ids: [12], ...labelMaps(LABELS) }), /ignored_token_ids must be token ids in \[0, 10\), got \[12\]/);
  bert.dispose();
  model.dispose();
});

test("pipeline and PerformanceBenchmark run the bag-of-words model; size is its model.safetensors", async () => {
  await ready;
  const model = tinyModel();
  trainBagOfWordsClassifier(model, encodeToy(TOY), encodeToy(TOY), { numTrainEpochs: 20, learningRate: 0.05, batchSize: 4, seed: 1 });
  const pipe = pipeline("text-classification", model, { tokenizer });
  assert.equal(pipe.options.maxLength, 16);
  const one = await pipe("what is the pin number for my account");
  assert.equal(one[0].label, "pin");
  const many = await pipe(["rent a car", "hello there", "rain today"], { batchSize: 2 });
  assert.deepEqual(many.map((r) => r[0].label), ["car_rental", "greeting", "weather"]);
  const top = await pipe("rent a van", { topK: 4 });
  assert.ok(Math.abs(top.reduce((s, r) => s + r.score, 0) - 1) < 1e-5);
  const intent = new ClassLabel(LABELS);
  const ds = new Dataset<IntentRow>(TOY.map(([text, l]) => ({ text, intent: intent.str2int(l) })), { intent });
  const pb = new PerformanceBenchmark(pipe, ds, "Bag-of-words baseline", { warmupRuns: 1, timedRuns: 3, verbose: false });
  const metrics = await pb.runBenchmark();
  const row = metrics["Bag-of-words baseline"];
  assert.equal(row.accuracy, 1);
  const dir = tmpDir();
  model.savePretrained(dir);
  assert.equal(row.sizeMb, fs.statSync(path.join(dir, "model.safetensors")).size / (1024 * 1024));
  assert.ok(row.timeAvgMs > 0 && Number.isFinite(row.timeStdMs));
  pipe.dispose();
});

test("no tensor leaks over repeated calls, predictions and training", async () => {
  await ready;
  const model = tinyModel();
  const batch = batchOf(["what is the pin number", "rent a car"]);
  const run = () => {
    tf.tidy(() => {
      model.call(batch);
    });
    model.call(batch).logits.dispose();
    predictBagOfWords(model, encodeToy(TOY.slice(0, 3)));
  };
  run();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) run();
  assert.equal(tf.memory().numTensors, before);
  trainBagOfWordsClassifier(model, encodeToy(TOY), encodeToy(TOY), { numTrainEpochs: 2, batchSize: 4, seed: 1 });
  assert.equal(tf.memory().numTensors, before);
  tf.dispose(Object.values(batch));
  model.dispose();
});

test("trainBagOfWords: the recipe trains on a dataset's splits and writes config, weights, tokenizer and training report", async () => {
  await ready;
  const intent = new ClassLabel([...LABELS, "oos"]);
  const split = (rows: [string, string][]) => new Dataset<IntentRow>(rows.map(([text, l]) => ({ text, intent: intent.str2int(l) })), { intent });
  const dataset = {
    train: split([...TOY, ["car weather hello", "oos"]]),
    validation: split([["my pin number", "pin"], ["rent a car today", "car_rental"], ["hello are you there", "greeting"], ["rain today", "weather"]]),
    test: split([["pin for my account", "pin"], ["rent a van today", "car_rental"], ["you there", "greeting"], ["weather", "weather"], ["rain car hello", "oos"]]),
  };
  const out = tmpDir();
  const result = await trainBagOfWords({ seed: 7, dataset, tokenizer, out, numBuckets: 32, hiddenSize: 16, numTrainEpochs: 25, learningRate: 0.05, batchSize: 4, earlyStoppingPatience: 0, oosOversample: 3 });
  for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "training_report.json"]) assert.ok(fs.existsSync(path.join(out, f)), f);
  const report = JSON.parse(fs.readFileSync(path.join(out, "training_report.json"), "utf8"));
  assert.equal(report.recipe.seed, 7);
  assert.equal(report.recipe.hiddenSize, 16);
  assert.equal(report.trainRows, TOY.length + 3, "oos rows repeated 3 times");
  assert.equal(report.history.length, 25);
  assert.equal(report.bestValidationAccuracy, Math.max(...report.history.map((h: any) => h.validationAccuracy)));
  assert.deepEqual(report.test, result.test);
  assert.equal(result.test.n, 5);
  assert.equal(result.validationAccuracy, 1);
  // The folder reloads with its tokenizer and gives the same test predictions.
  const loaded = BagOfWordsClassifier.fromPretrained(out);
  const tok = BertTokenizer.fromPretrained(out);
  assert.deepEqual(tok.vocab, tokenizer.vocab);
  const texts = dataset.test.column("text");
  const p1 = await pipeline("text-classification", loaded, { tokenizer: tok })(texts);
  const p2 = await pipeline("text-classification", result.model, { tokenizer })(texts);
  assert.deepEqual(p1, p2);
  assert.equal(p1.filter((p, i) => intent.str2int(p[0].label) === dataset.test.rows[i].intent).length / 5, result.test.accuracy);
  await assert.rejects(trainBagOfWords({ dataset, tokenizer, out } as any), /options.seed must be a finite number, got undefined/);
  await assert.rejects(trainBagOfWords({ seed: 1, dataset, tokenizer, out, hidden: 3 } as any), /unknown option "hidden"/);
  loaded.dispose();
  result.model.dispose();
});
