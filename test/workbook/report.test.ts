// The workbook report marked INCOMPLETE when a run failed or was stopped:
// the reason at the top of the Markdown and in the JSON, and nothing of an
// earlier run left unmarked.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { closingStatement, perfMetricsMarkdown, writeReport } from "../../lib/workbook/report";

const ROWS = { "BERT baseline": { sizeMb: 418.2, timeAvgMs: 50, timeStdMs: 2, accuracy: 0.867 } };
const WHY = "interrupted by SIGTERM in 03_quantization.ipynb, code cell 7 (const q = quantize(model);)";

test("writeReport: meta.incomplete puts an INCOMPLETE line at the top of the Markdown and the reason in the JSON", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
  try {
    writeReport(ROWS, dir, { incomplete: WHY, profile: "smoke" });
    const md = fs.readFileSync(path.join(dir, "perf_metrics.md"), "utf8");
    assert.ok(md.startsWith(`# Workbook results\n\nINCOMPLETE: ${WHY}\n\n- profile: smoke\n`), md);
    assert.match(md, /\| BERT baseline \| 418\.20 \|/);
    const json = JSON.parse(fs.readFileSync(path.join(dir, "perf_metrics.json"), "utf8"));
    assert.equal(json.incomplete, WHY);
    assert.deepEqual(json.perfMetrics, ROWS);
    // A complete report has neither.
    writeReport(ROWS, dir, { profile: "smoke" });
    assert.doesNotMatch(fs.readFileSync(path.join(dir, "perf_metrics.md"), "utf8"), /INCOMPLETE/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "perf_metrics.json"), "utf8")).incomplete, undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("writeReport: an incomplete run with no rows yet replaces the previous run's report and removes its chart", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
  try {
    writeReport(ROWS, dir, { profile: "default" }); // the previous, complete run
    assert.ok(fs.existsSync(path.join(dir, "perf_metrics.html")));
    const { files } = writeReport({}, dir, { incomplete: "interrupted by SIGINT in 01_baseline.ipynb (kernel startup)", profile: "smoke" });
    assert.deepEqual(files.map((f) => path.basename(f)), ["perf_metrics.json", "perf_metrics.md"]);
    assert.equal(fs.existsSync(path.join(dir, "perf_metrics.html")), false, "the previous run's chart is gone");
    assert.equal(fs.existsSync(path.join(dir, "perf_metrics.png")), false);
    const md = fs.readFileSync(path.join(dir, "perf_metrics.md"), "utf8");
    assert.match(md, /^# Workbook results\n\nINCOMPLETE: interrupted by SIGINT in 01_baseline\.ipynb \(kernel startup\)\n/);
    assert.match(md, /No benchmark rows were recorded\./);
    assert.doesNotMatch(md, /BERT baseline/);
    const json = JSON.parse(fs.readFileSync(path.join(dir, "perf_metrics.json"), "utf8"));
    assert.deepEqual([json.incomplete, json.perfMetrics], ["interrupted by SIGINT in 01_baseline.ipynb (kernel startup)", {}]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("writeReport: a complete report needs rows; incomplete must say why", () => {
  const dir = path.join(os.tmpdir(), "report-never-written");
  assert.throws(() => writeReport({}, dir), { message: "writeReport: no benchmark rows were recorded (did the notebooks run?)" });
  assert.throws(() => writeReport(ROWS, dir, { incomplete: " " }), { message: 'writeReport: meta.incomplete must be a non-empty string saying why, got " "' });
  assert.throws(() => writeReport(ROWS, dir, { incomplete: true }), { message: "writeReport: meta.incomplete must be a non-empty string saying why, got true" });
  assert.equal(fs.existsSync(dir), false);
});

test("closingStatement: the final row against the teacher and the bag of words, ratios and points from the table; the out-of-scope columns in the Markdown", () => {
  const row = (sizeMb: number, timeAvgMs: number, accuracy: number, extra: object = {}) => ({ sizeMb, timeAvgMs, timeStdMs: 0.1, accuracy, ...extra });
  const perf = {
    "BERT baseline": row(16, 4, 0.857, { inScopeAccuracy: 0.917, oosRecall: 0.586, auroc: 0.948, fpr95: 0.221, oosDetector: "energy" }),
    "Bag-of-words baseline": row(12, 2, 0.8765),
    "Final (int8)": row(1.28, 0.2, 0.8801),
  };
  assert.equal(closingStatement(perf, "Final (int8)"), "Final (int8): 12.5x smaller and 20.0x faster than the BERT baseline; accuracy 88.01% against the teacher's 85.70% (+2.31 points) and the bag of words' 87.65% (+0.36 points).");
  const { "Bag-of-words baseline": _b, ...noBow } = perf;
  assert.equal(closingStatement({ ...noBow, "Final (int8)": row(1.28, 0.2, 0.8) }, "Final (int8)"), "Final (int8): 12.5x smaller and 20.0x faster than the BERT baseline; accuracy 80.00% against the teacher's 85.70% (−5.70 points).");
  assert.throws(() => closingStatement(perf, "Nope"), /the perf table has no "Nope" row \(rows: BERT baseline, Bag-of-words baseline, Final \(int8\)\)/);
  const md = perfMetricsMarkdown(perf);
  assert.match(md, /\| Accuracy \| x smaller \| x faster \| In-scope \| OOS recall \| AUROC \| FPR95 \| Detector \|/);
  assert.match(md, /\| BERT baseline \| 16\.00 \| 4\.00 ± 0\.10 \| 85\.70% \| 1\.00x \| 1\.00x \| 91\.7% \| 58\.6% \| 0\.948 \| 22\.1% \| energy \|/);
  assert.match(md, /\| Final \(int8\) \| 1\.28 \| 0\.20 ± 0\.10 \| 88\.01% \| 12\.50x \| 20\.00x \|  \|  \|  \|  \|  \|/);
  assert.doesNotMatch(perfMetricsMarkdown({ a: row(1, 1, 0.5) }), /AUROC/);
});
