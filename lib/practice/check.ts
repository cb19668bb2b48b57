// Checking an answer and showing the solution, through the library's logger
// (what a notebook cell prints). Nothing here throws at a learner: an unknown
// id, an unfilled blank or an answer of the wrong form each get a message
// that says what was expected.
import { logger } from "../utils/log";
import { containsBlank } from "./blank";
import { EXERCISES, PRACTICE_NOTEBOOKS } from "./exercises";
import type { Exercise, PracticeLevel, Verdict } from "./types";

const BY_ID = new Map(EXERCISES.map((e) => [e.id, e]));

/**
 * The exercise of that id, or undefined.
 *
 * @example
 * practiceExercise("T2")?.level; // "medium"
 */
export function practiceExercise(id: string): Exercise | undefined {
  return typeof id === "string" ? BY_ID.get(id) : undefined;
}

/**
 * The exercises of a notebook ("01" … "07"), in order; every exercise when no notebook is given.
 *
 * @example
 * practiceExercises("04").map((e) => e.id); // ["T2", "04.1", "Q2", "Q4"]
 * practiceExercises().length; // every exercise of the workbook
 */
export function practiceExercises(notebook?: string): Exercise[] {
  if (notebook === undefined) return [...EXERCISES];
  const ids = PRACTICE_NOTEBOOKS[notebook];
  if (!ids) throw new Error(`practiceExercises: no practice for notebook "${notebook}" (known: ${Object.keys(PRACTICE_NOTEBOOKS).join(", ")})`);
  return ids.map((id) => BY_ID.get(id)!);
}

/** The list of known ids, for an unknown one. */
const knownIds = () => EXERCISES.map((e) => e.id).join(", ");

/** The options of each blank, or the letters and texts of a question. */
function optionLines(e: Exercise): string[] {
  if (e.kind === "choice") return Object.entries(e.choices).sort(([a], [b]) => a.localeCompare(b)).map(([letter, text]) => `  ${letter}. ${text}`);
  return e.blanks.map((b) => `  ${b.name}: ${b.options.join("  |  ")}`);
}

/**
 * Judges an answer without printing: runs a fill-in-the-blank answer
 * through the real library, compares a letter with the key. Never throws
 * (an unknown id is malformed too).
 *
 * @example
 * (await judge("T2", { modules: ["Linear"] })).status; // "right"
 * (await judge("Q1", "B")).status;                       // "wrong"
 * (await judge("Q1", BLANK)).status;                       // "blank"
 */
export async function judge(id: string, answer: unknown): Promise<Verdict> {
  const e = practiceExercise(id);
  if (!e) return { status: "malformed", expected: `a known exercise id (${knownIds()}), got ${JSON.stringify(id)}` };
  if (containsBlank(answer)) return { status: "blank" };
  if (e.kind === "choice") {
    const letters = Object.keys(e.choices).sort();
    if (typeof answer !== "string" || !letters.includes(answer.trim().toUpperCase())) {
      return { status: "malformed", expected: `one of the letters ${letters.map((l) => `"${l}"`).join(", ")}, got ${typeof answer === "string" ? JSON.stringify(answer) : typeof answer}` };
    }
    const letter = answer.trim().toUpperCase();
    return letter === e.answer ? { status: "right" } : { status: "wrong", why: e.whyWrong[letter] };
  }
  try {
    return await e.evaluate(answer);
  } catch (err) {
    return { status: "wrong", detail: `checking it failed: ${(err as Error).message ?? String(err)}` };
  }
}

const LEVEL_MARK: Record<PracticeLevel, string> = { easy: "easy", medium: "medium", hard: "hard" };

/** The lines `check` prints for a verdict. */
function verdictLines(e: Exercise | undefined, id: string, v: Verdict): string[] {
  const head = e ? `${e.id} (${LEVEL_MARK[e.level]})` : JSON.stringify(id);
  switch (v.status) {
    case "right":
      return [`✓ ${head}: right.${v.note ? ` ${v.note}` : ""}`];
    case "blank":
      return [`… ${head}: fill in the blank first — replace each BLANK with your answer, then run the cell again.`, ...(e ? [e.kind === "choice" ? "  Your answer is a letter:" : "  Options:", ...optionLines(e)] : [])];
    case "malformed":
      return [`? ${head}: that answer has not the expected form. Expected ${v.expected}.`, ...(e?.kind === "blank" ? ["  Options:", ...optionLines(e)] : [])];
    case "wrong": {
      const lines = [`✗ ${head}: not yet.${v.detail ? ` ${v.detail}` : ""}`];
      if (v.why) lines.push(`  Why: ${v.why}`);
      if (e) {
        lines.push(`  Hint: ${e.hint}`, "  Common mistakes:", ...e.mistakes.map((m) => `   • ${m}`));
        lines.push(`  Try again, or reveal("${e.id}") for the step-by-step solution.`);
      }
      return lines;
    }
  }
}

/**
 * Checks an answer and prints the verdict: "right" with what the real call
 * did; or the hint and the common mistakes (and why that choice is wrong);
 * or "fill in the blank first" with the options; or what form was expected.
 * Never throws. Returns nothing (so a cell shows only the message); `judge`
 * returns the verdict.
 *
 * @example
 * await check("T2", { modules: ["Linear"] }); // ✓ T2 (medium): right. quantizeDynamicModel turned …
 * await check("Q1", "A");                       // ✗ Q1 (easy): not yet. Why: … Hint: … Common mistakes: …
 */
export async function check(id: string, answer: unknown): Promise<void> {
  printVerdict(id, await judge(id, answer));
}

/**
 * Prints a verdict as `check` does (the quiz prints its answers with it).
 *
 * @example
 * printVerdict("Q1", await judge("Q1", "D")); // ✓ Q1 (easy): right.
 */
export function printVerdict(id: string, verdict: Verdict): void {
  for (const line of verdictLines(practiceExercise(id), id, verdict)) logger.info(line);
}

/**
 * Prints the step-by-step solution of an exercise.
 * An unknown id prints the known ones instead.
 *
 * @example
 * reveal("T4"); // T4 (hard) — solution: Step 1: … Final answer: quantizeDynamicModel(model, ["Linear"], "qint8")
 */
export function reveal(id: string): void {
  for (const line of solutionLines(id)) logger.info(line);
}

/**
 * The lines `reveal` prints.
 *
 * @example
 * solutionLines("Q1").at(-1); // "  Answer: D. To train a smaller model to mimic a larger model's behavior"
 */
export function solutionLines(id: string): string[] {
  const e = practiceExercise(id);
  const lines = e
    ? [`${e.id} (${e.level}) — solution:`, ...e.solution.map((s) => `  ${s}`), ...(e.kind === "choice" ? [`  Answer: ${e.answer}. ${e.choices[e.answer]}`] : [])]
    : [`reveal: no exercise ${JSON.stringify(id)} (known: ${knownIds()})`];
  return lines;
}
