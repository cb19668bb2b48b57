// The out-of-scope threshold comes from validation only: the tuning function
// sees only the logits it is given, and the recipes' shared ending (finish)
// hands it the validation split's. The threshold saved in config.json stays
// the same whatever the test rows are, and moves when validation changes, so
// any leak of test rows into the tuning fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { quietly, ready, tmpDir } from "../helpers/setup";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { ClassLabel, Dataset } from "../../lib/data";
import type { IntentRow } from "../../lib/data/intents";
import { Trainer, tokenizeDataset } from "../../lib/training";
import { tuneOosThreshold } from "../../lib/pipelines/oos";
import { MAX_LENGTH, finish, saveOosThreshold } from "../../lib/workbook/recipes";
import { trainBagOfWords } from "../../lib/workbook/baselineRecipe";
import { predictBagOfWords } from "../../lib/baseline/trainer";
import { readJson } from "../../lib/utils/fs";
import { Random } from "../../lib/utils/random";

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrstuvwxyz".split("")]);
const names = ["x", "y", "oos"];
const OOS = 2;
const intent = new ClassLabel(names);

function texts(n: number, seed: number): string[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => Array.from({ length: 2 + rng.int(4) }, () => "abcdefghijklmnopqrstuvwxyz"[rng.int(26)]).join(" "));
}

async function setup() {
  await ready;
  const model = BertForSequenceClassification.fromConfig(
    { vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: MAX_LENGTH, initializer_range: 0.5, ...labelMaps(names) },
    { seed: 4 },
  );
  const trainer = new Trainer({ model, tokenizer, args: { outputDir: tmpDir(), evaluationStrategy: "no", disableTqdm: true } });
  /** The model's own argmax on some texts (rows labelled with it are right at threshold 0). */
  const argmax = async (t: string[]) => {
    const ds = tokenizeDataset(new Dataset(t.map((text) => ({ text, intent: 0 })), { intent }), tokenizer, MAX_LENGTH);
    const { predictions } = await trainer.predict(ds, "probe");
    return predictions.map((row) => Array.from(row).indexOf(Math.max(...row)));
  };
  const split = (t: string[], labels: number[]) => new Dataset<IntentRow>(t.map((text, i) => ({ text, intent: labels[i] })), { intent });
  // Validation: every row is out of scope, so the best threshold lies above the scores of the rows the model puts in scope (> 0).
  const valTexts = texts(12, 1);
  const validation = split(valTexts, valTexts.map(() => OOS));
  // Test A: three times larger, every row labelled with the model's own prediction, so tuning on it (or on validation + it) gives 0.
  const testTexts = texts(36, 2);
  const testA = split(testTexts, await argmax(testTexts));
  // Test B: other rows, all out of scope.
  const testBTexts = texts(20, 3);
  const testB = split(testBTexts, testBTexts.map(() => OOS));
  return { model, trainer, validation, testA, testB, train: testA, argmax, split, valTexts };
}

async function logitsOf(trainer: Trainer, ds: Dataset<IntentRow>) {
  return trainer.predict(tokenizeDataset(ds, tokenizer, MAX_LENGTH), "check");
}

test("tuneOosThreshold / saveOosThreshold depend only on the validation logits they are given", async () => {
  const { model, trainer, validation, testA, argmax, split, valTexts } = await setup();
  const val = await logitsOf(trainer, validation);
  const tuned = tuneOosThreshold(val.predictions, val.labelIds, OOS);
  assert.ok(tuned.threshold > 0, `precondition: validation (all oos) must tune above 0, got ${tuned.threshold}`);
  const test = await logitsOf(trainer, testA);
  assert.equal(tuneOosThreshold(test.predictions, test.labelIds, OOS).threshold, 0, "precondition: the test rows alone tune to 0");
  assert.notEqual(tuneOosThreshold([...val.predictions, ...test.predictions], [...val.labelIds, ...test.labelIds], OOS).threshold, tuned.threshold, "precondition: validation + test tunes elsewhere");
  const saved = saveOosThreshold(model, val.predictions, val.labelIds, OOS)!;
  assert.equal(saved.threshold, tuned.threshold);
  assert.deepEqual((model.config as any).task_specific_params["text-classification"], { oos_threshold: tuned.threshold, oos_label: "oos", tuned_on: "validation" });
  // Another validation set (labelled with the model's predictions) gives another threshold.
  const other = await logitsOf(trainer, split(valTexts, await argmax(valTexts)));
  assert.notEqual(saveOosThreshold(model, other.predictions, other.labelIds, OOS)!.threshold, tuned.threshold);
  assert.equal(saveOosThreshold(model, val.predictions, val.labelIds, undefined), undefined, "no oos class: nothing tuned");
  model.dispose();
});

test("finish() (every classification recipe's ending) tunes the saved threshold on validation: test rows never change it, validation does", async () => {
  const { model, trainer, validation, testA, testB, train, argmax, split, valTexts } = await setup();
  const val = await logitsOf(trainer, validation);
  const expected = tuneOosThreshold(val.predictions, val.labelIds, OOS).threshold;
  const run = async (data: { train: Dataset<IntentRow>; validation: Dataset<IntentRow>; test: Dataset<IntentRow> }) => {
    const out = path.join(tmpDir(), "model");
    const predicted: string[] = [];
    const predict = trainer.predict.bind(trainer);
    trainer.predict = (ds, prefix) => (predicted.push(prefix ?? "test"), predict(ds, prefix));
    try {
      await quietly(() => finish({ model, tokenizer, trainer, data, out, backend: "cpu", recipe: { name: "oos-threshold-test" } }));
    } finally {
      trainer.predict = predict;
    }
    const config = readJson<any>(path.join(out, "config.json"));
    const report = readJson<any>(path.join(out, "training_report.json"));
    assert.equal(report.oosFallback.threshold, config.task_specific_params["text-classification"].oos_threshold);
    assert.equal(config.task_specific_params["text-classification"].tuned_on, "validation");
    assert.ok(fs.existsSync(path.join(out, "tokenizer.json")) || fs.existsSync(path.join(out, "vocab.txt")));
    return { threshold: config.task_specific_params["text-classification"].oos_threshold as number, predicted };
  };
  const a = await run({ train, validation, test: testA });
  assert.equal(a.threshold, expected, "the saved threshold is the one validation gives");
  assert.deepEqual(a.predicted, ["validation", "test"], "finish predicts validation (tuning) before test");
  const b = await run({ train, validation, test: testB });
  assert.equal(b.threshold, expected, "other test rows (all oos) left the threshold unchanged");
  const c = await run({ train, validation: split(valTexts, await argmax(valTexts)), test: testA });
  assert.notEqual(c.threshold, expected, "another validation split changes the threshold");
  assert.equal(c.threshold, 0);
  model.dispose();
});

test("trainBagOfWords (the baseline recipe) saves the threshold its validation split gives, whatever the test rows", async () => {
  await ready;
  const split = (t: string[], label: (i: number) => number) => new Dataset<IntentRow>(t.map((text, i) => ({ text, intent: label(i) })), { intent });
  const train = split(texts(60, 11), (i) => i % 3);
  const validation = split(texts(15, 12), () => OOS);
  const tests = [split(texts(30, 13), () => 0), split(texts(30, 14), () => OOS)];
  const thresholds: number[] = [];
  for (const [k, test] of tests.entries()) {
    const out = path.join(tmpDir(), "bow");
    const result = await quietly(() => trainBagOfWords({ seed: 3, dataset: { train, validation, test }, tokenizer, out, numBuckets: 16, hiddenSize: 8, numTrainEpochs: 3, batchSize: 8, earlyStoppingPatience: 0 }));
    const saved = readJson<any>(path.join(out, "config.json")).task_specific_params["text-classification"];
    assert.equal(saved.tuned_on, "validation");
    const encode = (ds: Dataset<IntentRow>) => ds.rows.map((r) => ({ input_ids: tokenizer.encode(r.text, { maxLength: 64 }).input_ids }));
    const val = predictBagOfWords(result.model, encode(validation));
    assert.equal(saved.oos_threshold, tuneOosThreshold(val, validation.column("intent"), OOS).threshold, "the saved threshold is validation's");
    const withTest = tuneOosThreshold([...val, ...predictBagOfWords(result.model, encode(test))], [...validation.column("intent"), ...test.column("intent")], OOS).threshold;
    // The first test split (no oos rows) pulls the threshold down if it reaches the tuning.
    if (k === 0) assert.notEqual(withTest, saved.oos_threshold, "precondition: validation + these test rows would tune elsewhere");
    thresholds.push(saved.oos_threshold);
    result.model.dispose();
  }
  assert.equal(thresholds[0], thresholds[1], "other test rows changed the saved threshold");
});
