// Issue #25: everything a dataset produces lives under its own folder, named
// for the role and the data, never "clinc"; two datasets never share a
// checkpoint, an export, a perf table or a report; CLINC150 keeps the
// chapter's paths. And "tuned" must beat the untuned student on validation.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { writeShopData } from "../helpers/intents";
import { workbookDataFingerprint, workbookModelDir, workbookModelName, workbookOutputsDir, workbookRunDir } from "../../lib/workbook/data";
import { bestShippedModel, MODELS_DIR, OUTPUTS_DIR, tunedStudentDir } from "../../lib/workbook/hub";
import { runDir } from "../../lib/workbook/recipes";
import { writeWorkbookReport } from "../../lib/workbook/report";
import { DEMO_METRICS_FILE, PERF_METRICS_FILE, demoMetricsFile, loadPerfMetrics, perfMetricsFile, savePerfMetrics } from "../../lib/benchmark/store";
import { setLogSink } from "../../lib/utils/log";

const ROOT = path.resolve(__dirname, "..", "..");

function withData<T>(folder: string | undefined, f: () => T): T {
  const saved = process.env.WORKBOOK_DATA;
  if (folder === undefined) delete process.env.WORKBOOK_DATA;
  else process.env.WORKBOOK_DATA = folder;
  try {
    return f();
  } finally {
    if (saved === undefined) delete process.env.WORKBOOK_DATA;
    else process.env.WORKBOOK_DATA = saved;
  }
}

test("CLINC150 keeps the chapter's paths and names", () => {
  withData(undefined, () => {
    assert.equal(workbookOutputsDir(), OUTPUTS_DIR);
    assert.equal(workbookModelName("bert-clinc-teacher"), "bert-clinc-teacher");
    assert.equal(workbookModelDir("distilbert-clinc-distilled"), path.join(MODELS_DIR, "distilbert-clinc-distilled"));
    assert.equal(workbookRunDir("teacher"), path.join(ROOT, "runs", "teacher"));
    assert.equal(runDir("distilbert-clinc-distilled"), path.join(ROOT, "runs", "distilbert-clinc-distilled"));
    assert.equal(perfMetricsFile(), PERF_METRICS_FILE);
    assert.equal(demoMetricsFile(), DEMO_METRICS_FILE);
    assert.equal(tunedStudentDir("smoke"), path.join(OUTPUTS_DIR, "models", "distilbert-clinc-tuned-smoke"));
    assert.equal(tunedStudentDir("full"), path.join(OUTPUTS_DIR, "models", "distilbert-clinc-tuned"));
  });
});

test("your data: models named for their role under outputs/<data>/, runs, perf tables and the tuned student there too", () => {
  withData("data/my-shop", () => {
    const mine = path.join(OUTPUTS_DIR, "my-shop");
    assert.equal(workbookOutputsDir(), mine);
    assert.deepEqual(
      ["bert-clinc-teacher", "bow-clinc", "distilbert-clinc", "distilbert-clinc-distilled", "distilbert-clinc-tuned", "distilbert-clinc-pruned", "bert-clinc-mlm"].map((n) => workbookModelName(n)),
      ["teacher", "bag-of-words", "student", "student-distilled", "student-tuned", "student-pruned", "teacher-mlm"],
    );
    assert.equal(workbookModelDir("bert-clinc-teacher"), path.join(mine, "models", "teacher"));
    assert.equal(workbookRunDir("distilbert-clinc-distilled"), path.join(mine, "runs", "student-distilled"));
    assert.equal(runDir("teacher"), path.join(mine, "runs", "teacher"), "the recipes' checkpoints too");
    assert.equal(perfMetricsFile(), path.join(mine, "perf_metrics.json"));
    assert.equal(demoMetricsFile(), path.join(mine, "demo_metrics.json"));
    assert.equal(tunedStudentDir("default"), path.join(mine, "models", "student-tuned"), "later notebooks find it");
    for (const n of ["bert-clinc-teacher", "distilbert-clinc-pruned"]) assert.doesNotMatch(path.relative(OUTPUTS_DIR, workbookModelDir(n)), /clinc/);
  });
});

test("two datasets, one after the other: separate perf tables and reports, neither overwritten", () => {
  const root = tmpDir();
  const [a, b] = ["bank-a", "bank-b"].map((n) => path.join(root, n));
  const reports: Record<string, string> = {};
  try {
    for (const [folder, acc] of [[a, 0.9], [b, 0.7]] as const) {
      withData(folder, () => {
        savePerfMetrics({ "BERT baseline": { sizeMb: 1, timeAvgMs: 1, timeStdMs: 0, accuracy: acc } });
        const dir = path.join(workbookOutputsDir(), "report");
        writeWorkbookReport(dir, { profile: "smoke", notebooks: [], totalSeconds: 1 });
        reports[folder] = dir;
      });
    }
    assert.notEqual(reports[a], reports[b]);
    for (const [folder, acc] of [[a, 0.9], [b, 0.7]] as const) {
      const json = JSON.parse(fs.readFileSync(path.join(reports[folder], "perf_metrics.json"), "utf8"));
      assert.equal(json.perfMetrics["BERT baseline"].accuracy, acc, `${path.basename(folder)}'s own rows`);
      assert.match(json.data, new RegExp(`^${path.basename(folder)} \\(WORKBOOK_DATA=`), "the report names its dataset");
      assert.equal(json.profile, "smoke");
      assert.ok(Date.parse(json.date) > 0);
      assert.match(fs.readFileSync(path.join(reports[folder], "perf_metrics.md"), "utf8"), new RegExp(`- data: ${path.basename(folder)} `));
      withData(folder, () => assert.equal(loadPerfMetrics()["BERT baseline"].accuracy, acc));
    }
    assert.ok(!Object.values(loadPerfMetrics(PERF_METRICS_FILE)).some((r) => r.accuracy === 0.7), "CLINC150's table holds none of them");
  } finally {
    for (const n of ["bank-a", "bank-b"]) fs.rmSync(path.join(OUTPUTS_DIR, n), { recursive: true, force: true });
  }
});

test("bestShippedModel: the tuned student only when it beats the untuned one on validation, else said and not used", () => {
  const root = tmpDir();
  const shop = writeShopData(path.join(root, "tuning-shop"), { train: 6, test: 2 });
  const lines: string[] = [];
  const prev = setLogSink({ out: (l) => lines.push(l), err: (l) => lines.push(l) });
  try {
    withData(shop, () => {
      const fake = (name: string, validation: number) => {
        const dir = workbookModelDir(name);
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "distilbert" }));
        fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify({ dataFingerprint: workbookDataFingerprint(shop), bestValidationAccuracy: validation }));
        return dir;
      };
      const distilled = fake("distilbert-clinc-distilled", 0.9);
      const tuned = fake("distilbert-clinc-tuned", 0.85);
      assert.deepEqual(bestShippedModel(), { name: "student-distilled", dir: distilled, optimType: "Distillation" });
      assert.ok(lines.some((l) => /The tuned student \(validation accuracy 0\.8500\) did not beat the untuned distilled student \(0\.9000\) on validation: using the distilled student/.test(l)), lines.join("\n"));
      fake("distilbert-clinc-tuned", 0.91);
      assert.deepEqual(bestShippedModel(), { name: "student-tuned", dir: tuned, optimType: "Distillation (tuned)" });
    });
  } finally {
    setLogSink(prev);
    fs.rmSync(path.join(OUTPUTS_DIR, "tuning-shop"), { recursive: true, force: true });
  }
});
