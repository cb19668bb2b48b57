// TPE on a stepped float range that does not start at a multiple of the
// step, and the parallel-coordinate axis of a log-scale parameter.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RandomSampler, TPESampler, createStudy, plotParallelCoordinate } from "../../lib/hpo";
import { quietly } from "../helpers/setup";

test("TPE keeps a stepped float on its grid low + k·step when low is not a multiple of the step", async () => {
  const study = await createStudy({ sampler: new TPESampler({ seed: 2, nStartupTrials: 3 }) });
  await quietly(() => study.optimize((t) => (t.suggestFloat("x", 0.1, 2.1, { step: 0.5 }) - 1.1) ** 2, { nTrials: 12 }));
  const xs = study.trials.map((t) => t.params.x as number);
  for (const x of xs) assert.ok([0.1, 0.6, 1.1, 1.6, 2.1].some((g) => Math.abs(g - x) < 1e-9), `${x} is off the grid (all: ${xs})`);
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
