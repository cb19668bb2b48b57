// Differential test of the whole TPE sampling path against Optuna 3.1: our
// samplers draw from numpy's RandomState(seed) stream (as Optuna's do), so
// with the same history every suggestion must equal Optuna's, not just follow
// the same distribution. Fixture: test/fixtures/make_hpo_tpe_reference.py.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { createStudy, TPESampler, TPESamplerOptions, hyperoptDefaultGamma, Distribution, ParamValue, TrialState, rosenbrockObjective } from "../../lib/hpo";
import { NumpyRandom } from "../helpers/numpyRandom";
import { setLogLevel } from "../../lib/utils/log";

setLogLevel("error");
const REF = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "hpo_tpe_reference.json"), "utf8"));
const SPACE = REF.space as Record<string, Distribution>;

/**
 * A TPESampler whose generators (its own, and its startup RandomSampler's) are
 * numpy's RandomState(seed), as in Optuna's TPESampler(seed=seed).
 */
function numpyTpe(seed: number, options: TPESamplerOptions = {}): TPESampler {
  const sampler = new TPESampler({ ...options, seed });
  const inner = sampler as unknown as { rng: unknown; randomSampler: { rng: unknown } };
  assert.ok(inner.rng && inner.randomSampler?.rng, "TPESampler keeps its generators in rng and randomSampler.rng");
  inner.rng = new NumpyRandom(seed);
  inner.randomSampler.rng = new NumpyRandom(seed);
  return sampler;
}

/** The fixture's gamma functions, by name. */
const GAMMAS: Record<string, (n: number) => number> = { hyperopt: hyperoptDefaultGamma, allButTwo: (n) => Math.max(n - 2, 0) };
/** The fixture's weight functions, by name (ascending_weights there: 1, 2, …, n). */
const WEIGHTS: Record<string, (n: number) => number[]> = { ascending: (n) => Array.from({ length: n }, (_, i) => i + 1) };

const same = (ours: ParamValue, theirs: ParamValue) =>
  typeof ours === "number" && typeof theirs === "number" ? Math.abs(ours - theirs) <= 1e-9 * Math.max(1, Math.abs(theirs)) : ours === theirs;

test("NumpyRandom is numpy's RandomState(seed).random_sample()", () => {
  for (const [seed, expected] of Object.entries<number[]>(REF.numpy)) {
    const r = new NumpyRandom(Number(seed));
    const first = [r.next(), r.next(), r.next()];
    for (let i = 3; i < 1300; i++) r.next();
    assert.deepEqual(first, expected.slice(0, 3), `seed ${seed}`);
    const s = new NumpyRandom(Number(seed));
    let last = 0;
    for (let i = 0; i < 1300; i++) last = s.next();
    assert.equal(last, expected[3], `seed ${seed}, draw 1300 (after a regeneration of the state)`);
  }
});

test("TPE on Rosenbrock with numpy's stream: 100 trials (10 random, 90 TPE) equal Optuna 3.1's", async () => {
  assert.equal(REF.optuna, "3.1.0");
  assert.equal(REF.rosenbrock.length, 2);
  for (const { seed, trials } of REF.rosenbrock as { seed: number; trials: [number, number, number][] }[]) {
    const study = await createStudy({ sampler: numpyTpe(seed) });
    await study.optimize(rosenbrockObjective, { nTrials: trials.length });
    study.trials.forEach((t, i) => {
      const [x, y, v] = trials[i];
      assert.ok(same(t.params.x, x) && same(t.params.y, y), `seed ${seed}, trial ${i}: ours (${t.params.x}, ${t.params.y}), Optuna (${x}, ${y})`);
      assert.ok(same(t.value!, v), `seed ${seed}, trial ${i}: value ${t.value} vs ${v}`);
    });
  }
});

test("TPE with numpy's stream over every parameter kind, with pruned/failed/running history and maximize, equals Optuna 3.1 with every option (considerPrior, constantLiar, custom weights, …)", async () => {
  assert.equal(REF.mixed.length, 9);
  // Every TPE option is checked against Optuna by at least one case.
  const checked = new Set(REF.mixed.flatMap((m: { options: object }) => Object.keys(m.options)));
  for (const k of ["considerPrior", "priorWeight", "considerMagicClip", "considerEndpoints", "nStartupTrials", "nEiCandidates", "gamma", "weights", "seed", "constantLiar"]) assert.ok(checked.has(k), `no fixture case sets ${k}`);
  for (const { options, history, asked } of REF.mixed) {
    const { seed, gamma, weights, ...rest } = options;
    const study = await createStudy({ direction: "maximize", sampler: numpyTpe(seed, { ...rest, ...(gamma ? { gamma: GAMMAS[gamma] } : {}), ...(weights ? { weights: WEIGHTS[weights] } : {}) }) });
    for (const h of history) {
      const distributions = Object.fromEntries(Object.keys(h.params).map((k) => [k, SPACE[k]]));
      const intermediateValues = Object.fromEntries(Object.entries<number>(h.intermediateValues).map(([s, v]) => [Number(s), v]));
      await study.addTrial({ params: h.params, distributions, value: h.value, state: h.state as TrialState, intermediateValues });
    }
    for (const [i, a] of (asked as { params: Record<string, ParamValue>; state: TrialState; value?: number; intermediateValues?: Record<string, number> }[]).entries()) {
      const trial = await study.ask();
      const p: Record<string, ParamValue> = {};
      for (const k of "abcdefg") p[k] = suggest(trial, k);
      if (p.g === "x") p.h = suggest(trial, "h");
      assert.deepEqual(Object.keys(p), Object.keys(a.params), `options ${JSON.stringify(options)}, asked trial ${i}: ours ${JSON.stringify(p)}, Optuna ${JSON.stringify(a.params)}`);
      for (const k of Object.keys(p)) assert.ok(same(p[k], a.params[k]), `options ${JSON.stringify(options)}, asked trial ${i}, ${k}: ours ${JSON.stringify(p[k])}, Optuna ${JSON.stringify(a.params[k])}`);
      if (a.state === "PRUNED") {
        for (const [s, v] of Object.entries(a.intermediateValues!)) trial.report(v, Number(s));
        await study.tell(trial, undefined, "PRUNED");
      } else await study.tell(trial, a.value);
    }
  }
});

function suggest(trial: import("../../lib/hpo").Trial, name: string): ParamValue {
  const d = SPACE[name];
  if (d.type === "categorical") return trial.suggestCategorical(name, d.choices);
  const options = { log: d.log, ...(d.step !== null && !(d.type === "int" && d.step === 1) ? { step: d.step } : {}) };
  return d.type === "int" ? trial.suggestInt(name, d.low, d.high, options) : trial.suggestFloat(name, d.low, d.high, options);
}
