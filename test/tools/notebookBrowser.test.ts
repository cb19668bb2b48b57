// The interactive charts in a real browser (classic Notebook + headless
// Chromium), on a tiny notebook; npm run check:browser does the same on
// notebook 01. Skipped where Jupyter Notebook or Chromium is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { makeNotebook, writeNotebook } from "../../tools/notebook/nbformat";
import { browserCheckUnavailable, checkBrowser } from "../../tools/notebook/checkBrowser";
import { ROOT } from "../../tools/notebook/setup";
import { plotMetrics } from "../../lib/benchmark/plotMetrics";

const unavailable = browserCheckUnavailable();

test("plotly charts draw in the classic Notebook under headless Chromium, and every cell runs", { skip: unavailable ?? false, timeout: 180_000 }, async () => {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "nb-browser-"));
  const nb = path.join(dir, "charts.ipynb");
  writeNotebook(makeNotebook([
    ["markdown", "# Charts"],
    ["code", 'import { showFigure, plotMetrics, lineChart } from "workbook";\nconst perf = { "BERT baseline": { sizeMb: 19.7, timeAvgMs: 7.1, timeStdMs: 0.3, accuracy: 0.772 }, Distillation: { sizeMb: 13.6, timeAvgMs: 3.9, timeStdMs: 0.2, accuracy: 0.78 } };\nshowFigure(plotMetrics(perf, "Distillation"));'],
    ["code", 'showFigure(lineChart([{ name: "T=1", x: [1, 2, 3], y: [0.2, 0.5, 0.3] }]));'],
  ]), nb);
  // The user's home (Jupyter's data and config folders, IPython's, Chromium's crash reports and caches) stays untouched.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "nb-browser-home-"));
  const userHome = process.env.HOME;
  process.env.HOME = home;
  try {
    const r = await checkBrowser({ notebook: nb, screenshot: path.join(dir, "shot.png"), timeoutMs: 120_000 });
    assert.deepEqual(fs.readdirSync(home, { recursive: true }), [], "check:browser wrote into HOME");
    assert.deepEqual(r.executionCounts, [1, 2]);
    assert.equal(r.errorOutputs, 0);
    assert.equal(r.plotlyCharts, 2, "each chart draws, the second without plotly.js of its own");
    const expected = plotMetrics({ "BERT baseline": { sizeMb: 19.7, timeAvgMs: 7.1, timeStdMs: 0.3, accuracy: 0.772 }, Distillation: { sizeMb: 13.6, timeAvgMs: 3.9, timeStdMs: 0.2, accuracy: 0.78 } }, "Distillation").layout;
    // The bundle's numbers keep 5 significant digits (lib/plotting/figure.ts), so the ranges agree to that.
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 * Math.max(1, Math.abs(b[i])));
    assert.ok(near(r.ranges[0].x, expected.xaxis.range) && near(r.ranges[0].y, expected.yaxis.range), `the interactive chart has the figure's ranges, as its PNG: ${JSON.stringify(r.ranges[0])}`);
    assert.ok(fs.statSync(r.screenshot).size > 10_000);
  } finally {
    process.env.HOME = userHome;
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the test-yourself notebook (07) runs every cell in the classic Notebook under headless Chromium: each question asks for its blank, the score is shown", { skip: unavailable ?? false, timeout: 180_000 }, async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "nb-browser-home-"));
  const userHome = process.env.HOME;
  process.env.HOME = home;
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const shot = path.join(fs.mkdtempSync(path.join(ROOT, "outputs", "nb-browser-")), "shot.png");
  try {
    const r = await checkBrowser({ notebook: path.join(ROOT, "notebooks", "07_test_yourself.ipynb"), screenshot: shot, timeoutMs: 150_000, expectCharts: false });
    assert.equal(r.errorOutputs, 0);
    assert.deepEqual(r.executionCounts, r.executionCounts.map((_, i) => i + 1));
    const exercises = r.outputTexts.slice(1, -1);
    assert.equal(exercises.length, 15);
    for (const text of exercises) assert.match(text, /^… (T|Q)\d+ \((easy|medium|hard)\): fill in the blank first/);
    assert.match(r.outputTexts.at(-1)!, /Your score:\n {2}easy {3}0\/3\n {2}medium 0\/6\n {2}hard {3}0\/6\n {2}total {2}0\/15 \(0%\)/);
  } finally {
    process.env.HOME = userHome;
    fs.rmSync(home, { recursive: true, force: true });
    fs.rmSync(path.dirname(shot), { recursive: true, force: true });
  }
});
