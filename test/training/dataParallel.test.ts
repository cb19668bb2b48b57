// Data-parallel training (`dataParallelWorkers`) against one thread, for the
// Trainer and for the DistillationTrainer with cached teacher logits.
//
// What is tested:
// 1. Exact equality with dropout and token masking off. 49 rows in batches
//    whose shards are uneven: the Trainer with batch 16 on 3 threads (shards
//    of 5, 5 and 6 rows; the last batch, 1 row, is computed by this thread
//    alone) and the DistillationTrainer with batch 15 on 2 threads (shards of
//    7 and 8 rows; the last batch, 4 rows, 2 and 2), for alpha 0.5 (the "kd"
//    loss, teacher logits sent with each shard) and alpha 1 (the student
//    alone). Every step's loss and the final weights equal one thread's within
//    1e-5; the shard sizes the workers receive are checked, and that the
//    workers were used (not refused with a warning).
// 2. The same training in distribution with dropout 0.3 and, for the Trainer,
//    15% of tokens masked (the DistillationTrainer caches teacher logits, which
//    needs unmasked inputs). Workers draw other dropout and mask samples than
//    one thread, so the runs differ; what must agree is the loss curve. For 6
//    seeds (each seed: the same initial weights and batch order for both), the
//    mean training loss of each of 2 epochs, and of both together, must agree
//    within 5 standard errors, the standard error coming from the seed-to-seed
//    spread: 5·sqrt((sd₁² + sd₂²)/6), sd the standard deviation over seeds of
//    one thread's and of two workers' epoch losses. The runs start from a model
//    that has learned the task (test/fixtures/parallel_start/), where dropout
//    and masking raise the training loss measurably. Measured here: workers
//    run without dropout are 7 to 14 standard errors off (the Trainer) and 4.5
//    to 10 (the DistillationTrainer), without masking 5.3 to 8.2; the correct
//    code stays within 0.5. Each test prints its table as a diagnostic.
//    Data: 980 rows in batches of 123 (8 steps per epoch; shards 61/62 and, in
//    the last batch, 59/60). The Trainer fine-tunes the start model (lr 1e-3);
//    the DistillationTrainer distils it (alpha 0.5, T 2, lr 1e-2) into a
//    1-layer DistilBERT initialised from it. These runs share one worker pool
//    (withSharedPool) so that 12 runs start threads once; the exact tests above
//    start theirs as the Trainer does.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { FIXTURES, maxAbsDiff, quietly, ready, tmpDir, values } from "../helpers/setup";
import { goldenData, goldenTeacher, goldenTokenizer } from "../helpers/golden";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { Trainer } from "../../lib/training";
import { GradientWorkerPool } from "../../lib/training/parallel/pool";
import { DistillationTrainer, studentInit } from "../../lib/distillation";
import { setLogSink } from "../../lib/utils/log";

const noDropout = { dropout: 0, attention_dropout: 0, seq_classif_dropout: 0 };

/** Runs `f` recording the library's log lines and the shard sizes sent to workers. */
async function observed<T>(f: () => Promise<T>): Promise<{ result: T; info: string[]; warnings: string[]; shards: number[] }> {
  const info: string[] = [];
  const warnings: string[] = [];
  const shards: number[] = [];
  const gradients = GradientWorkerPool.prototype.gradients;
  GradientWorkerPool.prototype.gradients = function (this: GradientWorkerPool, ...a: Parameters<typeof gradients>) {
    shards.push(a[1].length);
    return gradients.apply(this, a);
  };
  const sink = setLogSink({ out: (l) => info.push(l), err: (l) => warnings.push(l) });
  try {
    return { result: await f(), info, warnings, shards };
  } finally {
    setLogSink(sink);
    GradientWorkerPool.prototype.gradients = gradients;
  }
}

const stepLosses = (t: Trainer) => t.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);

function assertSameTraining(one: Trainer, many: Trainer, what: string): void {
  const [a, b] = [stepLosses(one), stepLosses(many)];
  assert.equal(b.length, a.length);
  assert.ok(maxAbsDiff(a, b) < 1e-5, `${what}: step losses ${a} vs ${b}`);
  for (const [name, v] of one.model!.params) assert.ok(maxAbsDiff(values(v), values(many.model!.params.get(name)!)) < 1e-5, `${what}: ${name}`);
}

test("Trainer on 3 threads equals one thread exactly with dropout and masking off: 49 rows, batch 16 (shards 5/5/6, a last batch of 1)", async () => {
  await ready;
  const model = () => BertForSequenceClassification.fromConfig({ vocab_size: goldenTokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, ...labelMaps(["no", "yes"]) }, { seed: 3 });
  const args = { numTrainEpochs: 2, learningRate: 3e-3, perDeviceTrainBatchSize: 16, evaluationStrategy: "no" as const, labelSmoothingFactor: 0.1, loggingSteps: 1 };
  const one = new Trainer({ model: model(), tokenizer: goldenTokenizer, args: { ...args, outputDir: tmpDir() }, trainDataset: goldenData() });
  const three = new Trainer({ model: model(), tokenizer: goldenTokenizer, args: { ...args, outputDir: tmpDir(), dataParallelWorkers: 3 }, trainDataset: goldenData() });
  const single = await observed(() => quietly(() => one.train()));
  const parallel = await observed(() => quietly(() => three.train()));
  assert.deepEqual(single.shards, []);
  assert.ok(parallel.info.includes("Data-parallel training on 3 threads (this one + 2 workers)."), parallel.info.join("\n"));
  assert.deepEqual(parallel.warnings, []);
  // Per epoch: three batches of 16 (workers get 5 and 6 rows, this thread 5), then one row this thread computes alone.
  assert.deepEqual(parallel.shards, [5, 6, 5, 6, 5, 6, 5, 6, 5, 6, 5, 6]);
  assertSameTraining(one, three, "3 threads");
  one.model!.dispose();
  three.model!.dispose();
});

test("DistillationTrainer (cached teacher logits) on 2 threads equals one thread exactly with dropout off: 49 rows, batch 15 (shards 7/8, a last batch 2/2); alpha 0.5 and 1", async () => {
  await ready;
  const teacher = goldenTeacher();
  for (const alpha of [0.5, 1]) {
    const make = (workers: number) =>
      new DistillationTrainer({
        model: studentInit(teacher, { init: "distilbert", config: noDropout }),
        teacherModel: teacher,
        tokenizer: goldenTokenizer,
        cacheTeacherLogits: true,
        args: { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 15, learningRate: 3e-3, evaluationStrategy: "no", alpha, temperature: 3, labelSmoothingFactor: 0.1, dataParallelWorkers: workers, loggingSteps: 1 },
        trainDataset: goldenData(),
      });
    const [one, two] = [make(1), make(2)];
    await quietly(() => one.train());
    const parallel = await observed(() => quietly(() => two.train()));
    assert.ok(parallel.info.includes("Data-parallel training on 2 threads (this one + 1 worker)."), `alpha ${alpha}: ${parallel.info.join("\n")}`);
    assert.deepEqual(parallel.warnings, [], `alpha ${alpha}: the workers were used, not refused`);
    // Per epoch, in shuffled order: three batches of 15 (the worker gets 8 rows, this thread 7) and one of 4 (2 and 2).
    assert.deepEqual(parallel.shards.sort((x, y) => x - y), [2, 2, 8, 8, 8, 8, 8, 8], `alpha ${alpha}: the worker's shard of each batch`);
    assertSameTraining(one, two, `alpha ${alpha}`);
    one.model!.dispose();
    two.model!.dispose();
  }
  teacher.dispose();
});

// ---------------------------------------------------------------------------
// In distribution, with dropout (and masking) on.

const SEEDS = [1, 2, 3, 4, 5, 6];
const EPOCHS = 2;
const K = 5;
// 980 rows in batches of 123: 8 steps per epoch, shards of 61/62 and, last, 59/60.
const noisyData = () => goldenData(980);
const startModel = (dropout: number) => {
  const start = BertForSequenceClassification.fromPretrained(path.join(FIXTURES, "parallel_start"), { quiet: true });
  const model = BertForSequenceClassification.fromConfig({ ...start.config, hidden_dropout_prob: dropout, attention_probs_dropout_prob: dropout });
  model.loadStateDict(start.stateDict(), { strict: true });
  start.dispose();
  return model;
};

/**
 * Runs `f` with one worker pool shared by every Trainer in it: the first
 * start() creates it, later ones send the new run's initial weights (as the
 * Trainer sends weights after each step) instead of starting threads again.
 */
async function withSharedPool<T>(f: () => Promise<T>): Promise<T> {
  const start = GradientWorkerPool.start;
  let pool: GradientWorkerPool | undefined;
  let key = "";
  GradientWorkerPool.start = async (...a: Parameters<typeof start>) => {
    const [n, model, collator, loss] = a;
    const k = JSON.stringify({ n, collator, loss });
    if (!pool) {
      pool = await start.apply(GradientWorkerPool, a);
      key = k;
      pool.terminate = async () => {};
    } else {
      assert.equal(k, key, "a shared pool serves one collator and loss");
      pool.syncWeights(model);
    }
    return pool;
  };
  try {
    return await f();
  } finally {
    GradientWorkerPool.start = start;
    if (pool) await GradientWorkerPool.prototype.terminate.call(pool);
  }
}

/** Mean training loss of each epoch (the mean of its steps' losses). */
function epochLosses(t: Trainer): number[] {
  const steps = stepLosses(t);
  const per = t.state.stepsPerEpoch;
  assert.equal(steps.length, per * EPOCHS);
  return Array.from({ length: EPOCHS }, (_, e) => steps.slice(e * per, (e + 1) * per).reduce((a, b) => a + b, 0) / per);
}

const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]) => Math.sqrt(x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / (x.length - 1));

/** Asserts each epoch's mean loss (and their mean) agree within K standard errors from the seed-to-seed spread; returns the table. */
function assertSameCurve(one: number[][], two: number[][], what: string): string {
  const columns = [...Array.from({ length: EPOCHS }, (_, e) => ({ name: `epoch ${e + 1}`, get: (r: number[]) => r[e] })), { name: "both epochs", get: (r: number[]) => mean(r) }];
  const lines = columns.map(({ name, get }) => {
    const [a, b] = [one.map(get), two.map(get)];
    const se = Math.sqrt((sd(a) ** 2 + sd(b) ** 2) / a.length);
    return { name, a, b, diff: mean(b) - mean(a), se };
  });
  const table = lines.map((l) => `${l.name}: one thread ${mean(l.a).toFixed(4)} ± ${sd(l.a).toFixed(4)}, two ${mean(l.b).toFixed(4)} ± ${sd(l.b).toFixed(4)}, difference ${l.diff.toFixed(4)} = ${(l.diff / l.se).toFixed(2)} standard errors`).join("\n");
  for (const l of lines) {
    assert.ok(sd(l.a) > 0 && sd(l.b) > 0, `${what}: no seed-to-seed spread (is dropout on?)\n${table}`);
    assert.ok(Math.abs(l.diff) <= K * l.se, `${what}: the loss curves differ beyond noise\n${table}`);
  }
  assert.ok(mean(one.map((r) => r[EPOCHS - 1])) < mean(one.map((r) => r[0])), `${what}: the loss does not go down\n${table}`);
  return table;
}

/** Per seed, the epoch losses of one thread and of two workers, the runs alternating, in one shared pool. */
function curvesBySeed(run: (workers: number, seed: number) => Promise<number[]>): Promise<{ one: number[][]; two: number[][] }> {
  return withSharedPool(async () => {
    const one: number[][] = [];
    const two: number[][] = [];
    for (const seed of SEEDS) {
      one.push(await run(1, seed));
      two.push(await run(2, seed));
    }
    return { one, two };
  });
}

test("Trainer with dropout 0.3 and 15% masked tokens: 2 workers train to one thread's loss curve within noise (6 seeds, 980 rows, batch 123)", { timeout: 120_000 }, async (t) => {
  await ready;
  const run = async (workers: number, seed: number) => {
    const trainer = new Trainer({ model: startModel(0.3), tokenizer: goldenTokenizer, tokenMaskProb: 0.15, args: { outputDir: tmpDir(), numTrainEpochs: EPOCHS, perDeviceTrainBatchSize: 123, learningRate: 1e-3, evaluationStrategy: "no", dataParallelWorkers: workers, seed, loggingSteps: 1 }, trainDataset: noisyData() });
    await quietly(() => trainer.train());
    trainer.model!.dispose();
    return epochLosses(trainer);
  };
  const { one, two } = await curvesBySeed(run);
  t.diagnostic(assertSameCurve(one, two, "Trainer"));
});

test("DistillationTrainer (cached logits) with dropout 0.3: 2 workers train to one thread's loss curve within noise (6 seeds, 980 rows, batch 123)", { timeout: 120_000 }, async (t) => {
  await ready;
  const teacher = startModel(0);
  const dropout = { dropout: 0.3, attention_dropout: 0.3, seq_classif_dropout: 0.3 };
  const run = async (workers: number, seed: number) => {
    const trainer = new DistillationTrainer({
      model: studentInit(teacher, { init: "distilbert", numLayers: 1, config: dropout }),
      teacherModel: teacher,
      tokenizer: goldenTokenizer,
      cacheTeacherLogits: true,
      args: { outputDir: tmpDir(), numTrainEpochs: EPOCHS, perDeviceTrainBatchSize: 123, learningRate: 1e-2, evaluationStrategy: "no", alpha: 0.5, temperature: 2, dataParallelWorkers: workers, seed, loggingSteps: 1 },
      trainDataset: noisyData(),
    });
    await quietly(() => trainer.train());
    trainer.model!.dispose();
    return epochLosses(trainer);
  };
  const { one, two } = await curvesBySeed(run);
  t.diagnostic(assertSameCurve(one, two, "DistillationTrainer"));
  teacher.dispose();
});
