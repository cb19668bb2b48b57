import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { quietly, ready, maxAbsDiff, tmpDir, values } from "../helpers/setup";
import { ClassLabel, Dataset } from "../../lib/data";
import { BertTokenizer } from "../../lib/tokenizers";
import { BertForSequenceClassification, SafeTensor, labelMaps, readSafetensors, writeSafetensors } from "../../lib/models";
import {
  AdamW,
  EncodedRow,
  NonFiniteLossError,
  Trainer,
  TrainerCallback,
  computeAccuracy,
  crossEntropy,
  epochBatches,
  latestCheckpoint,
  linearScheduleWithWarmup,
  listCheckpoints,
  resolveTrainingArguments,
} from "../../lib/training";
import { Random } from "../../lib/utils/random";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")]);

/** Toy task: the label says whether token "a" (id 5) occurs in the row. */
function toyData(n: number, seed: number): Dataset<EncodedRow> {
  const rng = new Random(seed);
  const rows: EncodedRow[] = [];
  for (let i = 0; i < n; i++) {
    const len = 2 + rng.int(6);
    const body = Array.from({ length: len }, () => 6 + rng.int(19));
    const label = i % 2;
    if (label) body[rng.int(len)] = 5;
    rows.push({ input_ids: [2, ...body, 3], label });
  }
  return new Dataset(rows, { intent: new ClassLabel(["no", "yes"]) });
}

const tinyModel = (seed = 0) =>
  BertForSequenceClassification.fromConfig(
    { vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, ...labelMaps(["no", "yes"]) },
    { seed },
  );

const quiet: TrainerCallback[] = [];
test("a tiny BERT learns a toy task; train() reports HF-style outputs", async () => {
  await ready;
  const trainer = new Trainer({
    model: tinyModel(),
    tokenizer,
    args: { outputDir: tmpDir(), numTrainEpochs: 8, learningRate: 3e-3, perDeviceTrainBatchSize: 16, perDeviceEvalBatchSize: 64, warmupRatio: 0.1 },
    trainDataset: toyData(256, 1),
    evalDataset: toyData(128, 2),
    computeMetrics: computeAccuracy,
    callbacks: quiet,
  });
  const started = performance.now();
  const out = await quietly(() => trainer.train());
  const wall = (performance.now() - started) / 1000;
  assert.equal(out.globalStep, 8 * 16);
  const m = out.metrics;
  assert.ok(m.trainRuntime > 0 && m.trainRuntime <= wall, `trainRuntime ${m.trainRuntime} s within the call's ${wall} s`);
  assert.deepEqual(Object.keys(m).sort(), ["epoch", "trainLoss", "trainRuntime", "trainSamplesPerSecond", "trainStepsPerSecond"]);
  assert.equal(m.epoch, 8);
  assert.equal(m.trainLoss, out.trainingLoss);
  assert.ok(m.trainLoss > 0 && m.trainLoss < 0.69, `mean training loss ${m.trainLoss}`);
  // The rates are the work done over the runtime: 8 epochs of 256 rows in 128 steps.
  assert.ok(Math.abs(m.trainSamplesPerSecond * m.trainRuntime - 8 * 256) < 1e-6 * 8 * 256, `${m.trainSamplesPerSecond} rows/s over ${m.trainRuntime} s`);
  assert.ok(Math.abs(m.trainStepsPerSecond * m.trainRuntime - 128) < 1e-6 * 128);
  assert.deepEqual(trainer.state.logHistory.at(-1), { step: 128, ...m });
  const metrics = await quietly(() => trainer.evaluate());
  assert.ok(metrics.evalAccuracy > 0.9, `accuracy ${metrics.evalAccuracy}`);
  assert.ok(metrics.evalLoss < 0.4, `loss ${metrics.evalLoss}`);
  const evals = trainer.state.logHistory.filter((e) => e.evalAccuracy !== undefined);
  assert.equal(evals.length, 9); // one per epoch plus the explicit call
  const pred = await trainer.predict(toyData(10, 3));
  assert.equal(pred.predictions.length, 10);
  assert.equal(pred.predictions[0].length, 2);
  trainer.model!.dispose();
});

test("resuming from a checkpoint gives exactly the weights of an uninterrupted run", async () => {
  await ready;
  const data = toyData(64, 4);
  const args = { numTrainEpochs: 2, learningRate: 1e-3, perDeviceTrainBatchSize: 16, saveStrategy: "epoch" as const, saveTotalLimit: 0, evaluationStrategy: "no" as const };
  const dirA = tmpDir();
  const a = new Trainer({ model: tinyModel(7), tokenizer, args: { ...args, outputDir: dirA }, trainDataset: data, tokenMaskProb: 0.2 });
  await quietly(() => a.train());
  assert.deepEqual(fs.readdirSync(dirA).sort(), ["checkpoint-4", "checkpoint-8"]);
  const dirB = tmpDir();
  fs.cpSync(path.join(dirA, "checkpoint-4"), path.join(dirB, "checkpoint-4"), { recursive: true });
  const b = new Trainer({ model: tinyModel(99), tokenizer, args: { ...args, outputDir: dirB }, trainDataset: data, tokenMaskProb: 0.2 });
  const out = await quietly(() => b.train({ resumeFromCheckpoint: true }));
  assert.equal(out.globalStep, 8);
  for (const [name, v] of a.model!.params) assert.ok(maxAbsDiff(values(v), values(b.model!.params.get(name)!)) < 1e-6, name);
  await assert.rejects(() => new Trainer({ model: tinyModel(), tokenizer, args: { ...args, outputDir: tmpDir() }, trainDataset: data }).train({ resumeFromCheckpoint: true }), /has no checkpoint-\* folder/);
  a.model!.dispose();
  b.model!.dispose();
});

test("loadBestModelAtEnd restores the best checkpoint and saveTotalLimit keeps it", async () => {
  await ready;
  const dir = tmpDir();
  const t = new Trainer({
    model: tinyModel(),
    tokenizer,
    args: { outputDir: dir, numTrainEpochs: 3, learningRate: 3e-3, perDeviceTrainBatchSize: 16, saveStrategy: "epoch", saveTotalLimit: 1, loadBestModelAtEnd: true, metricForBestModel: "accuracy" },
    trainDataset: toyData(64, 5),
    evalDataset: toyData(32, 6),
    computeMetrics: computeAccuracy,
  });
  await quietly(() => t.train());
  const best = t.state.bestModelCheckpoint!;
  // saveTotalLimit 1 with the best never deleted: only the best checkpoint is left.
  assert.deepEqual(fs.readdirSync(dir), [path.basename(best)]);
  const evals = t.state.logHistory.filter((e) => e.evalAccuracy !== undefined).map((e) => e.evalAccuracy);
  assert.equal(t.state.bestMetric, Math.max(...evals));
  const again = BertForSequenceClassification.fromPretrained(best, { quiet: true });
  for (const [name, v] of again.params) assert.ok(maxAbsDiff(values(v), values(t.model!.params.get(name)!)) < 1e-7, name);
  t.model!.dispose();
  again.dispose();
});

test("a NaN loss stops training with a clear error", async () => {
  await ready;
  const model = tinyModel();
  model.params.get("classifier.bias")!.assign(tf.tensor1d([NaN, 0]));
  const t = new Trainer({ model, tokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 8, evaluationStrategy: "no" }, trainDataset: toyData(16, 7) });
  await assert.rejects(() => quietly(() => t.train()), (err: Error) => err instanceof NonFiniteLossError && /the loss is NaN at step 1/.test(err.message));
  model.dispose();
});

test("callbacks fire in order; no tensors leak across epochs", async () => {
  await ready;
  const events: string[] = [];
  const live: number[] = [];
  const recorder: TrainerCallback = {
    onTrainBegin: () => void events.push("trainBegin"),
    onEpochBegin: () => void events.push("epochBegin"),
    onStepBegin: () => void events.push("stepBegin"),
    onAfterComputeLoss: (_a, _s, ctx, loss) => {
      events.push("afterComputeLoss");
      assert.ok(ctx.outputs?.logits);
      return tf.mul(loss, 1) as tf.Scalar;
    },
    onBeforeOptimizerStep: (_a, _s, grads) => void events.push(`beforeOptimizerStep:${grads.has("classifier.weight")}`),
    onStepEnd: () => void events.push("stepEnd"),
    onEpochEnd: () => {
      events.push("epochEnd");
      live.push(tf.memory().numTensors);
    },
    onTrainEnd: () => void events.push("trainEnd"),
  };
  const model = tinyModel();
  const t = new Trainer({ model, tokenizer, args: { outputDir: tmpDir(), numTrainEpochs: 3, perDeviceTrainBatchSize: 16, evaluationStrategy: "epoch" }, trainDataset: toyData(32, 8), evalDataset: toyData(16, 9), computeMetrics: computeAccuracy, callbacks: [recorder] });
  await quietly(() => t.train());
  const step = ["stepBegin", "afterComputeLoss", "beforeOptimizerStep:true", "stepEnd"];
  assert.deepEqual(events.slice(0, 2 + 2 * step.length + 1), ["trainBegin", "epochBegin", ...step, ...step, "epochEnd"]);
  assert.equal(events.at(-1), "trainEnd");
  assert.equal(live[1], live[2], `live tensors grew: ${live}`);
  model.dispose();
});

test("TrainingArguments reject bad values, naming the field", () => {
  assert.throws(() => resolveTrainingArguments({ outputDir: "x", learningRate: -1 }), /learningRate must be a positive number, got -1/);
  assert.throws(() => resolveTrainingArguments({ outputDir: "x", perDeviceTrainBatchSize: 2.5 }), /perDeviceTrainBatchSize must be a positive integer/);
  assert.throws(() => resolveTrainingArguments({ outputDir: "x", warmupRatio: 1.5 }), /warmupRatio must be a number in \[0, 1\)/);
  assert.throws(() => resolveTrainingArguments({ outputDir: "x", loadBestModelAtEnd: true, saveStrategy: "no" }), /saveStrategy must be equal to evaluationStrategy \("epoch"\)/);
  assert.throws(() => resolveTrainingArguments({ outputDir: "x", evaluationStrategy: "daily" as any }), /evaluationStrategy must be "no", "epoch" or "steps"/);
  assert.equal(resolveTrainingArguments({ outputDir: "x", metricForBestModel: "accuracy" }).greaterIsBetter, true);
  assert.equal(resolveTrainingArguments({ outputDir: "x" }).greaterIsBetter, false);
  assert.throws(() => new Trainer({ tokenizer, args: { outputDir: "x" } }), /pass either model or modelInit/);
  const model = tinyModel();
  assert.throws(() => new Trainer({ model, tokenizer, args: { outputDir: "x" }, trainDataset: new Dataset([{ input_ids: [2, 3], label: 5 }], { intent: new ClassLabel(["a"]) }) }), /row 0 has label 5, outside the model's 2 labels/);
  model.dispose();
});

test("cross-entropy with label smoothing, AdamW and the schedule match hand-computed values", async () => {
  await ready;
  const logits = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 0]]);
  const labels = tf.tensor1d([0, 2], "int32");
  const lse = (r: number[]) => Math.log(r.reduce((a, x) => a + Math.exp(x), 0));
  const rows = [[2, 0, -1], [0.5, 0.5, 0]];
  const nll = [lse(rows[0]) - 2, lse(rows[1]) - 0];
  const smooth = rows.map((r) => lse(r) - r.reduce((a, b) => a + b, 0) / 3);
  assert.ok(Math.abs(crossEntropy(logits, labels).dataSync()[0] - (nll[0] + nll[1]) / 2) < 1e-6);
  const e = 0.1;
  const expected = ((1 - e) * nll[0] + e * smooth[0] + (1 - e) * nll[1] + e * smooth[1]) / 2;
  assert.ok(Math.abs(crossEntropy(logits, labels, e).dataSync()[0] - expected) < 1e-6);

  const p = tf.variable(tf.tensor1d([1, -2]));
  const bias = tf.variable(tf.tensor1d([0.5]));
  const opt = new AdamW(new Map([["w", p], ["x.bias", bias]]), { weightDecay: 0.1 });
  opt.applyGradients(new Map([["w", tf.tensor1d([0.5, -1])], ["x.bias", tf.tensor1d([2])]]), 0.01);
  // Step 1: m̂ = g, v̂ = g², update = g/|g| = sign(g); decay applies to w only.
  assert.ok(maxAbsDiff(values(p), [1 * (1 - 0.001) - 0.01, -2 * (1 - 0.001) + 0.01]) < 1e-6);
  assert.ok(maxAbsDiff(values(bias), [0.5 - 0.01]) < 1e-6);
  const lr = linearScheduleWithWarmup(1, 10, 110);
  assert.deepEqual([lr(0), lr(5), lr(10), lr(60), lr(110)], [0, 0.5, 1, 0.5, 0]);
});

test("epochBatches: every row once per epoch, length-grouped batches, deterministic in the seed", () => {
  const lengths = Array.from({ length: 40 }, (_, i) => (i * 7) % 13);
  const order = (seed: number, group: boolean) => epochBatches(lengths, 4, seed, group);
  for (const group of [true, false]) {
    const batches = order(0, group);
    assert.deepEqual(batches.flat().sort((a, b) => a - b), lengths.map((_, i) => i), "each row exactly once");
    assert.deepEqual(batches.map((b) => b.length), Array(10).fill(4));
    assert.deepEqual(order(0, group), batches, "the same seed gives the same batches");
    assert.notDeepEqual(order(1, group), batches, "another seed gives other batches");
  }
  // Grouped by length (HF's LengthGroupedSampler): each batch sorted longest first, so batches are uniform in length.
  for (const b of order(0, true)) assert.deepEqual(b.map((i) => lengths[i]), b.map((i) => lengths[i]).sort((x, y) => y - x));
  const spread = (bs: number[][]) => bs.reduce((a, b) => a + Math.max(...b.map((i) => lengths[i])) - Math.min(...b.map((i) => lengths[i])), 0);
  assert.ok(spread(order(0, true)) < spread(order(0, false)) / 2, "grouping cuts the length spread within batches");
  assert.deepEqual(epochBatches([5, 6, 7], 2, 0, false, false), [[0, 1], [2]], "unshuffled: in order");
});

test("checkpoints are atomic folders: latestCheckpoint skips temporary and incomplete ones; a failed save leaves no folder", async () => {
  await ready;
  const data = toyData(32, 11);
  const dir = tmpDir();
  const args = { outputDir: dir, numTrainEpochs: 2, learningRate: 1e-3, perDeviceTrainBatchSize: 16, saveStrategy: "epoch" as const, saveTotalLimit: 0, evaluationStrategy: "no" as const, disableTqdm: true };
  const model = tinyModel(5);
  const t = new Trainer({ model, tokenizer, args, trainDataset: data });
  await quietly(() => t.train());
  assert.deepEqual(fs.readdirSync(dir).sort(), ["checkpoint-2", "checkpoint-4"], "no temporary folder is left behind");
  // What a crash leaves: a temporary folder (complete but never renamed) and a folder without its trainer state.
  fs.cpSync(path.join(dir, "checkpoint-4"), path.join(dir, ".checkpoint-6.4242.tmp"), { recursive: true });
  fs.cpSync(path.join(dir, "checkpoint-4"), path.join(dir, "checkpoint-8"), { recursive: true });
  fs.rmSync(path.join(dir, "checkpoint-8", "trainer_state.json"));
  assert.deepEqual(listCheckpoints(dir).map((d) => path.basename(d)), ["checkpoint-2", "checkpoint-4"]);
  assert.equal(latestCheckpoint(dir), path.join(dir, "checkpoint-4"));
  // A save that fails half-way (here: the tokenizer cannot be written) leaves neither the folder nor its temporary copy.
  const failing = Object.create(tokenizer, { savePretrained: { value: () => { throw new Error("disk full"); } } }) as BertTokenizer;
  const t2 = new Trainer({ model, tokenizer: failing, args: { ...args, outputDir: tmpDir() }, trainDataset: data });
  assert.throws(() => t2.saveCheckpoint(), /disk full/);
  assert.deepEqual(fs.readdirSync(t2.args.outputDir), []);
  model.dispose();
});

test("a failed resume leaves the model as it was: every checkpoint file is validated before anything changes", async () => {
  await ready;
  const data = toyData(32, 12);
  const src = tmpDir();
  const args = { numTrainEpochs: 2, learningRate: 1e-3, perDeviceTrainBatchSize: 16, saveStrategy: "epoch" as const, saveTotalLimit: 0, evaluationStrategy: "no" as const, disableTqdm: true };
  const trained = tinyModel(6);
  await quietly(() => new Trainer({ model: trained, tokenizer, args: { ...args, outputDir: src }, trainDataset: data }).train());
  trained.dispose();
  const broken: [string, (dir: string) => void, RegExp][] = [
    ["truncated optimizer state", (d) => fs.writeFileSync(path.join(d, "optimizer.safetensors"), fs.readFileSync(path.join(d, "optimizer.safetensors")).subarray(0, 300)), /Corrupt safetensors file .*optimizer.safetensors/],
    ["NaN in the weights", (d) => editTensors(path.join(d, "model.safetensors"), (w) => ((w.get("classifier.bias")!.data as Float32Array)[0] = NaN)), /weight "classifier.bias" in .*checkpoint-2\/model.safetensors holds NaN at index 0/],
    ["a weight missing", (d) => editTensors(path.join(d, "model.safetensors"), (w) => w.delete("classifier.weight")), /checkpoint .*model.safetensors lacks 1 of the model's parameters \(first: classifier.weight\)/],
    ["Infinity in the optimizer state", (d) => editTensors(path.join(d, "optimizer.safetensors"), (w) => ((w.get("v/classifier.bias")!.data as Float32Array)[1] = Infinity)), /optimizer.safetensors entry "v\/classifier.bias" holds Infinity at index 1/],
    ["another batch size", (d) => fs.writeFileSync(path.join(d, "trainer_state.json"), JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(d, "trainer_state.json"), "utf8")), stepsPerEpoch: 3 })), /was written with 3 steps per epoch, this run has 2/],
    ["no optimizer state", (d) => fs.rmSync(path.join(d, "optimizer.safetensors")), /checkpoint .* is incomplete \(missing optimizer.safetensors\)/],
  ];
  for (const [what, breakIt, error] of broken) {
    const dir = tmpDir();
    fs.cpSync(path.join(src, "checkpoint-2"), path.join(dir, "checkpoint-2"), { recursive: true });
    breakIt(path.join(dir, "checkpoint-2"));
    const model = tinyModel(7);
    const before = new Map([...model.params].map(([k, v]) => [k, Float32Array.from(values(v))]));
    const memory = tf.memory().numTensors;
    const t = new Trainer({ model, tokenizer, args: { ...args, outputDir: dir }, trainDataset: data });
    await assert.rejects(quietly(() => t.train({ resumeFromCheckpoint: path.join(dir, "checkpoint-2") })), error, what);
    for (const [k, v] of model.params) assert.equal(maxAbsDiff(values(v), before.get(k)!), 0, `${what}: ${k} changed`);
    assert.equal(tf.memory().numTensors, memory, `${what}: tensors left behind`);
    model.dispose();
  }
  // The intact checkpoint resumes, and the resumed run leaves no optimizer tensors behind.
  const model = tinyModel(7);
  const memory = tf.memory().numTensors;
  await quietly(() => new Trainer({ model, tokenizer, args: { ...args, outputDir: src }, trainDataset: data }).train({ resumeFromCheckpoint: path.join(src, "checkpoint-2") }));
  assert.equal(tf.memory().numTensors, memory);
  model.dispose();
});

function editTensors(file: string, edit: (w: Map<string, SafeTensor>) => void): void {
  const { tensors, metadata } = readSafetensors(file);
  edit(tensors);
  writeSafetensors(file, tensors, metadata);
}
