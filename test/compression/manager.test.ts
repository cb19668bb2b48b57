// CompressionManager's own rules, with stand-in configs whose hooks record
// what the manager asks of them (no training: these run in a second).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "../helpers/setup";
import { bert, tokenizer } from "../helpers/tinyModels";
import { CompressionManager, distill, prepareCompression } from "../../lib/compression";
import type { CompressionConfig, CompressionHooks } from "../../lib/compression/types";
import { Trainer } from "../../lib/training";

const config = (kind: string, hooks: CompressionHooks = {}): CompressionConfig => ({ kind, createHooks: () => hooks });

test("prepareCompression rejects no configs, non-configs and two configs of one kind (but allows several distillations)", async () => {
  await ready;
  const model = bert();
  assert.throws(() => prepareCompression(model, []), /^Error: prepareCompression: no configs given$/);
  assert.throws(() => prepareCompression(model, [config("pruning"), null as any]), /prepareCompression: config 1 is not a compression config \(got null; pass DistillationConfig/);
  assert.throws(() => prepareCompression(model, [{ kind: "pruning" } as any]), /prepareCompression: config 0 is not a compression config \(got object; pass/);
  assert.throws(() => prepareCompression(model, [config("quantization"), config("pruning"), config("quantization")]), /prepareCompression: two quantization configs for one model; combine them into one/);
  const two = prepareCompression(model, [config("distillation"), config("distillation")]);
  assert.deepEqual(two.configs.map((c) => c.kind), ["distillation", "distillation"]);
  assert.ok(prepareCompression(model, config("pruning")) instanceof CompressionManager, "a single config is accepted as well as a list");
});

test("forwardOptions asks the model for hidden states / attentions only when some config's hooks need them", async () => {
  await ready;
  const model = bert();
  assert.deepStrictEqual(prepareCompression(model, [config("a"), config("b")]).forwardOptions({ training: true }), { training: true, outputHiddenStates: undefined, outputAttentions: undefined });
  const hidden = prepareCompression(model, [config("a", { modelOutputs: { hiddenStates: true } }), config("b")]);
  assert.deepStrictEqual(hidden.forwardOptions({ training: false }), { training: false, outputHiddenStates: true, outputAttentions: undefined });
  const attentions = prepareCompression(model, [config("a"), config("b", { modelOutputs: { attentions: true } })]);
  assert.deepStrictEqual(attentions.forwardOptions({}), { outputHiddenStates: undefined, outputAttentions: true });
  assert.deepStrictEqual(attentions.asTrainerCallback().modelOutputs, { hiddenStates: false, attentions: true });
});

test("trainableParams merges the configs' parameters and rejects a name used twice or taken by the model", async () => {
  await ready;
  const model = bert();
  const proj = tf.variable(tf.zeros([2, 2]), true, "proj");
  const scores = tf.variable(tf.ones([3]), true, "scores");
  const manager = prepareCompression(model, [config("distillation", { trainableParams: () => new Map([["proj", proj]]) }), config("quantization"), config("pruning", { trainableParams: () => new Map([["scores", scores]]) })]);
  assert.deepEqual([...manager.trainableParams().keys()], ["proj", "scores"]);
  assert.equal(manager.trainableVariables().length, model.trainableVariables().length + 2);
  assert.ok(manager.trainableVariables().includes(scores));
  const twice = prepareCompression(model, [config("distillation", { trainableParams: () => new Map([["proj", proj]]) }), config("distillation", { trainableParams: () => new Map([["proj", scores]]) })]);
  assert.throws(() => twice.trainableParams(), /CompressionManager: two trainable parameters named "proj"/);
  const taken = [...model.params.keys()][0];
  const clash = prepareCompression(model, config("pruning", { trainableParams: () => new Map([[taken, scores]]) }));
  assert.throws(() => clash.trainableParams(), new RegExp(`two trainable parameters named "${taken}"`));
  proj.dispose();
  scores.dispose();
});

test("the hooks run in config order, the loss passes through every onAfterComputeLoss, and hooks may leave any member out", async () => {
  await ready;
  const model = bert();
  const calls: string[] = [];
  const full = (name: string): CompressionHooks => ({
    onTrainBegin: () => calls.push(`${name}.trainBegin`),
    onEpochBegin: (e) => calls.push(`${name}.epochBegin:${e}`),
    onStepBegin: (s) => calls.push(`${name}.stepBegin:${s}`),
    onAfterComputeLoss: (_i, _o, loss) => tf.add(loss, 1) as tf.Scalar,
    onBeforeOptimizerStep: (g) => calls.push(`${name}.beforeStep:${g?.size}`),
    onStepEnd: () => calls.push(`${name}.stepEnd`),
    onEpochEnd: () => calls.push(`${name}.epochEnd`),
    onTrainEnd: () => calls.push(`${name}.trainEnd`),
    dispose: () => calls.push(`${name}.dispose`),
  });
  const manager = prepareCompression(model, [config("distillation", full("a")), config("pruning"), config("quantization", full("b"))]);
  manager.onTrainBegin();
  manager.onEpochBegin(2);
  manager.onStepBegin(7);
  const loss = manager.onAfterComputeLoss({} as any, {} as any, tf.scalar(0.5));
  assert.equal(loss.dataSync()[0], 2.5);
  manager.onBeforeOptimizerStep(new Map([["w", tf.scalar(1)]]));
  manager.onStepEnd();
  manager.onEpochEnd();
  manager.onTrainEnd();
  manager.dispose();
  assert.deepEqual(calls, ["a.trainBegin", "b.trainBegin", "a.epochBegin:2", "b.epochBegin:2", "a.stepBegin:7", "b.stepBegin:7", "a.beforeStep:1", "b.beforeStep:1", "a.stepEnd", "b.stepEnd", "a.epochEnd", "b.epochEnd", "a.trainEnd", "b.trainEnd", "a.dispose", "b.dispose"]);
  assert.deepEqual(manager.events, ["onTrainBegin", "onEpochBegin:2", "onStepBegin:7", "onAfterComputeLoss", "onBeforeOptimizerStep", "onStepEnd", "onEpochEnd", "onTrainEnd"]);
  assert.equal(manager.epoch, 2);
  assert.equal(manager.step, 7);
});

test("asTrainerCallback claims onAfterComputeLoss only when some config changes the loss", async () => {
  await ready;
  const model = bert();
  const lossHook: CompressionHooks = { onAfterComputeLoss: (_i, _o, loss) => loss };
  assert.equal(prepareCompression(model, [config("quantization"), config("pruning")]).asTrainerCallback().onAfterComputeLoss, undefined);
  assert.equal(typeof prepareCompression(model, [config("quantization"), config("distillation", lossHook)]).asTrainerCallback().onAfterComputeLoss, "function");
});

test("distill needs a trainer with a fixed model (not modelInit)", async () => {
  await ready;
  const model = bert();
  const trainer = new Trainer({ model, modelInit: () => bert(), tokenizer, args: { outputDir: tmpDir() } });
  await assert.rejects(() => distill(trainer, config("pruning")), /distill: the trainer needs a model \(modelInit is not supported with distill\)/);
  const initOnly = new Trainer({ modelInit: () => bert(), tokenizer, args: { outputDir: tmpDir() } });
  await assert.rejects(() => distill(initOnly, config("pruning")), /distill: the trainer needs a model/);
});
