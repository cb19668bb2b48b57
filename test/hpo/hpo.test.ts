import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  createStudy,
  Study,
  Sampler,
  TPESampler,
  RandomSampler,
  GridSampler,
  ParzenEstimator,
  defaultWeights,
  defaultGamma,
  floatDistribution,
  intDistribution,
  categoricalDistribution,
  Distribution,
  MedianPruner,
  PercentilePruner,
  SuccessiveHalvingPruner,
  NopPruner,
  TrialPruned,
  FrozenTrial,
  newFrozenTrial,
  StudyView,
  maxTrialsCallback,
  rosenbrock,
  rosenbrockObjective,
} from "../../lib/hpo";
import { ndtriExp, logNdtr, logGaussMass, truncnormPpf } from "../../lib/hpo/samplers/truncnorm";
import { setLogLevel } from "../../lib/utils/log";

setLogLevel("error");
const REF = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "hpo_reference.json"), "utf8"));
const close = (a: number, b: number, tol = 1e-9) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

// ---------------------------------------------------------------- distributions

test("bad search spaces are clear errors naming the parameter and the values", () => {
  assert.throws(() => floatDistribution(3, 1, {}, "lr"), /suggestFloat\("lr"\): low \(3\) must be <= high \(1\)/);
  assert.throws(() => floatDistribution(0, 1, { log: true }, "lr"), /suggestFloat\("lr"\): a log distribution needs low > 0 \(low=0, high=1\)/);
  assert.throws(() => floatDistribution(-1, 1, { log: true }, "lr"), /needs low > 0/);
  assert.throws(() => floatDistribution(0, 1, { step: 0.3 }, "p"), /suggestFloat\("p"\): step \(0.3\) does not divide the range high - low = 1/);
  assert.throws(() => floatDistribution(1e-3, 1, { log: true, step: 0.1 }, "p"), /step is not supported with log=true/);
  assert.throws(() => floatDistribution(0, 1, { step: -1 }, "p"), /step must be a positive number, got -1/);
  assert.throws(() => floatDistribution(0, 1, { lg: true } as never, "p"), /unknown option "lg"/);
  assert.throws(() => intDistribution(5, 2, {}, "n"), /suggestInt\("n"\): low \(5\) must be <= high \(2\)/);
  assert.throws(() => intDistribution(0, 10, { log: true }, "n"), /a log distribution needs low >= 1 \(low=0, high=10\)/);
  assert.throws(() => intDistribution(0, 10, { step: 3 }, "n"), /step \(3\) does not divide the range high - low = 10/);
  assert.throws(() => intDistribution(0.5, 10, {}, "n"), /low must be an integer, got 0.5/);
  assert.throws(() => categoricalDistribution([], "c"), /choices must be a non-empty array/);
  assert.throws(() => categoricalDistribution([{}] as never, "c"), /choices must be null, boolean, number or string/);
  assert.deepEqual(floatDistribution(0, 1, { step: 0.1 }), { type: "float", low: 0, high: 1, log: false, step: 0.1 });
});

test("the same name with another distribution is an error, within a trial and across trials", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  await assert.rejects(
    study.optimize((t) => t.suggestFloat("x", 0, 1) + t.suggestFloat("x", 0, 2)),
    /Trial 0: parameter "x" was suggested as float\(0, 1\) and is now asked for as float\(0, 2\); one name must keep one distribution/,
  );
  assert.equal(study.trials[0].state, "FAIL");
  // Asking again with the same distribution returns the same value.
  await study.optimize((t) => (assert.equal(t.suggestFloat("x", 0, 1), t.suggestFloat("x", 0, 1)), 0), { nTrials: 1 });
  await assert.rejects(study.optimize((t) => t.suggestInt("x", 0, 1), { nTrials: 1 }), /Parameter "x" was float\(0, 1\) in an earlier trial and is now int\(0, 1\): the same name cannot change kind/);
  await assert.rejects(study.optimize((t) => t.suggestFloat("x", 0.1, 1, { log: true }), { nTrials: 1 }), /cannot change log/);
  // A new range of the same kind is allowed (define-by-run), as Optuna.
  await study.optimize((t) => t.suggestFloat("x", 0, 5), { nTrials: 1 });
  assert.equal(study.trials.at(-1)!.state, "COMPLETE");
});

// ---------------------------------------------------------------- study behaviour

test("optimize: values, best trial, trialsDataframe rows, user attrs, timestamps", async () => {
  const study = await createStudy({ direction: "maximize", sampler: new RandomSampler({ seed: 1 }) });
  await study.optimize(
    (t) => {
      const x = t.suggestFloat("x", -1, 1);
      const opt = t.suggestCategorical("opt", ["adam", "sgd"] as const);
      t.setUserAttr("double", 2 * x);
      return opt === "adam" ? -x * x : -x * x - 1;
    },
    { nTrials: 12 },
  );
  const trials = study.trials;
  assert.equal(trials.length, 12);
  assert.deepEqual(trials.map((t) => t.number), [...Array(12).keys()]);
  const best = trials.filter((t) => t.state === "COMPLETE").reduce((a, b) => (b.value! > a.value! ? b : a));
  assert.equal(study.bestTrial.number, best.number);
  assert.equal(study.bestValue, best.value);
  assert.deepEqual(study.bestParams, best.params);
  for (const t of trials) {
    assert.ok(t.datetimeStart && t.datetimeComplete && t.datetimeComplete >= t.datetimeStart);
    assert.equal(t.userAttrs.double, 2 * (t.params.x as number));
  }
  const rows = study.trialsDataframe();
  assert.equal(rows.length, 12);
  assert.deepEqual(Object.keys(rows[0]), ["number", "value", "datetime_start", "datetime_complete", "duration", "params_opt", "params_x", "user_attrs_double", "state"]);
  assert.equal(rows[3].params_x, trials[3].params.x);
  assert.equal(rows[3].state, "COMPLETE");
  assert.ok((rows[3].duration as number) >= 0);
  assert.deepEqual(Object.keys(study.trialsDataframe({ attrs: ["number", "value"] })[0]), ["number", "value"]);
});

test("an objective that throws: FAIL with the message; re-thrown by default (Optuna), the study goes on with catch", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  let n = 0;
  const objective = (t: { suggestFloat: (n: string, l: number, h: number) => number }) => {
    const x = t.suggestFloat("x", 0, 1);
    if (n++ % 2 === 1) throw new RangeError(`diverged at x=${x}`);
    return x;
  };
  await study.optimize(objective, { nTrials: 6, catch: [RangeError] });
  const states = study.trials.map((t) => t.state);
  assert.deepEqual(states, ["COMPLETE", "FAIL", "COMPLETE", "FAIL", "COMPLETE", "FAIL"]);
  const failed = study.trials[1];
  assert.equal(failed.systemAttrs.fail_reason, `RangeError: diverged at x=${failed.params.x}`);
  assert.equal(failed.value, null);
  // Without catch (Optuna's default), the error surfaces after the trial is recorded.
  await assert.rejects(study.optimize(objective, { nTrials: 4 }), /diverged at/);
  assert.equal(study.trials.length, 8);
  assert.equal(study.trials[7].state, "FAIL");
  // A class not in catch is re-thrown.
  await assert.rejects(study.optimize(() => { throw new TypeError("bad"); }, { nTrials: 3, catch: [RangeError] }), /bad/);
  assert.equal(study.trials.length, 9);
});

test("NaN or a non-number return is FAIL with a message, and the study goes on", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  const returns: unknown[] = [NaN, "0.5", undefined, 1.5, Infinity];
  let i = 0;
  await study.optimize(() => returns[i++] as number, { nTrials: 5 });
  const t = study.trials;
  assert.deepEqual(t.map((x) => x.state), ["FAIL", "FAIL", "FAIL", "COMPLETE", "COMPLETE"]);
  assert.equal(t[0].systemAttrs.fail_reason, "the objective returned NaN");
  assert.equal(t[1].systemAttrs.fail_reason, 'the objective returned "0.5", not a number');
  assert.equal(t[2].systemAttrs.fail_reason, "the objective returned undefined, not a number");
  assert.equal(study.bestValue, 1.5);
});

test("no complete trial: bestTrial says so; bad optimize options are named", async () => {
  const study = await createStudy({ studyName: "empty" });
  assert.throws(() => study.bestTrial, /Study "empty" has no COMPLETE trial yet \(0 trials\)/);
  await assert.rejects(study.optimize(() => 1, { nTrials: -1 }), /nTrials must be a non-negative integer, got -1/);
  await assert.rejects(study.optimize(() => 1, { ntrials: 3 } as never), /optimize: unknown option "ntrials"/);
  await assert.rejects(createStudy({ direction: "max" as never }), /direction must be "minimize" or "maximize", got "max"/);
  assert.throws(() => new TPESampler({ seed: 1, nStartup: 3 } as never), /TPESampler: unknown option "nStartup"/);
  await assert.rejects(createStudy({ storage: "mysql://x" }), /Unknown storage "mysql:\/\/x": use "journal:<file>"/);
});

test("enqueueTrial: fixed params first, the rest sampled; skipIfExists; ask/tell", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 3 }) });
  await study.enqueueTrial({ x: 0.25 });
  await study.enqueueTrial({ x: 0.5, y: 3 }, { userAttrs: { source: "manual" } });
  await study.enqueueTrial({ x: 0.5, y: 3 }, { skipIfExists: true });
  assert.deepEqual(study.trials.map((t) => t.state), ["WAITING", "WAITING"]);
  await study.optimize((t) => t.suggestFloat("x", 0, 1) + t.suggestInt("y", 0, 5), { nTrials: 3 });
  const t = study.trials;
  assert.equal(t.length, 3);
  assert.equal(t[0].params.x, 0.25);
  assert.ok(Number.isInteger(t[0].params.y));
  assert.deepEqual(t[1].params, { x: 0.5, y: 3 });
  assert.equal(t[1].userAttrs.source, "manual");
  assert.deepEqual(t.map((x) => x.state), ["COMPLETE", "COMPLETE", "COMPLETE"]);
  const trial = await study.ask();
  trial.report(0.5, 0);
  await study.tell(trial, undefined, "PRUNED");
  assert.equal(study.trials[3].state, "PRUNED");
  assert.equal(study.trials[3].value, 0.5); // a pruned trial keeps its last intermediate value
  await assert.rejects(study.tell(trial, 1), /is not a running trial of this study object/);
});

test("timeout and callbacks: maxTrialsCallback stops at a total", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }) });
  const seen: number[] = [];
  await study.optimize(rosenbrockObjective, { callbacks: [(_s, t) => void seen.push(t.number), maxTrialsCallback(7)] });
  assert.equal(study.trials.length, 7);
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6]);
  const t0 = Date.now();
  await study.optimize(async (t) => (await new Promise((r) => setTimeout(r, 20)), rosenbrockObjective(t)), { timeout: 0.1 });
  assert.ok(Date.now() - t0 < 1000);
  assert.ok(study.trials.length > 7 && study.trials.length < 20);
  assert.equal(rosenbrock(1, 1), 0);
  assert.equal(rosenbrock(0, 0), 1);
});

// ---------------------------------------------------------------- samplers: one contract, every sampler

const SAMPLERS: Record<string, (seed: number) => Sampler> = {
  random: (seed) => new RandomSampler({ seed }),
  tpe: (seed) => new TPESampler({ seed, nStartupTrials: 5 }),
};

const spaceObjective = (t: import("../../lib/hpo").Trial) => {
  const a = t.suggestFloat("a", -3, 7);
  const b = t.suggestFloat("b", 1e-4, 10, { log: true });
  const c = t.suggestFloat("c", 0, 1, { step: 0.25 });
  const d = t.suggestInt("d", -5, 5);
  const e = t.suggestInt("e", 0, 12, { step: 3 });
  const f = t.suggestInt("f", 1, 1000, { log: true });
  const g = t.suggestCategorical("g", ["x", 7, true, null]);
  return (a - 1) ** 2 + Math.log(b) ** 2 + c + Math.abs(d) + e / 3 + Math.log(f) + (g === 7 ? 0 : 1);
};

for (const [name, make] of Object.entries(SAMPLERS)) {
  test(`sampler contract (${name}): within bounds and on the grid; deterministic per seed; categorical coverage`, async () => {
    const run = async (seed: number) => {
      const study = await createStudy({ sampler: make(seed) });
      await study.optimize(spaceObjective, { nTrials: 40 });
      return study.trials;
    };
    const trials = await run(11);
    for (const t of trials) {
      const p = t.params as Record<string, number>;
      assert.equal(t.state, "COMPLETE");
      assert.ok(p.a >= -3 && p.a <= 7, `a=${p.a}`);
      assert.ok(p.b >= 1e-4 && p.b <= 10, `b=${p.b}`);
      assert.ok([0, 0.25, 0.5, 0.75, 1].includes(p.c), `c=${p.c}`);
      assert.ok(Number.isInteger(p.d) && p.d >= -5 && p.d <= 5, `d=${p.d}`);
      assert.ok([0, 3, 6, 9, 12].includes(p.e), `e=${p.e}`);
      assert.ok(Number.isInteger(p.f) && p.f >= 1 && p.f <= 1000, `f=${p.f}`);
    }
    const seen = new Set(trials.map((t) => t.params.g));
    assert.deepEqual([...seen].sort(), ["x", 7, true, null].sort(), `choices seen: ${[...seen]}`);
    const again = await run(11);
    assert.deepEqual(again.map((t) => t.params), trials.map((t) => t.params));
    const other = await run(12);
    assert.notDeepEqual(other.map((t) => t.params), trials.map((t) => t.params));
  });
}

test("GridSampler: every combination once, then the study stops; values outside the space are warned about", async () => {
  const grid = new GridSampler({ x: [-1, 0, 1], opt: ["adam", "sgd"] }, { seed: 0 });
  const study = await createStudy({ sampler: grid });
  await study.optimize((t) => t.suggestFloat("x", -1, 1) ** 2 + (t.suggestCategorical("opt", ["adam", "sgd"]) === "adam" ? 0 : 1));
  const combos = study.trials.map((t) => `${t.params.x}/${t.params.opt}`).sort();
  assert.deepEqual(combos, ["-1/adam", "-1/sgd", "0/adam", "0/sgd", "1/adam", "1/sgd"]);
  assert.equal(study.bestValue, 0);
  await assert.rejects(createStudy({ sampler: new GridSampler({ x: [1] }) }).then((s) => s.optimize((t) => t.suggestFloat("y", 0, 1), { nTrials: 1 })), /GridSampler: the parameter "y" is not in the grid \(grid has x\)/);
});

test("TPE beats random search on Rosenbrock with a fixed seed (median of 5 seeds, 150 trials)", async () => {
  const median = async (make: (s: number) => Sampler) => {
    const bests: number[] = [];
    for (let s = 0; s < 5; s++) {
      const study = await createStudy({ sampler: make(s) });
      await study.optimize(rosenbrockObjective, { nTrials: 150 });
      bests.push(study.bestValue);
    }
    return bests.sort((a, b) => a - b)[2];
  };
  const tpe = await median((s) => new TPESampler({ seed: s }));
  const rnd = await median((s) => new RandomSampler({ seed: s }));
  assert.ok(tpe < rnd / 2, `TPE ${tpe} vs random ${rnd}`);
});

test("TPE: random for the first nStartupTrials, then l(x)/g(x); maximize ranks by -value", async () => {
  // With maximize, the good trials are those with large values: TPE must move toward x = 1.
  const study = await createStudy({ direction: "maximize", sampler: new TPESampler({ seed: 5 }) });
  await study.optimize((t) => -((t.suggestFloat("x", -10, 10) - 1) ** 2), { nTrials: 60 });
  const late = study.trials.slice(40).map((t) => t.params.x as number);
  const mid = late.sort((a, b) => a - b)[10];
  assert.ok(Math.abs(mid - 1) < 1.5, `late median x = ${mid}`);
  assert.ok(Math.abs((study.bestParams.x as number) - 1) < 0.3);
  // Pruned trials take part: ranked after completed ones, by their last step.
  const pruned = await createStudy({ sampler: new TPESampler({ seed: 1, nStartupTrials: 2 }), pruner: new NopPruner() });
  await pruned.optimize((t) => {
    const x = t.suggestFloat("x", 0, 1);
    if (t.number % 2) {
      t.report(x, 0);
      throw new TrialPruned();
    }
    return x;
  }, { nTrials: 8 });
  assert.equal(pruned.getTrials({ states: ["PRUNED"] }).length, 4);
});

// ---------------------------------------------------------------- Parzen estimator and truncnorm parity with Optuna 3.1

test("ParzenEstimator equals Optuna 3.1's: components, weights and log densities (fixture)", () => {
  const params = { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights };
  assert.ok(REF.optuna.startsWith("3.1"));
  for (const c of REF.parzen) {
    const d = c.distribution as Distribution;
    const pe = new ParzenEstimator(c.observations, d, params);
    pe.weights.forEach((w, i) => assert.ok(close(w, c.weights[i]), `weights ${JSON.stringify(d)}`));
    if (c.mus) {
      assert.equal(pe.mus.length, c.mus.length);
      pe.mus.forEach((m, i) => assert.ok(close(m, c.mus[i]), `mu ${i} of ${JSON.stringify(d)}: ${m} vs ${c.mus[i]}`));
      pe.sigmas.forEach((s, i) => assert.ok(close(s, c.sigmas[i]), `sigma ${i} of ${JSON.stringify(d)}: ${s} vs ${c.sigmas[i]}`));
    } else {
      pe.categoricalWeights.forEach((row, i) => row.forEach((v, j) => assert.ok(close(v, c.categoricalWeights[i][j]))));
    }
    const lp = pe.logPdf(c.samples);
    lp.forEach((v, i) => assert.ok(close(v, c.logPdf[i], 1e-9), `logPdf(${c.samples[i]}) of ${JSON.stringify(d)}: ${v} vs ${c.logPdf[i]}`));
  }
  for (const [n, w] of Object.entries(REF.defaultWeights)) (w as number[]).forEach((v, i) => assert.ok(close(defaultWeights(Number(n))[i], v)));
  for (const [n, g] of Object.entries(REF.defaultGamma)) assert.equal(defaultGamma(Number(n)), g);
});

test("truncated normal: ppf, log mass and log Φ equal Optuna's; samples stay inside", () => {
  const r = REF.truncnorm;
  r.a.forEach((a: number, i: number) => {
    assert.ok(close(truncnormPpf(r.q[i], a, r.b[i]), r.ppf[i], 1e-8), `ppf ${i}`);
    assert.ok(close(logGaussMass(a, r.b[i]), r.logGaussMass[i], 1e-9), `mass ${i}`);
  });
  r.logNdtr.x.forEach((x: number, i: number) => assert.ok(close(logNdtr(x), r.logNdtr.y[i], 1e-10)));
  for (const x of [-60, -10, -1, 0, 1, 6]) assert.ok(close(ndtriExp(logNdtr(x)), x, 1e-8), `ndtriExp(logNdtr(${x}))`);
  const pe = new ParzenEstimator([0.9, 0.95, 0.99], floatDistribution(0, 1), { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights });
  const { Random } = require("../../lib/utils/random");
  for (const v of pe.sample(new Random(0), 500)) assert.ok(v >= 0 && v <= 1);
});

// ---------------------------------------------------------------- pruners on synthetic curves

function view(direction: "minimize" | "maximize", trials: FrozenTrial[]): StudyView & { attrs: Record<string, unknown> } {
  const attrs: Record<string, unknown> = {};
  return {
    direction,
    attrs,
    getTrials: (o) => (o?.states ? trials.filter((t) => o.states!.includes(t.state)) : trials),
    setTrialSystemAttr: (_id, k, v) => void (attrs[k] = v),
    stop: () => undefined,
  };
}
const curve = (id: number, values: number[], state: FrozenTrial["state"] = "COMPLETE", systemAttrs: Record<string, unknown> = {}) =>
  newFrozenTrial({ trialId: id, number: id, state, intermediateValues: Object.fromEntries(values.map((v, i) => [i, v])), value: values.at(-1) ?? null, systemAttrs });

test("MedianPruner: startup trials, warm-up, interval steps, median at the step, direction", () => {
  const done = [curve(0, [1, 0.8, 0.6]), curve(1, [1, 0.7, 0.5]), curve(2, [1, 0.9, 0.7])];
  const p = new MedianPruner({ nStartupTrials: 3 });
  assert.equal(p.prune(view("minimize", done), curve(9, [1.0, 0.85], "RUNNING")), true); // 0.85 > median 0.8 at step 1
  assert.equal(p.prune(view("minimize", done), curve(9, [1.0, 0.75], "RUNNING")), false);
  assert.equal(p.prune(view("minimize", done), curve(9, [0.5, 0.85], "RUNNING")), false); // best so far counts
  assert.equal(new MedianPruner({ nStartupTrials: 4 }).prune(view("minimize", done), curve(9, [2, 2], "RUNNING")), false);
  assert.equal(new MedianPruner({ nStartupTrials: 3, nWarmupSteps: 2 }).prune(view("minimize", done), curve(9, [2, 2], "RUNNING")), false);
  assert.equal(new MedianPruner({ nStartupTrials: 3, nWarmupSteps: 2 }).prune(view("minimize", done), curve(9, [2, 2, 2], "RUNNING")), true);
  const every2 = new MedianPruner({ nStartupTrials: 3, intervalSteps: 2 });
  assert.equal(every2.prune(view("minimize", done), curve(9, [2, 2], "RUNNING")), false); // step 1 is not a checkpoint
  assert.equal(every2.prune(view("minimize", done), curve(9, [2, 2, 2], "RUNNING")), true);
  assert.equal(p.prune(view("maximize", done), curve(9, [1.0, 0.85], "RUNNING")), false); // maximize: 0.85 beats 0.8
  assert.equal(p.prune(view("maximize", done), curve(9, [0.6, 0.65], "RUNNING")), true);
  assert.equal(p.prune(view("minimize", done), curve(9, [NaN], "RUNNING")), true);
  // 25th percentile of [0.7, 0.8, 0.9] at step 1 is 0.75 (linear interpolation, as NumPy).
  assert.equal(new PercentilePruner(25, { nStartupTrials: 0 }).prune(view("minimize", done), curve(9, [1, 0.72], "RUNNING")), false);
  assert.equal(new PercentilePruner(25, { nStartupTrials: 0 }).prune(view("minimize", done), curve(9, [1, 0.78], "RUNNING")), true);
});

test("MedianPruner counts COMPLETE trials only, as Optuna: RUNNING, PRUNED and FAIL curves at the step are left out", () => {
  const done = [curve(0, [1, 0.8]), curve(1, [1, 0.7]), curve(2, [1, 0.9])]; // median 0.8 at step 1
  // Other trials, all far better at step 1: counted, they would pull the median down to 0.1 and prune 0.75.
  const others = [curve(3, [0, 0.1], "RUNNING"), curve(4, [0, 0.1], "PRUNED"), curve(5, [0, 0.1], "FAIL"), curve(6, [0, 0.1], "RUNNING"), curve(7, [0, 0.1], "PRUNED")];
  const p = new MedianPruner({ nStartupTrials: 3 });
  assert.equal(p.prune(view("minimize", [...done, ...others]), curve(9, [1, 0.75], "RUNNING")), false);
  assert.equal(p.prune(view("minimize", [...done, ...others]), curve(9, [1, 0.85], "RUNNING")), true);
  // Nor do they count towards nStartupTrials or nMinTrials.
  assert.equal(new MedianPruner({ nStartupTrials: 4 }).prune(view("minimize", [...done, ...others]), curve(9, [5, 5], "RUNNING")), false);
  assert.equal(new MedianPruner({ nStartupTrials: 0, nMinTrials: 4 }).prune(view("minimize", [...done, ...others]), curve(9, [5, 5], "RUNNING")), false);
  assert.equal(new MedianPruner({ nStartupTrials: 0, nMinTrials: 3 }).prune(view("minimize", [...done, ...others]), curve(9, [5, 5], "RUNNING")), true);
});

test("TPE and random search handle a finite range wider than the largest double ([-1e308, 1e308], ±MAX_VALUE): finite values inside, no crash", async () => {
  for (const options of [{}, { considerMagicClip: false, considerEndpoints: true }, { considerPrior: false, constantLiar: true }]) {
    for (const [low, high] of [[-1e308, 1e308], [-Number.MAX_VALUE, Number.MAX_VALUE]]) {
      const target = 3e307;
      const study = await createStudy({ sampler: new TPESampler({ seed: 1, nStartupTrials: 5, ...options }) });
      await study.optimize((t) => Math.abs(t.suggestFloat("x", low, high) - target), { nTrials: 30 });
      const xs = study.trials.map((t) => t.params.x as number);
      assert.ok(study.trials.every((t) => t.state === "COMPLETE"), JSON.stringify(study.trials.map((t) => [t.state, t.systemAttrs.fail_reason])));
      assert.ok(xs.every((x) => Number.isFinite(x) && x >= low && x <= high), JSON.stringify(xs));
      assert.ok(xs.some((x) => x < 0) && xs.some((x) => x > 0) && new Set(xs).size === xs.length, `spread over the range: ${JSON.stringify(xs)}`);
      if (!Object.keys(options).length) assert.ok(study.bestValue < 0.05 * high, `TPE got within 5% of the range of the target: best ${study.bestValue}`);
      const pe = new ParzenEstimator([1e307, -2e307], floatDistribution(low, high), { considerPrior: true, priorWeight: 1, considerMagicClip: true, considerEndpoints: false, weights: defaultWeights });
      const ll = pe.logPdf([0, 1e307, high, low]);
      assert.ok(ll.every(Number.isFinite), `log densities ${ll}`);
      assert.ok(ll[1] > ll[2] && ll[1] > ll[3], "denser at an observation than at the bounds");
    }
  }
  // Where the range cannot be honoured exactly, a clear error instead of a wrong grid.
  assert.throws(() => floatDistribution(-1e308, 1e308, { step: 1e300 }, "w"), /suggestFloat\("w"\): with a step, the range high - low must be a finite double, but 1e\+308 - \(-1e\+308\) overflows/);
  assert.throws(() => intDistribution(0, 1e300, {}, "n"), /suggestInt\("n"\): high \(1e\+300\) is beyond the exact integers of a double/);
  assert.throws(() => intDistribution(-(2 ** 52), 2 ** 52, {}, "n"), /suggestInt\("n"\): the range high - low = 9007199254740992 is beyond the exact integers/);
});

test("MedianPruner and PercentilePruner decide as Optuna 3.1's on histories with RUNNING, PRUNED and FAIL trials (fixture)", () => {
  const ref = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "hpo_pruner_reference.json"), "utf8"));
  assert.equal(ref.optuna, "3.1.0");
  const iv = (o: Record<string, number | string>) => Object.fromEntries(Object.entries(o).map(([s, v]) => [Number(s), Number(v)]));
  let decisions = 0;
  let pruned = 0;
  for (const c of ref.cases) {
    const trials = (c.history as { state: FrozenTrial["state"]; value: number | null; intermediateValues: Record<string, number | string> }[]).map((h, i) =>
      newFrozenTrial({ trialId: i, number: i, state: h.state, value: h.value, intermediateValues: iv(h.intermediateValues) }),
    );
    assert.ok(trials.some((t) => t.state !== "COMPLETE" && Object.keys(t.intermediateValues).length), "the history has curves that must not count");
    const pruner = c.percentile === 50 ? new MedianPruner(c.options) : new PercentilePruner(c.percentile, c.options);
    for (const [j, cand] of (c.candidates as { intermediateValues: Record<string, number | string>; prune: boolean }[]).entries()) {
      const t = newFrozenTrial({ trialId: 100 + j, number: 100 + j, state: "RUNNING", intermediateValues: iv(cand.intermediateValues) });
      assert.equal(pruner.prune(view(c.direction, trials), t), cand.prune, `${c.direction} ${c.percentile} ${JSON.stringify(c.options)}, candidate ${j}: ${JSON.stringify(cand.intermediateValues)}`);
      decisions++;
      if (cand.prune) pruned++;
    }
  }
  assert.ok(decisions === 200 && pruned > 20 && pruned < 180, `${pruned} of ${decisions} pruned`);
});

test("SuccessiveHalvingPruner: rungs at minResource·η^k; promotes the top 1/η; records completed_rung_k", () => {
  const sh = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
  // Rung 0 at step 1. Three trials already recorded there: 0.2, 0.5, 0.9 (minimize).
  const others = [0.2, 0.5, 0.9].map((v, i) => curve(i, [v, v], "COMPLETE", { completed_rung_0: v }));
  const v1 = view("minimize", others);
  assert.equal(sh.prune(v1, curve(9, [0.4], "RUNNING")), false); // step 0 < rung 0 at step 1
  assert.equal(sh.prune(v1, curve(9, [0.4, 0.4], "RUNNING")), false); // top 2 of 4 at rung 0 → promoted; rung 1 is at step 2
  assert.equal(v1.attrs.completed_rung_0, 0.4);
  const v2 = view("minimize", others);
  assert.equal(sh.prune(v2, curve(9, [0.6, 0.6], "RUNNING")), true); // 3rd of 4
  const v3 = view("maximize", others);
  assert.equal(sh.prune(v3, curve(9, [0.6, 0.6], "RUNNING")), false); // maximize: 0.6 is 2nd of 4
  assert.throws(() => new SuccessiveHalvingPruner({ reductionFactor: 1 }), /reductionFactor must be an integer >= 2, got 1/);
  assert.throws(() => new SuccessiveHalvingPruner({ bootstrapCount: 2 }), /bootstrapCount > 0 needs a numeric minResource/);
});

test(`SuccessiveHalvingPruner minResource "auto" (Optuna's _estimate_min_resource): no decision until a trial completes, then max(⌊longest COMPLETE last step / 100⌋, 1), kept`, () => {
  const flat = (id: number, v: number, steps: number, state: FrozenTrial["state"], attrs: Record<string, unknown> = {}) => curve(id, Array(steps).fill(v), state, attrs);
  const sh = new SuccessiveHalvingPruner({ reductionFactor: 2 });
  // Far better values recorded at rung 0 by trials that did not complete: with any rung reached, 0.9 would be pruned.
  const unfinished = [flat(0, 0.1, 400, "RUNNING", { completed_rung_0: 0.1 }), flat(1, 0.05, 300, "PRUNED", { completed_rung_0: 0.05 })];
  const v0 = view("minimize", unfinished);
  assert.equal(sh.prune(v0, flat(9, 0.9, 400, "RUNNING")), false);
  assert.deepEqual(v0.attrs, {}, "no rung before the minimum resource is known");
  // A COMPLETE trial ending at step 699: minResource 6, rung 0 at step 6, rung 1 at step 12.
  const done = [...unfinished, flat(2, 0.2, 700, "COMPLETE", { completed_rung_0: 0.2 })];
  const v1 = view("minimize", done);
  assert.equal(sh.prune(v1, flat(9, 0.9, 6, "RUNNING")), false); // last step 5 < 6
  assert.deepEqual(v1.attrs, {});
  const v2 = view("minimize", done);
  assert.equal(sh.prune(v2, flat(9, 0.9, 7, "RUNNING")), true); // step 6: the worst of 4 at rung 0
  assert.deepEqual(v2.attrs, { completed_rung_0: 0.9 });
  // The estimate is kept (Optuna caches it): a longer COMPLETE trial later does not move the rungs to step 49.
  const v3 = view("minimize", [...done, flat(3, 0.3, 5000, "COMPLETE")]);
  assert.equal(sh.prune(v3, flat(9, 0.01, 7, "RUNNING")), false); // best at rung 0, promoted; rung 1 is at step 12
  assert.deepEqual(v3.attrs, { completed_rung_0: 0.01 });
  // A COMPLETE trial shorter than 100 steps gives minResource 1.
  const short = new SuccessiveHalvingPruner({ reductionFactor: 2 });
  const shortDone = [flat(0, 0.5, 3, "COMPLETE", { completed_rung_0: 0.5 })];
  const v4 = view("minimize", shortDone);
  assert.equal(short.prune(v4, flat(9, 0.9, 1, "RUNNING")), false); // step 0 is before rung 0
  assert.deepEqual(v4.attrs, {});
  const v5 = view("minimize", shortDone);
  assert.equal(short.prune(v5, flat(9, 0.9, 2, "RUNNING")), true); // step 1 is rung 0; 0.9 is worse than 0.5
  assert.deepEqual(v5.attrs, { completed_rung_0: 0.9 });
});

test("pruning inside optimize: a MedianPruner prunes curves worse than the median", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 0 }), pruner: new MedianPruner({ nStartupTrials: 3, nWarmupSteps: 1 }) });
  await study.optimize(async (t) => {
    const x = t.suggestFloat("x", 0, 1);
    let v = 0;
    for (let step = 0; step < 5; step++) {
      v = x * (5 - step);
      t.report(v, step);
      if (t.shouldPrune()) throw new TrialPruned();
    }
    return v;
  }, { nTrials: 20 });
  const pruned = study.getTrials({ states: ["PRUNED"] });
  assert.ok(pruned.length >= 3, `pruned ${pruned.length}`);
  for (const t of pruned) assert.ok(Object.keys(t.intermediateValues).length >= 2 && Object.keys(t.intermediateValues).length < 5);
  const complete = study.getTrials({ states: ["COMPLETE"] });
  assert.ok(complete.length >= 3);
  assert.ok(study.trials.every((t) => t.state !== "RUNNING"));
  assert.ok(study instanceof Study);
});
