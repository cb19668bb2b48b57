import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "./helpers/setup";
import { ClassLabel, Dataset, concatenateDatasets, loadClinc, loadIntentDataset, parseCsv } from "../lib/data";
import { oversampleOos } from "../lib/workbook/recipes";

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

test("loadIntentDataset errors name the file, row and problem", () => {
  const dir = tmpDir();
  const f = (name: string, body: string) => (fs.writeFileSync(path.join(dir, name), body), path.join(dir, name));
  assert.throws(() => loadIntentDataset(path.join(dir, "missing.csv")), /file not found: .*missing.csv/);
  assert.throws(() => loadIntentDataset(f("a.csv", "sentence,intent\nhi,greet\n")), /needs a header with "text" and "label" columns/);
  assert.throws(() => loadIntentDataset(f("b.csv", "text,label\n  ,greet\n")), /b.csv row 1: empty or non-string text/);
  assert.throws(() => loadIntentDataset(f("c.json", JSON.stringify([{ text: "hi", label: "nope" }])), { labels: ["greet"] }), /c.json row 1: ClassLabel: unknown label "nope"/);
  assert.throws(() => loadIntentDataset(f("d.json", "{oops")), /is not valid JSON/);
  assert.throws(() => loadIntentDataset(f("e.txt", "x")), /unsupported file type ".txt"/);
  assert.throws(() => loadIntentDataset(f("g.csv", 'text,label\n"open,x\n')), /unterminated quoted field/);
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
  const noOos = new Dataset([{ text: "hi", intent: 0 }], { intent: new ClassLabel(["greet"]) });
  assert.equal(oversampleOos(noOos, 4), noOos, "a no-op without an oos class (as documented)");
});
