// The checkpoints shipped in data/models: they load, each one's test
// accuracy recomputed here equals what its training_report.json claims, and
// the ONNX exports agree with TensorFlow.js on the whole CLINC150 test set.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "../helpers/setup";
import { loadClinc } from "../../lib/data";
import { AutoModelForSequenceClassification, PreTrainedModel } from "../../lib/models";
import { MODELS_DIR, modelPath } from "../../lib/workbook/hub";
import { BertTokenizer } from "../../lib/tokenizers";
import { createModelForProvider, exportToOnnx, quantizeDynamic } from "../../lib/onnx";
import { OnnxPipeline } from "../../lib/pipelines";
import { argmax, intentReport } from "../../lib/evaluation";
import { pipeline } from "../../lib/pipelines";
import { savedOosFallback } from "../../lib/pipelines/textClassification";
import { readJson } from "../../lib/utils/fs";

const shipped = fs.existsSync(MODELS_DIR) ? fs.readdirSync(MODELS_DIR).filter((d) => fs.existsSync(path.join(MODELS_DIR, d, "config.json"))).sort() : [];
const clinc = loadClinc();
const oosId = clinc.test.features.intent.str2int("oos");

/** The tfjs model's logits, fp32 ONNX logits and int8 ONNX argmax agreement over every test query. */
async function onnxParity(dir: string): Promise<{ maxDiff: number; int8Agreement: number }> {
  const model = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true }) as PreTrainedModel;
  const tokenizer = BertTokenizer.fromPretrained(dir);
  const out = tmpDir();
  const fp32File = path.join(out, "model.onnx");
  const int8File = path.join(out, "model_quantized.onnx");
  exportToOnnx(model, fp32File);
  quantizeDynamic(fp32File, int8File);
  const fp32 = new OnnxPipeline(await createModelForProvider(fp32File), tokenizer, model.config.id2label);
  const int8 = new OnnxPipeline(await createModelForProvider(int8File), tokenizer, model.config.id2label);
  const texts = clinc.test.column("text");
  let maxDiff = 0;
  let same = 0;
  for (let s = 0; s < texts.length; s += 128) {
    const enc = tokenizer.call(texts.slice(s, s + 128));
    const ours = tf.tidy(() => model.call({ input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32"), token_type_ids: tf.tensor2d(enc.token_type_ids, undefined, "int32") }).logits);
    const rows = ours.arraySync() as number[][];
    ours.dispose();
    const [a, b] = [await fp32._forward(enc), await int8._forward(enc)];
    rows.forEach((r, i) => {
      for (let j = 0; j < r.length; j++) maxDiff = Math.max(maxDiff, Math.abs(r[j] - a[i][j]));
      if (argmax(a[i]) === argmax(b[i])) same++;
    });
  }
  fp32.dispose();
  int8.dispose();
  model.dispose();
  return { maxDiff, int8Agreement: same / texts.length };
}

for (const name of ["bert-clinc-teacher", "distilbert-clinc-distilled", "distilbert-clinc-pruned"]) {
  test(`${name}: its ONNX export matches TensorFlow.js within 1e-4 on all 5,500 test queries; int8 keeps the argmax on >= 99%`, { timeout: 600_000, skip: shipped.includes(name) ? false : `${name} is not shipped` }, async () => {
    await ready;
    const { maxDiff, int8Agreement } = await onnxParity(modelPath(name));
    assert.ok(maxDiff < 1e-4, `ONNX fp32 logits differ from TensorFlow.js by ${maxDiff}`);
    assert.ok(int8Agreement >= 0.99, `int8 argmax agrees on ${(int8Agreement * 100).toFixed(2)}% of the test queries`);
  });
}

test("every shipped model folder loads in HF layout with its training report", async () => {
  await ready;
  assert.ok(shipped.includes("bert-clinc-teacher"));
  for (const name of shipped) {
    const dir = path.join(MODELS_DIR, name);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "training_report.json"]) assert.ok(fs.existsSync(path.join(dir, f)), `${name}/${f}`);
    // pipeline() loads every kind shipped: BERT, DistilBERT (pruned heads included) and the bag-of-words baseline.
    const pipe = pipeline("text-classification", dir);
    assert.equal((pipe.model.config as { id2label: Record<string, string> }).id2label[String(oosId)], "oos", name);
    pipe.dispose();
  }
});

interface ReportedAccuracy {
  test: { accuracy: number; inScopeAccuracy: number | null; oosRecall: number | null };
  testArgmax: { accuracy: number };
  oosDetectors?: { chosen: string; test?: { kind: string; accuracy: number; oosRecall: number | null }[] };
  oosFallback: { threshold: number } | null;
}

// Each shipped classifier (BERT, DistilBERT, pruned, bag-of-words) re-evaluated on the test split:
// argmax from its logits, and what pipeline() returns by default (the fallback saved in its config).
for (const name of shipped.filter((n) => fs.existsSync(path.join(MODELS_DIR, n, "training_report.json")) && !n.includes("mlm"))) {
  test(`${name}: test accuracy recomputed equals its training_report.json (argmax and with the saved fallback, to 1e-4)`, { timeout: 300_000 }, async () => {
    await ready;
    const dir = modelPath(name);
    const report = readJson<ReportedAccuracy>(path.join(dir, "training_report.json"), `${name} training report`);
    assert.ok(report.test && report.testArgmax, `${name}/training_report.json has no test and testArgmax reports (written by the recipes' finish())`);
    const pipe = pipeline("text-classification", dir);
    const texts = clinc.test.column("text");
    const labels = clinc.test.column("intent");
    const argmaxReport = intentReport(await pipe.logits(texts, { batchSize: 128 }), labels, oosId);
    assert.ok(Math.abs(argmaxReport.accuracy - report.testArgmax.accuracy) <= 1e-4, `${name}: argmax accuracy ${argmaxReport.accuracy}, report says ${report.testArgmax.accuracy}`);
    // The saved threshold is the one the report names, and pipeline() applies it by default.
    assert.equal(savedOosFallback(pipe.model.config as object)?.oos_threshold ?? null, report.oosFallback?.threshold ?? null);
    const names = clinc.test.features.intent;
    const predicted = (await pipe(texts, { batchSize: 128, oosDetector: null })).map((r) => names.str2int(r[0].label));
    const withFallback = intentReport(predicted, labels, oosId);
    assert.ok(Math.abs(withFallback.accuracy - report.test.accuracy) <= 1e-4, `${name}: pipeline accuracy ${withFallback.accuracy}, report says ${report.test.accuracy}`);
    assert.ok(Math.abs((withFallback.oosRecall ?? NaN) - (report.test.oosRecall ?? NaN)) <= 1e-4, `${name}: oos recall ${withFallback.oosRecall}, report says ${report.test.oosRecall}`);
    // By default pipeline() applies the out-of-scope detector chosen on validation; the report's figures for it are what it gives.
    const chosen = report.oosDetectors?.test?.find((e) => e.kind === report.oosDetectors!.chosen);
    assert.ok(chosen, `${name}/training_report.json has no oosDetectors section (npm run fit:oos writes it)`);
    assert.equal(pipe.oosDetector?.kind, report.oosDetectors!.chosen);
    const detected = intentReport((await pipe(texts, { batchSize: 128 })).map((r) => names.str2int(r[0].label)), labels, oosId);
    assert.ok(Math.abs(detected.accuracy - chosen.accuracy) <= 1e-4 && Math.abs((detected.oosRecall ?? NaN) - (chosen.oosRecall ?? NaN)) <= 1e-4, `${name}: with the ${chosen.kind} detector ${detected.accuracy} / oos recall ${detected.oosRecall}, report says ${chosen.accuracy} / ${chosen.oosRecall}`);
    pipe.dispose();
  });
}
