import { test } from "node:test";
import assert from "node:assert/strict";
import { quietly, ready, tmpDir } from "../helpers/setup";
import { goldenData, goldenTeacher, goldenTokenizer } from "../helpers/golden";
import { DistillationTrainer, studentInit } from "../../lib/distillation";
import { Trainer, computeAccuracy } from "../../lib/training";
import { MedianPruner } from "../../lib/hpo";

test("trainer.hyperparameterSearch: each trial gets its hyperparameters and a fresh model, reports per epoch, and the best run comes back", async () => {
  await ready;
  const teacher = goldenTeacher();
  const seen: { alpha: number; temperature: number; epochs: number; lr: number }[] = [];
  let inits = 0;
  const trainer: DistillationTrainer = new DistillationTrainer({
    modelInit: () => {
      inits++;
      return studentInit(teacher, { init: "distilbert" });
    },
    teacherModel: teacher,
    tokenizer: goldenTokenizer,
    cacheTeacherLogits: true,
    args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 16, learningRate: 3e-3, evaluationStrategy: "epoch", alpha: 0.5, temperature: 2 },
    trainDataset: goldenData(),
    evalDataset: goldenData(24, 99),
    computeMetrics: computeAccuracy,
    callbacks: [{ onTrainBegin: (args) => void seen.push({ alpha: trainer.alpha, temperature: trainer.temperature, epochs: args.numTrainEpochs, lr: args.learningRate }) }],
  });
  const best = await quietly(() =>
    trainer.hyperparameterSearch({
      nTrials: 4,
      direction: "maximize",
      backend: "random",
      seed: 3,
      hpSpace: (trial) => ({ numTrainEpochs: trial.suggestInt("numTrainEpochs", 1, 3), alpha: trial.suggestFloat("alpha", 0, 1), temperature: trial.suggestInt("temperature", 2, 20) }),
      computeObjective: (m) => m.evalAccuracy,
    }),
  );
  const trials = best.study.trials;
  assert.equal(trials.length, 4);
  assert.equal(inits, 4, "a fresh model per trial");
  trials.forEach((t, i) => {
    assert.deepEqual({ alpha: seen[i].alpha, temperature: seen[i].temperature, numTrainEpochs: seen[i].epochs }, t.params, `trial ${i} trained with its own hyperparameters`);
    assert.equal(seen[i].lr, 3e-3, "untouched arguments keep their values");
    if (t.state === "COMPLETE") assert.equal(Object.keys(t.intermediateValues).length, t.params.numTrainEpochs, "one report per epoch");
  });
  const complete = trials.filter((t) => t.state === "COMPLETE");
  assert.equal(best.objective, Math.max(...complete.map((t) => t.value!)));
  assert.deepEqual(best.hyperparameters, trials[Number(best.runId)].params);
  // The trainer is back to its own arguments.
  assert.deepEqual([trainer.alpha, trainer.temperature, trainer.args.numTrainEpochs], [0.5, 2, 1]);
  trainer.model?.dispose();
  teacher.dispose();
});

test("hyperparameterSearch: a pruner stops lagging trials; clear errors without modelInit, evaluation or with unknown names", async () => {
  await ready;
  const teacher = goldenTeacher();
  const make = (extra: object = {}) =>
    new Trainer({ modelInit: () => studentInit(teacher, { init: "distilbert" }), tokenizer: goldenTokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 3, perDeviceTrainBatchSize: 16, evaluationStrategy: "epoch" }, trainDataset: goldenData(), evalDataset: goldenData(24, 99), computeMetrics: computeAccuracy, ...extra });
  // A deterministic objective (the trial's own learning rate, minimised) makes the pruner's decisions known: once two trials
  // finished, a trial whose rate is above the median of the earlier ones at the same epoch is stopped after that epoch.
  const searcher = make();
  const best = await quietly(() =>
    searcher.hyperparameterSearch({ nTrials: 6, direction: "minimize", backend: "random", seed: 1, pruner: new MedianPruner({ nStartupTrials: 2, nWarmupSteps: 0 }), hpSpace: (t) => ({ learningRate: t.suggestFloat("learningRate", 1e-6, 1e-1, { log: true }) }), computeObjective: () => searcher.args.learningRate }),
  );
  best.study.trials.forEach((t, i) => {
    const earlier = best.study.trials.slice(0, i).filter((x) => x.state !== "FAIL").map((x) => x.intermediateValues[1]).sort((a, b) => a - b);
    const median = earlier.length ? (earlier.length % 2 ? earlier[(earlier.length - 1) / 2] : (earlier[earlier.length / 2 - 1] + earlier[earlier.length / 2]) / 2) : Infinity;
    const shouldPrune = best.study.trials.slice(0, i).filter((x) => x.state === "COMPLETE").length >= 2 && (t.params.learningRate as number) > median;
    assert.equal(t.state, shouldPrune ? "PRUNED" : "COMPLETE", `trial ${i} (rate ${t.params.learningRate}, median ${median})`);
  });
  const states = best.study.trials.map((t) => t.state);
  assert.ok(states.includes("PRUNED"), `expected a pruned trial, got ${states.join(", ")}`);
  for (const t of best.study.trials.filter((x) => x.state === "PRUNED")) assert.ok(Object.keys(t.intermediateValues).length < 3, "pruned before its last epoch");
  await assert.rejects(() => new Trainer({ model: studentInit(teacher, { init: "distilbert" }), tokenizer: goldenTokenizer, args: { outputDir: tmpDir() }, trainDataset: goldenData(), evalDataset: goldenData() }).hyperparameterSearch({ nTrials: 1, hpSpace: () => ({}) }), /needs modelInit/);
  await assert.rejects(() => make({ evalDataset: undefined }).hyperparameterSearch({ nTrials: 1, hpSpace: () => ({}) }), /an evalDataset is required/);
  await assert.rejects(() => quietly(() => make().hyperparameterSearch({ nTrials: 1, hpSpace: () => ({ learning_rate: 1e-3 }) })), /"learning_rate" is not a TrainingArguments field/);
  await assert.rejects(() => make().hyperparameterSearch({ nTrials: 1, hpSpace: () => ({}), bogus: 1 } as never), /unknown option "bogus"/);
  teacher.dispose();
});
