// The "your own data" path end to end on a small synthetic shop dataset
// (text and category columns, no oos class): loadWorkbookData → trainTeacher
// → a model folder whose report and pipeline agree, with no out-of-scope
// metrics and no fallback.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { writeShopData } from "../helpers/intents";
import { loadWorkbookData, staleModelReason } from "../../lib/workbook/data";
import { trainTeacher } from "../../lib/workbook/recipes";
import { pipeline } from "../../lib/pipelines";
import { setLogLevel } from "../../lib/utils/log";

test("trainTeacher on your own data (no oos class): the folder, its report (oos metrics not applicable) and pipeline() agree", async () => {
  await ready;
  const dir = writeShopData(tmpDir(), { train: 16, test: 5 });
  const prev = setLogLevel("warn");
  try {
    const data = loadWorkbookData(dir, {});
    const out = path.join(dir, "models", "teacher");
    const result = await trainTeacher({ dataset: data, out, runDir: path.join(dir, "runs"), numTrainEpochs: 1, perDeviceTrainBatchSize: 32, dataParallelWorkers: 1 });
    assert.deepEqual(fs.readdirSync(out).sort(), ["config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "training_report.json", "vocab.txt"]);
    const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
    assert.deepEqual(Object.values(config.id2label), ["refund", "delivery", "account", "payment"]);
    assert.equal(config.task_specific_params, undefined, "no out-of-scope fallback without an oos class");
    const report = JSON.parse(fs.readFileSync(path.join(out, "training_report.json"), "utf8"));
    assert.deepEqual(report.dataset, { train: 58, validation: 6, test: 20, labels: 4, oosLabel: null });
    // The recipe's oos oversampling (4x) did not apply: recorded as 1, with the reason.
    assert.equal(report.recipe.oosOversample, 1);
    assert.equal(report.recipe.oosOversampleRequested, 4);
    assert.equal(report.recipe.oosOversampleNote, "not applied: the data has no oos class (recipe asked for 4x)");
    // The data's fingerprint (each file's sha256), which a reuse checks (staleModelReason).
    const sha = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");
    assert.equal(report.dataFingerprint.files.train.sha256, sha(path.join(dir, "train.csv")));
    assert.equal(report.dataFingerprint.files.test.sha256, sha(path.join(dir, "test.csv")));
    assert.equal(staleModelReason(out, dir, {}), undefined);
    assert.equal(report.oosFallback, null);
    assert.equal(report.test.inScopeAccuracy, null);
    assert.equal(report.test.oosRecall, null);
    assert.deepEqual(report.test, report.testArgmax);
    // The saved model predicts the report's test accuracy through pipeline().
    const pipe = pipeline("text-classification", out);
    const predictions = await pipe(data.test.column("text"));
    const names = data.test.features.intent.names;
    const correct = predictions.filter((p, i) => p[0].label === names[data.test.at(i).intent]).length;
    assert.equal(correct / data.test.length, result.test.accuracy);
    assert.equal(report.test.accuracy, result.test.accuracy);
    // A fallback needs its label among the model's labels.
    await assert.rejects(pipe("where is my parcel", { oosThreshold: 0.5 }), /the fallback label "oos" is not one of the model's labels/);
    pipe.dispose();
    result.model.dispose();
  } finally {
    setLogLevel(prev);
  }
});
