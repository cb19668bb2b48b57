// The detector a recipe saves comes from training and validation rows only:
// whatever the test split holds, fitModelOosDetector saves the same detector
// with the same threshold; change validation and the threshold moves. The
// report's test figures are the saved detector's on the test rows.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "../helpers/setup";
import { DistilBertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { ClassLabel, Dataset } from "../../lib/data";
import type { IntentRow } from "../../lib/data/intents";
import type { DatasetDict } from "../../lib/data/clinc";
import { pipeline } from "../../lib/pipelines";
import { OosDetector } from "../../lib/oos";
import { compareOosDetectors, fitModelOosDetector, oosComparisonTable } from "../../lib/workbook/oosRecipe";
import { readJson } from "../../lib/utils/fs";
import { Random } from "../../lib/utils/random";

const letters = "abcdefghijklmnopqrstuvwxyz".split("");
const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...letters]);
const names = ["x", "y", "z", "oos"];
const OOS = 3;
const intent = new ClassLabel(names);

function split(n: number, seed: number, label: (i: number) => number): Dataset<IntentRow> {
  const rng = new Random(seed);
  return new Dataset(Array.from({ length: n }, (_, i) => ({ text: Array.from({ length: 2 + rng.int(4) }, () => letters[rng.int(26)]).join(" "), intent: label(i) })), { intent });
}

async function folder(): Promise<string> {
  await ready;
  const model = DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 32, max_position_embeddings: 16, initializer_range: 0.5, ...labelMaps(names) }, { seed: 9 });
  // The untrained model's own oos logit pushed down: it predicts in-scope labels, so thresholds have rows to act on.
  const bias = model.params.get("classifier.bias")!;
  bias.assign(tf.tensor1d([0, 0, 0, -4]));
  const dir = path.join(tmpDir(), "model");
  model.savePretrained(dir);
  tokenizer.savePretrained(dir);
  model.dispose();
  return dir;
}

const train = split(80, 1, (i) => i % 4);
const validation = split(40, 2, (i) => (i % 3 === 0 ? OOS : i % 3));
const data = (test: Dataset<IntentRow>, val = validation): DatasetDict => ({ train, validation: val, test }) as DatasetDict;

test("fitModelOosDetector: the saved detector and threshold are the same whatever the test rows; they move with validation", async () => {
  const dir = await folder();
  const saved = async (d: DatasetDict) => {
    await fitModelOosDetector(dir, d, { knnK: [1, 3] });
    const detector = OosDetector.fromPretrained(dir)!;
    return { kind: detector.kind, threshold: detector.threshold, report: readJson<{ oosDetectors: { chosen: string; test: { kind: string; accuracy: number }[] } }>(path.join(dir, "training_report.json")).oosDetectors };
  };
  const a = await saved(data(split(60, 3, (i) => i % 4)));
  const b = await saved(data(split(30, 4, () => OOS)));
  assert.deepEqual([b.kind, b.threshold], [a.kind, a.threshold], "test rows changed the saved detector");
  assert.notDeepEqual(a.report.test, b.report.test, "the report's test figures are measured on the test rows");
  // Validation with every other row relabelled moves the choice or its threshold.
  const other = split(40, 2, (i) => (i % 10 === 0 ? 1 : OOS));
  const c = await saved(data(split(60, 3, (i) => i % 4), other));
  assert.notDeepEqual([c.kind, c.threshold], [a.kind, a.threshold], `validation did not reach the choice: ${JSON.stringify([a.kind, a.threshold, c.kind, c.threshold])}`);
  // What the pipeline applies by default is the saved detector, and the report's test figure for it is what it gives.
  const testSet = split(60, 3, (i) => i % 4);
  const again = await saved(data(testSet));
  const pipe = pipeline("text-classification", dir);
  const predicted = (await pipe(testSet.column("text"))).map((r) => intent.str2int(r[0].label));
  const accuracy = predicted.filter((p, i) => p === testSet.rows[i].intent).length / testSet.length;
  assert.equal(pipe.oosDetector?.kind, again.kind);
  assert.ok(Math.abs(again.report.test.find((t) => t.kind === again.report.chosen)!.accuracy - accuracy) < 1e-12);
  pipe.dispose();
});

test("compareOosDetectors: no oos class, or a validation split without oos rows, fits nothing and says why; a model with other labels is an error", async () => {
  const dir = await folder();
  const pipe = pipeline("text-classification", dir, { oosThreshold: null, oosDetector: null });
  const noOos = new ClassLabel(["x", "y", "z", "w"]);
  const relabel = (ds: Dataset<IntentRow>) => new Dataset(ds.rows, { intent: noOos });
  assert.equal(await compareOosDetectors(pipe, { train: relabel(train), validation: relabel(validation), test: relabel(validation) } as DatasetDict), undefined);
  assert.equal(await compareOosDetectors(pipe, data(validation, split(10, 5, () => 0))), undefined);
  const other = new ClassLabel(["a", "b", "oos"]);
  await assert.rejects(compareOosDetectors(pipe, { train: new Dataset(train.rows.map((r) => ({ ...r, intent: r.intent % 3 })), { intent: other }), validation: new Dataset(validation.rows.map((r) => ({ ...r, intent: r.intent === OOS ? 2 : 0 })), { intent: other }), test: validation } as DatasetDict), /the model's labels are not the data's/);
  const cmp = (await compareOosDetectors(pipe, data(validation), { testSet: validation, knnK: [1] }))!;
  const table = oosComparisonTable(cmp);
  assert.deepEqual(Object.keys(table).map((k) => k.replace(" *", "")), ["softmax", "energy", "mahalanobis", "knn"]);
  assert.equal(Object.keys(table).filter((k) => k.endsWith(" *")).length, 1);
  assert.ok(cmp.roc && cmp.roc.energy!.fpr[0] === 0 && cmp.roc.energy!.tpr.at(-1) === 1);
  pipe.dispose();
  assert.ok(fs.existsSync(dir));
});
