// The checkpoints shipped in data/models: they load, and their ONNX exports
// agree with them on the whole CLINC150 test set.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "./helpers/setup";
import { loadClinc } from "../lib/data";
import { AutoModelForSequenceClassification } from "../lib/models";
import { MODELS_DIR, modelPath } from "../lib/workbook/hub";
import { BertTokenizer } from "../lib/tokenizers";
import { OnnxPipeline, createModelForProvider, exportToOnnx, quantizeDynamic } from "../lib/onnx";
import { argmax } from "../lib/evaluation";

test("the shipped teacher's ONNX export matches it within 1e-4 on the whole test set; int8 keeps the argmax on >= 99%", { timeout: 300_000 }, async () => {
  await ready;
  const dir = modelPath("bert-clinc-teacher");
  const model = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
  const tokenizer = BertTokenizer.fromPretrained(dir);
  assert.equal(model.numLabels, 151);
  const out = tmpDir();
  const fp32File = path.join(out, "model.onnx");
  const int8File = path.join(out, "model_quantized.onnx");
  exportToOnnx(model, fp32File);
  quantizeDynamic(fp32File, int8File);
  const fp32 = new OnnxPipeline(await createModelForProvider(fp32File), tokenizer, model.config.id2label);
  const int8 = new OnnxPipeline(await createModelForProvider(int8File), tokenizer, model.config.id2label);
  const texts = loadClinc().test.column("text");
  let maxDiff = 0;
  let same = 0;
  for (let s = 0; s < texts.length; s += 128) {
    const enc = tokenizer.call(texts.slice(s, s + 128));
    const ours = tf.tidy(() => model.call({ input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32"), token_type_ids: tf.tensor2d(enc.token_type_ids, undefined, "int32") }).logits);
    const rows = ours.arraySync();
    ours.dispose();
    const [a, b] = [await fp32._forward(enc), await int8._forward(enc)];
    rows.forEach((r, i) => {
      for (let j = 0; j < r.length; j++) maxDiff = Math.max(maxDiff, Math.abs(r[j] - a[i][j]));
      if (argmax(a[i]) === argmax(b[i])) same++;
    });
  }
  assert.ok(maxDiff < 1e-4, `ONNX fp32 logits differ from TensorFlow.js by ${maxDiff}`);
  assert.ok(same / texts.length >= 0.99, `int8 argmax agrees on ${same} of ${texts.length}`);
  model.dispose();
});

test("every shipped model folder loads in HF layout with its training report", async () => {
  await ready;
  const folders = fs.readdirSync(MODELS_DIR).filter((d) => fs.existsSync(path.join(MODELS_DIR, d, "config.json")));
  assert.ok(folders.includes("bert-clinc-teacher"));
  for (const name of folders) {
    const dir = path.join(MODELS_DIR, name);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "training_report.json"]) assert.ok(fs.existsSync(path.join(dir, f)), `${name}/${f}`);
    const model = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
    assert.equal(model.config.id2label["42"], "oos", name);
    model.dispose();
  }
});
