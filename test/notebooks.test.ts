import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { makeNotebook, notebookProblems, Notebook } from "../lib/notebook";
import { PYTHON, ROOT } from "../scripts/setupNotebooks";

const NOTEBOOKS = path.join(ROOT, "notebooks");

test("committed notebooks are valid nbformat 4 for the tslab kernel, without stale outputs", () => {
  const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb"));
  assert.ok(files.length >= 1, "no notebooks");
  for (const f of files) {
    const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, f), "utf8")) as Notebook;
    assert.deepEqual(notebookProblems(nb), [], f);
    const code = nb.cells.filter((c) => c.cell_type === "code").map((c) => [c.source].flat().join(""));
    assert.ok(code.some((s) => /from "workbook"/.test(s)), `${f} does not import the workbook library`);
  }
});

const hasNbclient = spawnSync(PYTHON, ["-c", "import nbclient, nbformat"]).status === 0;

test("the runner executes notebooks through Jupyter and names the failing cell", { skip: hasNbclient ? false : "nbclient is not installed (.ci/run installs it)", timeout: 240_000 }, () => {
  // Inside the project, so "workbook" resolves from the notebook's folder as it does from notebooks/.
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  const dir = fs.mkdtempSync(path.join(ROOT, "outputs", "nb-test-"));
  const good = path.join(dir, "01_good.ipynb");
  const bad = path.join(dir, "02_bad.ipynb");
  fs.writeFileSync(good, JSON.stringify(makeNotebook([["markdown", "# ok"], ["code", 'import { workbookProfile } from "workbook";\nconsole.log("profile", workbookProfile().name);']])));
  fs.writeFileSync(bad, JSON.stringify(makeNotebook([["code", "const a = 1;"], ["code", 'throw new Error("boom in cell two");'], ["code", "console.log('never');"]])));
  const run = (nb: string) =>
    spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "runNotebooks.ts"), nb], { env: { ...process.env, WORKBOOK_PROFILE: "smoke" }, encoding: "utf8" });
  const ok = run(good);
  assert.equal(ok.status, 0, ok.stderr);
  const executed = JSON.parse(fs.readFileSync(path.join(ROOT, "outputs", "notebooks", "01_good.ipynb"), "utf8"));
  assert.match(JSON.stringify(executed.cells[1].outputs), /profile smoke/);
  const failed = run(bad);
  assert.notEqual(failed.status, 0);
  assert.match(failed.stderr, /FAILED 02_bad.ipynb, code cell 2 \(throw new Error\("boom in cell two"\);\): Error: boom in cell two/);
  // The committed source is never overwritten by the executed copy.
  assert.deepEqual(notebookProblems(JSON.parse(fs.readFileSync(bad, "utf8"))), []);
  fs.rmSync(dir, { recursive: true, force: true });
});
