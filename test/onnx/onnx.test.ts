import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import * as ort from "onnxruntime-node";
import { ready, maxAbsDiff, tmpDir, values } from "../helpers/setup";
import { BertForSequenceClassification, DistilBertForSequenceClassification, PreTrainedModel, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { createModelForProvider, decodeModel, exportOnnxFolder, exportToOnnx, quantizeDynamic } from "../../lib/onnx";
import { OnnxClassifier } from "../../lib/pipelines";
import { OnnxPipeline } from "../../lib/pipelines";
import { pipeline } from "../../lib/pipelines";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrstuvwxyz".split(""), ..."abcdefghijklmnopqrstuvwxyz".split("").map((c) => `##${c}`)]);
const labels = labelMaps(["x", "y", "z", "oos"]);
const models: Record<string, () => PreTrainedModel> = {
  bert: () => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 64, initializer_range: 0.3, ...labels }, { seed: 5 }),
  distilbert: () => DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 2, n_heads: 2, hidden_dim: 32, max_position_embeddings: 64, initializer_range: 0.3, ...labels }, { seed: 6 }),
};

const texts = ["a", "hello world", "transfer money from my account", "what is the pin number for my account please tell me now"];

for (const [kind, make] of Object.entries(models)) {
  test(`${kind}: ONNX export matches TensorFlow.js logits (batch 1 and padded batches) under onnxruntime`, async () => {
    await ready;
    const model = make();
    const file = path.join(tmpDir(), "model.onnx");
    exportToOnnx(model, file);
    const optimized = path.join(path.dirname(file), "model.opt.onnx");
    const session = await createModelForProvider(file, "cpu", { optimizedModelFilePath: optimized });
    // ORT fuses the exported GELU and its bias Add into one BiasGelu per layer.
    const fused = decodeModel(new Uint8Array(fs.readFileSync(optimized))).graph!.node!.map((n) => n.opType);
    assert.equal(fused.filter((o) => o === "BiasGelu").length, 2);
    assert.ok(!fused.includes("Erf"), "GELU left unfused");
    assert.deepEqual([...session.inputNames].sort(), kind === "bert" ? ["attention_mask", "input_ids", "token_type_ids"] : ["attention_mask", "input_ids"]);
    assert.deepEqual(session.outputNames, ["logits", "pooled_output"]);
    const onnxPipe = new OnnxPipeline(session, tokenizer, model.config.id2label) as OnnxClassifier;
    for (const batch of [[texts[2]], texts, texts.slice(1, 3)]) {
      const enc = tokenizer.call(batch);
      const ours = values(model.call({ input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") }).logits);
      const logits = (await onnxPipe._forward(enc)).flatMap((r) => [...r]);
      assert.ok(maxAbsDiff(ours, logits) < 1e-4, `batch of ${batch.length}: ${maxAbsDiff(ours, logits)}`);
      // The second output is the classifier's input, as the TF.js model's pooledOutput.
      const pooled = values(model.call({ input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") }, { outputPooledOutput: true }).pooledOutput!);
      const both = await onnxPipe._forwardFeatures(enc);
      assert.equal(both.features.length, batch.length);
      assert.ok(maxAbsDiff(pooled, both.features.flatMap((r) => [...r])) < 1e-4);
      assert.ok(maxAbsDiff(logits, both.logits.flatMap((r) => [...r])) === 0);
    }
    const tfPipe = pipeline("text-classification", model, { tokenizer });
    const [a, b] = [await tfPipe(texts[3], { topK: 2 }), await onnxPipe(texts[3], { topK: 2 })];
    assert.deepEqual(a.map((r) => r.label), b.map((r) => r.label));
    assert.ok(Math.abs(a[0].score - b[0].score) < 1e-5);
    model.dispose();
  });
}

test("fuseAttention: one MultiHeadAttention per layer (pruned heads too), the same logits and features as the standard export, fp32 and int8", async () => {
  await ready;
  const model = DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 2, n_heads: 4, hidden_dim: 32, max_position_embeddings: 64, initializer_range: 0.3, pruned_heads: { "0": [0, 2], "1": [3] }, ...labels }, { seed: 7 });
  const dir = tmpDir();
  const files = { standard: path.join(dir, "standard.onnx"), fused: path.join(dir, "fused.onnx") };
  exportToOnnx(model, files.standard);
  exportToOnnx(model, files.fused, { fuseAttention: true });
  const nodes = decodeModel(new Uint8Array(fs.readFileSync(files.fused))).graph!.node!;
  const attention = nodes.filter((n) => n.opType === "MultiHeadAttention");
  assert.deepEqual(attention.map((n) => [n.domain, n.attribute![0].name, Number(n.attribute![0].i)]), [["com.microsoft", "num_heads", 2], ["com.microsoft", "num_heads", 3]]);
  for (const op of ["Softmax", "Transpose", "Reshape"]) assert.ok(!nodes.some((n) => n.opType === op), `${op} left beside MultiHeadAttention`);
  for (const f of Object.values(files)) quantizeDynamic(f, f.replace(".onnx", "_quantized.onnx"));
  const pipes = Object.fromEntries(await Promise.all(Object.values(files).flatMap((f) => [f, f.replace(".onnx", "_quantized.onnx")]).map(async (f) => [path.basename(f), new OnnxPipeline(await createModelForProvider(f), tokenizer, model.config.id2label)] as const)));
  const enc = tokenizer.call(texts); // padded: the mask must reach MultiHeadAttention
  const ours = values(model.call({ input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") }).logits);
  const out = async (name: string) => { const o = await pipes[name]._forwardFeatures(enc); return { logits: o.logits.flatMap((r) => [...r]), features: o.features.flatMap((r) => [...r]) }; };
  const [standard, fused, standardQ, fusedQ] = await Promise.all(["standard.onnx", "fused.onnx", "standard_quantized.onnx", "fused_quantized.onnx"].map(out));
  assert.ok(maxAbsDiff(ours, fused.logits) < 1e-4, `fp32 against TF.js: ${maxAbsDiff(ours, fused.logits)}`);
  assert.ok(maxAbsDiff(standard.logits, fused.logits) < 1e-5 && maxAbsDiff(standard.features, fused.features) < 1e-5);
  assert.ok(maxAbsDiff(standardQ.logits, fusedQ.logits) < 1e-4 && maxAbsDiff(standardQ.features, fusedQ.features) < 1e-4, `int8: ${maxAbsDiff(standardQ.logits, fusedQ.logits)}`);
  model.dispose();
});

test("ONNX errors: missing and corrupt files, wrong input names, bad opset", async () => {
  await ready;
  const dir = tmpDir();
  await assert.rejects(createModelForProvider(path.join(dir, "none.onnx")), /ONNX model not found/);
  fs.writeFileSync(path.join(dir, "bad.onnx"), "not a protobuf");
  await assert.rejects(createModelForProvider(path.join(dir, "bad.onnx")), /Could not load ONNX model .*bad.onnx/);
  await assert.rejects(createModelForProvider(path.join(dir, "bad.onnx"), "cuda"), /provider "cuda" is not available/);
  await assert.rejects(createModelForProvider(path.join(dir, "bad.onnx"), "cpu", { intraOpNumThreads: -1 }), /intraOpNumThreads must be an integer >= 0/);
  const model = models.distilbert();
  assert.throws(() => exportToOnnx(model, path.join(dir, "m.onnx"), { opset: 13 }), /opset must be an integer >= 17/);
  assert.throws(() => exportToOnnx(model, path.join(dir, "m.onnx"), { fuseAttention: "yes" as unknown as boolean }), /fuseAttention must be true or false, got "yes"/);
  exportToOnnx(model, path.join(dir, "m.onnx"));
  const session = await createModelForProvider(path.join(dir, "m.onnx"));
  await assert.rejects(session.run({ ids: new ort.Tensor("int64", BigInt64Array.of(1n), [1, 1]) }), /input/i);
  assert.throws(() => new OnnxPipeline(session, tokenizer, {}), /has no id2label/);
  model.dispose();
});

test("transformers.js loads an exported folder offline and agrees with OnnxPipeline (fp32 and q8)", async () => {
  await ready;
  const { pipeline: hfPipeline, env } = await import("@huggingface/transformers");
  const model = models.bert();
  const root = tmpDir();
  const folder = exportOnnxFolder(model, tokenizer, path.join(root, "clinc-tiny"));
  for (const f of ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx", "onnx/model_quantized.onnx"]) assert.ok(fs.existsSync(path.join(folder.dir, f)), f);
  env.allowRemoteModels = false;
  env.localModelPath = root;
  for (const [dtype, file] of [["fp32", folder.fp32], ["q8", folder.quantized!]] as const) {
    const js = await hfPipeline("text-classification", "clinc-tiny", { dtype });
    const ours = new OnnxPipeline(await createModelForProvider(file), tokenizer, model.config.id2label) as OnnxClassifier;
    for (const t of texts) {
      const [a] = (await js(t, { top_k: 1 })) as { label: string; score: number }[];
      const [b] = await ours(t);
      assert.equal(a.label, b.label, `${dtype}: ${t}`);
      assert.ok(Math.abs(a.score - b.score) < 1e-4, `${dtype}: ${a.score} vs ${b.score}`);
    }
    await js.dispose();
  }
  model.dispose();
});

test("OnnxPipeline given the model's config applies its saved out-of-scope fallback, as pipeline() does; null turns it off", async () => {
  await ready;
  const model = models.bert();
  // This random model's best label is "oos" for every text, so its saved fallback label is "x" (any model label may be it).
  (model.config as any).task_specific_params = { "text-classification": { oos_threshold: 0.99, oos_label: "x", tuned_on: "validation" } };
  const file = path.join(tmpDir(), "model.onnx");
  exportToOnnx(model, file);
  const session = await createModelForProvider(file);
  const onnxPipe = new OnnxPipeline(session, tokenizer, model.config) as OnnxClassifier;
  const tfPipe = pipeline("text-classification", model, { tokenizer });
  const [a, b] = [await onnxPipe(texts, { topK: 2 }), await tfPipe(texts, { topK: 2 })];
  const plain = await onnxPipe(texts, { oosThreshold: null });
  for (let i = 0; i < texts.length; i++) {
    assert.equal(a[i][0].label, "x", texts[i]);
    // Flagged as a fallback unless "x" was the model's own best label anyway.
    assert.equal(a[i][0].fallback, plain[i][0].label === "x" ? undefined : true);
    assert.deepEqual(a[i].map((r) => [r.label, r.fallback]), b[i].map((r) => [r.label, r.fallback]));
    assert.ok(Math.abs(a[i][0].score - b[i][0].score) < 1e-5);
  }
  assert.ok(a.some((r) => r[0].fallback), "the fallback triggered somewhere");
  const off = await onnxPipe(texts[2], { oosThreshold: null });
  assert.equal(off[0].fallback, undefined);
  assert.deepEqual(off.map((r) => r.label), (await tfPipe(texts[2], { oosThreshold: null })).map((r) => r.label));
  onnxPipe.dispose();
  model.dispose();
});
