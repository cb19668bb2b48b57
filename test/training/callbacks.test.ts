// The Trainer's callback API (HF's add_callback / pop_callback /
// remove_callback) and DefaultFlowCallback, which alone decides when the
// loop logs, evaluates and saves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { quietly, ready, tmpDir } from "../helpers/setup";
import { ClassLabel, Dataset } from "../../lib/data";
import { BertTokenizer } from "../../lib/tokenizers";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { DefaultFlowCallback, EncodedRow, ProgressCallback, Trainer, TrainerCallback, TrainerControl, TrainerState, computeAccuracy, resolveTrainingArguments } from "../../lib/training";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefgh".split("")]);
const rows = (n: number): Dataset<EncodedRow> =>
  new Dataset(Array.from({ length: n }, (_, i) => ({ input_ids: [2, 5 + (i % 4), 6 + (i % 3), 3], label: i % 2 })), { intent: new ClassLabel(["no", "yes"]) });
const model = () =>
  BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8, ...labelMaps(["no", "yes"]) }, { seed: 1 });

const control = (): TrainerControl => ({ shouldTrainingStop: false, shouldEvaluate: false, shouldSave: false, shouldLog: false });
const state = (globalStep: number, stepsPerEpoch = 4, maxSteps = 10): TrainerState => ({ epoch: globalStep / stepsPerEpoch, globalStep, maxSteps, stepsPerEpoch, logHistory: [] });

test("DefaultFlowCallback: logs every loggingSteps and at each epoch's end; evaluates and saves per strategy, at epoch ends and the last step", () => {
  const flow = new DefaultFlowCallback();
  const decide = (args: Parameters<typeof resolveTrainingArguments>[0], step: number) => {
    const c = control();
    flow.onStepEnd(resolveTrainingArguments(args), state(step), c);
    return [c.shouldLog, c.shouldEvaluate, c.shouldSave].map(Number).join("");
  };
  const epoch = { outputDir: "x", loggingSteps: 3, evaluationStrategy: "epoch", saveStrategy: "epoch" } as const;
  // 4 steps per epoch, 10 steps in all: step 3 logs only, 4 and 8 end epochs, 10 is the last step (evaluated and saved, not an epoch end).
  assert.deepEqual([1, 2, 3, 4, 5, 6, 8, 9, 10].map((s) => decide(epoch, s)), ["000", "000", "100", "111", "000", "100", "111", "100", "011"]);
  const steps = { outputDir: "x", loggingSteps: 100, evaluationStrategy: "steps", evalSteps: 5, saveStrategy: "steps", saveSteps: 2 } as const;
  assert.deepEqual([2, 4, 5, 6, 10].map((s) => decide(steps, s)), ["001", "101", "010", "001", "011"]);
  assert.equal(decide({ outputDir: "x", evaluationStrategy: "no", saveStrategy: "no", loggingSteps: 100 }, 4), "100");
});

test("addCallback / popCallback / removeCallback, as HF's Trainer: by instance or by class; the default flow and the progress printer come first", async () => {
  await ready;
  const trainer = new Trainer({ model: model(), tokenizer, args: { outputDir: tmpDir() }, trainDataset: rows(8) });
  assert.deepEqual(trainer.callbacks.map((c) => c.constructor.name), ["DefaultFlowCallback", "ProgressCallback"]);
  const seen: string[] = [];
  const cb: TrainerCallback = { onTrainBegin: () => void seen.push("begin") };
  assert.equal(trainer.addCallback(cb), cb);
  class Counter implements TrainerCallback {
    steps = 0;
    onStepEnd() {
      this.steps++;
    }
  }
  const counter = trainer.addCallback(Counter);
  assert.ok(counter instanceof Counter);
  assert.equal(trainer.callbacks.length, 4);
  const progress = trainer.popCallback(ProgressCallback);
  assert.ok(progress instanceof ProgressCallback);
  assert.equal(trainer.popCallback(ProgressCallback), undefined, "only one was there");
  await quietly(() => trainer.train());
  assert.deepEqual(seen, ["begin"]);
  assert.equal(counter.steps, trainer.state.globalStep);
  trainer.removeCallback(cb);
  trainer.removeCallback(Counter);
  assert.deepEqual(trainer.callbacks.map((c) => c.constructor.name), ["DefaultFlowCallback"]);
});

test("without DefaultFlowCallback the loop neither evaluates nor saves: the decisions are the callback's, not the loop's", async () => {
  await ready;
  const args = { outputDir: tmpDir(), numTrainEpochs: 2, perDeviceTrainBatchSize: 4, evaluationStrategy: "epoch", saveStrategy: "no" } as const;
  let evaluations = 0;
  const counter: TrainerCallback = { onEvaluate: () => void evaluations++ };
  const withFlow = new Trainer({ model: model(), tokenizer, args, trainDataset: rows(8), evalDataset: rows(4), computeMetrics: computeAccuracy, callbacks: [counter] });
  await quietly(() => withFlow.train());
  assert.equal(evaluations, 2, "one evaluation per epoch");
  evaluations = 0;
  const without = new Trainer({ model: model(), tokenizer, args, trainDataset: rows(8), evalDataset: rows(4), computeMetrics: computeAccuracy, callbacks: [counter] });
  without.removeCallback(DefaultFlowCallback);
  await quietly(() => without.train());
  assert.equal(evaluations, 0);
  assert.equal(without.state.logHistory.filter((e) => e.loss !== undefined).length, 0, "nothing logged either");
});

test("ProgressCallback: the ETA comes from the rate after the first step, so warm-up does not inflate it", (t) => {
  t.mock.timers.enable({ apis: ["Date"], now: 0 });
  const lines: string[] = [];
  const progress = new ProgressCallback((l) => lines.push(l), 0);
  const args = resolveTrainingArguments({ outputDir: "unused", numTrainEpochs: 1 });
  const state = { globalStep: 0, maxSteps: 101, stepsPerEpoch: 101, epoch: 0 } as TrainerState;
  progress.onTrainBegin(args, state);
  t.mock.timers.tick(60_000); // the first step pays for warm-up
  progress.onStepEnd(args, { ...state, globalStep: 1, epoch: 1 / 101 });
  assert.match(lines.at(-1)!, /^\[  1\/101 1:00 < \?, Epoch 0\.01\/1\]$/, "no rate yet after one step");
  for (let step = 2; step <= 11; step++) {
    t.mock.timers.tick(1_000);
    progress.onStepEnd(args, { ...state, globalStep: step, epoch: step / 101 });
  }
  // 10 steps in 10 s after the first: 90 steps left → 1:30, not (70 s / 11 steps) × 90 ≈ 9:32.
  assert.equal(lines.at(-1), "[ 11/101 1:10 < 1:30, Epoch 0.11/1]");
});
