import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready, maxAbsDiff, values } from "../helpers/setup";
import { NATIVE_KERNELS, nativeAddon, nativeKernelsActive } from "../../lib/native";
import { Random } from "../../lib/utils/random";
import { embedding, gelu, layerNorm, linear, matMul } from "../../lib/ops";

// Decided before the backend is ready: the addon loads on its own; the tests then check the kernels are in use.
const skip = () => (nativeAddon() ? false : "native kernels not built (needs gcc and libopenblas-dev: npm run build:native)");

function rand(shape: number[], seed: number): tf.Tensor {
  const rng = new Random(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

/** op(A) @ op(B) in float64, batch axes broadcast from size 1. */
function refMatMul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): { data: Float64Array; shape: number[] } {
  const A = values(a), B = values(b);
  const [ra, rb] = [a.rank, b.rank];
  const m = ta ? a.shape[ra - 1] : a.shape[ra - 2], k = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  const ba = a.size / (m * k), bb = b.size / (k * n), batch = Math.max(ba, bb);
  const out = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const oa = ba === 1 ? 0 : p * m * k, ob = bb === 1 ? 0 : p * k * n;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += A[oa + (ta ? l * m + i : i * k + l)] * B[ob + (tb ? j * k + l : l * n + j)];
      out[p * m * n + i * n + j] = s;
    }
  }
  const outer = (a.rank >= b.rank ? a.shape : b.shape).slice(0, -2);
  return { data: out, shape: [...(ba === 1 && bb > 1 ? b.shape.slice(0, -2) : outer), m, n] };
}

test("native matMul equals a float64 reference: transposes, batches, one-sided broadcast, bias", { skip: skip() }, async () => {
  await ready;
  assert.ok(nativeKernelsActive(), "the addon loaded but initBackend did not install its kernels");
  const cases: [number[], number[], boolean, boolean][] = [
    [[7, 5], [5, 3], false, false],
    [[5, 7], [5, 3], true, false],
    [[7, 5], [3, 5], false, true],
    [[5, 7], [3, 5], true, true],
    [[2, 3, 4, 6], [2, 3, 6, 5], false, false],
    [[2, 3, 6, 4], [2, 3, 5, 6], true, true],
    [[4, 7, 5], [1, 5, 3], false, false],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    const a = rand(sa, 1), b = rand(sb, 2);
    const got = tf.matMul(a, b, ta, tb);
    const ref = refMatMul(a, b, ta, tb);
    assert.deepEqual(got.shape, ref.shape, `${sa} x ${sb}`);
    assert.ok(maxAbsDiff(values(got), ref.data) < 1e-4, `${sa}${ta ? "ᵀ" : ""} x ${sb}${tb ? "ᵀ" : ""}`);
  }
  const x = rand([6, 4], 3), w = rand([4, 5], 4), bias = rand([5], 5);
  const fused = tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias });
  const plain = tf.add(refTensor(refMatMul(x, w, false, false)), bias);
  assert.ok(maxAbsDiff(values(fused), values(plain)) < 1e-4);
  // An activation the native path does not fuse falls back to the wasm kernel, with the same result.
  const relu = tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias, activation: "relu" });
  assert.ok(maxAbsDiff(values(relu), values(tf.relu(plain))) < 1e-4);
  assert.throws(() => tf.matMul(rand([3, 4], 1), rand([5, 2], 2)), /inner shapes/);
});

function refTensor(r: { data: Float64Array; shape: number[] }): tf.Tensor {
  return tf.tensor(Float32Array.from(r.data), r.shape);
}

test("native GELU, LayerNorm, embedding lookup, bias and batched matMul gradients match their formulas (values and gradients)", { skip: skip() }, async () => {
  await ready;
  const x = rand([3, 4, 8], 7);
  const xs = values(x);
  const erf = (v: number) => { // Abramowitz–Stegun 7.1.26 is too coarse; integrate numerically instead.
    let s = 0; const steps = 4000; const h = v / steps;
    for (let i = 0; i < steps; i++) { const t = (i + 0.5) * h; s += Math.exp(-t * t); }
    return (2 / Math.sqrt(Math.PI)) * s * h;
  };
  const refGelu = Array.from(xs, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
  assert.ok(maxAbsDiff(values(gelu(x)), refGelu) < 2e-6);
  const dGelu = values(tf.grad((t: tf.Tensor) => tf.sum(gelu(t)))(x));
  const refD = Array.from(xs, (v) => 0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-v * v / 2)) / Math.sqrt(2 * Math.PI));
  assert.ok(maxAbsDiff(dGelu, refD) < 2e-6);

  const gamma = rand([8], 8), beta = rand([8], 9);
  const y = layerNorm(x, gamma, beta, 1e-12);
  const refY = tf.tidy(() => {
    const mean = tf.mean(x, -1, true);
    const v = tf.mean(tf.square(tf.sub(x, mean)), -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(v, 1e-12))), gamma), beta);
  });
  assert.ok(maxAbsDiff(values(y), values(refY)) < 1e-5);
  const up = rand([3, 4, 8], 10);
  const [gx, gg, gb] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g, b, 1e-12), up)))([x, gamma, beta]);
  const [rx, rg, rb] = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const mean = tf.mean(a, -1, true);
    const v = tf.mean(tf.square(tf.sub(a, mean)), -1, true);
    return tf.sum(tf.mul(tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(v, 1e-12))), g), b), up));
  })([x, gamma, beta]);
  for (const [a, b, name] of [[gx, rx, "dx"], [gg, rg, "dgamma"], [gb, rb, "dbeta"]] as const) assert.ok(maxAbsDiff(values(a), values(b)) < 1e-4, name);

  const table = rand([10, 6], 11);
  const ids = tf.tensor2d([[1, 9, 1], [0, 4, 9]], undefined, "int32");
  assert.ok(maxAbsDiff(values(embedding(table, ids)), values(tf.gather(table, ids))) === 0);
  assert.throws(() => tf.engine().runKernel(NATIVE_KERNELS.gatherRows, { table, ids: tf.tensor1d([10], "int32") }), /index out of range/);

  const xi = rand([5, 4], 12), w = rand([4, 3], 13), bias = rand([3], 14), dy = rand([5, 3], 15);
  const [, , dBias] = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(linear(a, b, c), dy)))([xi, w, bias]);
  assert.ok(maxAbsDiff(values(dBias), values(tf.sum(dy, 0))) < 1e-5);
  // Batched matMul gradients: dA = dY·Bᵀ, dB = Aᵀ·dY per batch.
  const [A, B, dY] = [rand([2, 3, 4], 17), rand([2, 4, 3], 18), rand([2, 3, 3], 16)];
  const [da, db] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(matMul(a, b), dY)))([A, B]);
  const [refDa, refDb] = [refMatMul(dY, B, false, true), refMatMul(A, dY, true, false)];
  assert.deepEqual([da.shape, db.shape], [refDa.shape, refDb.shape]);
  assert.ok(maxAbsDiff(values(da), refDa.data) < 1e-4 && maxAbsDiff(values(db), refDb.data) < 1e-4, "batched matMul gradients");
});
