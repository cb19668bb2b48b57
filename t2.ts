import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "./lib/backend";
import * as ops from "./lib/ops";
async function main() {
  await initBackend();
  const x = tf.randomNormal([2,3,4]); const w = tf.variable(tf.randomNormal([4,5])); const b = tf.variable(tf.zeros([5]));
  const g = tf.variable(tf.ones([4])); const be = tf.variable(tf.zeros([4])); const tbl = tf.variable(tf.randomNormal([10, 4]));
  const tests: Record<string, () => tf.Scalar> = {
    linear: () => tf.sum(ops.linear(x, w, b)),
    matMul: () => tf.sum(ops.matMul(x, tf.reshape(tf.tile(w, [2,1]), [2,4,5]))),
    gelu: () => tf.sum(ops.gelu(tf.matMul(tf.reshape(x,[6,4]), w))),
    layerNorm: () => tf.sum(tf.square(ops.layerNorm(x, g, be, 1e-12))),
    embedding: () => tf.sum(tf.square(ops.embedding(tbl, tf.tensor2d([[1,2,2],[3,1,0]], [2,3], "int32")))),
  };
  for (const [k, f] of Object.entries(tests)) {
    try { const { grads } = tf.variableGrads(f, [w, b, g, be, tbl].filter(() => true) as tf.Variable[]); console.log(k, "ok", Object.keys(grads).length); }
    catch (e) { console.log(k, "FAIL", (e as Error).message); }
  }
}
main();
