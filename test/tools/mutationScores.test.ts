import { test } from "node:test";
import assert from "node:assert/strict";
import { mutationScores } from "../../tools/mutationScores";

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
