// TPE on a stepped float range that does not start at a multiple of the
// step, its Parzen estimator's draws on a grid, the parallel-coordinate axis of a log-scale parameter, unseeded
// samplers, and a GridSampler trial enqueued with only some of the grid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GridSampler, ParzenEstimator, RandomSampler, TPESampler, createStudy, defaultWeights, floatDistribution, intDistribution, plotParallelCoordinate } from "../../lib/hpo";
import { Random } from "../../lib/utils/random";
import { freshSeed } from "../../lib/hpo/samplers/base";
import { quietly } from "../helpers/setup";
import { setLogLevel } from "../../lib/utils/log";

setLogLevel("error");

test("TPE keeps a stepped float on its grid low + k·step when low is not a multiple of the step", async () => {
  const study = await createStudy({ sampler: new TPESampler({ seed: 2, nStartupTrials: 3 }) });
  await quietly(() => study.optimize((t) => (t.suggestFloat("x", 0.1, 2.1, { step: 0.5 }) - 1.1) ** 2, { nTrials: 12 }));
  const xs = study.trials.map((t) => t.params.x as number);
  for (const x of xs) assert.ok([0.1, 0.6, 1.1, 1.6, 2.1].some((g) => Math.abs(g - x) < 1e-9), `${x} is off the grid (all: ${xs})`);
});

test("ParzenEstimator on a grid (stepped float, stepped int, low off the step): each point is drawn as often as logPdf's probability says", () => {
  const n = 4000;
  const cases = [
    { d: floatDistribution(0.2, 2.2, { step: 0.5 }), mus: [1.2, 1.2, 1.7], grid: [0.2, 0.7, 1.2, 1.7, 2.2] },
    { d: intDistribution(3, 23, { step: 4 }), mus: [11, 11, 15], grid: [3, 7, 11, 15, 19, 23] },
  ];
  for (const { d, mus, grid } of cases) {
    const pe = new ParzenEstimator(mus, d, { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights });
    const p = pe.logPdf(grid).map(Math.exp);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9, `the grid's probabilities sum to 1: ${p}`);
    const draws = pe.sample(new Random(0), n);
    grid.forEach((g, i) => {
      const freq = draws.filter((v) => Math.abs(v - g) < 1e-9).length / n;
      const z = (freq - p[i]) / Math.sqrt((p[i] * (1 - p[i])) / n);
      assert.ok(Math.abs(z) < 4, `${g}: drawn ${freq}, probability ${p[i].toFixed(3)} (z = ${z.toFixed(1)})`);
    });
    assert.equal(draws.filter((v) => !grid.some((g) => Math.abs(v - g) < 1e-9)).length, 0, "every draw on the grid");
  }
});

test("parallel coordinate: a log parameter's axis is log10 of the values, ranged [min, max], with a tick per decade", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 4 }) });
  await quietly(() => study.optimize((t) => Math.log10(t.suggestFloat("lr", 1e-4, 1e-1, { log: true })), { nTrials: 4 }));
  const v = study.trials.map((t) => Math.log10(t.params.lr as number));
  const dim = (plotParallelCoordinate(study).data[0] as any).dimensions.find((d: { label: string }) => d.label === "lr");
  assert.deepEqual(dim.values, v);
  assert.deepEqual(dim.range, [Math.min(...v), Math.max(...v)]);
  const ticks = Array.from({ length: Math.ceil(Math.max(...v)) - Math.floor(Math.min(...v)) + 1 }, (_, i) => Math.floor(Math.min(...v)) + i);
  assert.ok(ticks.length >= 3, `the draws span ${ticks.length} decades`);
  assert.deepEqual(dim.tickvals, ticks);
  assert.deepEqual(dim.ticktext, ticks.map((k) => `1e${k}`));
});

test("unseeded samplers draw a fresh seed each: two RandomSamplers (or TPESamplers) propose different points; reseedRng changes the stream", async () => {
  const seeds = Array.from({ length: 8 }, freshSeed);
  assert.ok(seeds.every((s) => Number.isInteger(s) && s >= 0 && s < 2 ** 31), JSON.stringify(seeds));
  assert.ok(new Set(seeds).size > 1, `freshSeed gave ${JSON.stringify(seeds)}`);
  const xs = async (sampler: RandomSampler | TPESampler) => {
    const study = await createStudy({ sampler });
    await quietly(() => study.optimize((t) => t.suggestFloat("x", 0, 1), { nTrials: 3 }));
    return study.trials.map((t) => t.params.x);
  };
  assert.notDeepEqual(await xs(new RandomSampler()), await xs(new RandomSampler()));
  assert.notDeepEqual(await xs(new TPESampler()), await xs(new TPESampler()));
  const seeded = new RandomSampler({ seed: 7 });
  seeded.reseedRng();
  assert.notDeepEqual(await xs(seeded), await xs(new RandomSampler({ seed: 7 })));
});

test("GridSampler: a trial enqueued with only some of the grid's parameters fails naming the missing one (Optuna: ValueError); a fully fixed one runs outside the grid", async () => {
  const objective = (t: import("../../lib/hpo").Trial) => t.suggestFloat("x", -1, 1) ** 2 + (t.suggestCategorical("opt", ["adam", "sgd"]) === "adam" ? 0 : 1);
  const partial = await createStudy({ sampler: new GridSampler({ x: [-1, 0, 1], opt: ["adam", "sgd"] }, { seed: 0 }) });
  await partial.enqueueTrial({ x: 1 });
  await assert.rejects(quietly(() => partial.optimize(objective, { nTrials: 1 })), /GridSampler: trial 0 was enqueued without "opt"; an enqueued trial must fix every parameter of the grid/);
  assert.deepEqual(partial.trials.map((t) => [t.state, t.params]), [["FAIL", { x: 1 }]]);
  // Fixed in full, it takes no grid point: the six points still run after it.
  const full = await createStudy({ sampler: new GridSampler({ x: [-1, 0, 1], opt: ["adam", "sgd"] }, { seed: 0 }) });
  await full.enqueueTrial({ x: 1, opt: "sgd" });
  await quietly(() => full.optimize(objective));
  assert.equal(full.trials.length, 7);
  assert.deepEqual([full.trials[0].params, "grid_id" in full.trials[0].systemAttrs], [{ x: 1, opt: "sgd" }, false]);
  assert.equal(new Set(full.trials.slice(1).map((t) => t.systemAttrs.grid_id)).size, 6);
});
