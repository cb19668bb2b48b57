// npm run check:rerun's check on a tiny notebook (classic Notebook + headless
// Chromium): Run All, re-run each cell in order and out of order, save,
// reopen trusted (charts interactive) and untrusted (charts as images). And
// that it fails when a cell breaks on re-run. Skipped where Jupyter Notebook
// or Chromium is not installed.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { makeNotebook, writeNotebook } from "../../tools/notebook/nbformat";
import { browserCheckUnavailable } from "../../tools/notebook/checkBrowser";
import { checkRerun, outOfOrderCells, RerunCheckResult } from "../../tools/notebook/checkRerun";
import { ROOT } from "../../tools/notebook/setup";

const unavailable = browserCheckUnavailable();

test("outOfOrderCells: the last, the first, the middle and the second, once each", () => {
  assert.deepEqual(outOfOrderCells(9), [9, 1, 5, 2]);
  assert.deepEqual(outOfOrderCells(3), [3, 1, 2]);
  assert.deepEqual(outOfOrderCells(1), [1]);
  assert.deepEqual(outOfOrderCells(0), []);
  assert.throws(() => outOfOrderCells(-1), /count of cells/);
});

test("a notebook whose cells re-run cleanly passes; its charts stay interactive when reopened trusted and show as images untrusted", { skip: unavailable ?? false, timeout: 300_000 }, async () => {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "nb-rerun-"));
  try {
    const good = path.join(dir, "good.ipynb");
    writeNotebook(makeNotebook([
      ["markdown", "# Charts"],
      ["code", 'import { showFigure, lineChart } from "workbook";\nlet n = 0;'],
      ["code", 'n++;\nshowFigure(lineChart([{ name: "n", x: [1, 2, 3], y: [0.2, 0.5, n] }]));'],
      ["code", 'showFigure(lineChart([{ name: "m", x: [1, 2], y: [n, 2 * n] }]));\nconsole.table({ row: { MB: 1.5, ms: 0.3, "acc %": 85.1 } });'],
    ]), good);
    const r = await checkRerun({ notebook: good, screenshots: dir, timeoutMs: 120_000 });
    assert.equal(r.codeCells, 3);
    assert.deepEqual(r.outOfOrder, [3, 1, 2]);
    assert.equal(r.runAllErrors + r.rerunErrors, 0);
    assert.equal(r.charts, 2, "re-running a chart cell replaces its chart");
    assert.deepEqual(r.trusted, { trusted: true, interactive: 2, errors: 0 });
    assert.deepEqual(r.untrusted, { trusted: false, images: 2, errors: 0 });
    assert.deepEqual(r.wideTableLines.lines, [], "a narrow table fits");
    assert.ok((r.wideTableLines.fit ?? 0) > 80, `the output area at 1280 px holds ${r.wideTableLines.fit} characters`);
    assert.equal(fs.readFileSync(good, "utf8").includes('"outputs": []'), true, "the source notebook is never the one run");
    for (const s of r.screenshots) assert.ok(fs.statSync(s).size > 5_000, s);

    // A cell that works once and fails on re-run (it disposes what it needs) is caught.
    const bad = path.join(dir, "bad.ipynb");
    writeNotebook(makeNotebook([
      ["code", 'console.table({ row: { name: "a row name far too long ".repeat(6) } });'],
      ["code", "let alive = true;"],
      ["code", 'if (!alive) throw new Error("this model was disposed");\nalive = false;'],
    ]), bad);
    await assert.rejects(checkRerun({ notebook: bad, screenshots: dir, timeoutMs: 120_000 }), (e: Error & { result?: RerunCheckResult }) => {
      assert.match(e.message, /re-run: cell 3 \(out of order\): 1 error/, "Run All and the in-order pass are clean; cell 3 re-run first (out of order, without cell 2 before it) fails");
      assert.match(e.message, /5 table line\(s\) wider than the output area/, "the table is 150+ characters wide: its 3 borders, header and row wrap");
      assert.equal(e.result?.runAllErrors, 0);
      assert.ok((e.result?.rerunErrors ?? 0) >= 1);
      return true;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
