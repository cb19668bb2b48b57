import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready } from "../helpers/setup";
import { setLogSink } from "../../lib/utils/log";
import { BLANK, EXERCISES, PRACTICE_NOTEBOOKS, Quiz, check, containsBlank, judge, practiceExercise, practiceExercises, practiceQuiz, reveal, solutionLines } from "../../lib/practice";
import type { Exercise } from "../../lib/practice";
import { crossEntropy } from "../../lib/training/trainer";
import { kdLoss } from "../../lib/distillation";
import { answerFromFills, fillsFor } from "../../tools/practice";

/** What `fn` prints through the logger. */
async function printed(fn: () => unknown): Promise<string> {
  const lines: string[] = [];
  const prev = setLogSink({ out: (l) => lines.push(l), err: (l) => lines.push(l) });
  try {
    await fn();
  } finally {
    setLogSink(prev);
  }
  return lines.join("\n");
}

const SCOPE = { tf, crossEntropy, kdLoss, BLANK };
/** The answer a cell passes to `check` once its blanks hold these fillings. */
const answerOf = (e: Exercise, variant: "right" | "wrong") => answerFromFills(e, fillsFor(e, variant), SCOPE);

test("the registry: the page's 5 tasks and 10 questions, unique ids, three levels, every notebook's exercises known", () => {
  const ids = EXERCISES.map((e) => e.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ["T1", "T2", "T3", "T4", "T5"]) assert.equal(practiceExercise(id)?.kind, "blank", id);
  for (let i = 1; i <= 10; i++) assert.equal(practiceExercise(`Q${i}`)?.kind, "choice", `Q${i}`);
  assert.deepEqual([...PRACTICE_NOTEBOOKS["07"]].sort(), ["Q1", "Q10", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "T1", "T2", "T3", "T4", "T5"]);
  assert.deepEqual(new Set(practiceExercises("07").map((e) => e.level)), new Set(["easy", "medium", "hard"]));
  for (const key of ["01", "02", "03", "04", "05", "06"]) {
    const these = practiceExercises(key);
    assert.ok(these.length >= 2 && these.length <= 4, `notebook ${key}: ${these.length} exercises`);
    assert.ok(these.some((e) => e.kind === "blank") && these.some((e) => e.kind === "choice"), `notebook ${key} has both kinds`);
  }
  assert.throws(() => practiceExercises("99"), /no practice for notebook "99" \(known: 01, 02, 03, 04, 05, 06, 07\)/);
  for (const e of EXERCISES) {
    assert.ok(e.hint && e.mistakes.length >= 2 && e.solution.length >= 2, `${e.id}: hint, mistakes and steps`);
    if (e.kind === "choice") {
      assert.deepEqual(Object.keys(e.choices).sort(), ["A", "B", "C", "D"], e.id);
      assert.deepEqual(Object.keys(e.whyWrong).sort(), ["A", "B", "C", "D"].filter((l) => l !== e.answer), `${e.id}: a reason for each wrong choice`);
    } else {
      assert.equal(e.fill.right.length, e.template.match(/\bBLANK\b/g)!.length, `${e.id}: one right filling per blank`);
      assert.equal(e.blanks.reduce((n, b) => n + (b.options.length > 0 ? 1 : 0), 0), e.blanks.length);
      for (let i = 0; i < e.fill.right.length; i++) {
        const blank: { options: readonly string[] } = e.blanks[Math.min(i, e.blanks.length - 1)];
        assert.ok(blank.options.includes(e.fill.right[i]), `${e.id}: the right filling ${e.fill.right[i]} is one of the options`);
      }
    }
  }
});

test("every exercise passes with the key's right answer, run through the real library", { timeout: 120_000 }, async () => {
  await ready;
  for (const e of EXERCISES) {
    const answer = e.kind === "choice" ? e.answer : answerOf(e, "right");
    const verdict = await judge(e.id, answer);
    assert.equal(verdict.status, "right", `${e.id}: ${JSON.stringify(verdict)}`);
    const out = await printed(() => check(e.id, answer));
    assert.match(out, new RegExp(`^✓ ${e.id.replace(".", "\\.")} \\(${e.level}\\): right\\.`), e.id);
    assert.doesNotMatch(out, /Hint:/);
  }
  // A few notes say what the real call did.
  assert.match(await printed(() => check("T2", { modules: ["Linear"] })), /turned the tiny BERT's 14 Linear layers into int8 \(the classifier's weight is now an Int8Array\)/);
  assert.match(await printed(() => check("06.1", { amount: 0.4 })), /l1Unstructured zeroed 20 of the 50 weights/);
  assert.match(await printed(() => check("05.1", { weightType: "QInt8" })), /quantizeDynamic quantized \d+ nodes; the file is [\d.]+× smaller, its weights are INT8/);
  assert.match(await printed(() => check("03.1", { direction: "maximize" })), /study\.bestValue = ([\d.]+), the best accuracy/);
  // Lower-case letters and spaces are accepted.
  assert.equal((await judge("Q1", " d ")).status, "right");
});

test("every wrong choice shows its reason, the hint and the common mistakes, without throwing", { timeout: 120_000 }, async () => {
  await ready;
  for (const e of EXERCISES) {
    const wrongs: unknown[] = e.kind === "choice" ? Object.keys(e.whyWrong) : [answerOf(e, "wrong")];
    if (e.kind === "blank" && e.blanks.length === 1 && !e.template.includes("=>")) {
      // Every wrong option of a one-blank exercise, as code evaluated like the cell.
      for (const option of e.blanks[0].options) if (!e.fill.right.includes(option)) wrongs.push(answerFromFills(e, [option], SCOPE));
    }
    for (const answer of wrongs) {
      const verdict = await judge(e.id, answer);
      assert.ok(verdict.status === "wrong" || verdict.status === "malformed", `${e.id} ${JSON.stringify(answer)}: ${JSON.stringify(verdict)}`);
      const out = await printed(() => check(e.id, answer));
      if (verdict.status === "wrong") {
        assert.match(out, new RegExp(`^✗ ${e.id.replace(".", "\\.")} \\(${e.level}\\): not yet\\.`));
        assert.ok(out.includes(`Hint: ${e.hint}`), `${e.id}: the hint`);
        for (const m of e.mistakes) assert.ok(out.includes(`• ${m}`), `${e.id}: mistake "${m}"`);
        assert.ok(out.includes(`reveal("${e.id}")`));
        if (e.kind === "choice") assert.ok(out.includes(`Why: ${e.whyWrong[answer as string]}`), `${e.id} ${answer}: its reason`);
      } else assert.match(out, /has not the expected form\. Expected /);
    }
  }
  // The reasons tell the mistakes apart (the real calls' results, not the string).
  assert.match(await printed(() => check("T4", { modules: ["Linear"], dtype: "float16" })), /quantizeDynamicModel said: quantizeDynamicModel: dtype "float16" is not supported[\s\S]*Why: float16 halves the weights/);
  assert.match(await printed(() => check("T2", { modules: ["ReLU"] })), /Why: ReLU \(or GELU\) is an activation function/);
  assert.match(await printed(() => check("06.1", { amount: 40 })), /zeroed 40 of the 50 weights, not 20\.\n {2}Why: 40 is an integer above 1, so it is a count/);
  assert.match(await printed(() => check("06.1", { amount: 0.6 })), /zeroed 30 of the 50 weights/);
  assert.match(await printed(() => check("03.1", { direction: "minimize" })), /study\.bestValue = [\d.]+: the worst one\.\n {2}Why: Minimizing an accuracy/);
  assert.match(await printed(() => check("03.1", { direction: "max" })), /createStudy said: createStudy: direction must be "minimize" or "maximize", got "max"/);
  assert.match(await printed(() => check("05.1", { weightType: "QUInt8" })), /its weights are UINT8\.\n {2}Why: QUInt8 stores unsigned/);
  assert.match(await printed(() => check("T1", { init: "gpt2" })), /studentInit said: studentInit: init must be "random" or "distilbert", got "gpt2"\n {2}Why: GPT-2 is another architecture/);
  assert.match(await printed(() => check("T3", { field: "hiddenStates" })), /kdLoss said: kdLoss: studentLogits must be a tensor of logits \[batch, classes\], got an array of 2/);
  const noT2 = (student: tf.Tensor2D, teacher: tf.Tensor2D, T: number) => tf.div(kdLoss(student, teacher, T), T * T);
  assert.match(await printed(() => check("02.1", noT2)), /T = 2: yours [\d.]+, kdLoss [\d.]+; T = 4: [\s\S]*Why: The T² factor is missing/);
});

test("an unfilled blank asks for the answer and lists the options; a malformed answer says what was expected; nothing throws", async () => {
  await ready;
  assert.ok(containsBlank(BLANK) && containsBlank({ a: [1, BLANK] }) && containsBlank((x: number) => x * BLANK));
  assert.ok(!containsBlank({ modules: ["Linear"] }) && !containsBlank((x: number) => x * 2) && !containsBlank("BLANK_X"));
  const t4 = await printed(() => check("T4", { modules: ["Linear"], dtype: BLANK }));
  assert.match(t4, /^… T4 \(hard\): fill in the blank first — replace each BLANK with your answer/);
  assert.match(t4, /modules: \["Linear"\] {2}\| {2}\["Conv2d"\]\n {2}dtype: "qint8" {2}\| {2}"float16"/);
  assert.doesNotMatch(t4, /Final answer|Hint/);
  assert.match(await printed(() => check("Q2", BLANK)), /Your answer is a letter:\n {2}A\. model\.quantize/);
  assert.match(await printed(() => check("02.1", (s: tf.Tensor2D, t: tf.Tensor2D, T: number) => kdLoss(s, t, BLANK))), /fill in the blank first/);
  const cases: [string, unknown, RegExp][] = [
    ["Q1", "E", /Expected one of the letters "A", "B", "C", "D", got "E"/],
    ["Q1", 4, /Expected one of the letters "A", "B", "C", "D", got number/],
    ["T2", ["Linear"], /Expected an object \{ modules: … \}, got \["Linear"\]/],
    ["T2", { module: ["Linear"] }, /Expected an object \{ modules: … \}; missing modules; unknown module/],
    ["T4", { modules: ["Linear"], dtype: 8 }, /Expected dtype: a string such as "…", got 8/],
    ["T5", "studentOut.logits", /Expected a function \(studentOut, teacherOut, labels\) => loss, got "studentOut\.logits"/],
    ["06.1", { amount: -1 }, /Expected an amount l1Unstructured accepts: L1Unstructured: amount=-1 should either be a float in the range \[0, 1\] or a non-negative integer/],
    ["01.1", { size: "computeSize", latency: "measure", accuracy: "computeAccuracy" }, /latency: "measure" is not one/],
    ["nope", "A", /Expected a known exercise id \(T1, T2, .*\), got "nope"/],
  ];
  for (const [id, answer, expected] of cases) {
    const out = await printed(() => check(id, answer));
    assert.match(out, /has not the expected form/, `${id} ${JSON.stringify(answer)}`);
    assert.match(out, expected, `${id} ${JSON.stringify(answer)}`);
  }
  // A function that throws is a wrong answer with the error, not an exception.
  assert.match(await printed(() => check("02.1", () => { throw new Error("oops"); })), /✗ 02\.1 \(medium\): not yet\. Your KD loss failed at T = 2: oops/);
});

test("reveal prints the step-by-step solution; an unknown id lists the known ones", async () => {
  const out = await printed(() => reveal("T4"));
  assert.match(out, /^T4 \(hard\) — solution:\n {2}Step 1: .*\n {2}Step 2: .*\n {2}Final answer: quantizeDynamicModel\(model, \["Linear"\], "qint8"\)$/);
  assert.deepEqual(solutionLines("Q1").at(-1), "  Answer: D. To train a smaller model to mimic a larger model's behavior");
  assert.match(await printed(() => reveal("Q99")), /reveal: no exercise "Q99" \(known: T1, T2, T3, T4, T5, Q1, /);
});

test("the quiz records the latest answer per question and scores per level and in total", async () => {
  await ready;
  const quiz = new Quiz(["Q1", "Q3", "Q5", "T2"]);
  assert.deepEqual(quiz.report(), { levels: { easy: { right: 0, total: 1 }, medium: { right: 0, total: 2 }, hard: { right: 0, total: 1 } }, right: 0, total: 4, unanswered: ["Q1", "Q3", "Q5", "T2"] });
  await printed(async () => {
    await quiz.answer("Q1", "D"); // right, easy
    await quiz.answer("Q3", "B"); // wrong, medium
    await quiz.answer("Q5", "C"); // right, hard
    await quiz.answer("T2", BLANK); // unanswered
  });
  assert.deepEqual(quiz.report(), { levels: { easy: { right: 1, total: 1 }, medium: { right: 0, total: 2 }, hard: { right: 1, total: 1 } }, right: 2, total: 4, unanswered: ["T2"] });
  // Re-running a cell replaces its answer.
  await printed(() => quiz.answer("Q3", "A"));
  await printed(() => quiz.answer("Q1", "A"));
  assert.deepEqual(quiz.report().levels, { easy: { right: 0, total: 1 }, medium: { right: 1, total: 2 }, hard: { right: 1, total: 1 } });
  assert.equal(quiz.verdict("Q1")?.status, "wrong");
  const score = await printed(() => quiz.score());
  assert.equal(score, "Your score:\n  easy   0/1\n  medium 1/2\n  hard   1/1\n  total  2/4 (50%)\n  not answered yet: T2");
  // A question outside the quiz is reported, not recorded, and does not throw.
  assert.match(await printed(() => quiz.answer("Q9", "A")), /Expected a question of this quiz \(Q1, Q3, Q5, T2\), got "Q9"/);
  assert.equal(quiz.verdict("Q9"), undefined);
  quiz.reset();
  assert.equal(quiz.report().unanswered.length, 4);
  assert.throws(() => new Quiz(["Q1", "X"]), /Quiz: unknown exercise ids "X"/);
  assert.throws(() => new Quiz(["Q1", "Q1"]), /appears twice/);
  // The notebook's quiz lives as long as the kernel: every cell gets the same one.
  assert.equal(practiceQuiz("07"), practiceQuiz("07"));
  assert.equal(practiceQuiz("07").report().total, 15);
  assert.deepEqual(practiceQuiz("07").report().levels, { easy: { right: 0, total: 3 }, medium: { right: 0, total: 6 }, hard: { right: 0, total: 6 } });
});
