import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { ClassLabel, Dataset, concatenateDatasets, loadClinc, loadIntentDataset, parseCsv, stratifiedSplit } from "../../lib/data";
import { oversampleOos } from "../../lib/workbook/recipes";
import { loadWorkbookData, workbookModelDir } from "../../lib/workbook/data";
import { setLogLevel, setLogSink } from "../../lib/utils/log";
import { writeShopData } from "../helpers/intents";

test("loadClinc: HF split sizes, label order and the chapter's example rows", () => {
  const clinc = loadClinc();
  assert.equal(clinc.train.length, 15250);
  assert.equal(clinc.validation.length, 3100);
  assert.equal(clinc.test.length, 5500);
  const intents = clinc.test.features.intent;
  assert.equal(intents.numClasses, 151);
  assert.equal(intents.int2str(0), "restaurant_reviews");
  assert.equal(intents.str2int("oos"), 42);
  assert.deepEqual(clinc.test.at(0), { text: "how would you say fly in italian", intent: 61 });
  assert.equal(intents.int2str(61), "translate");
  assert.deepEqual(clinc.test.at(42), { text: "transfer $100 from my checking to saving account", intent: 133 });
  assert.equal(intents.int2str(133), "transfer");
  // In-scope rows first, then the 1,000 out-of-scope ones.
  assert.equal(clinc.test.at(4499).intent === 42, false);
  assert.ok(clinc.test.rows.slice(4500).every((r) => r.intent === 42));
  assert.equal(clinc.train.rows.filter((r) => r.intent === 42).length, 250);
});

test("ClassLabel lookups and errors", () => {
  const c = new ClassLabel(["a", "b"]);
  assert.equal(c.numClasses, 2);
  assert.equal(c.str2int("b"), 1);
  assert.throws(() => c.str2int("zzz"), /unknown label "zzz"/);
  assert.throws(() => c.int2str(2), /id 2 is out of range \[0, 2\)/);
  assert.throws(() => new ClassLabel(["a", "a"]), /duplicate label "a"/);
  assert.deepEqual(c.toConfigMaps(), { id2label: { "0": "a", "1": "b" }, label2id: { a: 0, b: 1 } });
});

test("loadIntentDataset reads CSV (quoted fields) and JSON, with a user label order", () => {
  const dir = tmpDir();
  const csv = path.join(dir, "d.csv");
  fs.writeFileSync(csv, 'text,label\r\n"hello, there",greet\nbye now,bye\n"say ""hi""",greet\n');
  const ds = loadIntentDataset(csv);
  assert.deepEqual(ds.features.intent.names, ["greet", "bye"]);
  assert.deepEqual(ds.rows, [{ text: "hello, there", intent: 0 }, { text: "bye now", intent: 1 }, { text: 'say "hi"', intent: 0 }]);
  const json = path.join(dir, "d.json");
  fs.writeFileSync(json, JSON.stringify([{ text: "hi", label: "greet" }, ["ciao", "bye"]]));
  const js = loadIntentDataset(json, { labels: ["bye", "greet"] });
  assert.deepEqual(js.rows, [{ text: "hi", intent: 1 }, { text: "ciao", intent: 0 }]);
  assert.deepEqual(parseCsv('a,"b\nc"\n'), [["a", "b\nc"]]);
});

test("loadIntentDataset errors name the file, line and problem", () => {
  const dir = tmpDir();
  const f = (name: string, body: string) => (fs.writeFileSync(path.join(dir, name), body), path.join(dir, name));
  assert.throws(() => loadIntentDataset(path.join(dir, "missing.csv")), /file not found: .*missing.csv/);
  assert.throws(() => loadIntentDataset(f("a.csv", "sentence,intent\nhi,greet\n")), /a.csv line 1: no "text" column \(columns: "sentence", "intent"\); pass textColumn/);
  assert.throws(() => loadIntentDataset(f("b.csv", "text,label\n  ,greet\n")), /b.csv line 2: empty text/);
  assert.throws(() => loadIntentDataset(f("c.json", JSON.stringify([{ text: "hi", label: "nope" }])), { labels: ["greet"] }), /c.json line 1: label "nope" is not one of options.labels \(greet\)/);
  assert.throws(() => loadIntentDataset(f("d.json", "{oops")), /d.json: not valid JSON/);
  assert.throws(() => loadIntentDataset(f("e.txt", "x")), /unsupported file type ".txt"/);
  assert.throws(() => loadIntentDataset(f("g.csv", 'text,label\n"open,x\n')), /g.csv line 2: unterminated quoted field/);
});

test("concatenateDatasets and oversampleOos repeat the oos rows, keep the rest, leave data without oos alone, and reject bad input", () => {
  const features = { intent: new ClassLabel(["greet", "oos"]) };
  const ds = new Dataset([{ text: "hi", intent: 0 }, { text: "what is love", intent: 1 }, { text: "hello", intent: 0 }], features);
  const both = concatenateDatasets([ds, ds.head(1)]);
  assert.deepEqual(both.column("text"), ["hi", "what is love", "hello", "hi"]);
  assert.equal(both.features, features);
  assert.throws(() => concatenateDatasets([]), /no datasets given/);
  assert.throws(() => concatenateDatasets([ds, new Dataset([], { intent: new ClassLabel(["a"]) })]), /features differ/);
  const over = oversampleOos(ds, 3);
  assert.equal(over.length, 5);
  assert.deepEqual(over.filter((r) => r.intent === 1).column("text"), ["what is love", "what is love", "what is love"]);
  assert.deepEqual(over.head(3).column("text"), ds.column("text"), "original rows first, in order");
  assert.equal(oversampleOos(ds, 1).length, 3);
  assert.throws(() => oversampleOos(ds, 0), /factor must be an integer >= 1/);
  assert.throws(() => oversampleOos(ds, 1.5), /factor must be an integer >= 1/);
  // Without an oos class, oversampling is a no-op (the same dataset back).
  const noOos = new Dataset([{ text: "hi", intent: 0 }], { intent: new ClassLabel(["greet", "bye"]) });
  assert.equal(oversampleOos(noOos, 4), noOos);
});

test("loadIntentDataset splits: your columns, one label list from train, a validation file or a stratified seeded fraction", () => {
  const dir = writeShopData(tmpDir(), { train: 10, test: 3, validation: 2 });
  const files = { train: path.join(dir, "train.csv"), test: path.join(dir, "test.csv") };
  const withFile = loadIntentDataset({ ...files, validation: path.join(dir, "validation.csv") }, { labelColumn: "category" });
  assert.deepEqual([withFile.train.length, withFile.validation.length, withFile.test.length], [40, 8, 12]);
  const names = ["refund", "delivery", "account", "payment"];
  for (const split of [withFile.train, withFile.validation, withFile.test]) assert.deepEqual(split.features.intent.names, names, "one label list, the training file's order");
  assert.deepEqual(withFile.test.at(0), { text: fs.readFileSync(files.test, "utf8").split("\n")[1].split(",")[0], intent: 0 });
  // A fraction: stratified (10 rows per class → 1 each at 0.1, 3 each at 0.3), seeded, original order kept.
  const a = loadIntentDataset(files, { labelColumn: "category", validationFraction: 0.3, seed: 7 });
  assert.equal(a.validation.length, 12);
  assert.equal(a.train.length, 28);
  for (let c = 0; c < 4; c++) assert.equal(a.validation.filter((r) => r.intent === c).length, 3, `class ${c}`);
  const b = loadIntentDataset(files, { labelColumn: "category", validationFraction: 0.3, seed: 7 });
  assert.deepEqual(b.validation.rows, a.validation.rows, "same seed, same split");
  const c = loadIntentDataset(files, { labelColumn: "category", validationFraction: 0.3, seed: 8 });
  assert.notDeepEqual(c.validation.rows, a.validation.rows, "another seed, another split");
  const all = loadIntentDataset(files.train, { labelColumn: "category" });
  assert.deepEqual([...a.train.rows, ...a.validation.rows].map((r) => r.text).sort(), all.rows.map((r) => r.text).sort(), "a partition of the training file");
  // Labels given: their order, and a training label outside them is an error.
  const ordered = loadIntentDataset(files, { labelColumn: "category", validationFraction: 0.1, labels: ["payment", "account", "delivery", "refund"] });
  assert.equal(ordered.train.features.intent.str2int("refund"), 3);
  assert.equal(ordered.test.features.intent, ordered.train.features.intent);
  assert.throws(() => loadIntentDataset(files, { labelColumn: "category", validationFraction: 0.1, labels: ["refund", "delivery", "account"] }), /train.csv line 5: label "payment" is not one of options.labels/);
});

test("stratifiedSplit: exact total, per-class shares by largest remainder, at least one row kept per class", () => {
  const labels = [...Array(7).fill(0), ...Array(3).fill(1), 2];
  const { kept, heldOut } = stratifiedSplit(labels, 0.3, 1);
  assert.equal(heldOut.length, 3); // round(11 * 0.3)
  const held = (c: number) => heldOut.filter((i) => labels[i] === c).length;
  assert.deepEqual([held(0), held(1), held(2)], [2, 1, 0]); // 2.1 → 2, 0.9 → 1 (largest remainder), a single row stays
  assert.deepEqual([...kept, ...heldOut].sort((x, y) => x - y), labels.map((_, i) => i));
  assert.deepEqual(kept, [...kept].sort((x, y) => x - y));
  assert.throws(() => stratifiedSplit(labels, 1, 0), /fraction must be a number in \(0, 1\), got 1/);
});

test("numeric JSON labels keep their ids; JSON Lines; labels are trimmed", () => {
  const dir = tmpDir();
  const train = path.join(dir, "train.json");
  fs.writeFileSync(train, JSON.stringify([{ text: "a", label: 2 }, { text: "b", label: 0 }, { text: "c", label: 1 }]));
  const test = path.join(dir, "test.jsonl");
  fs.writeFileSync(test, '{"text": "x", "label": 1}\n\n{"text": "y", "label": 0}\n');
  const ids = loadIntentDataset({ train, test, validation: test });
  assert.deepEqual(ids.train.features.intent.names, ["0", "1", "2"]);
  assert.deepEqual(ids.test.rows, [{ text: "x", intent: 1 }, { text: "y", intent: 0 }]);
  const named = loadIntentDataset(train, { labels: ["zero", "one", "two"] });
  assert.deepEqual(named.rows.map((r) => named.features.intent.int2str(r.intent)), ["two", "zero", "one"]);
  const padded = path.join(dir, "padded.csv");
  fs.writeFileSync(padded, "text,label\nhi, greet\nyo,greet \nbye,bye\n");
  const lines: string[] = [];
  const prev = setLogSink({ out: () => {}, err: (l) => lines.push(l) });
  try {
    const ds = loadIntentDataset(padded);
    assert.deepEqual(ds.features.intent.names, ["greet", "bye"]);
    assert.deepEqual(ds.column("intent"), [0, 0, 1]);
  } finally {
    setLogSink(prev);
  }
  assert.deepEqual(lines, [
    `${padded}: 2 labels had surrounding spaces and were trimmed (first: " greet" on line 2 → "greet")`,
    `${padded}: 2 classes have fewer than 10 data rows (too few to learn or to score); e.g. {"label":"bye","rows":1}; {"label":"greet","rows":2} (dataReport(data) lists them)`,
  ]);
});

test("loadWorkbookData: CLINC150 by default; a folder of your own CSVs with its columns found, a held-out validation split, errors that say what to do", () => {
  assert.equal(loadWorkbookData(undefined).train.length, 15250);
  const dir = writeShopData(tmpDir(), { train: 10, test: 2 });
  const quiet = setLogLevel("warn");
  try {
    const data = loadWorkbookData(dir, {});
    assert.deepEqual([data.train.length, data.validation.length, data.test.length], [36, 4, 8]);
    assert.deepEqual(data.train.features.intent.names, ["refund", "delivery", "account", "payment"]);
    assert.equal(loadWorkbookData(dir, { WORKBOOK_VALIDATION_FRACTION: "0.2" }).validation.length, 8);
    assert.throws(() => loadWorkbookData(dir, { WORKBOOK_VALIDATION_FRACTION: "10%" }), /WORKBOOK_VALIDATION_FRACTION must be a number in \(0, 1\), got "10%"/);
    assert.throws(() => loadWorkbookData(dir, { WORKBOOK_LABEL_COLUMN: "topic" }), /train.csv line 1: no "topic" column \(columns: "text", "category"\)/);
    // Both a "label" and a "category" column: ambiguous, so it asks.
    const two = tmpDir();
    fs.writeFileSync(path.join(two, "train.csv"), "text,label,category\nhi,1,greet\nhello,1,greet\n");
    fs.writeFileSync(path.join(two, "test.csv"), "text,label,category\nhi,1,greet\n");
    assert.throws(() => loadWorkbookData(two, {}), /several candidate columns \(label, category\) among its columns \(text, label, category\); set WORKBOOK_LABEL_COLUMN/);
    assert.equal(loadWorkbookData(two, { WORKBOOK_LABEL_COLUMN: "category", WORKBOOK_VALIDATION_FRACTION: "0.5" }).train.features.intent.names[0], "greet");
    fs.rmSync(path.join(dir, "test.csv"));
    assert.throws(() => loadWorkbookData(dir, {}), /no test.csv \(found: train.csv\); the folder needs train and test files/);
    fs.writeFileSync(path.join(dir, "test.json"), "[]");
    fs.writeFileSync(path.join(dir, "train.json"), "[]");
    assert.throws(() => loadWorkbookData(dir, {}), /train.csv and train.json both exist; keep one train file/);
    assert.throws(() => loadWorkbookData(path.join(dir, "nope"), {}), /WORKBOOK_DATA=.*nope: no such folder/);
  } finally {
    setLogLevel(quiet);
  }
  assert.match(workbookModelDir("bert-clinc-teacher", dir), new RegExp(`outputs/${path.basename(dir)}/models/teacher$`), "named for its role under the data's own folder");
  assert.match(workbookModelDir("bert-clinc-teacher", undefined), /data\/models\/bert-clinc-teacher$/);
});
