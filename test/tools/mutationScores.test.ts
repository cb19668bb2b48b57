import { test } from "node:test";
import assert from "node:assert/strict";
import { codeLines, mutationScores, sampleEstimate, sampleLines, sampleMutatePatterns } from "../../tools/mutationScores";

const mutant = (status: string, line: number) => ({ status, mutatorName: "ConditionalExpression", location: { start: { line } } });

test("mutation score per folder: killed and timed-out mutants over valid ones; compile errors and ignored mutants do not count", () => {
  const scores = mutationScores(
    {
      files: {
        "lib/hpo/study.ts": { mutants: [mutant("Killed", 1), mutant("Survived", 2), mutant("Timeout", 3), mutant("CompileError", 4)] },
        "lib/pruning/masks.ts": { mutants: [mutant("Killed", 5), mutant("NoCoverage", 6), mutant("Ignored", 7)] },
      },
    },
    "/repo",
  );
  assert.deepEqual(
    scores.map((s) => [s.folder, s.detected, s.valid]),
    [["all", 3, 5], ["lib/hpo", 2, 3], ["lib/pruning", 1, 2]],
  );
  assert.deepEqual(scores[0].survivors, ["lib/hpo/study.ts:2 ConditionalExpression Survived", "lib/pruning/masks.ts:6 ConditionalExpression NoCoverage"]);
});

test("line sample: code lines only, drawn per folder with a seed, one mutate range per line", () => {
  const sources = {
    "lib/hpo/a.ts": "import x from 'y';\n// a comment\nconst a = 1;\n\nexport function f() {\n  return a > 0;\n}\n",
    "lib/pruning/b.ts": "/**\n * doc\n */\nconst b = 2;\nconst c = b * 2;\n",
  };
  assert.deepEqual(codeLines(sources["lib/hpo/a.ts"]), [3, 5, 6, 7]);
  const s = sampleLines(sources, 0.5, 7);
  assert.deepEqual(s.population, { "lib/hpo": 4, "lib/pruning": 2 });
  assert.equal(s.lines["lib/hpo/a.ts"].length, 2);
  assert.equal(s.lines["lib/pruning/b.ts"].length, 1);
  assert.deepEqual(sampleLines(sources, 0.5, 7), s, "the same seed draws the same lines");
  assert.ok(s.lines["lib/hpo/a.ts"].every((l) => [3, 5, 6, 7].includes(l)));
  assert.deepEqual(sampleMutatePatterns({ fraction: 1, seed: 1, population: {}, lines: { "lib/hpo/a.ts": [3, 6] } }), ["lib/hpo/a.ts:3-3", "lib/hpo/a.ts:6-6"]);
  assert.throws(() => sampleLines(sources, 0, 1), /fraction must be in \(0, 1\], got 0/);
  assert.throws(() => sampleLines(sources, 0.1, 1.5), /seed must be an integer, got 1.5/);
});

test("sample estimate: the ratio of detected to valid mutants on the drawn lines, with a finite-population 95 % interval", () => {
  const at = (status: string, line: number, end = line) => ({ status, mutatorName: "X", location: { start: { line }, end: { line: end } } });
  const sample = { fraction: 0.5, seed: 1, population: { "lib/hpo": 8 }, lines: { "lib/hpo/a.ts": [1, 2, 3, 4] } };
  const report = {
    files: {
      "lib/hpo/a.ts": { mutants: [at("Killed", 1), at("Killed", 1), at("Survived", 2), at("Killed", 3), at("NoCoverage", 3), at("Killed", 5), at("Survived", 4, 9), at("CompileError", 4)] },
    },
  };
  const [e] = sampleEstimate(report, sample, "/repo");
  // Lines 1..4 hold (d, v) = (2, 2), (0, 1), (1, 2), (0, 0): line 5 was not drawn, the 4-9 block spans lines, compile errors are not valid.
  assert.deepEqual([e.folder, e.detected, e.mutants, e.lines, e.population], ["lib/hpo", 3, 5, 4, 8]);
  assert.equal(e.estimate, 0.6);
  const ss = (2 - 1.2) ** 2 + (0 - 0.6) ** 2 + (1 - 1.2) ** 2;
  const se = Math.sqrt(((1 - 4 / 8) * ss) / (3 * 4 * 1.25 ** 2));
  assert.ok(Math.abs(e.low - (0.6 - 1.96 * se)) < 1e-12 && Math.abs(e.high - (0.6 + 1.96 * se)) < 1e-12);
});
