// Structured pruning (heads, FFN neurons, vocabulary) and the model support
// it needs: config.pruned_heads, save/load, ONNX export (lib/pruning/structured.ts, vocabulary.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { AutoModelForSequenceClassification, BertForSequenceClassification, DistilBertForSequenceClassification, PreTrainedModel, bertConfig, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { ClassLabel, Dataset } from "../../lib/data";
import { DataCollatorWithPadding, EncodedRow, TensorBatch } from "../../lib/training";
import { crossEntropy } from "../../lib/training/loss";
import { createModelForProvider, exportOnnxFolder } from "../../lib/onnx";
import { OnnxPipeline } from "../../lib/pipelines";
import { pipeline } from "../../lib/pipelines";
import {
  CrossTokenizerDistillationTrainer,
  keptHeads,
  pruneFfnNeurons,
  pruneHeads,
  pruneStructured,
  pruneVocabulary,
  selectHeadsToPrune,
  selectNeuronsToKeep,
  structuredImportance,
  structuredImportanceFromMasks,
  vocabularyToKeep,
} from "../../lib/pruning";
import { Random } from "../../lib/utils/random";

const chars = "abcdefghijklmnopqrstuvwxyz".split("");
const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...chars, ...chars.map((c) => `##${c}`), "pin", "number", "account", "##ing"]);
const labels = labelMaps(["x", "y", "z", "oos"]);
const models: Record<string, () => PreTrainedModel> = {
  bert: () => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, max_position_embeddings: 32, initializer_range: 0.3, ...labels }, { seed: 5 }),
  distilbert: () => DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 2, n_heads: 4, hidden_dim: 24, max_position_embeddings: 32, initializer_range: 0.3, ...labels }, { seed: 6 }),
};
const texts = ["what is the pin number for my account", "accounts", "hello world", "x"];

function batch(tok: BertTokenizer, list: string[]): { input_ids: tf.Tensor2D; attention_mask: tf.Tensor2D } {
  const enc = tok.call(list);
  return { input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") };
}
const logits = (m: PreTrainedModel, tok = tokenizer, list = texts) => values(m.call(batch(tok, list)).logits);

/** Zeroes what a head writes (its rows of the attention-output weight, stored [in, out]) and what a neuron writes (its FFN-output row). */
function silence(model: PreTrainedModel, heads: Record<string, number[]>, neurons: number[][]): void {
  const s = model.spec;
  for (let i = 0; i < s.layers; i++) {
    const n = model.scheme.layer(i);
    const o = model.params.get(`${n.attentionOutput}.weight`)!;
    const oa = o.arraySync() as number[][];
    for (const h of heads[String(i)] ?? []) for (let d = 0; d < s.headDim; d++) oa[h * s.headDim + d].fill(0);
    o.assign(tf.tensor2d(oa));
    const w2 = model.params.get(`${n.output}.weight`)!;
    const wa = w2.arraySync() as number[][];
    for (const j of neurons[i] ?? []) wa[j].fill(0);
    w2.assign(tf.tensor2d(wa));
  }
}

for (const [kind, make] of Object.entries(models)) {
  test(`${kind}: structured pruning of heads and neurons whose output is zeroed keeps logits equal`, async () => {
    await ready;
    const model = make();
    const heads = { "0": [1, 3], "1": [0] };
    const dead = [[0, 5, 7], [2, 3, 23]];
    silence(model, heads, dead);
    const before = logits(model);
    const keep = dead.map((d) => Array.from({ length: 24 }, (_, j) => j).filter((j) => !d.includes(j)));
    const small = pruneStructured(model, { heads, keepNeurons: keep });
    assert.deepEqual(small.spec.layerHeads, [2, 3]);
    assert.equal(small.spec.ffn, 21);
    assert.deepEqual(small.config.pruned_heads, { "0": [1, 3], "1": [0] });
    assert.equal(kind === "bert" ? (small.config as any).intermediate_size : (small.config as any).hidden_dim, 21);
    assert.deepEqual(small.params.get(`${small.scheme.layer(0).query}.weight`)!.shape, [16, 8]);
    assert.deepEqual(small.params.get(`${small.scheme.layer(0).attentionOutput}.weight`)!.shape, [8, 16]);
    assert.ok(maxAbsDiff(logits(small), before) < 1e-5, `${maxAbsDiff(logits(small), before)}`);
    assert.ok(small.numParameters() < model.numParameters());
    // Pruning again adds to pruned_heads (original numbering); the result equals pruning both at once.
    silence(model, { "0": [0] }, []);
    const twice = pruneHeads(small, { "0": [0] });
    assert.deepEqual(twice.config.pruned_heads, { "0": [0, 1, 3], "1": [0] });
    assert.deepEqual(keptHeads(twice, 0), [2]);
    const once = pruneStructured(model, { heads: { "0": [0, 1, 3], "1": [0] }, keepNeurons: keep });
    assert.ok(maxAbsDiff(logits(twice), logits(once)) < 1e-6);
    // The original is unchanged (HF prunes in place; this returns a copy).
    assert.equal(model.spec.layerHeads.join(), "4,4");
    for (const m of [model, small, twice, once]) m.dispose();
  });

  test(`${kind}: a model with pruned heads round-trips through savePretrained/fromPretrained and exports to ONNX with equal logits`, async () => {
    await ready;
    const model = make();
    const small = pruneStructured(model, { heads: { "0": [2], "1": [0, 1, 3] }, keepNeurons: [[0, 1, 2, 3, 5, 8, 13, 21], [1, 2, 3, 4, 6, 10, 14, 20]] });
    const dir = tmpDir();
    small.savePretrained(dir);
    const loaded = AutoModelForSequenceClassification.fromPretrained(dir);
    assert.deepEqual(loaded.config.pruned_heads, { "0": [2], "1": [0, 1, 3] });
    assert.deepEqual(loaded.spec.layerHeads, [3, 1]);
    assert.ok(maxAbsDiff(logits(loaded), logits(small)) === 0);
    const folder = exportOnnxFolder(small, tokenizer, path.join(dir, "onnx-folder"));
    for (const file of [folder.fp32, folder.quantized!]) {
      const session = await createModelForProvider(file);
      const onnxPipe = new OnnxPipeline(session, tokenizer, small.config);
      const ort = (await onnxPipe._forward(tokenizer.call(texts))).flatMap((r) => [...r]);
      const diff = maxAbsDiff(ort, logits(small));
      assert.ok(file === folder.fp32 ? diff < 1e-4 : diff < 0.2, `${path.basename(file)}: ${diff}`);
      onnxPipe.dispose();
    }
    // The same pipeline API on the TF.js copy.
    const tfPipe = pipeline("text-classification", loaded, { tokenizer });
    assert.equal((await tfPipe(texts[0]))[0].label.length > 0, true);
    for (const m of [model, small]) m.dispose();
    tfPipe.dispose();
  });
}

test("a structurally pruned folder loads by path in pipeline() and, exported, in transformers.js with the same predictions", async () => {
  await ready;
  const model = models.distilbert();
  const small = pruneStructured(model, { heads: { "0": [0, 1], "1": [3] }, keepNeurons: [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]] });
  const root = tmpDir();
  const dir = path.join(root, "pruned-tiny");
  small.savePretrained(dir);
  tokenizer.savePretrained(dir);
  const fromDir = pipeline("text-classification", dir);
  const ours = pipeline("text-classification", small, { tokenizer });
  exportOnnxFolder(small, tokenizer, path.join(root, "onnx", "pruned-tiny"));
  const { pipeline: hfPipeline, env } = await import("@huggingface/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = path.join(root, "onnx");
  const js = await hfPipeline("text-classification", "pruned-tiny", { dtype: "fp32" });
  for (const t of texts) {
    const [a] = await fromDir(t);
    const [b] = await ours(t);
    const [c] = (await js(t, { top_k: 1 })) as { label: string; score: number }[];
    assert.equal(a.label, b.label);
    assert.equal(c.label, b.label, t);
    assert.ok(Math.abs(a.score - b.score) < 1e-6 && Math.abs(c.score - b.score) < 1e-4);
  }
  await js.dispose();
  fromDir.dispose();
  model.dispose();
  small.dispose();
});

test("pruned_heads and head pruning reject removing every head of a layer, unknown layers and heads", async () => {
  await ready;
  const base = { vocab_size: 40, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 24, ...labels };
  assert.throws(() => bertConfig({ ...base, pruned_heads: { "1": [0, 1, 2, 3] } }), /pruned_heads\["1"\] removes every head of layer 1 \(4 of 4\); keep at least one head per layer/);
  assert.throws(() => bertConfig({ ...base, pruned_heads: { "2": [0] } }), /pruned_heads names layer "2", but the layers are 0..1/);
  assert.throws(() => bertConfig({ ...base, pruned_heads: { "0": [4] } }), /pruned_heads\["0"\] names head 4, but the heads are 0..3/);
  assert.throws(() => bertConfig({ ...base, pruned_heads: { "0": [1, 1] } }), /lists a head twice/);
  const model = models.bert();
  assert.throws(() => pruneHeads(model, { "0": [0, 1, 2, 3] }), /removing heads \[0, 1, 2, 3\] of layer 0 would leave it no head \(it has 4\); keep at least one head per layer/);
  const partly = pruneHeads(model, { "1": [0, 2] });
  assert.throws(() => pruneHeads(partly, { "1": [1, 3] }), /removing heads \[0, 1, 2, 3\] of layer 1 would leave it no head/);
  assert.throws(() => pruneHeads(model, { "5": [0] }), /layer 5 does not exist \(the model has 2 layers\)/);
  assert.throws(() => pruneFfnNeurons(model, [[0, 1], [0, 1, 2]]), /every layer must keep the same number of FFN neurons \(intermediate_size is one number\); got \[2, 3\]/);
  assert.throws(() => selectHeadsToPrune([[1, 2], [3, 4]], { perLayer: 2 }), /perLayer must be an integer in \[0, 1\]/);
  assert.throws(() => selectNeuronsToKeep([[1, 2]], 0), /keep must be an integer in \[1, 2\]/);
  model.dispose();
  partly.dispose();
});

test("head and neuron importance: Michel et al.'s gate gradients (checked against finite differences), and from masks", async () => {
  await ready;
  const model = models.bert();
  const enc = tokenizer.call(texts);
  const inputs: TensorBatch = { input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32"), token_type_ids: tf.tensor2d(enc.token_type_ids, undefined, "int32"), labels: tf.tensor1d([0, 1, 2, 3], "int32") };
  const imp = structuredImportance(model, [inputs], { normalizeByLayer: false });
  assert.equal(imp.heads.length, 2);
  assert.equal(imp.heads[0].length, 4);
  assert.equal(imp.neurons[1].length, 24);
  // Finite differences: scale what head h (neuron j) writes by 1 ± ε.
  const loss = () => crossEntropy(model.call(inputs).logits, inputs.labels, 0).dataSync()[0];
  const scaleRows = (name: string, from: number, to: number, f: number) => {
    const v = model.params.get(name)!;
    const a = v.arraySync() as number[][];
    for (let r = from; r < to; r++) a[r] = a[r].map((x) => x * f);
    v.assign(tf.tensor2d(a));
  };
  const eps = 1e-2;
  const fd = (name: string, from: number, to: number) => {
    scaleRows(name, from, to, 1 + eps);
    const up = loss();
    scaleRows(name, from, to, (1 - eps) / (1 + eps));
    const down = loss();
    scaleRows(name, from, to, 1 / (1 - eps));
    return Math.abs((up - down) / (2 * eps));
  };
  const attn1 = `${model.scheme.layer(1).attentionOutput}.weight`;
  const ffn0 = `${model.scheme.layer(0).output}.weight`;
  for (const h of [0, 2]) assert.ok(Math.abs(fd(attn1, h * 4, h * 4 + 4) - imp.heads[1][h]) < 2e-3 + 0.02 * imp.heads[1][h], `head ${h}: fd ${fd(attn1, h * 4, h * 4 + 4)} vs ${imp.heads[1][h]}`);
  for (const j of [3, 11]) assert.ok(Math.abs(fd(ffn0, j, j + 1) - imp.neurons[0][j]) < 2e-3 + 0.02 * imp.neurons[0][j], `neuron ${j}`);
  const normalized = structuredImportance(model, [inputs]);
  normalized.heads.forEach((row) => assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-9));
  // Global selection ranks across layers but keeps a head in every layer.
  const chosen = selectHeadsToPrune([[0.1, 0.2, 0.9, 0.05], [0.01, 0.5, 0.6, 0.7]], { count: 3 });
  assert.deepEqual(chosen, { "0": [0, 3], "1": [0] });
  assert.deepEqual(selectHeadsToPrune([[0.1, 0.2], [0.01, 0.02]], { count: 2 }), { "0": [0], "1": [0] });
  assert.deepEqual(selectHeadsToPrune([[0.3, 0.1, 0.2]], { perLayer: 1, alreadyPruned: [[1]] }), { "0": [2] });
  assert.deepEqual(selectNeuronsToKeep([[0.5, 0.1, 0.9, 0.3]], 2), [[0, 2]]);
  // From masks: a head whose weights are all zero scores 0, untouched heads 1.
  const s = model.spec;
  const n0 = model.scheme.layer(0);
  for (const x of [n0.query, n0.key, n0.value]) {
    const v = model.params.get(`${x}.weight`)!;
    v.assign(tf.tidy(() => tf.mul(v, tf.tensor2d(Array.from({ length: s.hidden }, () => Array.from({ length: 16 }, (_, c) => (Math.floor(c / 4) === 1 ? 0 : 1)))))));
  }
  scaleRows(`${n0.attentionOutput}.weight`, 4, 8, 0);
  scaleRows(`${n0.output}.weight`, 7, 8, 0);
  const fromMasks = structuredImportanceFromMasks(model);
  assert.deepEqual(fromMasks.heads[0], [1, 0, 1, 1]);
  assert.equal(fromMasks.neurons[0][7], 0.5);
  assert.equal(fromMasks.neurons[0][6], 1);
  tf.dispose(Object.values(inputs));
  model.dispose();
});

test("vocabulary pruning: kept tokens keep their embedding rows (equal logits), other words split into kept pieces; the teacher distils through its own tokenizer", async () => {
  await ready;
  const model = models.distilbert();
  const train = ["pin number", "my account", "accounts pin", "number number"];
  const keep = vocabularyToKeep(tokenizer, train, { minCount: 2 });
  // "number" (3), "pin" (2) and "account" (2) stay, "##ing" (unused) goes; single ASCII characters (both forms) always stay.
  assert.ok(keep.tokens.includes("number") && keep.tokens.includes("pin") && keep.tokens.includes("account"));
  assert.ok(!keep.tokens.includes("##ing"));
  assert.ok(keep.tokens.includes("q") && keep.tokens.includes("##q"));
  assert.equal(keep.counts.get("number"), 3);
  const pruned = pruneVocabulary(model, tokenizer, keep.tokens.filter((t) => t !== "account"));
  assert.equal(pruned.model.spec.vocabSize, pruned.tokenizer.vocabSize);
  assert.ok(pruned.tokenizer.vocabSize < tokenizer.vocabSize);
  assert.equal(pruned.model.spec.padTokenId, pruned.tokenizer.padTokenId);
  // "pin number" tokenizes to the same tokens, so the logits are equal; "account" now spells out.
  assert.ok(maxAbsDiff(logits(pruned.model, pruned.tokenizer, ["pin number"]), logits(model, tokenizer, ["pin number"])) < 1e-6);
  assert.deepEqual(pruned.tokenizer.tokenize("account"), ["a", "##c", "##c", "##o", "##u", "##n", "##t"]);
  assert.throws(() => pruneVocabulary(model, tokenizer, ["pin"]), /the special token \[PAD\] must be kept/);
  assert.throws(() => pruneVocabulary(model, tokenizer, [...keep.tokens, "zebra"]), /token "zebra" is not in the tokenizer's vocabulary/);

  // Distillation from a teacher that reads the original tokenization.
  const rng = new Random(1);
  const rows = Array.from({ length: 24 }, (_, i) => ({ text: `${["pin", "account", "number"][i % 3]} ${chars[rng.int(26)]}${chars[rng.int(26)]}`, intent: i % 4 }));
  const ds = new Dataset(rows, { intent: new ClassLabel(["x", "y", "z", "oos"]) });
  const enc = (tok: BertTokenizer) => ds.map((r) => ({ input_ids: tok.encode(r.text).input_ids, label: r.intent }) as EncodedRow);
  const teacher = models.bert();
  const trainer = new CrossTokenizerDistillationTrainer({ model: pruned.model, teacherModel: teacher, tokenizer: pruned.tokenizer, trainDataset: enc(pruned.tokenizer), teacherTrainDataset: enc(tokenizer), args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 8, evaluationStrategy: "no", disableTqdm: true, alpha: 0.5 } });
  const targets = (trainer as any).rowTargets(enc(pruned.tokenizer).rows.slice(0, 3)).teacherLogits as Float32Array[];
  const want = logits(teacher, tokenizer, rows.slice(0, 3).map((r) => r.text));
  assert.ok(maxAbsDiff(targets.flatMap((r) => [...r]), want) < 1e-5);
  const out = await quietly(() => trainer.train());
  assert.ok(Number.isFinite(out.trainingLoss));
  assert.throws(() => new CrossTokenizerDistillationTrainer({ model: pruned.model, teacherModel: teacher, tokenizer: pruned.tokenizer, trainDataset: enc(pruned.tokenizer), teacherTrainDataset: enc(tokenizer).head(3), args: { outputDir: tmpDir() } }), /teacherTrainDataset must hold the training rows tokenized for the teacher, row for row \(3 rows for 24\)/);
  for (const m of [model, pruned.model, teacher]) m.dispose();
});
