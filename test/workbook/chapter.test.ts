import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { BASELINE_ROW, setupChapter } from "../../lib/workbook/chapter";
import { workbookProfile } from "../../lib/workbook/profile";
import { bestShippedModel } from "../../lib/workbook/hub";
import { loadPerfMetrics, savePerfMetrics, type BenchmarkMetrics } from "../../lib/benchmark";
import { BertTokenizer } from "../../lib/tokenizers";

process.env.WORKBOOK_PROFILE = "smoke";
delete process.env.WORKBOOK_DATA;

const NOTEBOOKS = path.resolve(__dirname, "..", "..", "notebooks");
const FAKE: BenchmarkMetrics = { sizeMb: 1, timeAvgMs: 2, timeStdMs: 0.5, accuracy: 0.25 };

/** Runs f and returns its result with what it printed (setupChapter's summary line, the benchmarks' lines). */
async function printed<T>(f: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const log = console.log;
  const lines: string[] = [];
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  try {
    return { result: await f(), lines };
  } finally {
    console.log = log;
  }
}

test("setupChapter({ freshPerfTable: true }) empties the perf and demo tables and benchmarks nothing (notebook 01)", async () => {
  await ready;
  const dir = tmpDir();
  savePerfMetrics({ Old: FAKE }, path.join(dir, "perf_metrics.json"));
  savePerfMetrics({ "Old demo": FAKE }, path.join(dir, "demo_metrics.json"));
  const { result: chapter, lines } = await printed(() => setupChapter({ freshPerfTable: true, metricsDir: dir }));
  assert.equal(chapter.profile.name, "smoke");
  assert.ok(["tensorflow", "wasm", "cpu"].includes(chapter.backend));
  assert.equal(chapter.data.train.length, 15250);
  assert.equal(chapter.data.test.length, 5500);
  assert.equal(chapter.testSet.length, 550, "the smoke profile's test subset");
  assert.deepEqual(chapter.testSet.column("text").slice(0, 3), chapter.data.test.shuffle(0).head(550).column("text").slice(0, 3), "profileTestSet's rows");
  assert.deepEqual(chapter.benchOptions, { warmupRuns: 3, timedRuns: 20 });
  assert.deepEqual(chapter.perfMetrics, {});
  assert.equal(chapter.teacherDir, undefined, "no teacher asked for");
  assert.equal(chapter.tokenizer, undefined);
  assert.ok(!fs.existsSync(path.join(dir, "perf_metrics.json")) && !fs.existsSync(path.join(dir, "demo_metrics.json")));
  assert.deepEqual(lines, ["Profile: smoke (test rows: 550, timed runs: 20); data: clinc150; a fresh perf table"]);
});

test("setupChapter keeps a stored baseline row as it is, and loads the teacher asked for", async () => {
  await ready;
  const dir = tmpDir();
  savePerfMetrics({ [BASELINE_ROW]: FAKE }, path.join(dir, "perf_metrics.json"));
  const { result: chapter, lines } = await printed(() => setupChapter({ teacher: "model", metricsDir: dir }));
  assert.deepEqual(chapter.perfMetrics, { [BASELINE_ROW]: FAKE }, "not benchmarked again");
  const teacherDir: string = chapter.teacherDir; // typed: teacher asked for
  assert.equal(path.basename(teacherDir), "bert-clinc-teacher");
  assert.ok(chapter.tokenizer instanceof BertTokenizer);
  assert.equal(chapter.teacher.numLabels, 151);
  assert.deepEqual(lines, [`Profile: smoke (test rows: 550, timed runs: 20); data: clinc150; teacher: bert-clinc-teacher; rows so far: ${BASELINE_ROW}`]);
  chapter.teacher.dispose();
});

test("setupChapter benchmarks the baseline row once when it is missing, then reuses it", async () => {
  await ready;
  const dir = tmpDir();
  const file = path.join(dir, "perf_metrics.json");
  savePerfMetrics({ Other: FAKE }, file);
  const first = await printed(() => setupChapter({ metricsDir: dir }));
  const row = first.result.perfMetrics[BASELINE_ROW];
  assert.ok(row, "the baseline row was measured");
  assert.ok(row.sizeMb > 1 && row.timeAvgMs > 0 && row.accuracy > 0.5 && row.accuracy <= 1, JSON.stringify(row));
  assert.deepEqual(Object.keys(first.result.perfMetrics), ["Other", BASELINE_ROW], "merged into the stored table");
  assert.deepEqual(loadPerfMetrics(file), first.result.perfMetrics, "and saved");
  const second = await printed(() => setupChapter({ metricsDir: dir }));
  assert.deepEqual(second.result.perfMetrics[BASELINE_ROW], row, "the same measurement, not a new one");
  assert.deepEqual(second.lines, [`Profile: smoke (test rows: 550, timed runs: 20); data: clinc150; rows so far: Other, ${BASELINE_ROW}`]);
});

test("setupChapter with a student ensures that model's row too and returns its model and tokenizer (notebooks 04-05)", async () => {
  await ready;
  const dir = tmpDir();
  savePerfMetrics({ [BASELINE_ROW]: FAKE }, path.join(dir, "perf_metrics.json"));
  const { result: chapter, lines } = await printed(() => setupChapter({ student: "best", studentModel: true, metricsDir: dir }));
  const best = bestShippedModel();
  assert.deepEqual(chapter.student, best);
  assert.deepEqual(Object.keys(chapter.perfMetrics), [BASELINE_ROW, best.optimType]);
  assert.deepEqual(chapter.perfMetrics[BASELINE_ROW], FAKE, "the stored baseline kept");
  assert.ok(chapter.perfMetrics[best.optimType].accuracy > 0.5);
  assert.ok(chapter.model.numParameters() > 0);
  assert.equal(chapter.tokenizer.vocabSize, BertTokenizer.fromPretrained(best.dir).vocabSize);
  assert.equal(chapter.teacherDir, undefined, "the teacher is not needed when the baseline is stored");
  assert.equal(lines.at(-1), `Profile: smoke (test rows: 550, timed runs: 20); data: clinc150; model: ${best.name} (${best.optimType}); rows so far: ${BASELINE_ROW}, ${best.optimType}`);
  chapter.model.dispose();
  await assert.rejects(() => setupChapter({ studentModel: true, metricsDir: dir }), /studentModel needs a student/);
});

test("the profiles' notebook fields keep the values of the notebooks' former profile.name branches", () => {
  const smoke = workbookProfile("smoke");
  const def = workbookProfile("default");
  const full = workbookProfile("full");
  for (const p of [smoke, def, full]) {
    const was = (smokeValue: unknown, otherValue: unknown) => (p.name === "smoke" ? smokeValue : otherValue);
    assert.equal(p.disableTqdm, was(true, false), p.name);
    assert.equal(p.distillationDemoTrainRows, Math.min(p.trainRows, was(512, 2048) as number), p.name);
    assert.equal(p.distillationDemoEvalRows, was(256, 1024), p.name);
    assert.equal(p.rosenbrockTrials, was(200, 1000), p.name);
    assert.deepEqual(p.samplerComparisonSeeds, was([1, 2], [1, 2, 3, 4, 5]), p.name);
    assert.equal(p.samplerComparisonTrials, was(100, 300), p.name);
    assert.equal(p.replayShippedSearch, p.name === "default", p.name);
    assert.equal(p.calibrationRows, was(64, 512), p.name);
    assert.equal(p.qatEpochs, p.name === "smoke" ? 1 : p.retrain ? 4 : 2, p.name);
    assert.equal(p.qatTrainRows, was(512, null), p.name);
    assert.equal(p.qatEvalRows, was(256, null), p.name);
    assert.equal(p.pruningTrainRows, was(640, null), p.name);
    assert.equal(p.pruningEpochs, was(1, 0.5), p.name);
    assert.equal(p.importanceBatches, was(2, 8), p.name);
    assert.deepEqual(p.serveConcurrencies, was([1, 8], [1, 8, 32]), p.name);
    assert.equal(p.serveSeconds, was(1, 3), p.name);
  }
});

test("every notebook's setup cell is setupChapter in at most 12 lines, and no notebook branches on profile.name", () => {
  const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb")).sort();
  assert.deepEqual(files.map((f) => f.slice(0, 3)), ["01_", "02_", "03_", "04_", "05_", "06_", "07_", "08_"], "the six chapter notebooks, the practice test and production");
  for (const f of files) {
    const raw = fs.readFileSync(path.join(NOTEBOOKS, f), "utf8");
    assert.ok(!raw.includes("profile.name"), `${f} uses profile.name: make the difference a field of the profile`);
    const cells = JSON.parse(raw).cells as { cell_type: string; source: string[] | string }[];
    const code = cells.filter((c) => c.cell_type === "code").map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
    const lines = code[0].split("\n").length;
    assert.ok(lines <= 12, `${f}: the first code cell has ${lines} lines (at most 12)`);
    // The chapter's notebooks start from setupChapter; the practice test (07) needs neither data nor a perf table.
    if (!f.startsWith("07_")) assert.match(code[0], /await setupChapter\(/, `${f}: the first code cell calls setupChapter`);
    assert.ok(!code.some((c) => c.includes(`!perfMetrics["${BASELINE_ROW}"]`)), `${f}: setupChapter ensures the baseline row, not the notebook`);
  }
});
