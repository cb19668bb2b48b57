// fANOVA importances: the seed drives the forest's bootstrap samples, and a
// bootstrap sample whose target has no variance is left out (as Optuna 3.1's
// _Fanova.get_importance); with no variance in any tree it is an error, as
// Optuna's "Encountered zero total variance in all trees".
import { test } from "node:test";
import assert from "node:assert/strict";
import { createStudy, getParamImportances, RandomSampler, Study } from "../../lib/hpo";
import { Random } from "../../lib/utils/random";
import { setLogLevel } from "../../lib/utils/log";

setLogLevel("error");

const sum = (imp: Record<string, number>) => Object.values(imp).reduce((a, b) => a + b, 0);

async function noisyStudy(): Promise<Study> {
  const noise = new Random(3);
  const study = await createStudy({ sampler: new RandomSampler({ seed: 5 }) });
  await study.optimize((t) => 2 * t.suggestFloat("x", 0, 1) + 0.5 * t.suggestFloat("y", 0, 1) + noise.normal(), { nTrials: 30 });
  return study;
}

test("importance: the seed picks the forest's bootstrap samples: the same seed gives the same shares, another seed other shares, the same ranking", async () => {
  const study = await noisyStudy();
  const byOne = getParamImportances(study, { seed: 1 });
  assert.deepEqual(getParamImportances(study, { seed: 1 }), byOne);
  for (const seed of [2, 3]) {
    const other = getParamImportances(study, { seed });
    assert.notDeepEqual(other, byOne, `seed ${seed} gave the same importances as seed 1: ${JSON.stringify(byOne)}`);
    assert.deepEqual(Object.keys(other), ["x", "y"], JSON.stringify(other));
    assert.ok(Math.abs(sum(other) - 1) < 1e-12);
  }
  assert.notDeepEqual(getParamImportances(study, { seed: 2 }), getParamImportances(study, { seed: 3 }));
  // No seed is seed 0.
  assert.deepEqual(getParamImportances(study), getParamImportances(study, { seed: 0 }));
});

test("importance: a bootstrap sample whose target is constant is left out; shares still sum to 1", async () => {
  // One trial in five is 1, the others 0: about a third of the bootstrap samples miss it, and their trees are a single leaf.
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  for (const x of [0.1, 0.3, 0.5, 0.7, 0.95]) await study.enqueueTrial({ x });
  await study.optimize((t) => (t.suggestFloat("x", 0, 1) > 0.9 ? 1 : 0) + 0 * t.suggestFloat("y", 0, 1), { nTrials: 5 });
  for (const seed of [0, 1, 2]) {
    const imp = getParamImportances(study, { seed, nTrees: 16 });
    assert.ok(Object.values(imp).every(Number.isFinite), JSON.stringify(imp));
    assert.ok(Math.abs(sum(imp) - 1) < 1e-12, `seed ${seed}: ${JSON.stringify(imp)}`);
    assert.equal(Object.keys(imp)[0], "x", JSON.stringify(imp));
  }
  // A single tree whose sample holds the outlier is the whole estimate; one whose sample misses it has nothing to say.
  const single = [0, 1, 2, 3, 4, 5, 6, 7].map((seed) => {
    try {
      return getParamImportances(study, { seed, nTrees: 1 });
    } catch (err) {
      assert.match((err as Error).message, /getParamImportances: the target has no variance in any of the 1 trees \(constant over the 5 COMPLETE trials' bootstrap samples\), so no importance can be assessed/);
      return null;
    }
  });
  assert.ok(single.some((s) => s === null) && single.some((s) => s !== null), `some one-tree forests miss the outlier, some hold it: ${JSON.stringify(single)}`);
  for (const s of single) if (s) assert.ok(Math.abs(sum(s) - 1) < 1e-12, JSON.stringify(s));
});

test("importance: a target with no variance at all is a clear error (Optuna: zero total variance in all trees)", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  await study.optimize((t) => 0 * t.suggestFloat("x", 0, 1) + 3, { nTrials: 6 });
  assert.throws(() => getParamImportances(study), /the target has no variance in any of the 64 trees \(constant over the 6 COMPLETE trials' bootstrap samples\)/);
  // A target with variance over the same trials is fine.
  assert.ok(Math.abs(sum(getParamImportances(study, { target: (t) => t.params.x as number })) - 1) < 1e-12);
});
