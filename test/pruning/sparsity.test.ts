// Sparsity measures, the accuracy-vs-sparsity figure and the soft-movement
// regulariser's logged value (survivors and uncovered code of the mutation run).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready } from "../helpers/setup";
import { bert } from "../helpers/tinyModels";
import { accuracyVsSparsityFigure, defaultPrunedParameters, modelSparsity, softMovementRegularizer, sparsityOf } from "../../lib/pruning";

test("sparsityOf is the share of zeros; modelSparsity counts over the named parameters and rejects an unknown one", async () => {
  await ready;
  assert.equal(sparsityOf([0, 1, 0, 2, 0]), 0.6);
  assert.equal(sparsityOf([]), 0);
  const model = bert();
  const names = defaultPrunedParameters(model).slice(0, 2);
  assert.equal(modelSparsity(model, names), 0);
  assert.throws(() => modelSparsity(model, [names[0], "bert.no.such.weight"]), /modelSparsity: the model has no parameter "bert.no.such.weight"/);
});

test("accuracyVsSparsityFigure: percent axes with titles, one line per method (and source), sorted by sparsity", () => {
  const fig = accuracyVsSparsityFigure([
    { method: "magnitude", sparsity: 0.5, accuracy: 0.8 },
    { method: "magnitude", sparsity: 0.1, accuracy: 0.85 },
    { method: "movement", source: "paper", sparsity: 0.9, accuracy: 0.7 },
  ]);
  assert.deepEqual(fig.data.map((d) => [d.name, d.x, d.y]), [["magnitude", [10, 50], [85, 80]], ["movement (paper)", [90], [70]]]);
  assert.deepEqual(fig.layout, { title: { text: "Accuracy vs sparsity" }, xaxis: { title: { text: "Sparsity of the encoder's linear weights (%)" } }, yaxis: { title: { text: "Accuracy (%)" } }, template: "plotly_white" });
  assert.equal((accuracyVsSparsityFigure([{ method: "m", sparsity: 0, accuracy: 1 }], { title: "T" }).layout as any).title.text, "T");
});

test("softMovementRegularizer is mean over parameters of mean σ(scale·S)", async () => {
  await ready;
  assert.equal(softMovementRegularizer([], 10), 0);
  const a = tf.tensor1d([0, 0]);
  const b = tf.tensor1d([1, -1, 100, -100]);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  const expected = (0.5 + (sig(2) + sig(-2) + 1 + 0) / 4) / 2;
  assert.ok(Math.abs(softMovementRegularizer([a, b], 2) - expected) < 1e-6);
  assert.ok(Math.abs(softMovementRegularizer([b], 2) - (sig(2) + sig(-2) + 1) / 4) < 1e-6);
});
