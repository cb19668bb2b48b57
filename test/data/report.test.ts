// dataReport: each kind of finding with its count and examples, nothing for
// clean data, the loader's warnings; the CSV header read from the first bytes
// only; each loaded file's sha256 recorded (dataFingerprintOf).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { ClassLabel, Dataset, dataFingerprintChanges, dataFingerprintOf, dataReport, intentFileColumns, loadIntentDataset } from "../../lib/data";
import type { IntentRow } from "../../lib/data/intents";
import { setLogSink } from "../../lib/utils/log";

const LABELS = new ClassLabel(["refund", "delivery", "account"]);
const ds = (rows: [string, string][], labels = LABELS) => new Dataset<IntentRow>(rows.map(([text, l]) => ({ text, intent: labels.str2int(l) })), { intent: labels });
/** n distinct texts per label. */
const many = (label: string, n: number, tag = "") => Array.from({ length: n }, (_, i) => [`${label} query ${tag}${i}`, label] as [string, string]);
const clean = () => ({
  train: ds([...many("refund", 10), ...many("delivery", 10), ...many("account", 10)]),
  validation: ds([...many("refund", 2, "v"), ...many("delivery", 2, "v")]),
  test: ds([...many("refund", 2, "t"), ...many("account", 2, "t")]),
});

test("dataReport: a clean dataset reports nothing", () => {
  const report = dataReport(clean());
  assert.equal(report.clean, true);
  assert.deepEqual(report.findings, []);
  assert.deepEqual(report.splits, { train: 30, validation: 4, test: 4 });
  assert.equal(report.toString(), "Data report: train 30, validation 4, test 4 rows; 3 labels; no problems found");
});

test("dataReport: duplicate rows, with their count per split and examples", () => {
  const d = clean();
  d.train = ds([...d.train.rows.map((r): [string, string] => [r.text, LABELS.int2str(r.intent)]), ["refund query 0", "refund"], ["  Refund   QUERY 0 ", "refund"], ["delivery query 3", "delivery"]]);
  const f = dataReport(d).find("duplicate-rows")!;
  assert.equal(f.count, 3, "two more copies of one row, one of another");
  assert.match(f.message, /^3 duplicate rows .*train: 3/);
  assert.deepEqual(f.examples, [
    { split: "train", text: "refund query 0", label: "refund", copies: 3 },
    { split: "train", text: "delivery query 3", label: "delivery", copies: 2 },
  ]);
  assert.equal(dataReport(d).findings.length, 1, "nothing else is reported");
});

test("dataReport: the same text with two labels (within and across splits)", () => {
  const d = clean();
  d.train = ds([...many("refund", 10), ...many("delivery", 10), ...many("account", 10), ["refund query 1", "account"]]);
  d.test = ds([["delivery query 2", "refund"], ...many("account", 2, "t")]);
  const report = dataReport(d);
  const f = report.find("conflicting-labels")!;
  assert.equal(f.count, 2);
  assert.deepEqual(f.examples, [
    { text: "refund query 1", labels: ["refund", "account"], splits: ["train"] },
    { text: "delivery query 2", labels: ["delivery", "refund"], splits: ["train", "test"] },
  ]);
  assert.match(report.toString(), /conflicting-labels: 2 texts have two or more labels/);
  // A row repeated after the same text with another label is still a duplicate.
  const aba = dataReport(ds([["x", "refund"], ["x", "delivery"], ["x", "refund"], ...many("refund", 10), ...many("delivery", 10), ...many("account", 10)]));
  assert.deepEqual(aba.find("duplicate-rows")!.examples, [{ split: "data", text: "x", label: "refund", copies: 2 }]);
  assert.equal(aba.find("conflicting-labels")!.count, 1);
});

test("dataReport: test and validation texts that also appear in training (leakage)", () => {
  const d = clean();
  d.test = ds([["refund query 3", "refund"], ["Delivery query 4", "delivery"], ...many("account", 2, "t")]);
  d.validation = ds([["account query 9", "account"], ...many("refund", 1, "v")]);
  const f = dataReport(d).find("leakage")!;
  assert.equal(f.count, 3);
  assert.match(f.message, /3 rows outside train have a text that is also in train \(validation: 1 of 2, test: 2 of 4\)/);
  assert.deepEqual(f.examples[1], { split: "test", text: "refund query 3", label: "refund", trainLabel: "refund" });
  assert.equal(f.examples.length, 3);
  assert.equal(dataReport(d, { examples: 1 }).find("leakage")!.examples.length, 1, "examples option caps them");
});

test("dataReport: classes with fewer than minExamples training rows, smallest first (a class with none included)", () => {
  const d = clean();
  d.train = ds([...many("refund", 10), ...many("delivery", 4)]);
  const f = dataReport(d).find("small-classes")!;
  assert.equal(f.count, 2);
  assert.deepEqual(f.examples, [{ label: "account", rows: 0 }, { label: "delivery", rows: 4 }]);
  assert.match(f.message, /2 classes have fewer than 10 train rows/);
  assert.equal(dataReport(d, { minExamples: 4 }).find("small-classes")!.count, 1);
  assert.throws(() => dataReport(d, { minExamples: 0 }), /minExamples must be an integer >= 1, got 0/);
});

test("dataReport: a single class", () => {
  const one = new ClassLabel(["refund"]);
  const f = dataReport(ds(many("refund", 12), one)).find("single-class")!;
  assert.equal(f.count, 1);
  assert.deepEqual(f.examples, [{ label: "refund", rows: 12 }]);
  assert.match(f.message, /a single class \("refund"\): a classifier needs at least two/);
});

test("dataReport: labels that look like the out-of-scope class under another name", () => {
  const labels = new ClassLabel(["refund", "OOS", "out_of_scope", "oos"]);
  const train = ds([...many("refund", 10), ...many("OOS", 10), ...many("out_of_scope", 10), ...many("oos", 10)], labels);
  const f = dataReport(train).find("oos-alias")!;
  assert.equal(f.count, 2, '"oos" itself is the out-of-scope class, not an alias');
  assert.deepEqual(f.examples, [{ label: "OOS", rows: 10 }, { label: "out_of_scope", rows: 10 }]);
  assert.match(f.message, /"OOS", "out_of_scope" look like an out-of-scope class: name it "oos"/);
});

test("dataReport: bad input is a clear error", () => {
  assert.throws(() => dataReport(null as never), /dataReport: pass a Dataset or \{ train, validation, test \}, got null/);
  assert.throws(() => dataReport({ train: [] as never }), /split "train" is not a Dataset/);
});

test("the loader warns about the findings, with counts and examples, naming the folder", () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, "train.csv"), ["text,label", ...Array.from({ length: 12 }, (_, i) => `refund ${i},refund`), ...Array.from({ length: 12 }, (_, i) => `parcel ${i},delivery`), "refund 1,refund"].join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "test.csv"), "text,label\nrefund 3,refund\nparcel 99,delivery\n");
  const lines: string[] = [];
  const prev = setLogSink({ out: () => {}, err: (l) => lines.push(l) });
  try {
    loadIntentDataset({ train: path.join(dir, "train.csv"), test: path.join(dir, "test.csv") }, { validationFraction: 0.1 });
  } finally {
    setLogSink(prev);
  }
  assert.ok(lines.some((l) => l.startsWith(`${dir}: 1 duplicate row`) && l.includes('"text":"refund 1"')), lines.join("\n"));
  assert.ok(lines.some((l) => l.startsWith(`${dir}: `) && /\d+ rows? outside train/.test(l) && l.includes('"text":"refund 3"')), lines.join("\n"));
});

test("intentFileColumns reads a CSV's header from its first bytes, not the whole file", () => {
  const dir = tmpDir();
  const file = path.join(dir, "big.csv");
  // A broken row far down: parsing the whole file would fail; the header is read without it.
  fs.writeFileSync(file, "utterance,intent\n" + "hello there,greet\n".repeat(20000) + '"never closed,greet\n');
  assert.deepEqual(intentFileColumns(file), ["utterance", "intent"]);
  assert.throws(() => loadIntentDataset(file, { textColumn: "utterance", labelColumn: "intent" }), /line 20002: unterminated quoted field/);
  // A quoted header field with a newline, longer than the first chunk, is still read whole.
  const long = path.join(dir, "long.csv");
  fs.writeFileSync(long, `"text\n${"x".repeat(70000)}",label\nhi,greet\n`);
  assert.deepEqual(intentFileColumns(long), [`text\n${"x".repeat(70000)}`, "label"]);
  const jsonl = path.join(dir, "big.jsonl");
  fs.writeFileSync(jsonl, '\n["pair", "greet"]\n{"query": "hi", "intent": "greet"}\n' + '{"query": "hi", "intent": "greet"}\n'.repeat(5000) + "{broken\n");
  assert.deepEqual(intentFileColumns(jsonl), ["query", "intent"]);
  assert.throws(() => loadIntentDataset(jsonl, { textColumn: "query", labelColumn: "intent" }), /line 5004: not valid JSON/);
  fs.writeFileSync(jsonl, "\n{oops\n");
  assert.throws(() => intentFileColumns(jsonl), /big\.jsonl line 2: not valid JSON/);
  const empty = path.join(dir, "empty.csv");
  fs.writeFileSync(empty, "");
  assert.deepEqual(intentFileColumns(empty), []);
});

test("a .json array file is parsed once, columns included: intentFileColumns keeps its parse for the load that follows", () => {
  const dir = tmpDir();
  const rows = (n: number, label: string) => Array.from({ length: n }, (_, i) => ({ query: `${label} ${i}`, intent: label }));
  const files = { train: path.join(dir, "train.json"), validation: path.join(dir, "validation.json"), test: path.join(dir, "test.json") };
  for (const [split, file] of Object.entries(files)) fs.writeFileSync(file, JSON.stringify([...rows(3, `refund-${split}`), ...rows(3, `delivery-${split}`)].map((r) => ({ ...r, intent: r.intent.split("-")[0] }))));
  const contents = new Map(Object.values(files).map((f) => [fs.readFileSync(f, "utf8"), path.basename(f)]));
  const real = JSON.parse;
  const parsed: string[] = [];
  JSON.parse = ((text: string, reviver?: Parameters<typeof JSON.parse>[1]) => {
    const name = contents.get(text);
    if (name) parsed.push(name);
    return real(text, reviver);
  }) as typeof JSON.parse;
  try {
    assert.deepEqual(intentFileColumns(files.train), ["query", "intent"]);
    loadIntentDataset(files, { textColumn: "query", labelColumn: "intent" });
    assert.deepEqual(parsed.sort(), ["test.json", "train.json", "validation.json"], "each file parsed exactly once");
    // A file changed after its columns were read is parsed again, not served from the earlier parse.
    intentFileColumns(files.train);
    const changed = JSON.stringify(rows(4, "refund").concat(rows(4, "delivery")));
    fs.writeFileSync(files.train, changed);
    fs.utimesSync(files.train, new Date(), new Date(Date.now() + 5000));
    assert.equal(loadIntentDataset(files.train, { textColumn: "query", labelColumn: "intent" }).length, 8);
  } finally {
    JSON.parse = real;
  }
});

test("loaded data carries each file's sha256 (dataFingerprintOf); a changed file is named", () => {
  const dir = tmpDir();
  const train = path.join(dir, "train.csv");
  const test = path.join(dir, "test.csv");
  fs.writeFileSync(train, "text,label\nrefund please,refund\nwhere is it,delivery\n");
  fs.writeFileSync(test, "text,label\nmoney back,refund\n");
  const sha = (f: string) => createHash("sha256").update(fs.readFileSync(f)).digest("hex");
  const before = dataFingerprintOf(loadIntentDataset({ train, test, validation: test }))!;
  assert.equal(before.files.train.sha256, sha(train));
  assert.equal(before.files.test.sha256, sha(test));
  assert.deepEqual(before.options, { textColumn: "text", labelColumn: "label", labels: null });
  fs.appendFileSync(test, "track my parcel,delivery\n");
  const after = dataFingerprintOf(loadIntentDataset({ train, test, validation: test }))!;
  assert.deepEqual(dataFingerprintChanges(before, before), []);
  const changes = dataFingerprintChanges(before, after);
  assert.equal(changes.length, 2, "test.csv is both the test and the validation file");
  assert.match(changes[0], /^test\.csv changed \(sha256 [0-9a-f]{8}… → [0-9a-f]{8}…, 29 → 54 bytes\)$/);
  assert.equal(dataFingerprintOf({ train: new Dataset([], { intent: LABELS }) }), undefined, "data built in memory has none");
  const loaded = loadIntentDataset({ train, test, validation: test });
  assert.equal(dataFingerprintOf({ ...loaded, test: loaded.test.head(1) }), dataFingerprintOf(loaded), "the same training rows: the same files");
  assert.equal(dataFingerprintOf({ ...loaded, train: loaded.validation }), undefined, "other training rows: none");
  assert.equal(dataFingerprintOf({ ...loaded, train: loaded.train.head(1) }), undefined);
});
