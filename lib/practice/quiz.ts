// The "test yourself" quiz: answers recorded per question (the latest answer
// counts, so a cell re-runs), and a score per level and in total.
import { logger } from "../utils/log";
import { judge, practiceExercise, practiceExercises, printVerdict } from "./check";
import { PRACTICE_LEVELS, PracticeLevel, Verdict } from "./types";

/** Right answers out of questions, per level and in total. */
export interface QuizScore {
  levels: Record<PracticeLevel, { right: number; total: number }>;
  right: number;
  total: number;
  /** Ids not answered yet (a blank counts as unanswered). */
  unanswered: string[];
}

/**
 * A quiz over some exercises: `answer` checks and records, `score` prints
 * the results per level and in total.
 *
 * @example
 * const quiz = new Quiz(["Q1", "T2"]);
 * await quiz.answer("Q1", "D");
 * quiz.score(); // easy 1/1 · medium 0/1 · hard 0/0 — total 1/2
 */
export class Quiz {
  private readonly verdicts = new Map<string, Verdict>();

  constructor(readonly ids: readonly string[]) {
    const unknown = ids.filter((id) => !practiceExercise(id));
    if (unknown.length) throw new Error(`Quiz: unknown exercise ids ${unknown.map((id) => JSON.stringify(id)).join(", ")}`);
    if (new Set(ids).size !== ids.length) throw new Error("Quiz: an exercise id appears twice");
  }

  /** Checks the answer (printing the verdict, as `check`) and records it; never throws. */
  async answer(id: string, answer: unknown): Promise<void> {
    const verdict: Verdict = this.ids.includes(id) ? await judge(id, answer) : { status: "malformed", expected: `a question of this quiz (${this.ids.join(", ")}), got ${JSON.stringify(id)}` };
    if (this.ids.includes(id)) this.verdicts.set(id, verdict);
    printVerdict(id, verdict);
  }

  /** The verdict recorded for a question, if any. */
  verdict(id: string): Verdict | undefined {
    return this.verdicts.get(id);
  }

  /** Forgets every answer. */
  reset(): void {
    this.verdicts.clear();
  }

  /** The score so far, without printing. */
  report(): QuizScore {
    const levels = Object.fromEntries(PRACTICE_LEVELS.map((l) => [l, { right: 0, total: 0 }])) as QuizScore["levels"];
    const unanswered: string[] = [];
    for (const id of this.ids) {
      const level = practiceExercise(id)!.level;
      levels[level].total++;
      const v = this.verdicts.get(id);
      if (v?.status === "right") levels[level].right++;
      if (!v || v.status === "blank") unanswered.push(id);
    }
    const right = PRACTICE_LEVELS.reduce((n, l) => n + levels[l].right, 0);
    return { levels, right, total: this.ids.length, unanswered };
  }

  /** Prints the score per level and in total (and what is still unanswered). */
  score(): void {
    const r = this.report();
    logger.info("Your score:");
    for (const l of PRACTICE_LEVELS) logger.info(`  ${l.padEnd(6)} ${r.levels[l].right}/${r.levels[l].total}`);
    logger.info(`  total  ${r.right}/${r.total} (${Math.round((100 * r.right) / Math.max(1, r.total))}%)`);
    if (r.unanswered.length) logger.info(`  not answered yet: ${r.unanswered.join(", ")}`);
  }
}

const QUIZZES = new Map<string, Quiz>();

/**
 * The quiz of a notebook's practice ("07" for the test-yourself notebook):
 * one per notebook for the life of the kernel, so each cell can ask for it
 * and a re-run cell replaces its answer.
 *
 * @example
 * await practiceQuiz("07").answer("Q1", "D");
 * practiceQuiz("07").score();
 */
export function practiceQuiz(notebook: string): Quiz {
  let quiz = QUIZZES.get(notebook);
  if (!quiz) {
    quiz = new Quiz(practiceExercises(notebook).map((e) => e.id));
    QUIZZES.set(notebook, quiz);
  }
  return quiz;
}
