// describeData, exampleQueries and the oos oversampling note: computed from
// the loaded data, for CLINC150 and for a folder of your own (no oos class).
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpDir } from "../helpers/setup";
import { writeShopData } from "../helpers/intents";
import { loadWorkbookData } from "../../lib/workbook/data";
import { BOOK_QUERIES, appliedOosOversample, dataFacts, describeData, exampleQueries, oosOversampleNote } from "../../lib/workbook/dataFacts";
import { TEACHER_RECIPE, oversampleOos } from "../../lib/workbook/recipes";
import { notebookModelStaleReason } from "../../lib/workbook/models";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadClinc } from "../../lib/data";
import { setLogLevel } from "../../lib/utils/log";

function shopData() {
  const dir = writeShopData(tmpDir(), { train: 16, test: 5 });
  const prev = setLogLevel("warn");
  try {
    return { dir, data: loadWorkbookData(dir, {}) };
  } finally {
    setLogLevel(prev);
  }
}

test("describeData on CLINC150: its rows, classes and oos shares, computed from the splits", () => {
  const clinc = loadClinc();
  const facts = dataFacts(clinc);
  assert.deepEqual(facts, { classes: 151, hasOos: true, train: { rows: 15250, oos: 250 }, validation: { rows: 3100, oos: 100 }, test: { rows: 5500, oos: 1000 } });
  assert.equal(
    describeData(clinc, "clinc150"),
    "clinc150: 15,250 train, 3,100 validation, 5,500 test rows; 151 classes\nout-of-scope class `oos`: 1.6% of train, 3.2% of validation, 18.2% of test",
  );
  assert.equal(oosOversampleNote(clinc, 4), "oos oversampling 4x");
  assert.equal(oosOversampleNote(clinc, undefined), "oos oversampling 1x");
  assert.equal(appliedOosOversample(clinc, 4), 4);
  assert.deepEqual(exampleQueries(clinc, 2, undefined), [...BOOK_QUERIES]);
  assert.match(exampleQueries(clinc, 1, undefined)[0], /rent a vehicle .* Paris/);
});

test("describeData on your own data (no oos class): its own numbers, no oos; example queries from its test split; oversampling not applied", () => {
  const { dir, data } = shopData();
  const text = describeData(data, "my-shop");
  assert.equal(text, "my-shop: 58 train, 6 validation, 20 test rows; 4 classes\nno out-of-scope class (no label named `oos`)");
  assert.doesNotMatch(text, /clinc|5,500|1\.6%|18/i);
  const queries = exampleQueries(data, 3, dir);
  assert.equal(queries.length, 3);
  assert.equal(new Set(queries).size, 3);
  const testTexts = new Set(data.test.column("text"));
  for (const q of queries) assert.ok(testTexts.has(q), `${q} is a test query of the data`);
  for (const q of queries) assert.ok(!BOOK_QUERIES.includes(q));
  assert.deepEqual(exampleQueries(data, 3, dir), queries, "seeded: the same queries each call");
  assert.equal(appliedOosOversample(data, 4), 1);
  assert.equal(oosOversampleNote(data, 4), "oos oversampling: not applied (no oos class)");
  assert.equal(oversampleOos(data.train, 4).length, data.train.length, "and oversampleOos leaves the rows as they are");
});

test("exampleQueries refuses a count that is not a positive integer", () => {
  const { dir, data } = shopData();
  assert.throws(() => exampleQueries(data, 0, dir), /exampleQueries: count must be an integer >= 1, got 0/);
});

test("a model whose oos oversampling was not applied (recorded as 1, the factor asked for kept) is reused; one trained with 1 asked for is not", () => {
  const prev = process.env.WORKBOOK_DATA;
  delete process.env.WORKBOOK_DATA;
  try {
    const dir = tmpDir();
    const write = (recipe: Record<string, unknown>) => fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify({ recipe }));
    write({ ...TEACHER_RECIPE, oosOversample: 1, oosOversampleRequested: TEACHER_RECIPE.oosOversample, oosOversampleNote: "not applied" });
    assert.equal(notebookModelStaleReason("bert-clinc-teacher", dir), undefined);
    write({ ...TEACHER_RECIPE, oosOversample: 1 });
    assert.equal(notebookModelStaleReason("bert-clinc-teacher", dir), `it was trained with another recipe: oosOversample 1 → ${TEACHER_RECIPE.oosOversample}`);
  } finally {
    if (prev !== undefined) process.env.WORKBOOK_DATA = prev;
  }
});
