// Issue #26: any cell re-runs, in any order after Run All, without an error.
// Notebooks 04 and 06 (whose cells disposed models other cells need) run on
// the smoke profile in one kernel: Run All, every code cell again in order,
// then cells out of order; no cell may fail. Slow (minutes): it needs the
// shipped models (without them the notebooks would train them first).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { rerunNotebookFile } from "../../tools/notebook/rerun";
import { readNotebook } from "../../tools/notebook/nbformat";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "../../tools/notebook/setup";
import { MODELS_DIR } from "../../lib/workbook/hub";
import { setLogLevel } from "../../lib/utils/log";

const needed = ["bert-clinc-teacher", "distilbert-clinc-distilled", "distilbert-clinc-pruned"];
const skip = needed.every((m) => fs.existsSync(path.join(MODELS_DIR, m, "config.json"))) ? false : "the shipped models are absent";

// Out of order, after the second pass: the chapter's last cell (14, before the practice section), then cells that use what
// earlier cells made (06: the reported 8, 10, 11, 7), then the last practice cell (-1).
const CASES: [string, number[]][] = [
  ["06_pruning.ipynb", [14, 8, 10, 11, 7, 13, 14, -1]],
  ["04_quantization.ipynb", [14, 13, 12, 13, 10, 9, -1]],
];

for (const [name, outOfOrder] of CASES) {
  test(`${name}: after Run All (smoke), every code cell re-runs in order and out of order (${outOfOrder.join(", ")}) without an error`, { skip, timeout: 900_000 }, async () => {
    setLogLevel("error");
    setupNotebooks({ quiet: true });
    fs.mkdirSync(path.join(ROOT, "outputs", "notebooks-rerun"), { recursive: true });
    const report = await rerunNotebookFile(path.join(ROOT, "notebooks", name), {
      outOfOrder,
      env: { ...process.env, WORKBOOK_PROFILE: "smoke", JUPYTER_PATH },
      timeout: 600,
      output: path.join(ROOT, "outputs", "notebooks-rerun", name),
    });
    assert.deepEqual(report.runAllErrors, [], "Run All");
    assert.deepEqual(report.rerunErrors, [], "re-runs");
    assert.equal(report.plan.length, 2 * report.codeCells + outOfOrder.length);
    const executed = readNotebook(path.join(ROOT, "outputs", "notebooks-rerun", name));
    assert.deepEqual(executed.cells.flatMap((c, i) => ((c.outputs ?? []) as { output_type: string }[]).filter((o) => o.output_type === "error").map(() => i)), [], "cells with an error output");
  });
}
