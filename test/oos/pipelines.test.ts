// A detector saved with a model is applied by default by pipeline(), by
// OnnxPipeline built from the loaded model's config, by the ONNX folder
// runner, and travels with exportOnnxFolder.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { AutoModelForSequenceClassification, DistilBertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { OnnxPipeline, pipeline } from "../../lib/pipelines";
import { createModelForProvider, exportOnnxFolder } from "../../lib/onnx";
import { OOS_DETECTOR_FILE, OosDetector, fitMahalanobis, detectorScores } from "../../lib/oos";
import { setLogSink } from "../../lib/utils/log";

const words = ["hello", "world", "rent", "a", "van", "car", "pay", "bill", "weather", "today", "what", "is", "the", "meaning", "of", "life"];
const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...words]);
const labels = ["greet", "car_rental", "pay_bill", "oos"];
const texts = ["hello world", "rent a van", "pay the bill", "what is the meaning of life", "weather today", "a car", "hello", "bill"];

/** A tiny DistilBERT saved with a Mahalanobis detector whose threshold sends about half the texts to oos. */
async function savedFolder() {
  await ready;
  const model = DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 32, max_position_embeddings: 16, initializer_range: 0.5, ...labelMaps(labels) }, { seed: 3 });
  const dir = path.join(tmpDir(), "student");
  model.savePretrained(dir);
  tokenizer.savePretrained(dir);
  const plain = pipeline("text-classification", dir, { oosThreshold: null, oosDetector: null });
  const { logits, features } = await plain.outputs(texts);
  assert.ok(features && features.length === texts.length && features[0].length === 16, "a transformer gives its pooled features");
  const params = fitMahalanobis(features!, [0, 1, 2, 3, 0, 1, 0, 2], { oosId: 3 });
  const probe = new OosDetector("mahalanobis", null, { mahalanobis: params });
  const scores = [...detectorScores(probe, { logits, features })].sort((a, b) => a - b);
  const detector = probe.withThreshold((scores[3] + scores[4]) / 2, "validation");
  detector.save(dir);
  plain.dispose();
  model.dispose();
  return { dir, detector, logits, features: features! };
}

test("pipeline(folder) applies the saved detector by default; oosThreshold in a call uses the softmax rule; oosDetector: null turns it off", async () => {
  const { dir, detector, logits, features } = await savedFolder();
  const pipe = pipeline("text-classification", dir, { topK: 2 });
  assert.equal(pipe.oosDetector?.kind, "mahalanobis");
  const out = await pipe(texts);
  texts.forEach((_, i) => {
    const oos = detector.isOutOfScope(logits[i], features[i]);
    const argmaxOos = logits[i].indexOf(Math.max(...logits[i])) === 3;
    assert.equal(out[i][0].label === "oos", oos || argmaxOos, `text ${i}`);
    if (oos && !argmaxOos) assert.equal(out[i][0].fallback, true);
  });
  assert.ok(out.filter((r) => r[0].fallback).length >= 2, "the threshold sends some texts to oos");
  const noDetector = await pipe(texts, { oosDetector: null, topK: 1 });
  assert.ok(noDetector.every((r) => !r[0].fallback), "no detector, no saved softmax threshold: no fallback");
  const softmax = await pipe(texts, { oosThreshold: 0.99, topK: 1 });
  assert.ok(softmax.every((r) => r[0].label === "oos"), "a call's oosThreshold asks for the softmax rule");
  await assert.rejects(pipe("hello", { oosDetector: "mahalanobis" as never }), /oosDetector must be an OosDetector \(from lib\/oos\) or null, got string/);
  pipe.dispose();
});

test("the ONNX export carries the detector: OnnxPipeline on the loaded model's config and pipeline(dtype) apply it, with the same verdicts as TF.js", async () => {
  const { dir } = await savedFolder();
  const model = AutoModelForSequenceClassification.fromPretrained(dir);
  const onnxDir = path.join(tmpDir(), "onnx-student");
  const folder = exportOnnxFolder(model, tokenizer, onnxDir);
  assert.ok(fs.existsSync(path.join(onnxDir, OOS_DETECTOR_FILE)), "the detector file is copied");
  const tfOut = await pipeline("text-classification", dir)(texts);
  const ortPipe = new OnnxPipeline(await createModelForProvider(folder.fp32), tokenizer, model.config);
  assert.equal(ortPipe.oosDetector?.kind, "mahalanobis");
  assert.deepEqual((await ortPipe(texts)).map((r) => r[0].label), tfOut.map((r) => r[0].label));
  const runner = pipeline("text-classification", onnxDir, { dtype: "fp32" });
  assert.equal(runner.oosDetector?.kind, "mahalanobis");
  assert.deepEqual((await runner(texts)).map((r) => r[0].label), tfOut.map((r) => r[0].label));
  // A corrupt copy is refused when the pipeline first needs it.
  const file = path.join(onnxDir, OOS_DETECTOR_FILE);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 1] ^= 1;
  fs.writeFileSync(file, bytes);
  const broken = pipeline("text-classification", onnxDir, { dtype: "fp32" });
  await assert.rejects(broken(texts[0]), /oos_detector\.safetensors/);
  for (const p of [ortPipe, runner, broken]) p.dispose();
  model.dispose();
});

test("a model that cannot give features (an ONNX file exported before pooled_output) warns and keeps the softmax rule; an explicit feature detector is an error", async () => {
  const { dir, detector } = await savedFolder();
  const model = AutoModelForSequenceClassification.fromPretrained(dir);
  const folder = exportOnnxFolder(model, tokenizer, path.join(tmpDir(), "onnx-old"));
  const session = await createModelForProvider(folder.fp32);
  // Pretend the file has no pooled_output, as files exported before it.
  Object.defineProperty(session, "outputNames", { value: ["logits"] });
  const lines: string[] = [];
  const old = setLogSink({ out: (line) => lines.push(line), err: (line) => lines.push(line) });
  try {
    const pipe = new OnnxPipeline(session, tokenizer, model.config);
    await pipe(texts[0]);
    assert.equal(pipe.oosDetector, null);
    assert.ok(lines.some((l) => /saved mahalanobis out-of-scope detector reads the model's pooled features, which this model does not output/.test(l)), lines.join("\n"));
  } finally {
    setLogSink(old);
  }
  const explicit = new OnnxPipeline(session, tokenizer, model.config, { oosDetector: detector });
  await assert.rejects(explicit(texts[0]), /the mahalanobis out-of-scope detector reads pooled features, which this model does not output/);
  model.dispose();
});
