// The notebooks' practice sections, made from lib/practice (so the prompts,
// options and blanks in a cell never drift from the answer key), and the
// means to run them without a kernel: extract the code cells after the
// "## Practice" heading, fill their blanks with the key's right (or wrong)
// code, and run them all as one TypeScript program.
//
//   npm run practice:cells    # rewrites the practice section of notebooks/NN_*.ipynb
import * as path from "node:path";
import { transformSync } from "esbuild";
import { BlankExercise, Exercise, practiceExercise, practiceExercises } from "../lib/practice";
import { Notebook, NotebookCell, splitLines } from "./notebook/nbformat";

export const PRACTICE_HEADING = "## Practice";
const ROOT = path.resolve(__dirname, "..");

/** The notebook key ("01" … "07") of a notebook file name. */
export function notebookKey(file: string): string {
  const m = /^(\d\d)_/.exec(path.basename(file));
  if (!m) throw new Error(`practice: ${file} is not named NN_*.ipynb`);
  return m[1];
}

const KIND_LABEL = { blank: "fill in the blank", choice: "multiple choice" } as const;

/** Wraps text into comment lines of at most ~100 characters. */
function commentLines(text: string, indent = ""): string[] {
  const out: string[] = [];
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(" ")) {
      if (line && (indent + line + " " + word).length > 100) {
        out.push(`// ${indent}${line}`);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(`// ${indent}${line}`);
  }
  return out;
}

/** The answer expression a cell starts with: the template (blanks) or `BLANK` (a letter). */
const answerTemplate = (e: Exercise) => (e.kind === "blank" ? e.template : "BLANK");

/** The code cell of one exercise: the prompt, the code around the blanks and the options as comments, then the call. */
export function exerciseCell(e: Exercise, call: "check" | "quiz.answer"): string {
  const lines = [`// ${e.id} · ${e.level} · ${KIND_LABEL[e.kind]}`, ...commentLines(e.prompt)];
  if (e.kind === "blank") {
    lines.push("//", ...e.context.split("\n").map((l) => `//     ${l}`), "//");
    for (const b of e.blanks) lines.push(`// Options for ${b.name}: ${b.options.join("  |  ")}`);
    lines.push(`// Replace each BLANK below with one of the options and run the cell; reveal("${e.id}") shows the solution.`);
  } else {
    for (const [letter, text] of Object.entries(e.choices).sort(([a], [b]) => a.localeCompare(b))) lines.push(...commentLines(`${letter}. ${text}`, "  "));
    lines.push(`// Replace BLANK with your letter (e.g. "A") and run the cell; reveal("${e.id}") shows the solution.`);
  }
  lines.push(`await ${call}("${e.id}", ${answerTemplate(e)});`);
  return lines.join("\n");
}

/** The imports a practice section's first code cell needs. */
function setupCell(exercises: Exercise[], quiz: boolean, key: string): string {
  const needsTf = exercises.some((e) => e.kind === "blank" && /\btf\./.test(e.template));
  const names = [...(quiz ? ["initBackend", "practiceQuiz"] : ["check"]), "reveal", "BLANK", ...(exercises.some((e) => e.kind === "blank" && /crossEntropy\(/.test(e.template)) ? ["crossEntropy"] : []), ...(exercises.some((e) => e.kind === "blank" && /kdLoss\(/.test(e.template)) ? ["kdLoss"] : [])];
  return [...(needsTf ? ['import * as tf from "@tensorflow/tfjs-core";'] : []), `import { ${names.join(", ")} } from "workbook";`, ...(quiz ? ["await initBackend({ quiet: true });", `const quiz = practiceQuiz("${key}");`] : [])].join("\n");
}

/** The practice section of a notebook, as [kind, source] cells: the heading, the imports, one cell per exercise (and the score in 07). */
export function practiceSection(key: string): ["markdown" | "code", string][] {
  const exercises = practiceExercises(key);
  const quiz = key === "07";
  const counts = (kind: Exercise["kind"]) => exercises.filter((e) => e.kind === kind).length;
  const cells: ["markdown" | "code", string][] = [];
  if (quiz) {
    cells.push(["markdown", `${PRACTICE_HEADING}: the test\n\n${exercises.length} exercises in three levels — ${counts("choice")} multiple-choice questions and ${counts("blank")} fill-in-the-blank tasks, each checked against this library (a filled blank really runs: the quantizer on a tiny BERT, the loss on small tensors). Replace each \`BLANK\` with your answer and run the cell: a right answer says what the real call did, a wrong one gives the hint and the common mistakes. \`reveal("Q1")\` shows a solution step by step. The last cell scores you per level.`]);
  } else {
    cells.push(["markdown", `${PRACTICE_HEADING}\n\nA few exercises on this notebook: ${counts("blank")} fill-in-the-blank and ${counts("choice")} multiple-choice. Replace each \`BLANK\` with your answer and run the cell; a filled blank is run through the real library. A wrong answer shows the hint and the common mistakes, \`reveal("<id>")\` the step-by-step solution. Notebook 07 tests the whole chapter.`]);
  }
  cells.push(["code", setupCell(exercises, quiz, key)]);
  for (const level of quiz ? (["easy", "medium", "hard"] as const) : [undefined]) {
    const these = level ? exercises.filter((e) => e.level === level) : exercises;
    if (level) cells.push(["markdown", `### ${level[0].toUpperCase()}${level.slice(1)} (${these.length})`]);
    for (const e of these) cells.push(["code", exerciseCell(e, quiz ? "quiz.answer" : "check")]);
  }
  if (quiz) cells.push(["markdown", "### Your score"], ["code", "quiz.score();"]);
  return cells;
}

const cellText = (c: NotebookCell) => [c.source].flat().join("");

/** Index of the "## Practice" heading cell, or -1. */
export function practiceHeadingIndex(nb: Notebook): number {
  return nb.cells.findIndex((c) => c.cell_type === "markdown" && cellText(c).startsWith(PRACTICE_HEADING));
}

/** The cells from the "## Practice" heading to the end, as [kind, source] (empty when there is none). */
export function practiceCellsOf(nb: Notebook): ["markdown" | "code", string][] {
  const at = practiceHeadingIndex(nb);
  if (at < 0) return [];
  return nb.cells.slice(at).map((c) => [c.cell_type === "code" ? "code" : "markdown", cellText(c)]);
}

/** Replaces (or appends) a notebook's practice section with the one made from lib/practice. */
export function withPracticeSection(nb: Notebook, key: string): Notebook {
  const at = practiceHeadingIndex(nb);
  const kept = at < 0 ? nb.cells : nb.cells.slice(0, at);
  const taken = new Set(kept.map((c) => c.id));
  let n = 0;
  const nextId = () => {
    let id: string;
    do id = `practice-${String(n++).padStart(3, "0")}`;
    while (taken.has(id));
    return id;
  };
  const cells: NotebookCell[] = practiceSection(key).map(([kind, source]) => {
    const lines = splitLines(source);
    return kind === "code" ? { id: nextId(), cell_type: "code", metadata: {}, source: lines, outputs: [], execution_count: null } : { id: nextId(), cell_type: "markdown", metadata: {}, source: lines };
  });
  return { ...nb, cells: [...kept, ...cells] };
}

/** The exercise id a practice cell answers, if it answers one. */
export function cellExerciseId(source: string): string | undefined {
  return /await (?:check|quiz\.answer)\("([^"]+)"/.exec(source)?.[1];
}

/** The code for each `BLANK` of an exercise's answer: the key's right filling, or a wrong one. */
export function fillsFor(e: Exercise, variant: "right" | "wrong"): string[] {
  if (e.kind === "blank") return [...(e as BlankExercise).fill[variant]];
  const wrong = Object.keys(e.choices).find((l) => l !== e.answer)!;
  return [JSON.stringify(variant === "right" ? e.answer : wrong)];
}

/** Fills the `BLANK` of a cell's code lines (not its comments), in order; throws when the counts differ. */
export function fillBlanks(source: string, fills: readonly string[]): string {
  let i = 0;
  const out = source
    .split("\n")
    .map((line) => (line.trimStart().startsWith("//") ? line : line.replace(/(?<![\w$])BLANK(?![\w$])/g, () => (i < fills.length ? fills[i++] : "BLANK"))))
    .join("\n");
  if (i !== fills.length || /(?<![\w$])BLANK(?![\w$])/.test(out.split("\n").filter((l) => !l.trimStart().startsWith("//")).join("\n"))) throw new Error(`fillBlanks: ${fills.length} fillings for a cell with a different number of blanks:\n${source}`);
  return out;
}

/** An exercise's answer built from code (the template with these fillings), evaluated as a cell would: what `check` receives. */
export function answerFromFills(e: Exercise, fills: readonly string[], scope: Record<string, unknown>): unknown {
  const code = fillBlanks(answerTemplate(e), fills);
  const js = transformSync(`(${code})`, { loader: "ts" }).code.trim().replace(/;$/, "");
  return new Function(...Object.keys(scope), `return ${js};`)(...Object.values(scope));
}

/** What a practice program marks each cell's output with. */
export const CELL_MARK = "@@practice-cell";

/** A notebook's practice code cells (the setup cell first), by notebook key. */
export interface PracticeCells {
  key: string;
  cells: readonly string[];
}

/** A notebook's practice code cells, the setup cell first. */
export function practiceCodeCells(nb: Notebook, key: string): PracticeCells {
  return { key, cells: practiceCellsOf(nb).filter(([kind]) => kind === "code").map(([, source]) => source) };
}

/** A practice cell with its blanks filled as `variant` says ("as-is" leaves them). */
export function filledCell(source: string, variant: "right" | "wrong" | "as-is"): string {
  const id = cellExerciseId(source);
  if (!id || variant === "as-is") return source;
  const e = practiceExercise(id);
  if (!e) throw new Error(`practice: a cell answers an unknown exercise "${id}"`);
  return fillBlanks(source, fillsFor(e, variant));
}

/**
 * One TypeScript program running notebooks' practice code cells in order:
 * each notebook in its own block (its setup cell's names shared by its
 * cells), each cell in a block of its own, filled as `variant` says. Imports
 * from "workbook" read lib/ directly. Each cell's output follows a line
 * `@@practice-cell <key> <id>`.
 */
export function practiceProgram(notebooks: readonly PracticeCells[], variant: "right" | "wrong" | "as-is"): string {
  const imports = new Set<string>();
  const body: string[] = [];
  for (const { key, cells } of notebooks) {
    body.push("{");
    cells.forEach((source, index) => {
      const id = cellExerciseId(source);
      const code = filledCell(source, variant).replace(/^import [\s\S]*?;$/gm, (stmt) => {
        imports.add(stmt.replace(/from "workbook"/, `from ${JSON.stringify(path.join(ROOT, "lib"))}`));
        return "";
      });
      const mark = `console.log(${JSON.stringify(`${CELL_MARK} ${key} ${id ?? `cell-${index}`}`)});`;
      body.push(index === 0 ? `${mark}\n${code}` : `${mark}\n{\n${code}\n}`);
    });
    body.push("}");
  }
  return [...imports, "(async () => {", ...body, "})().catch((err) => { console.error(err); process.exit(1); });"].join("\n");
}

/** Splits a practice program's stdout into each cell's lines, by "<key> <id>". */
export function outputByCell(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  let current = "";
  for (const line of stdout.split("\n")) {
    if (line.startsWith(CELL_MARK)) {
      current = line.slice(CELL_MARK.length + 1);
      out.set(current, "");
    } else if (current) out.set(current, out.get(current) + line + "\n");
  }
  return out;
}
