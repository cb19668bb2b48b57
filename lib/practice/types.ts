// What an exercise is: a fill-in-the-blank task or a multiple-choice
// question, with its hint, the common mistakes, the mistake behind each
// wrong option, and the step-by-step solution. The answer key lives here, in
// lib/practice, never in a notebook cell.

/** How hard an exercise is (the source page's three levels). */
export type PracticeLevel = "easy" | "medium" | "hard";

/**
 * The levels in order, easy first.
 *
 * @example
 * PRACTICE_LEVELS; // ["easy", "medium", "hard"]
 */
export const PRACTICE_LEVELS: readonly PracticeLevel[] = Object.freeze(["easy", "medium", "hard"] as const);

/** What checking an answer found. */
export type Verdict =
  /** Right; `note` says what the real call did with it. */
  | { status: "right"; note?: string }
  /** Wrong; `why` is the mistake behind that choice, `detail` what the real call did (or its error). */
  | { status: "wrong"; why?: string; detail?: string }
  /** A `BLANK` is still in the answer. */
  | { status: "blank" }
  /** The answer is not of the expected form; `expected` says what is. */
  | { status: "malformed"; expected: string };

/** One blank of a fill-in-the-blank exercise, with the options offered for it (as code). */
export interface BlankSpec {
  name: string;
  options: readonly string[];
}

interface ExerciseBase {
  /** "T2", "Q7", "04.1": unique over the registry. */
  id: string;
  level: PracticeLevel;
  /** One line: what is asked. */
  prompt: string;
  /** A nudge, shown with a wrong answer. */
  hint: string;
  /** The mistakes learners often make here, shown with a wrong answer. */
  mistakes: readonly string[];
  /** The worked solution, one line per step; the last names the answer. */
  solution: readonly string[];
  /** Where the exercise comes from ("practice page, task 2", or this workbook). */
  source: string;
}

/** A multiple-choice question: answered with a letter. */
export interface ChoiceExercise extends ExerciseBase {
  kind: "choice";
  /** Letter → option text. */
  choices: Readonly<Record<string, string>>;
  answer: string;
  /** Letter → why that option is wrong. */
  whyWrong: Readonly<Record<string, string>>;
}

/** A fill-in-the-blank task: answered with code in place of each `BLANK`, checked against the real library. */
export interface BlankExercise extends ExerciseBase {
  kind: "blank";
  /** The code around the blanks, as the notebook cell shows it (comments). */
  context: string;
  /** The cell's answer expression, with `BLANK` for each blank (what the learner edits). */
  template: string;
  blanks: readonly BlankSpec[];
  /** Code for each `BLANK` of `template`, in order: a right filling and a wrong one (the tests fill the cells with them). */
  fill: { right: readonly string[]; wrong: readonly string[] };
  /** Runs the real library on the answer (never throws: errors become a wrong or malformed verdict). */
  evaluate(answer: unknown): Verdict | Promise<Verdict>;
}

export type Exercise = ChoiceExercise | BlankExercise;
