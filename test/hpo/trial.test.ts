// A trial's user attributes must be JSON: the error names the trial, the key and why.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RandomSampler, createStudy } from "../../lib/hpo";
import { quietly } from "../helpers/setup";

test("setUserAttr with a value JSON cannot hold (a BigInt, a function) names the trial, the key and the reason", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  const errors: string[] = [];
  await quietly(() =>
    study.optimize(
      (t) => {
        for (const v of [10n, () => 1]) {
          try {
            t.setUserAttr("n", v);
          } catch (err) {
            errors.push((err as Error).message);
          }
        }
        return 0;
      },
      { nTrials: 1 },
    ),
  );
  assert.equal(errors.length, 2);
  assert.match(errors[0], /^Trial 0: setUserAttr\("n"\): the value is not JSON-serialisable \(.*BigInt.*\)$/);
  assert.equal(errors[1], 'Trial 0: setUserAttr("n"): the value is not JSON-serialisable (function)');
});
