// What npm start / npm run notebooks print while a notebook runs (issue #25:
// no long silence), and the per-cell time limit option.
import { test } from "node:test";
import assert from "node:assert/strict";
import { consoleProgress, isProgressLine } from "../../tools/notebook/consoleProgress";
import { cellTimeout, notebookArgs } from "../../tools/notebook/runWorkbook";

test("isProgressLine: the Trainer's progress line, banner, epoch table and HPO trials; not ordinary output", () => {
  for (const line of [
    "[ 120/4770 01:02 < 40:10, Epoch 0.13/5]",
    "[  1/101 1:00 < ?, Epoch 0.01/1]",
    "***** Running training *****  steps: 282 (94 per epoch), starting at step 0",
    "Epoch           | Training Loss   | Validation Loss | Accuracy",
    "1               | 4.012345        | 3.870000        | 0.512300",
    "Training finished at step 282 in 1:45",
    "Trial 3 finished with value: 0.81 and parameters: {\"alpha\":0.5}. Best is trial 1 with value: 0.83.",
    "Trial 4 pruned.",
  ]) assert.ok(isProgressLine(line), line);
  for (const line of ["test rows: 5500", "[ 'a', 'b' ]", "Accuracy on test - 0.842", "", "| a | b |"]) assert.ok(!isProgressLine(line), line);
});

test("consoleProgress: a line per cell with its number, the progress lines the cell prints (split chunks joined), and long cells timed", () => {
  const out: string[] = [];
  let now = 0;
  const p = consoleProgress(3, (l) => out.push(l), () => now);
  p.onCell({ codeCell: 1, source: "\nimport { x } from \"workbook\";\nconst y = 1;" });
  p.onStream({ codeCell: 1, name: "stdout", text: "loaded 15000 rows\n***** Running training *****  steps: 10" });
  p.onStream({ codeCell: 1, name: "stdout", text: " (5 per epoch), starting at step 0\n[ 5/10 00:10 < 00:10, Epoch 1.00/2]\nnoise\n" });
  now = 42_000;
  p.onCell({ codeCell: 2, source: `console.log("${"a".repeat(100)}");` });
  now = 43_000;
  p.onCell({ codeCell: 3, source: "showFigure(fig);" });
  assert.deepEqual(out, [
    '  [1/3] import { x } from "workbook";',
    "      ***** Running training *****  steps: 10 (5 per epoch), starting at step 0",
    "      [ 5/10 00:10 < 00:10, Epoch 1.00/2]",
    `  [2/3] console.log("${"a".repeat(56)}… (cell 1 took 42 s)`,
    "  [3/3] showFigure(fig);",
  ]);
});

test("cellTimeout: --cell-timeout or WORKBOOK_CELL_TIMEOUT in seconds; none by default; bad values named", () => {
  assert.equal(cellTimeout([], {}), null, "no limit unless asked");
  assert.equal(cellTimeout([], { WORKBOOK_CELL_TIMEOUT: "7200" }), 7200);
  assert.equal(cellTimeout(["--cell-timeout=60"], { WORKBOOK_CELL_TIMEOUT: "7200" }), 60, "the flag wins");
  assert.equal(cellTimeout(["--cell-timeout", "90", "nb.ipynb"], {}), 90);
  assert.equal(cellTimeout(["--cell-timeout=none"], { WORKBOOK_CELL_TIMEOUT: "5" }), null);
  assert.equal(cellTimeout([], { WORKBOOK_CELL_TIMEOUT: "0" }), null);
  assert.throws(() => cellTimeout(["--cell-timeout=soon"], {}), /--cell-timeout must be a number of seconds .* got "soon"/);
  assert.throws(() => cellTimeout([], { WORKBOOK_CELL_TIMEOUT: "-1" }), /WORKBOOK_CELL_TIMEOUT must be a number of seconds/);
  assert.deepEqual(notebookArgs(["a.ipynb", "--cell-timeout", "90", "b.ipynb", "--cell-timeout=5"]), ["a.ipynb", "b.ipynb"]);
});
