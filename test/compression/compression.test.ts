import { test } from "node:test";
import { distill } from "../../lib/compression";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { BertForSequenceClassification, DistilBertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { ClassLabel, Dataset } from "../../lib/data";
import { AdamW, DataCollatorWithPadding, EncodedRow, Trainer, clipByGlobalNorm, epochBatches, linearScheduleWithWarmup } from "../../lib/training";
import { crossEntropy } from "../../lib/training/loss";
import { DistillationConfig, IntermediateLayersKnowledgeDistillationLossConfig, KnowledgeDistillationLossConfig, studentInit } from "../../lib/distillation";
import { prepareCompression } from "../../lib/compression";
import { Random } from "../../lib/utils/random";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")]);
const labels = labelMaps(["no", "yes"]);
const teacherModel = () => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labels }, { seed: 1 });
function toy(n: number): Dataset<EncodedRow> {
  const rng = new Random(n);
  const rows = Array.from({ length: n }, (_, i) => {
    const body = Array.from({ length: 3 }, () => 6 + rng.int(14));
    if (i % 2) body[rng.int(3)] = 5;
    return { input_ids: [2, ...body, 3], label: i % 2 };
  });
  return new Dataset(rows, { intent: new ClassLabel(["no", "yes"]) });
}
test("configs reject bad values with clear errors", async () => {
  await ready;
  assert.throws(() => new KnowledgeDistillationLossConfig({ temperature: -2 }), /temperature must be a positive number, got -2/);
  assert.throws(() => new KnowledgeDistillationLossConfig({ lossWeightRatio: [0.7, 0.7] }), /lossWeightRatio must sum to 1, got \[0.7,0.7\]/);
  assert.throws(() => new KnowledgeDistillationLossConfig({ lossWeightRatio: [-0.5, 1.5] }), /must be finite and >= 0/);
  assert.throws(() => new KnowledgeDistillationLossConfig({ lossTypes: ["KL", "CE"] }), /lossTypes\[0\] \(student vs labels\) must be CE or MSE, got KL/);
  assert.throws(() => new KnowledgeDistillationLossConfig({ lossTypes: ["CE", "L2" as any] }), /lossTypes\[1\] \(student vs teacher\) must be CE, KL or MSE/);
  assert.throws(() => new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [] }), /layerMappings must not be empty/);
  assert.throws(() => new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["layer.1"]] }), /"layer.1" is not a layer reference/);
  assert.throws(() => new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["hidden_states.1"]], lossTypes: ["MSE", "L1"] }), /lossTypes has 2 entries for 1 layer mappings/);
  const teacher = teacherModel();
  const student = studentInit(teacher, { numLayers: 1 });
  const criterion = new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["hidden_states.2", "hidden_states.2"]] });
  assert.throws(() => prepareCompression(student, new DistillationConfig({ teacherModel: teacher, criterion })), /student layer "hidden_states.2" is out of range \(the student has 1 layers\)/);
  const criterion2 = new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["hidden_states.1", "hidden_states.5"]] });
  assert.throws(() => prepareCompression(student, new DistillationConfig({ teacherModel: teacher, criterion: criterion2 })), /teacher layer "hidden_states.5" is out of range/);
  assert.throws(() => new DistillationConfig({ teacherModel: undefined as any }), /teacherModel is required/);
});

test("logit criterion: w0·CE + w1·T²·softCE(student/T, teacher/T), as Neural Compressor", async () => {
  await ready;
  const teacher = teacherModel();
  const student = studentInit(teacher, { init: "distilbert" });
  const manager = prepareCompression(student, new DistillationConfig({ teacherModel: teacher, criterion: new KnowledgeDistillationLossConfig({ temperature: 2, lossWeightRatio: [0.3, 0.7] }) }));
  const collator = new DataCollatorWithPadding({ padTokenId: 0 });
  const inputs = collator.call(toy(4).rows as EncodedRow[]);
  const out = student.call(inputs);
  const ce = crossEntropy(out.logits, inputs.labels);
  const loss = manager.onAfterComputeLoss(inputs, out, ce).dataSync()[0];
  const s = out.logits.arraySync();
  const t = teacher.call(inputs).logits.arraySync();
  const sm = (r: number[]) => {
    const e = r.map((v) => Math.exp(v / 2));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  };
  const softCe = s.reduce((acc, row, i) => acc - sm(t[i]).reduce((a, p, j) => a + p * Math.log(sm(row)[j]), 0), 0) / s.length;
  assert.ok(Math.abs(loss - (0.3 * ce.dataSync()[0] + 0.7 * 4 * softCe)) < 1e-5, `${loss}`);
});

test("distill(trainer, config) fires the hooks a hand-written loop calls on prepareCompression's manager, in the same order, and trains the same way", async () => {
  await ready;
  const teacher = teacherModel();
  const noDropout = { dropout: 0, attention_dropout: 0, seq_classif_dropout: 0 };
  const config = new DistillationConfig({ teacherModel: teacher, criterion: new KnowledgeDistillationLossConfig({ temperature: 2, lossWeightRatio: [0.4, 0.6] }) });
  const data = toy(32);
  const args = { numTrainEpochs: 2, perDeviceTrainBatchSize: 16, learningRate: 3e-3, weightDecay: 0.01, evaluationStrategy: "no" as const, loggingSteps: 1 };

  // The built-in loop: 2 epochs of 2 steps.
  const builtIn = prepareCompression(studentInit(teacher, { init: "distilbert", config: noDropout }), config);
  const trainer = new Trainer({ model: builtIn.model, tokenizer, args: { ...args, outputDir: tmpDir() }, trainDataset: data });
  assert.equal(await quietly(() => distill(trainer, builtIn)), builtIn.model);
  const step = (i: number) => [`onStepBegin:${i}`, "onAfterComputeLoss", "onBeforeOptimizerStep", "onStepEnd"];
  assert.deepEqual(builtIn.events, ["onTrainBegin", "onEpochBegin:0", ...step(0), ...step(1), "onEpochEnd", "onEpochBegin:1", ...step(2), ...step(3), "onEpochEnd", "onTrainEnd"]);
  assert.equal(trainer.callbacks.length, 2, "distill() removes the manager's callback afterwards (the default flow and the progress printer stay)");

  // A hand-written loop over the same batches (epochBatches, dropout off), calling the manager's hooks itself.
  const manager = prepareCompression(studentInit(teacher, { init: "distilbert", config: noDropout }), config);
  const a = trainer.args;
  const collator = new DataCollatorWithPadding({ padTokenId: tokenizer.padTokenId });
  const opt = new AdamW(new Map([...manager.model.params, ...manager.trainableParams()]), { weightDecay: a.weightDecay });
  const nameOf = new Map([...manager.model.params].map(([n, v]) => [v.name, n]));
  const schedule = linearScheduleWithWarmup(a.learningRate, 0, 4);
  const losses: number[] = [];
  let globalStep = 0;
  manager.onTrainBegin();
  for (let epoch = 0; epoch < 2; epoch++) {
    manager.onEpochBegin(epoch);
    for (const idx of epochBatches(data.rows.map((r) => r.input_ids.length), 16, a.seed + epoch, a.groupByLength)) {
      manager.onStepBegin(globalStep);
      const inputs = collator.call(idx.map((i) => data.rows[i]));
      const { value, grads } = tf.variableGrads(() => {
        const outputs = manager.model.call(inputs, manager.forwardOptions({ training: true, rng: new Random(globalStep) }));
        return manager.onAfterComputeLoss(inputs, outputs, crossEntropy(outputs.logits, inputs.labels));
      }, manager.trainableVariables());
      losses.push(value.dataSync()[0]);
      const byName = new Map(Object.entries(grads).map(([k, g]) => [nameOf.get(k)!, g]));
      manager.onBeforeOptimizerStep(byName);
      clipByGlobalNorm(byName, a.maxGradNorm);
      opt.applyGradients(byName, schedule(globalStep));
      manager.onStepEnd();
      globalStep++;
    }
    manager.onEpochEnd();
  }
  manager.onTrainEnd();
  assert.deepEqual(manager.events, builtIn.events);
  const trainerLosses = trainer.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);
  assert.ok(maxAbsDiff(losses, trainerLosses) < 1e-5, `hand-written ${losses} vs distill(trainer) ${trainerLosses}`);
  for (const [name, v] of manager.model.params) assert.ok(maxAbsDiff(values(v), values(builtIn.model.params.get(name)!)) < 1e-5, name);
  [manager.model, builtIn.model, teacher].forEach((m) => m.dispose());
});

test("intermediate-layer distillation trains a projection when widths differ and lowers the layer loss", async () => {
  await ready;
  const teacher = teacherModel();
  const narrow = DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, max_position_embeddings: 16, ...labels });
  const criterion = new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["hidden_states.1", "hidden_states.2"], ["hidden_states.0"]], lossTypes: ["MSE", "L1"], lossWeightRatio: [0.5, 0.5] });
  const manager = prepareCompression(narrow, new DistillationConfig({ teacherModel: teacher, criterion }));
  assert.deepEqual([...manager.trainableParams().keys()].sort(), ["distillation.projection.hidden_states.0.bias", "distillation.projection.hidden_states.0.weight", "distillation.projection.hidden_states.1.bias", "distillation.projection.hidden_states.1.weight"]);
  const collator = new DataCollatorWithPadding({ padTokenId: 0 });
  const inputs = collator.call(toy(16).rows as EncodedRow[]);
  const layerLoss = () => manager.onAfterComputeLoss(inputs, narrow.call(inputs, manager.forwardOptions({})), tf.scalar(0)).dataSync()[0];
  const before = layerLoss();
  const trainer = new Trainer({ model: narrow, tokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 10, perDeviceTrainBatchSize: 16, learningRate: 1e-2, evaluationStrategy: "no" }, trainDataset: toy(16) });
  const projection = manager.trainableParams().get("distillation.projection.hidden_states.1.weight")!;
  const projectionBefore = projection.dataSync().slice();
  await quietly(() => distill(trainer, manager));
  const after = layerLoss();
  assert.ok(after < before * 0.8, `layer loss ${before} → ${after}`);
  assert.equal(projectionBefore.length, 8 * 16);
  assert.ok(projection.dataSync().some((v, i) => v !== projectionBefore[i]), "the projection was trained with the student");
  await assert.rejects(() => distill(new Trainer({ model: teacher, tokenizer, args: { outputDir: tmpDir() }, trainDataset: toy(16) }), manager), /prepared for another model/);
  // A trainer that builds its model at train() (modelInit) would train another model than the one the hooks were made for.
  await assert.rejects(() => distill(new Trainer({ modelInit: () => studentInit(teacher), tokenizer, args: { outputDir: tmpDir() }, trainDataset: toy(16) }), manager), /distill: the trainer needs a model \(modelInit is not supported with distill\)/);
});
