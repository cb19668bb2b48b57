// The notebooks' charts in JupyterLab 3.6 (the frontend built from the
// @jupyterlab packages, served by Debian's jupyter_server + jupyterlab_server)
// under headless Chromium, on a tiny notebook; npm run check:lab does the same
// on every workbook notebook. Skipped where those packages or Chromium are missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeNotebook, writeNotebook } from "../../tools/notebook/nbformat";
import { checkLab, labCheckUnavailable } from "../../tools/jupyterlab/checkLab";
import { ROOT } from "../../tools/notebook/setup";

const unavailable = labCheckUnavailable();

test("a notebook runs in JupyterLab under headless Chromium: charts drawn and interactive, progress shown, re-run, restart and run all, reopened", { skip: unavailable ?? false, timeout: 600_000 }, async () => {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "lab-browser-"));
  const nb = path.join(dir, "charts.ipynb");
  writeNotebook(makeNotebook([
    ["markdown", "# Charts"],
    ["code", 'import { showFigure, lineChart } from "workbook";\nshowFigure(lineChart([{ name: "loss", x: [1, 2, 3], y: [0.9, 0.5, 0.3] }]));'],
    ["code", 'const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));\nconsole.log("***** Running training *****  steps: 3");\nfor (let step = 1; step <= 3; step++) { await sleep(700); console.log(`[${step}/3]`); }'],
    ["code", 'showFigure(lineChart([{ name: "accuracy", x: [1, 2, 3], y: [0.5, 0.7, 0.8] }]));'],
  ]), nb);
  try {
    const [r] = await checkLab({ notebooks: [nb], outDir: dir, runTimeoutMs: 240_000 });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.executionCounts, [1, 2, 3]);
    assert.equal(r.errorOutputs + r.failedReplies, 0);
    assert.equal(r.plotlyOutputs, 2);
    assert.equal(r.charts.length, 2);
    for (const c of r.charts) {
      assert.ok(c.drawn && c.modebar, "each chart is a plotly graph with its modebar");
      assert.match(c.tooltip, /\d/, "hovering a point shows its values");
    }
    assert.equal(r.progress.length, 1);
    assert.ok(r.progress[0].updatesWhileRunning >= 2, `the training cell's lines appear while it runs: ${JSON.stringify(r.progress)}`);
    assert.equal(r.rerun.cell, 2);
    assert.ok(r.rerun.after! > 3);
    assert.deepEqual(r.restartRunAll.executionCounts, [1, 2, 3]);
    assert.equal(r.restartRunAll.charts, 2);
    assert.deepEqual({ charts: r.reopened.charts, images: r.reopened.images, saved: r.reopened.savedPlotlyOutputs, png: r.reopened.savedPngOutputs }, { charts: 2, images: 2, saved: 2, png: 2 });
    for (const s of r.screenshots) assert.ok(fs.statSync(s).size > 10_000, s);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
