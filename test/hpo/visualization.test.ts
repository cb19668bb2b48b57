import { test } from "node:test";
import assert from "node:assert/strict";
import {
  createStudy,
  RandomSampler,
  TPESampler,
  NopPruner,
  getParamImportances,
  plotOptimizationHistory,
  plotIntermediateValues,
  plotParallelCoordinate,
  plotSlice,
  plotContour,
  plotParamImportances,
  plotRosenbrockContour,
  plotBestSoFar,
  bestSoFar,
  rosenbrockObjective,
  Study,
} from "../../lib/hpo";
import { figureToSvg } from "../../lib/plotting";
import { setLogLevel } from "../../lib/utils/log";

setLogLevel("error");

async function mixedStudy(): Promise<Study> {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 7 }), pruner: new NopPruner() });
  await study.optimize((t) => {
    const a = t.suggestFloat("a", 0, 1);
    const lr = t.suggestFloat("lr", 1e-4, 1e-1, { log: true });
    const opt = t.suggestCategorical("opt", ["adam", "sgd", "rmsprop"]);
    const v = 10 * a + Math.log10(lr) * 0.1 + (opt === "sgd" ? 3 : 0);
    for (let s = 0; s < 3; s++) t.report(v + (3 - s), s);
    return v;
  }, { nTrials: 60 });
  return study;
}

test("importance (fANOVA on a random forest): the parameter that drives the objective ranks first; shares sum to 1; seeded", async () => {
  const study = await mixedStudy();
  const imp = getParamImportances(study, { seed: 0 });
  assert.deepEqual(Object.keys(imp), ["a", "opt", "lr"]);
  assert.ok(imp.a > 0.6 && imp.lr < 0.05, JSON.stringify(imp));
  assert.ok(Math.abs(Object.values(imp).reduce((x, y) => x + y, 0) - 1) < 1e-12);
  assert.deepEqual(getParamImportances(study, { seed: 0 }), imp);
  assert.throws(() => getParamImportances(study, { params: ["zzz"] }), /parameter "zzz" is missing from some COMPLETE trials/);
});

test("plots: Optuna's figure specs (traces, best-so-far, axes) and an SVG fallback for each", async () => {
  const study = await mixedStudy();
  const values = study.getTrials({ states: ["COMPLETE"] }).map((t) => t.value!);
  const h = plotOptimizationHistory(study);
  assert.deepEqual(h.data.map((t) => t.name), ["Objective Value", "Best Value"]);
  assert.deepEqual(h.data[0].y, values);
  assert.deepEqual(h.data[1].y, values.map((_, i) => Math.min(...values.slice(0, i + 1))));
  const iv = plotIntermediateValues(study);
  assert.equal(iv.data.length, 60);
  assert.deepEqual(iv.data[0].x, [0, 1, 2]);
  const pc = plotParallelCoordinate(study);
  const dims = pc.data[0].dimensions as { label: string; values: number[]; ticktext?: string[] }[];
  assert.deepEqual(dims.map((d) => d.label), ["Objective Value", "a", "lr", "opt"]);
  assert.ok(dims[2].values.every((v) => v >= -4 && v <= -1)); // log10 of lr
  assert.deepEqual(dims[3].ticktext, ["adam", "sgd", "rmsprop"]);
  const sl = plotSlice(study, { params: ["a", "lr"] });
  assert.deepEqual(sl.data.map((t) => t.xaxis), ["x", "x2"]);
  assert.equal(sl.layout.xaxis2.type, "log");
  const ct = plotContour(study, { params: ["a", "lr"] });
  assert.equal(ct.data[0].type, "contour");
  assert.equal((ct.data[0].z as unknown[][]).length, 60);
  assert.throws(() => plotContour(study, { params: ["a", "nope"] as [string, string] }), /parameter "nope" is not in the study/);
  const pi = plotParamImportances(study, { seed: 0 });
  assert.equal(pi.data[0].orientation, "h");
  assert.deepEqual(pi.data[0].y, ["lr", "opt", "a"]);
  for (const fig of [h, iv, pc, sl, ct, pi]) {
    const svg = figureToSvg(fig);
    assert.match(svg, /^<svg[\s\S]*<\/svg>$/);
    assert.doesNotMatch(svg, /NaN|undefined|Infinity/, `${fig.layout.title.text}`);
  }
  assert.ok((figureToSvg(pc).match(/<polyline/g) ?? []).length === 60);
  assert.ok((figureToSvg(pi).match(/<rect x/g) ?? []).length >= 4);
  // The 60×60 contour is one small raster image, not a rect per cell.
  const ctSvg = figureToSvg(ct);
  assert.equal((ctSvg.match(/<image [^>]*href="data:image\/png;base64,/g) ?? []).length, 1);
  assert.ok((ctSvg.match(/<rect/g) ?? []).length < 20 && ctSvg.length < 30_000, `${ctSvg.length} characters`);
});

test("Rosenbrock demo figures: log-spaced contour with the minimum and best point; TPE vs random best-so-far", async () => {
  const run = async (sampler: RandomSampler | TPESampler) => {
    const s = await createStudy({ sampler });
    await s.optimize(rosenbrockObjective, { nTrials: 30 });
    return s;
  };
  const tpe = await run(new TPESampler({ seed: 0 }));
  const fig = plotRosenbrockContour({ study: tpe, gridSize: 41 });
  assert.equal(fig.data[0].type, "contour");
  const z = fig.data[0].z as number[][];
  assert.equal(z.length, 41);
  assert.ok(Math.abs(z[30][30] - Math.log10(1e-3)) < 1e-9); // (1, 1): f = 0
  assert.deepEqual([fig.data[1].x, fig.data[1].y], [[1], [1]]);
  assert.equal(fig.data[3].x![0], tpe.bestParams.x);
  const curve = bestSoFar(tpe);
  assert.equal(curve.length, 30);
  assert.equal(curve[29], tpe.bestValue);
  assert.ok(curve.every((v, i) => i === 0 || v <= curve[i - 1]));
  const rnd = await run(new RandomSampler({ seed: 0 }));
  const bs = plotBestSoFar({ TPE: [curve, curve], Random: [bestSoFar(rnd)] });
  assert.deepEqual(bs.data.map((t) => t.name), ["TPE (median of 2)", "Random (median of 1)"]);
  assert.equal(bs.layout.yaxis.type, "log");
  for (const f of [fig, bs]) assert.doesNotMatch(figureToSvg(f), /NaN|undefined/);
});
