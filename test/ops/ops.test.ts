import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready, maxAbsDiff, values } from "../helpers/setup";
import { embedding, gelu, layerNorm, linear, matMul } from "../../lib/ops";

// Our hand-written gradients against tfjs's own (built from primitive ops).
function grads(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[]): Float32Array[] {
  // A weighted sum, so every output element gets a distinct upstream gradient.
  return tf.grads((...a: tf.Tensor[]) => {
    const y = f(...a);
    return tf.sum(tf.mul(y, tf.reshape(tf.range(1, y.size + 1), y.shape)));
  })(xs).map(values);
}

test("linear and matMul: values and gradients match tf.matMul", async () => {
  await ready;
  const x = tf.randomNormal([2, 3, 4], 0, 1, "float32", 1);
  const w = tf.randomNormal([4, 5], 0, 1, "float32", 2);
  const b = tf.randomNormal([5], 0, 1, "float32", 3);
  const ref = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.reshape(tf.matMul(tf.reshape(x, [6, 4]), w), [2, 3, 5]), b);
  assert.ok(maxAbsDiff(values(linear(x, w, b)), values(ref(x, w, b))) < 1e-5);
  grads(linear, [x, w, b]).forEach((g, i) => assert.ok(maxAbsDiff(g, grads(ref, [x, w, b])[i]) < 1e-3, `grad ${i}`));
  const a4 = tf.randomNormal([2, 2, 3, 4], 0, 1, "float32", 4);
  const b4 = tf.randomNormal([2, 2, 4, 3], 0, 1, "float32", 5);
  assert.ok(maxAbsDiff(values(matMul(a4, b4)), values(tf.matMul(a4, b4))) < 1e-5);
  grads(matMul, [a4, b4]).forEach((g, i) => assert.ok(maxAbsDiff(g, grads((p, q) => tf.matMul(p, q), [a4, b4])[i]) < 1e-3));
  assert.throws(() => linear(x, tf.zeros([3, 5]), b), /input width 4 does not match weight \[3,5\]/);
  assert.throws(() => matMul(a4, a4), /incompatible shapes/);
});

test("embedding gradient sums repeated ids (scatterND), equal to the one-hot matmul gradient", async () => {
  await ready;
  const table = tf.randomNormal([6, 3], 0, 1, "float32", 7);
  const ids = tf.tensor2d([[1, 2, 2], [5, 1, 0]], undefined, "int32");
  const ref = (t: tf.Tensor) => tf.reshape(tf.matMul(tf.oneHot(tf.reshape(ids, [-1]), 6), t), [2, 3, 3]);
  assert.ok(maxAbsDiff(values(embedding(table, ids)), values(ref(table))) < 1e-6);
  assert.ok(maxAbsDiff(grads((t) => embedding(t, ids), [table])[0], grads(ref, [table])[0]) < 1e-4);
  assert.throws(() => embedding(table, tf.tensor2d([[1]], undefined, "float32")), /ids must be int32/);
});

test("layerNorm and exact GELU: values and gradients match the plain formulas", async () => {
  await ready;
  const x = tf.randomNormal([3, 2, 8], 0, 2, "float32", 9);
  const g = tf.randomNormal([8], 1, 0.1, "float32", 10);
  const b = tf.randomNormal([8], 0, 0.1, "float32", 11);
  const refLn = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-12))), g), b);
  };
  assert.ok(maxAbsDiff(values(layerNorm(x, g, b, 1e-12)), values(refLn(x, g, b))) < 1e-5);
  const ours = grads((x, g, b) => layerNorm(x, g, b, 1e-12), [x, g, b]);
  grads(refLn, [x, g, b]).forEach((r, i) => assert.ok(maxAbsDiff(ours[i], r) < 2e-3, `layerNorm grad ${i}: ${maxAbsDiff(ours[i], r)}`));
  const refGelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
  assert.ok(maxAbsDiff(values(gelu(x)), values(refGelu(x))) < 1e-6);
  // GELU(1) = 0.8413447, GELU(-1) = -0.1586553 (x·Φ(x))
  assert.ok(maxAbsDiff(values(gelu(tf.tensor1d([1, -1]))), [0.8413447, -0.1586553]) < 1e-6);
  assert.ok(maxAbsDiff(grads(gelu, [x])[0], grads(refGelu, [x])[0]) < 1e-3);
});
