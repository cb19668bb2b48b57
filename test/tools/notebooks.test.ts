import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { makeNotebook, notebookProblems, Notebook, readNotebook, writeNotebook } from "../../tools/notebook";
import { findJupyter, INSTALL_HINTS } from "../../tools/notebook/jupyter";
import { JUPYTER_PATH, ROOT, setupNotebooks } from "../../tools/notebook/setup";

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

test("notebookProblems names any output, execution count, run timestamp or widget state, so a committed notebook that holds one fails", () => {
  const clean = () => makeNotebook([["markdown", "# t"], ["code", "console.log(1);"]]);
  assert.deepEqual(notebookProblems(clean()), []);
  const cases: [string, (nb: Notebook) => void, string][] = [
    ["a stream output", (nb) => (nb.cells[1].outputs = [{ output_type: "stream", name: "stdout", text: "1\n" }]), "cell 1: has stale outputs"],
    ["a display output", (nb) => (nb.cells[1].outputs = [{ output_type: "display_data", data: { "text/plain": "x" }, metadata: {} }]), "cell 1: has stale outputs"],
    ["an execution count alone", (nb) => (nb.cells[1].execution_count = 3), "cell 1: has stale outputs"],
    ["outputs on a markdown cell", (nb) => (nb.cells[0].outputs = [{ output_type: "stream", name: "stdout", text: "1" }]), "cell 0: has stale outputs"],
    ["outputs that are not an array", (nb) => ((nb.cells[1] as { outputs?: unknown }).outputs = { text: "1" }), "cell 1: has stale outputs"],
    ["run timestamps", (nb) => (nb.cells[1].metadata.execution = { "iopub.execute_input": "2026-01-01T00:00:00Z" }), "cell 1: has run timestamps (metadata.execution)"],
    ["widget state", (nb) => (nb.metadata = { ...nb.metadata, widgets: { "application/vnd.jupyter.widget-state+json": {} } }), "notebook metadata holds saved widget state (metadata.widgets)"],
  ];
  for (const [what, spoil, problem] of cases) {
    const nb = clean();
    spoil(nb);
    assert.deepEqual(notebookProblems(nb), [problem], what);
  }
});

// Inside the project (its ignored outputs/), so "workbook" resolves from the notebook's folder as it does from notebooks/.
function repoTmp(prefix: string): string {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  return fs.mkdtempSync(path.join(ROOT, "outputs", prefix));
}

test("npm run notebooks executes notebooks without Python and names the failing cell; executed copies are 0644 with execution counts", { timeout: 120_000 }, () => {
  const dir = repoTmp("nb-test-");
  const good = path.join(dir, "01_good.ipynb");
  const bad = path.join(dir, "02_bad.ipynb");
  writeNotebook(makeNotebook([["markdown", "# ok"], ["code", 'import { workbookProfile } from "workbook";\nconsole.log("profile", workbookProfile().name);']]), good);
  writeNotebook(makeNotebook([["code", "const a = 1;"], ["code", 'throw new Error("boom in cell two");'], ["code", "console.log('never');"]]), bad);
  const out = path.join(dir, "executed");
  // No python3 or jupyter on PATH: only node.
  const run = (nb: string) =>
    spawnSync(process.execPath, ["--import", "tsx", "-e", `require(${JSON.stringify(path.join(ROOT, "tools", "notebook", "runWorkbook.ts"))}).runNotebooks([${JSON.stringify(nb)}], ${JSON.stringify(out)}).then((r) => process.exit(r[0].ok ? 0 : 1))`], {
      env: { ...process.env, WORKBOOK_PROFILE: "smoke", PATH: path.dirname(process.execPath) },
      encoding: "utf8",
      cwd: ROOT,
    });
  const ok = run(good);
  assert.equal(ok.status, 0, ok.stderr);
  const file = path.join(out, "01_good.ipynb");
  assert.equal(fs.statSync(file).mode & 0o777, 0o644);
  const executed = readNotebook(file);
  assert.equal(executed.cells[1].execution_count, 1);
  assert.deepEqual(executed.cells[1].outputs, [{ output_type: "stream", name: "stdout", text: "profile smoke\n" }]);
  const failed = run(bad);
  assert.notEqual(failed.status, 0);
  assert.match(failed.stderr, /FAILED 02_bad.ipynb, code cell 2 \(throw new Error\("boom in cell two"\);\): Error: boom in cell two/);
  assert.deepEqual(readNotebook(path.join(out, "02_bad.ipynb")).cells.map((c) => c.execution_count), [1, 2, null]);
  // The committed source is never overwritten by the executed copy.
  assert.deepEqual(notebookProblems(readNotebook(bad)), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

const nbconvert = findJupyter().nbconvert;

test("Jupyter's own nbconvert --execute still runs a notebook with the project's kernel", { skip: nbconvert ? false : INSTALL_HINTS.nbconvert, timeout: 120_000 }, () => {
  setupNotebooks({ quiet: true });
  const dir = repoTmp("nbconvert-test-");
  const nb = path.join(dir, "tiny.ipynb");
  writeNotebook(makeNotebook([["code", 'import { workbookProfile } from "workbook";\nconsole.log("profile", workbookProfile().name);'], ["code", "console.log(6 * 7);"]]), nb);
  const r = spawnSync(nbconvert!, ["--to", "notebook", "--execute", nb, "--output-dir", path.join(dir, "out"), "--ExecutePreprocessor.timeout=120"], {
    env: { ...process.env, JUPYTER_PATH, WORKBOOK_PROFILE: "smoke", PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const [written] = fs.readdirSync(path.join(dir, "out"));
  const executed = readNotebook(path.join(dir, "out", written));
  // (nbconvert numbers cells only from execute_input/execute_result messages, which tslab does not send.)
  assert.match(JSON.stringify(executed.cells[0].outputs), /profile smoke/);
  assert.match(JSON.stringify(executed.cells[1].outputs), /42/);
  fs.rmSync(dir, { recursive: true, force: true });
});
