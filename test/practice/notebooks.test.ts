// The practice cells of every notebook, run as the notebooks hold them: filled
// with the key's right answers (all right), with wrong ones (each shows its
// hint, nothing throws) and as committed (each asks for its blank). One tsx
// process per variant runs every notebook's cells; one tslab kernel runs them
// all filled, as a learner's notebook would (the kernel type-checks the cells).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { readNotebook, makeNotebook, writeNotebook, notebookProblems } from "../../tools/notebook/nbformat";
import { projectNotebooks, runNotebooks } from "../../tools/notebook/runWorkbook";
import { ROOT } from "../../tools/notebook/setup";
import { PracticeCells, cellExerciseId, filledCell, notebookKey, outputByCell, practiceCellsOf, practiceCodeCells, practiceProgram, practiceSection } from "../../tools/practice";
import { EXERCISES, PRACTICE_NOTEBOOKS, practiceExercise } from "../../lib/practice";

// Notebook 08 (production: serving under load) has no practice section.
const WITHOUT_PRACTICE = ["08_production.ipynb"];
const notebooks = projectNotebooks().filter((f) => !WITHOUT_PRACTICE.includes(path.basename(f)));
const practice: PracticeCells[] = notebooks.map((file) => practiceCodeCells(readNotebook(file), notebookKey(file)));

function tmpInProject(prefix: string): string {
  fs.mkdirSync(path.join(ROOT, "outputs"), { recursive: true });
  return fs.mkdtempSync(path.join(ROOT, "outputs", prefix));
}

test("notebooks 01–07 each end with the practice section lib/practice makes (npm run practice:cells), without outputs", () => {
  assert.deepEqual(notebooks.map((f) => path.basename(f)).filter((f) => f.startsWith("07_")), ["07_test_yourself.ipynb"]);
  assert.deepEqual(notebooks.map(notebookKey), Object.keys(PRACTICE_NOTEBOOKS).sort());
  for (const name of WITHOUT_PRACTICE) assert.deepEqual(practiceCellsOf(readNotebook(path.join(path.dirname(notebooks[0]), name))), [], `${name} has no practice section`);
  for (const file of notebooks) {
    const nb = readNotebook(file);
    const key = notebookKey(file);
    assert.deepEqual(practiceCellsOf(nb), practiceSection(key), `${path.basename(file)}: run npm run practice:cells`);
    assert.deepEqual(notebookProblems(nb), []);
    const ids = practiceCellsOf(nb).map(([, s]) => cellExerciseId(s)).filter(Boolean);
    assert.deepEqual(ids, [...PRACTICE_NOTEBOOKS[key]], path.basename(file));
    // The answers are not in the cells: no exercise's right filling appears where its blank is.
    for (const [kind, source] of practiceCellsOf(nb)) {
      const id = kind === "code" ? cellExerciseId(source) : undefined;
      const e = id ? practiceExercise(id) : undefined;
      if (e?.kind === "choice") assert.match(source, new RegExp(`await (check|quiz\\.answer)\\("${id}", BLANK\\);$`));
      if (e?.kind === "blank") assert.ok(source.trimEnd().endsWith(`${e.template});`) && /\bBLANK\b/.test(e.template), id ?? "");
    }
  }
});

function runProgram(variant: "right" | "wrong" | "as-is"): { status: number | null; stdout: string; stderr: string; byCell: Map<string, string> } {
  const dir = tmpInProject("practice-");
  try {
    const file = path.join(dir, `${variant}.ts`);
    fs.writeFileSync(file, practiceProgram(practice, variant));
    const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8", env: { ...process.env, WORKBOOK_QUIET_BACKEND: "1", WORKBOOK_LOG_LEVEL: "info" }, timeout: 300_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, byCell: outputByCell(r.stdout) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const everyCell = () => practice.flatMap(({ key, cells }) => cells.map((c) => [key, cellExerciseId(c)] as const).filter((x): x is readonly [string, string] => !!x[1]));

test("every practice cell of every notebook passes with the right answers filled in", { timeout: 300_000 }, () => {
  const r = runProgram("right");
  assert.equal(r.status, 0, r.stderr);
  const cells = everyCell();
  assert.ok(cells.length >= 15 + 6 * 2);
  for (const [key, id] of cells) assert.match(r.byCell.get(`${key} ${id}`) ?? "", new RegExp(`^✓ ${id.replace(".", "\\.")} \\(\\w+\\): right\\.`), `notebook ${key}, ${id}`);
  assert.match(r.byCell.get("07 cell-16") ?? "", /Your score:\n {2}easy {3}3\/3\n {2}medium 6\/6\n {2}hard {3}6\/6\n {2}total {2}15\/15 \(100%\)\n/);
});

test("with a wrong answer every practice cell shows its hint and the common mistakes, and nothing throws", { timeout: 300_000 }, () => {
  const r = runProgram("wrong");
  assert.equal(r.status, 0, r.stderr);
  for (const [key, id] of everyCell()) {
    const out = r.byCell.get(`${key} ${id}`) ?? "";
    assert.match(out, new RegExp(`^✗ ${id.replace(".", "\\.")} \\(\\w+\\): not yet\\.`), `notebook ${key}, ${id}`);
    assert.ok(out.includes(`Hint: ${practiceExercise(id)!.hint}`) && out.includes("Common mistakes:"), `notebook ${key}, ${id}: ${out}`);
  }
  assert.match(r.byCell.get("07 cell-16") ?? "", /total {2}0\/15 \(0%\)/);
});

test("as committed, every practice cell runs and asks for its blank (re-running one changes nothing)", { timeout: 300_000 }, () => {
  const twice = practice.map(({ key, cells }) => ({ key, cells: [...cells, ...cells.slice(1)] }));
  const dir = tmpInProject("practice-");
  try {
    const file = path.join(dir, "as-is.ts");
    fs.writeFileSync(file, practiceProgram(twice, "as-is"));
    const r = spawnSync(process.execPath, ["--import", "tsx", file], { cwd: ROOT, encoding: "utf8", env: { ...process.env, WORKBOOK_QUIET_BACKEND: "1", WORKBOOK_LOG_LEVEL: "info" }, timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const byCell = outputByCell(r.stdout);
    for (const [key, id] of everyCell()) assert.match(byCell.get(`${key} ${id}`) ?? "", new RegExp(`^… ${id.replace(".", "\\.")} \\(\\w+\\): fill in the blank first`), `notebook ${key}, ${id}`);
    assert.match(r.stdout, /total {2}0\/15 \(0%\)\n {2}not answered yet: Q1, Q2, T1/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the tslab kernel runs every notebook's practice cells filled with the right answers, then with wrong ones", { timeout: 300_000 }, async () => {
  const dir = tmpInProject("practice-kernel-");
  try {
    const imports = new Set<string>();
    const cells: string[] = [];
    const seen = new Set<string>();
    for (const { cells: nbCells } of practice) {
      for (const line of nbCells[0].split("\n")) if (line.startsWith("import ")) imports.add(line);
      for (const c of nbCells.slice(1)) {
        const id = cellExerciseId(c);
        if (id && !seen.has(id)) {
          seen.add(id);
          cells.push(c);
        }
      }
    }
    const workbookNames = [...imports].flatMap((l) => /^import \{ (.*) \} from "workbook";$/.exec(l)?.[1].split(", ") ?? []);
    const setup = [...[...imports].filter((l) => !l.includes('"workbook"')), `import { ${[...new Set(workbookNames)].join(", ")} } from "workbook";`, "await initBackend({ quiet: true });", 'const quiz = practiceQuiz("07");'].join("\n");
    const file = path.join(dir, "01_all.ipynb");
    writeNotebook(makeNotebook([["code", setup], ...cells.map((c) => ["code", filledCell(c, "right")] as ["code", string]), ...cells.map((c) => ["code", filledCell(c, "wrong")] as ["code", string])]), file);
    const [run] = await runNotebooks([file], path.join(dir, "out"), { ...process.env, WORKBOOK_PROFILE: "smoke" }, { timeout: 240 });
    assert.ok(run.ok, run.error ?? "");
    const executed = readNotebook(path.join(dir, "out", "01_all.ipynb"));
    const text = (i: number) => JSON.stringify(executed.cells[i].outputs);
    cells.forEach((c, i) => {
      const id = cellExerciseId(c)!;
      assert.match(text(1 + i), new RegExp(`✓ ${id.replace(".", "\\.")} \\(`), `right ${id}`);
      assert.match(text(1 + cells.length + i), new RegExp(`✗ ${id.replace(".", "\\.")} \\([\\s\\S]*Hint: `), `wrong ${id}`);
    });
    assert.equal(seen.size, EXERCISES.length, "every exercise of the workbook is in some notebook");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
