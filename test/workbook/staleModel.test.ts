// Your own data is never served by a stale model: a model trained for
// WORKBOOK_DATA records the data's fingerprint, and notebookModel retrains it
// (saying why) when a data file, the recipe or its teacher changed;
// profileModelPath refuses it. The model here is the bag of words (a second
// or two on a tiny shop dataset).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { writeShopData } from "../helpers/intents";
import { loadWorkbookData, staleModelReason, workbookModelDir } from "../../lib/workbook/data";
import { notebookModel, notebookModelStaleReason } from "../../lib/workbook/models";
import { TEACHER_CHECKPOINT, profileModelPath } from "../../lib/workbook/hub";
import { trainBagOfWords } from "../../lib/workbook/baselineRecipe";
import { BertTokenizer } from "../../lib/tokenizers";
import { setLogSink } from "../../lib/utils/log";
import { dataFingerprintOf } from "../../lib/data";

const sha = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");

test("a model trained for WORKBOOK_DATA is reused only for the files it was trained on", async () => {
  await ready;
  const root = tmpDir();
  const shop = writeShopData(path.join(root, "a", "shop"), { train: 12, test: 3 });
  const saved = { data: process.env.WORKBOOK_DATA, profile: process.env.WORKBOOK_PROFILE };
  process.env.WORKBOOK_DATA = shop;
  const outputs = path.dirname(path.dirname(workbookModelDir("bow-clinc")));
  const warnings: string[] = [];
  const prevSink = setLogSink({ out: () => {}, err: (l) => warnings.push(l) });
  const tokenizer = BertTokenizer.fromPretrained(TEACHER_CHECKPOINT);
  let trainings = 0;
  const train = async (out: string) => {
    trainings++;
    const r = await trainBagOfWords({ seed: 42, dataset: loadWorkbookData(), tokenizer, out });
    r.model.dispose();
  };
  const labelsOf = (dir: string) => Object.values(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).id2label);
  const report = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "training_report.json"), "utf8"));
  try {
    // First run: trained, with the fingerprint of each file in its report.
    const dir = await notebookModel("bow-clinc", train);
    assert.equal(trainings, 1);
    assert.equal(report(dir).dataFingerprint.files.train.sha256, sha(path.join(shop, "train.csv")));
    assert.equal(report(dir).dataFingerprint.files.test.sha256, sha(path.join(shop, "test.csv")));
    assert.deepEqual(report(dir).dataFingerprint.options, { textColumn: "text", labelColumn: "category", labels: null, validationFraction: 0.1, seed: 42 });
    // Same files: reused.
    assert.equal(await notebookModel("bow-clinc", train), dir);
    assert.equal(trainings, 1);
    assert.equal(profileModelPath("bow-clinc"), dir);

    // An edited CSV: profileModelPath refuses, naming the file; notebookModel retrains, saying why.
    fs.appendFileSync(path.join(shop, "test.csv"), "where is my parcel now,delivery\n");
    assert.match(staleModelReason(dir)!, /^it was trained on other data: test\.csv changed \(sha256 /);
    assert.throws(() => profileModelPath("bow-clinc"), /Model "bow-clinc" in .* cannot serve WORKBOOK_DATA=.*: it was trained on other data: test\.csv changed/);
    warnings.length = 0;
    await notebookModel("bow-clinc", train);
    assert.equal(trainings, 2);
    assert.ok(warnings.some((w) => /^bag-of-words: not reusing .*: it was trained on other data: test\.csv changed .*Retraining it for WORKBOOK_DATA=/.test(w)), warnings.join("\n"));
    assert.equal(report(dir).dataFingerprint.files.test.sha256, sha(path.join(shop, "test.csv")));
    assert.equal(staleModelReason(dir), undefined);

    // Another folder with the same name and other labels: not served by the shop model.
    const other = path.join(root, "b", "shop");
    fs.mkdirSync(other, { recursive: true });
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [`cancel my plan ${i}`, "cancel", `upgrade to premium ${i}`, "upgrade"]).flatMap(([a, b, c, d]) => [`${a},${b}`, `${c},${d}`]);
    fs.writeFileSync(path.join(other, "train.csv"), ["text,label", ...rows(12)].join("\n") + "\n");
    fs.writeFileSync(path.join(other, "test.csv"), ["text,label", "cancel it all,cancel", "go premium,upgrade"].join("\n") + "\n");
    process.env.WORKBOOK_DATA = other;
    assert.equal(workbookModelDir("bow-clinc"), dir, "the same folder name: the same output folder");
    assert.match(notebookModelStaleReason("bow-clinc", dir)!, /train\.csv changed.*test\.csv changed.*option labelColumn "category" → "label"/);
    await notebookModel("bow-clinc", train);
    assert.equal(trainings, 3);
    assert.deepEqual(labelsOf(dir), ["cancel", "upgrade"]);
    process.env.WORKBOOK_DATA = shop;

    // A report without a fingerprint (an older run) is stale for your own data.
    await notebookModel("bow-clinc", train);
    assert.equal(trainings, 4);
    assert.deepEqual(labelsOf(dir), ["refund", "delivery", "account", "payment"]);
    const { dataFingerprint: _f, ...older } = report(dir);
    fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify(older));
    assert.match(notebookModelStaleReason("bow-clinc", dir)!, /records no data fingerprint/);
    assert.throws(() => profileModelPath("bow-clinc"), /records no data fingerprint/);

    // Another recipe, or a teacher retrained after it: stale too.
    fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify({ ...report(dir), dataFingerprint: _f, recipe: { ...report(dir).recipe, hiddenSize: 64 } }));
    assert.equal(notebookModelStaleReason("bow-clinc", dir), "it was trained with another recipe: hiddenSize 64 → 256");
    fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify({ ...report(dir), dataFingerprint: _f, recipe: { ...report(dir).recipe, hiddenSize: 256 } }));
    assert.equal(notebookModelStaleReason("bow-clinc", dir), undefined);
    const teacher = path.join(path.dirname(dir), "bert-clinc-teacher");
    fs.mkdirSync(teacher, { recursive: true });
    fs.writeFileSync(path.join(teacher, "config.json"), "{}");
    const later = new Date(fs.statSync(path.join(dir, "config.json")).mtimeMs + 60_000);
    fs.utimesSync(path.join(teacher, "config.json"), later, later);
    assert.equal(notebookModelStaleReason("bow-clinc", dir), "bert-clinc-teacher, which it was trained from, was retrained after it");
  } finally {
    setLogSink(prevSink);
    if (saved.data === undefined) delete process.env.WORKBOOK_DATA;
    else process.env.WORKBOOK_DATA = saved.data;
    fs.rmSync(outputs, { recursive: true, force: true });
  }
});

test("CLINC150: the shipped models are used as they are; a full-profile copy with the shipped data's fingerprint passes", () => {
  const saved = process.env.WORKBOOK_DATA;
  delete process.env.WORKBOOK_DATA;
  try {
    assert.equal(profileModelPath("bert-clinc-teacher", "default"), TEACHER_CHECKPOINT);
    // Shipped reports predate fingerprints: trusted for the shipped data.
    assert.equal(staleModelReason(TEACHER_CHECKPOINT, undefined), undefined);
    // A report that records the shipped files passes; another file is named.
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, "config.json"), "{}");
    const clinc = loadWorkbookData(undefined);
    const fingerprint = dataFingerprintOf(clinc)!;
    fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify({ dataFingerprint: fingerprint }));
    assert.equal(staleModelReason(dir, undefined), undefined);
    fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify({ dataFingerprint: { ...fingerprint, files: { ...fingerprint.files, data: { ...fingerprint.files.data, sha256: "0".repeat(64) } } } }));
    assert.match(staleModelReason(dir, undefined)!, /data_oos_plus\.json changed/);
  } finally {
    if (saved !== undefined) process.env.WORKBOOK_DATA = saved;
  }
});
