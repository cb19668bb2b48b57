// The blank a practice cell shows: `BLANK`, which the learner replaces with
// code. It is typed `any` so a cell with blanks still type-checks in the
// tslab kernel, and it is recognised wherever it is left: as a value
// (nested in an object or array), or in the source of a function.
// (Not `___`: the tslab kernel mangles names that start with two
// underscores, so a cell using `___` fails with "Cannot find name '____'".)

const BLANK_MARK = Symbol.for("workbook.practice.blank");

/**
 * The blank: replace each `BLANK` in a practice cell with your answer.
 *
 * @example
 * await check("T2", { modules: BLANK }); // prints "fill in the blank first" and the options
 * await check("T2", { modules: ["Linear"] }); // checks the answer
 */
export const BLANK: any = Object.freeze({ [BLANK_MARK]: true, toString: () => "BLANK" });

const BLANK_IN_SOURCE = /(^|[^\w$])BLANK(?![\w$])/;

/**
 * Whether an answer still holds a `BLANK`: the blank itself, inside an object
 * or array, or in a function's source.
 *
 * @example
 * containsBlank(BLANK); // true
 * containsBlank({ modules: ["Linear"], dtype: BLANK }); // true
 * containsBlank((x: number) => x * BLANK); // true
 * containsBlank({ modules: ["Linear"] }); // false
 */
export function containsBlank(answer: unknown, seen: Set<unknown> = new Set()): boolean {
  if (answer === BLANK) return true;
  if (typeof answer === "function") return BLANK_IN_SOURCE.test(Function.prototype.toString.call(answer));
  if (answer === null || typeof answer !== "object" || seen.has(answer)) return false;
  seen.add(answer);
  return Object.values(answer as Record<string, unknown>).some((v) => containsBlank(v, seen));
}
