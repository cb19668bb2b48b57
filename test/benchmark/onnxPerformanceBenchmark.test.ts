// OnnxPerformanceBenchmark on a tiny BERT exported with exportOnnxFolder: the
// size is the .onnx file's (fp32 and int8), the accuracy is the share of rows
// ONNX Runtime gets right, the latency fields are measured, and a missing file
// is a clear error.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { createModelForProvider, exportOnnxFolder } from "../../lib/onnx";
import { OnnxClassifier, OnnxPipeline, pipeline } from "../../lib/pipelines";
import { OnnxPerformanceBenchmark, PerformanceBenchmark, BenchmarkablePipeline } from "../../lib/benchmark";
import { ClassLabel, Dataset } from "../../lib/data";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrstuvwxyz".split(""), ..."abcdefghijklmnopqrstuvwxyz".split("").map((c) => `##${c}`)]);
const names = ["x", "y", "z", "oos"];
const texts = ["a", "hello world", "transfer money from my account", "what is the pin number", "book a table", "play some music", "how is the weather", "set an alarm"];

async function setup() {
  await ready;
  const model = BertForSequenceClassification.fromConfig(
    { vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 64, initializer_range: 0.5, ...labelMaps(names) },
    { seed: 11 },
  );
  const folder = exportOnnxFolder(model, tokenizer, path.join(tmpDir(), "tiny"));
  // The labels: the TF.js model's own predictions (which the ONNX export reproduces) on the first 5 rows, a wrong label on the other 3.
  const tf = pipeline("text-classification", model, { tokenizer });
  const predicted = (await tf(texts, { oosThreshold: null })).map((r) => r[0].label);
  const intent = new ClassLabel(names);
  const rows = texts.map((text, i) => {
    const right = intent.str2int(predicted[i]);
    // The wrong ones are labelled oos (or, where the model says oos, "x"): the set has both kinds for the out-of-scope figures.
    const oos = intent.str2int("oos");
    return { text, intent: i < 5 ? right : right === oos ? 0 : oos };
  });
  return { model, folder, dataset: new Dataset(rows, { intent }), expectedAccuracy: 5 / 8 };
}

test("OnnxPerformanceBenchmark: size is the .onnx file's (fp32 and int8), accuracy is ORT's share of right rows, latency measured; one row keyed by optimType", async () => {
  const { model, folder, dataset, expectedAccuracy } = await setup();
  for (const [file, optimType] of [[folder.fp32, "Tiny + ORT"], [folder.quantized!, "Tiny + ORT (int8)"]] as const) {
    const session = await createModelForProvider(file);
    const pipe = new OnnxPipeline(session, tokenizer, model.config) as OnnxClassifier;
    const pb = new OnnxPerformanceBenchmark(pipe, dataset, optimType, file, { warmupRuns: 1, timedRuns: 4, verbose: false });
    const { sizeMb } = pb.computeSize();
    assert.equal(sizeMb, fs.statSync(file).size / (1024 * 1024));
    const perf = await pb.runBenchmark();
    assert.deepEqual(Object.keys(perf), [optimType]);
    const row = perf[optimType];
    assert.deepEqual(Object.keys(row).sort(), ["accuracy", "auroc", "fpr95", "inScopeAccuracy", "oosRecall", "sizeMb", "timeAvgMs", "timeStdMs"]);
    // Out-of-scope figures from the same predictions: in-scope accuracy and oos recall by counting, AUROC over every (in-scope, oos) pair of the pipeline's scores.
    const results = await pipe(dataset.column("text"), { withOosScore: true });
    const oos = dataset.features.intent.str2int("oos");
    const inRows = dataset.rows.map((r, i) => ({ r, i })).filter(({ r }) => r.intent !== oos);
    const oosRows = dataset.rows.map((r, i) => ({ r, i })).filter(({ r }) => r.intent === oos);
    const right = ({ r, i }: { r: { intent: number }; i: number }) => dataset.features.intent.str2int(results[i][0].label) === r.intent;
    assert.equal(row.inScopeAccuracy, inRows.filter(right).length / inRows.length);
    assert.equal(row.oosRecall, oosRows.filter(right).length / oosRows.length);
    let pairs = 0;
    for (const a of inRows) for (const b of oosRows) pairs += results[a.i][0].oosScore! > results[b.i][0].oosScore! ? 1 : results[a.i][0].oosScore === results[b.i][0].oosScore ? 0.5 : 0;
    assert.ok(Math.abs(row.auroc! - pairs / (inRows.length * oosRows.length)) < 1e-12, `AUROC ${row.auroc}`);
    assert.equal(row.sizeMb, fs.statSync(file).size / (1024 * 1024));
    if (file === folder.fp32) assert.equal(row.accuracy, expectedAccuracy); // the int8 model may flip a row
    else assert.ok(row.accuracy >= 0 && row.accuracy <= 1);
    assert.ok(Number.isFinite(row.timeAvgMs) && row.timeAvgMs > 0, `timeAvgMs ${row.timeAvgMs}`);
    assert.ok(Number.isFinite(row.timeStdMs) && row.timeStdMs >= 0, `timeStdMs ${row.timeStdMs}`);
    pipe.dispose();
  }
  // The int8 file is smaller, and the size is not that of the TF.js weights (model.safetensors).
  assert.ok(fs.statSync(folder.quantized!).size < fs.statSync(folder.fp32).size);
  const tfSize = new PerformanceBenchmark(pipeline("text-classification", model, { tokenizer }) as unknown as BenchmarkablePipeline, dataset, "tf", { verbose: false }).computeSize().sizeMb;
  assert.notEqual(tfSize, fs.statSync(folder.fp32).size / (1024 * 1024));
  model.dispose();
});

test("OnnxPerformanceBenchmark accuracy counts ORT's predictions: every label wrong gives 0", async () => {
  const { model, folder, dataset } = await setup();
  const session = await createModelForProvider(folder.fp32);
  const pipe = new OnnxPipeline(session, tokenizer, model.config) as OnnxClassifier;
  const preds = (await pipe(texts, { oosThreshold: null })).map((r) => dataset.features.intent.str2int(r[0].label));
  const wrong = new Dataset(texts.map((text, i) => ({ text, intent: (preds[i] + 2) % names.length })), dataset.features);
  const pb = new OnnxPerformanceBenchmark(pipe, wrong, "wrong", folder.fp32, { warmupRuns: 0, timedRuns: 1, verbose: false });
  const m = await pb.computeAccuracy();
  assert.deepEqual([m.accuracy, m.inScopeAccuracy, m.oosRecall], [0, 0, 0]);
  assert.ok(m.auroc! >= 0 && m.auroc! <= 1 && m.fpr95! >= 0 && m.fpr95! <= 1);
  pipe.dispose();
  model.dispose();
});

test("OnnxPerformanceBenchmark errors: a missing .onnx file is named; an empty dataset is refused", async () => {
  const { model, folder, dataset } = await setup();
  const session = await createModelForProvider(folder.fp32);
  const pipe = new OnnxPipeline(session, tokenizer, model.config) as OnnxClassifier;
  const missing = path.join(folder.dir, "onnx", "nope.onnx");
  assert.throws(() => new OnnxPerformanceBenchmark(pipe, dataset, "x", missing), { message: `OnnxPerformanceBenchmark: ONNX model not found: ${missing}` });
  assert.throws(() => new OnnxPerformanceBenchmark(pipe, new Dataset([], dataset.features), "x", folder.fp32), /dataset is empty/);
  // A file removed after construction: computeSize names the path rather than returning a stale size.
  const copy = path.join(folder.dir, "onnx", "copy.onnx");
  fs.copyFileSync(folder.fp32, copy);
  const pb = new OnnxPerformanceBenchmark(pipe, dataset, "x", copy, { verbose: false });
  fs.rmSync(copy);
  assert.throws(() => pb.computeSize(), { message: `OnnxPerformanceBenchmark: ONNX model not found: ${copy} (it was there when the benchmark was created)` });
  pipe.dispose();
  model.dispose();
});
