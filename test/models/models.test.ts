import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, FIXTURES, maxAbsDiff, tmpDir, values } from "../helpers/setup";
import {
  AutoModelForSequenceClassification,
  BertForSequenceClassification,
  DistilBertForSequenceClassification,
  ModelConfig,
  PreTrainedModel,
  bertConfig,
  labelMaps,
  readSafetensors,
  writeSafetensors,
} from "../../lib/models";

interface Fixture {
  config: ModelConfig;
  weights: Record<string, { shape: number[]; data: number[] }>;
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  logits: { shape: number[]; data: number[] };
  hidden_states: { shape: number[]; data: number[] }[];
  attentions: { shape: number[]; data: number[] }[];
}

function fixture(kind: "bert" | "distilbert"): Fixture {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${kind}_reference.json`), "utf8"));
}

function loadFixture(kind: "bert" | "distilbert"): { model: PreTrainedModel; fx: Fixture } {
  const fx = fixture(kind);
  const model = kind === "bert" ? new BertForSequenceClassification(fx.config as any) : new DistilBertForSequenceClassification(fx.config as any);
  const weights = new Map(Object.entries(fx.weights).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
  const { missingKeys, unexpectedKeys } = model.loadStateDict(weights, { strict: true });
  assert.deepEqual([missingKeys, unexpectedKeys], [[], []]);
  return { model, fx };
}

function inputs(fx: Fixture) {
  return {
    input_ids: tf.tensor2d(fx.input_ids, undefined, "int32"),
    attention_mask: tf.tensor2d(fx.attention_mask, undefined, "int32"),
    token_type_ids: tf.tensor2d(fx.token_type_ids, undefined, "int32"),
  };
}

for (const kind of ["bert", "distilbert"] as const) {
  test(`${kind}: logits, hidden states and attentions match the PyTorch reference (padding masked)`, async () => {
    await ready;
    const { model, fx } = loadFixture(kind);
    const out = model.call(inputs(fx), { outputHiddenStates: true, outputAttentions: true });
    assert.deepEqual(out.logits.shape, fx.logits.shape);
    assert.ok(maxAbsDiff(values(out.logits), fx.logits.data) < 1e-4, `logits differ by ${maxAbsDiff(values(out.logits), fx.logits.data)}`);
    assert.equal(out.hiddenStates!.length, fx.hidden_states.length);
    out.hiddenStates!.forEach((h, i) => assert.ok(maxAbsDiff(values(h), fx.hidden_states[i].data) < 1e-4, `hidden state ${i}`));
    out.attentions!.forEach((a, i) => {
      assert.deepEqual(a.shape, fx.attentions[i].shape);
      assert.ok(maxAbsDiff(values(a), fx.attentions[i].data) < 1e-5, `attention ${i}`);
    });
    // Padded positions get no attention at all.
    const att = values(out.attentions![0]);
    const seq = fx.input_ids[0].length;
    for (let j = 0; j < seq; j++) if (fx.attention_mask[0][j] === 0) assert.ok(att[j] < 1e-12);
    model.dispose();
  });

  test(`${kind}: a padded row gives the same logits as the row alone`, async () => {
    await ready;
    const { model, fx } = loadFixture(kind);
    const batch = values(model.call(inputs(fx)).logits);
    const row = fx.input_ids[0].filter((_, j) => fx.attention_mask[0][j] === 1);
    const alone = values(model.call({ input_ids: tf.tensor2d([row], undefined, "int32") }).logits);
    assert.ok(maxAbsDiff(alone, batch.slice(0, alone.length)) < 1e-5);
    model.dispose();
  });

  test(`${kind}: savePretrained / fromPretrained round trip with HF names and layouts`, async () => {
    await ready;
    const { model, fx } = loadFixture(kind);
    const dir = tmpDir();
    model.savePretrained(dir);
    const { tensors, metadata } = readSafetensors(path.join(dir, "model.safetensors"));
    assert.equal(metadata.format, "pt");
    for (const [name, w] of Object.entries(fx.weights)) {
      const t = tensors.get(name);
      assert.ok(t, `missing ${name}`);
      assert.deepEqual(t!.shape, w.shape, name); // PyTorch layout on disk: Linear weights are [out, in]
      assert.ok(maxAbsDiff(t!.data as Float32Array, w.data) < 1e-6, name);
    }
    const again = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
    assert.equal(again.constructor, model.constructor);
    assert.ok(maxAbsDiff(values(again.call(inputs(fx)).logits), fx.logits.data) < 1e-4);
    model.dispose();
    again.dispose();
  });
}

test("fromPretrained reads old LayerNorm.gamma/beta names and ignores position_ids, as HF does", async () => {
  await ready;
  const fx = fixture("bert");
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(fx.config));
  const tensors = new Map<string, any>();
  for (const [k, v] of Object.entries(fx.weights)) {
    const name = k.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta");
    tensors.set(name, { dtype: "F32", shape: v.shape, data: Float32Array.from(v.data) });
  }
  tensors.set("bert.embeddings.position_ids", { dtype: "I64", shape: [1, 20], data: BigInt64Array.from({ length: 20 }, (_, i) => BigInt(i)) });
  writeSafetensors(path.join(dir, "model.safetensors"), tensors);
  const model = BertForSequenceClassification.fromPretrained(dir, { quiet: true });
  assert.ok(maxAbsDiff(values(model.call(inputs(fx)).logits), fx.logits.data) < 1e-4);
  model.dispose();
});

test("bad configs, shapes and files fail with errors that name the problem", async () => {
  await ready;
  const labels = labelMaps(["a", "b"]);
  assert.throws(() => bertConfig({ hidden_size: 30, num_attention_heads: 4, ...labels }), /hidden_size \(30\) must be a multiple of num_attention_heads \(4\)/);
  assert.throws(() => bertConfig({ id2label: {}, label2id: {} }), /id2label is missing or empty/);
  assert.throws(() => bertConfig({ hidden_act: "swish", ...labels }) && BertForSequenceClassification.fromConfig({ hidden_act: "swish", vocab_size: 10, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4, ...labels }).call({ input_ids: tf.tensor2d([[1, 2]], undefined, "int32") }), /Unsupported activation "swish"/);
  const model = BertForSequenceClassification.fromConfig({ vocab_size: 10, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1, intermediate_size: 4, max_position_embeddings: 8, ...labels });
  assert.throws(() => model.call({ input_ids: tf.tensor2d([[1, 2]], undefined, "float32") as tf.Tensor2D }), /input_ids must be int32/);
  assert.throws(() => model.call({ input_ids: tf.tensor2d([[1, 2, 3, 4, 5, 6, 7, 8, 9]], undefined, "int32") }), /sequence length 9 exceeds max_position_embeddings \(8\)/);
  assert.throws(() => model.call({ input_ids: tf.tensor2d([[1, 2]], undefined, "int32"), attention_mask: tf.tensor2d([[1, 1, 1]], undefined, "int32") }), /attention_mask has shape \[1,3\] but input_ids has \[1,2\]/);
  const wrong = new Map([["classifier.weight", { shape: [3, 4], data: new Float32Array(12) }]]);
  assert.throws(() => model.loadStateDict(wrong), /weight "classifier.weight" in state dict has shape \[3,4\] but the config needs \[2,4\]/);
  const dir = tmpDir();
  assert.throws(() => BertForSequenceClassification.fromPretrained(path.join(dir, "nope")), /Model folder not found/);
  fs.writeFileSync(path.join(dir, "config.json"), "{ not json");
  assert.throws(() => BertForSequenceClassification.fromPretrained(dir), /Model config is not valid JSON/);
  model.savePretrained(dir);
  fs.rmSync(path.join(dir, "model.safetensors"));
  assert.throws(() => BertForSequenceClassification.fromPretrained(dir), /safetensors file not found/);
  fs.writeFileSync(path.join(dir, "model.safetensors"), Buffer.from([1, 2, 3]));
  assert.throws(() => BertForSequenceClassification.fromPretrained(dir), /Corrupt safetensors file .*no header/);
  assert.throws(() => DistilBertForSequenceClassification.fromPretrained((model.savePretrained(dir), dir)), /holds a "bert" model, not "distilbert"/);
  model.dispose();
});

test("loadStateDict is strict by default and changes nothing when it refuses; strict: false loads what matches", async () => {
  await ready;
  const { model, fx } = loadFixture("bert");
  const before = values(model.params.get("classifier.weight")!).slice();
  const weights = new Map(Object.entries(fx.weights).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data).map((x) => x + 1) }]));
  weights.delete("bert.pooler.dense.bias");
  assert.throws(() => model.loadStateDict(weights), /BertForSequenceClassification: state dict does not match the config: 1 of the model's parameters are missing from it \(first: bert.pooler.dense.bias\)/);
  assert.equal(maxAbsDiff(values(model.params.get("classifier.weight")!), before), 0, "a refused load changes nothing");
  const { missingKeys } = model.loadStateDict(weights, { strict: false, quiet: true });
  assert.deepEqual(missingKeys, ["bert.pooler.dense.bias"]);
  assert.ok(maxAbsDiff(values(model.params.get("classifier.weight")!), before) > 0.5, "strict: false loaded the rest");
  model.dispose();
});
