// Study edge cases the mutation run found untested: bestTrial ignores pruned
// trials (which carry their last intermediate value), the random sampler's
// degenerate and integer-log ranges, and what the plots keep or drop.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RandomSampler, TrialPruned, createStudy, floatDistribution, intDistribution, plotIntermediateValues, plotParallelCoordinate, sampleUniform } from "../../lib/hpo";
import { Random } from "../../lib/utils/random";
import { quietly } from "../helpers/setup";

test("bestTrial is the best COMPLETE trial: a PRUNED trial's (better) last intermediate value does not count", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  await quietly(() =>
    study.optimize(
      (t) => {
        const x = t.suggestFloat("x", 0, 1);
        if (t.number === 0) {
          t.report(-100, 1);
          throw new TrialPruned();
        }
        return t.number === 1 ? 5 : 7 + x;
      },
      { nTrials: 3 },
    ),
  );
  assert.deepEqual(study.trials.map((t) => [t.state, t.value]).slice(0, 2), [["PRUNED", -100], ["COMPLETE", 5]]);
  assert.equal(study.bestTrial.number, 1);
  assert.equal(study.bestValue, 5);
});

test("sampleUniform: a one-point range returns that point; integer log ranges reach both ends", () => {
  const rng = new Random(3);
  assert.equal(sampleUniform(rng, floatDistribution(0.25, 0.25)), 0.25);
  assert.equal(sampleUniform(rng, intDistribution(4, 4, { log: true })), 4);
  assert.equal(sampleUniform(rng, intDistribution(7, 7)), 7);
  const seen = new Set(Array.from({ length: 400 }, () => sampleUniform(rng, intDistribution(1, 3, { log: true }))));
  assert.deepEqual([...seen].sort(), [1, 2, 3]);
});

test("plots: trials without intermediate values have no line; the parallel coordinate's range is [min, max] of the values", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
  await quietly(() =>
    study.optimize(
      (t) => {
        const x = t.suggestFloat("x", 2, 9);
        if (t.number !== 1) t.report(x, 1);
        return x;
      },
      { nTrials: 3 },
    ),
  );
  assert.deepEqual(plotIntermediateValues(study).data.map((d) => d.name), ["Trial0", "Trial2"]);
  const xs = study.trials.map((t) => t.params.x as number);
  const dim = (plotParallelCoordinate(study).data[0] as any).dimensions.find((d: { label: string }) => d.label === "x");
  assert.deepEqual(dim.range, [Math.min(...xs), Math.max(...xs)]);
});
