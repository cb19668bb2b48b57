// The torch-like prune API, schedules and mask arithmetic (lib/pruning).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { FIXTURES, maxAbsDiff, ready } from "../helpers/setup";
import { DistilBertForSequenceClassification, labelMaps } from "../../lib/models";
import {
  L1Unstructured,
  LnStructured,
  Linear,
  customFromMask,
  globalUnstructured,
  identity,
  isPruned,
  l1Unstructured,
  lnStructured,
  maskTransform,
  moduleOf,
  movementTransform,
  numToPrune,
  randomUnstructured,
  remove,
  resolveSparsitySchedule,
  smallestIndices,
  sparsityAt,
  sparsityOf,
  sparsityScheduleFigure,
} from "../../lib/pruning";
import { Random } from "../../lib/utils/random";

const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, "pruning_reference.json"), "utf8"));

/** Fresh modules with the fixture's weights. */
function modules(): Record<string, Linear> {
  const lin = new Linear(10, 5);
  const lin2 = new Linear(5, 3);
  for (const [m, p] of [[lin, "lin"], [lin2, "lin2"]] as const) for (const n of ["weight", "bias"]) m.setParameter(n, ref.weights[`${p}.${n}`].data);
  const conv = new Conv1dLike();
  conv.setParameter("weight", ref.weights["conv.weight"].data);
  return { lin, lin2, conv };
}

/** A module with a 3-D weight [4, 3, 2] (Conv1d(3, 4, 2)) for structured pruning beyond 2-D. */
class Conv1dLike extends Linear {
  constructor() {
    super(6, 4, { bias: false });
    const v = tf.variable(tf.zeros([4, 3, 2]));
    this.variables.set("weight", v);
    this.slots.set("weight", { shape: [4, 3, 2], read: () => ({ data: Float32Array.from(v.dataSync() as Float32Array), shape: [4, 3, 2] }), write: (x) => v.assign(tf.tensor(x.data, x.shape)) });
  }
  override toString(): string {
    return "Conv1d(3, 4, kernel_size=(2,), stride=(1,))";
  }
}

const zeros = (a: ArrayLike<number>) => Array.from(a).filter((v) => v === 0).length;

test("schedules: s_i at and before t0, s_f at and after t0 + NΔt, Zhu & Gupta's cubic in between", async () => {
  const s = { initialSparsity: 0.1, finalSparsity: 0.9, startStep: 20, numUpdates: 10, frequency: 5 };
  for (const type of ["cubic", "linear", "exponential"] as const) {
    assert.equal(sparsityAt(0, { ...s, type }), 0.1, type);
    assert.equal(sparsityAt(20, { ...s, type }), 0.1, type);
    assert.equal(sparsityAt(70, { ...s, type }), 0.9, type);
    assert.equal(sparsityAt(1000, { ...s, type }), 0.9, type);
  }
  // Halfway (t = t0 + 5Δt): cubic s_f + (s_i − s_f)(1/2)³, linear the mean, exponential the geometric mean of the densities.
  assert.ok(Math.abs(sparsityAt(45, s) - (0.9 - 0.8 / 8)) < 1e-12);
  assert.ok(Math.abs(sparsityAt(45, { ...s, type: "linear" }) - 0.5) < 1e-12);
  assert.ok(Math.abs(sparsityAt(45, { ...s, type: "exponential" }) - (1 - Math.sqrt(0.9 * 0.1))) < 1e-12);
  // Masks change only at update steps: t0 + 5Δt + 3 has the value of t0 + 5Δt.
  assert.equal(sparsityAt(48, s), sparsityAt(45, s));
  assert.ok(Math.abs(sparsityAt(50, { finalSparsity: 0.9, numUpdates: 100 }) - 0.7875) < 1e-12);
  assert.throws(() => resolveSparsitySchedule({ finalSparsity: 1.2, numUpdates: 10 }), /finalSparsity must be a number in \[0, 1\], got 1.2/);
  assert.throws(() => resolveSparsitySchedule({ finalSparsity: 0.5, numUpdates: 0 }), /numUpdates \(N\) must be a positive integer, got 0/);
  assert.throws(() => resolveSparsitySchedule({ finalSparsity: 1, numUpdates: 5, type: "exponential" }), /sparsities must be below 1/);
  assert.throws(() => resolveSparsitySchedule({ finalSparsity: 0.5, numUpdates: 5, warmup: 3 } as any), /unknown option "warmup"/);
  const fig = sparsityScheduleFigure();
  assert.deepEqual(fig.data.map((t) => t.name), ["cubic (Zhu & Gupta)", "linear", "exponential"]);
  for (const t of fig.data) {
    assert.equal(t.y![0], 0);
    assert.ok(Math.abs(t.y![100] - 0.9) < 1e-12);
    assert.equal(t.y!.at(-1), 0.9);
  }
  // The cubic schedule prunes fastest early on.
  assert.ok(fig.data[0].y![10] > fig.data[1].y![10] && fig.data[0].y![10] > fig.data[2].y![10]);
});

test("mask arithmetic: PyTorch's amounts (round half to even), exactly k smallest, errors", () => {
  assert.equal(numToPrune(0.4, 50), 20);
  assert.equal(numToPrune(0.5, 5), 2); // round(2.5) = 2, as Python
  assert.equal(numToPrune(0.5, 7), 4); // round(3.5) = 4
  assert.equal(numToPrune(7, 50), 7);
  assert.equal(numToPrune({ count: 1 }, 50), 1);
  assert.equal(numToPrune(1, 50), 50); // 1 is the fraction 1.0
  assert.throws(() => numToPrune(1.5, 50), /amount=1.5 should either be a float in the range \[0, 1\] or a non-negative integer/);
  assert.throws(() => numToPrune(-1, 50), /amount=-1 should either be a float in the range \[0, 1\] or a non-negative integer/);
  assert.throws(() => numToPrune(60, 50), /amount=60 should be smaller than the number of parameters to prune=50/);
  assert.throws(() => numToPrune("0.3" as any, 50), /invalid type for amount: "0.3"/);
  const rng = new Random(3);
  for (const n of [1, 7, 100, 1001]) {
    const a = Float32Array.from({ length: n }, () => Math.round(rng.next() * 20) / 4); // many ties
    for (const k of [0, 1, Math.floor(n / 3), n]) {
      const got = [...smallestIndices(a, k)].sort((x, y) => x - y);
      const want = [...a.keys()].sort((x, y) => a[x] - a[y] || x - y).slice(0, k).sort((x, y) => x - y);
      assert.deepEqual(got, want, `n=${n} k=${k}`);
    }
  }
});

test("l1Unstructured: a Linear 10→5 with amount 0.4 zeroes exactly 20 weights; weight = weight_orig · weight_mask", async () => {
  await ready;
  const lin = new Linear(10, 5, { seed: 1 });
  assert.equal(isPruned(lin), false);
  const before = lin.tensor("weight");
  l1Unstructured(lin, "weight", 0.4);
  assert.equal(isPruned(lin), true);
  assert.equal(zeros(lin.tensor("weight").data), 20);
  assert.equal(zeros(lin.tensor("weight_mask").data), 20);
  assert.deepEqual(lin.tensor("weight_orig").data, before.data);
  assert.deepEqual(lin.parameterNames(), ["bias", "weight_orig"]); // PyTorch's order: weight_orig is registered last
  assert.deepEqual(lin.bufferNames(), ["weight_mask"]);
  // The 20 pruned are the 20 smallest magnitudes.
  const kept = Array.from(before.data).filter((_, i) => lin.tensor("weight_mask").data[i] === 1).map(Math.abs);
  const pruned = Array.from(before.data).filter((_, i) => lin.tensor("weight_mask").data[i] === 0).map(Math.abs);
  assert.ok(Math.max(...pruned) <= Math.min(...kept));
  const w = lin.weight;
  assert.equal(zeros(w.dataSync()), 20);
  w.dispose();
  lin.dispose();
});

test("masks match torch.nn.utils.prune 1.13 (l1, ln_structured on dims 0/1/-1 and 3-D, iterative containers)", async () => {
  await ready;
  for (const c of ref.cases) {
    const m = modules()[c.module];
    for (const [fn, kw] of c.steps as [string, any][]) {
      if (fn === "l1_unstructured") l1Unstructured(m, c.param, kw.amount);
      else lnStructured(m, c.param, kw.amount, kw.n === "inf" ? Infinity : kw.n, kw.dim);
    }
    assert.deepEqual(Array.from(m.tensor(`${c.param}_mask`).data), c.mask, c.name);
    assert.ok(maxAbsDiff(m.tensor(c.param).data, c.weight) === 0, c.name);
  }
  assert.equal(ref.cases.length, 10);
});

test("iterative pruning stacks as PyTorch's PruningContainer: a second amount applies to what is left", async () => {
  await ready;
  const lin = new Linear(5, 5, { seed: 2, bias: false });
  l1Unstructured(lin, "weight", 0.2); // 5 of 25
  l1Unstructured(lin, "weight", 0.5); // round(0.5 · 20) = 10 more
  assert.equal(zeros(lin.tensor("weight_mask").data), 15);
  assert.equal(lin.pruningHooks.get("weight")!.constructor.name, "PruningContainer");
  randomUnstructured(lin, "weight", { count: 3 }, { seed: 4 });
  assert.equal(zeros(lin.tensor("weight_mask").data), 18);
  lnStructured(lin, "weight", 1, 1, 0); // whole output rows: one more of the surviving rows
  const mask = lin.tensor("weight_mask").data;
  const deadRows = [0, 1, 2, 3, 4].filter((r) => mask.slice(r * 5, r * 5 + 5).every((v) => v === 0));
  assert.ok(deadRows.length >= 1);
  lin.dispose();
});

test("global vs local amounts: one ranking over all tensors (matches PyTorch) vs the same share per tensor", async () => {
  await ready;
  const { lin, lin2 } = modules();
  const params = [[lin, "weight"], [lin2, "weight"], [lin2, "bias"]] as const;
  globalUnstructured(params, { pruningMethod: L1Unstructured, amount: 0.5 });
  const names = ["lin.weight", "lin2.weight", "lin2.bias"];
  params.forEach(([m, n], i) => assert.deepEqual(Array.from(m.tensor(`${n}_mask`).data), ref.global.masks[0][names[i]], names[i]));
  const total = 50 + 15 + 3;
  assert.equal(params.reduce((a, [m, n]) => a + zeros(m.tensor(`${n}_mask`).data), 0), numToPrune(0.5, total));
  globalUnstructured(params, { amount: 0.25 });
  params.forEach(([m, n], i) => assert.deepEqual(Array.from(m.tensor(`${n}_mask`).data), ref.global.masks[1][names[i]], `second round ${names[i]}`));
  // Globally the tensors lose different shares; locally each loses the same.
  const shares = params.map(([m, n]) => sparsityOf(m.tensor(`${n}_mask`).data));
  assert.ok(new Set(shares.map((s) => s.toFixed(3))).size > 1, `global shares ${shares}`);
  const local = modules();
  const localParams = [[local.lin, "weight"], [local.lin2, "weight"], [local.lin2, "bias"]] as const;
  for (const [m, n] of localParams) l1Unstructured(m, n, 0.5);
  assert.deepEqual(localParams.map(([m, n]) => zeros(m.tensor(`${n}_mask`).data)), [25, 8, 2]);
  class RowPruning extends LnStructured {
    constructor(amount: number | { count: number }) {
      super(amount, 1, 0);
    }
  }
  assert.throws(() => globalUnstructured(params, { pruningMethod: RowPruning, amount: 0.5 }), /Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method RowPruning of type structured/);
});

test("remove() makes the zeros permanent: weight_orig and weight_mask go, the weight keeps its zeros", async () => {
  await ready;
  const { lin } = modules();
  l1Unstructured(lin, "weight", 0.4);
  remove(lin, "weight");
  assert.deepEqual(lin.parameterNames(), ref.removed.parameters);
  assert.deepEqual(lin.bufferNames(), ref.removed.buffers);
  assert.deepEqual(Array.from(lin.variables.get("weight")!.dataSync()), ref.removed.weight);
  assert.equal(isPruned(lin), false);
  // Training can no longer bring them back through a mask: they are plain zeros now, and pruning again starts fresh.
  l1Unstructured(lin, "weight", 0.5);
  assert.equal(zeros(lin.tensor("weight_mask").data), 25);
  assert.throws(() => remove(new Linear(2, 2), "weight"), /Parameter 'weight' of module Linear\(in_features=2, out_features=2, bias=True\) has to be pruned before pruning can be removed/);
});

test("masks act in the forward pass and in the gradients (a Linear and a module view of a model)", async () => {
  await ready;
  const lin = new Linear(6, 4, { seed: 5 });
  l1Unstructured(lin, "weight", 0.5);
  customFromMask(lin, "bias", { data: Float32Array.of(1, 0, 1, 1), shape: [4] });
  const x = tf.randomNormal([3, 6], 0, 1, "float32", 7);
  const w = lin.tensor("weight");
  const b = lin.tensor("bias");
  const want = tf.add(tf.matMul(x, tf.tensor(w.data, w.shape), false, true), tf.tensor(b.data, b.shape));
  assert.ok(maxAbsDiff(lin.forward(x).dataSync(), want.dataSync()) < 1e-6);
  const { grads } = tf.variableGrads(() => tf.sum(tf.square(lin.forward(x))) as tf.Scalar, [lin.variables.get("weight")!, lin.variables.get("bias")!]);
  const gw = Object.values(grads)[0].dataSync();
  const mask = lin.tensor("weight_mask").data;
  mask.forEach((m, i) => (m === 0 ? assert.ok(gw[i] === 0, `gradient ${i}`) : undefined));
  assert.ok(Array.from(gw).some((g, i) => mask[i] === 1 && g !== 0));
  assert.ok(Object.values(grads)[1].dataSync()[1] === 0);

  // The model view: PyTorch layout ([out, in]) over a weight stored [in, out].
  const model = DistilBertForSequenceClassification.fromConfig({ vocab_size: 30, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, max_position_embeddings: 16, ...labelMaps(["a", "b"]) }, { seed: 3 });
  const path = "distilbert.transformer.layer.0.ffn.lin1";
  const view = moduleOf(model, path);
  assert.equal(view, moduleOf(model, path));
  assert.equal(String(view), `${path}: Linear(in_features=8, out_features=16, bias=True)`);
  assert.deepEqual(view.tensor("weight").shape, [16, 8]);
  const ids = tf.tensor2d([[2, 5, 9, 3]], undefined, "int32");
  lnStructured(view, "weight", 0.25, 2, 0); // 4 of 16 output neurons
  assert.equal(isPruned(model), true);
  const stored = model.params.get(`${path}.weight`)!;
  const effective = model.weight(`${path}.weight`).arraySync() as number[][]; // [in, out]
  const deadOut = [...Array(16).keys()].filter((o) => effective.every((row) => row[o] === 0));
  assert.equal(deadOut.length, 4);
  assert.ok((stored.arraySync() as number[][]).some((row) => deadOut.some((o) => row[o] !== 0)), "weight_orig keeps its values");
  // Logits equal a copy whose weights were multiplied by the mask by hand.
  const copy = DistilBertForSequenceClassification.fromConfig({ ...model.config }, { seed: 3 });
  copy.params.get(`${path}.weight`)!.assign(model.weight(`${path}.weight`));
  assert.ok(maxAbsDiff(model.call({ input_ids: ids }).logits.dataSync(), copy.call({ input_ids: ids }).logits.dataSync()) < 1e-6);
  const g = tf.variableGrads(() => tf.sum(model.call({ input_ids: ids }).logits) as tf.Scalar, [stored]).grads;
  const gArr = Object.values(g)[0].arraySync() as number[][];
  for (const o of deadOut) assert.ok(gArr.every((row) => row[o] === 0));
  remove(view, "weight");
  assert.equal(model.weightTransforms.size, 0);
  assert.equal(isPruned(model), false);
  assert.ok((stored.arraySync() as number[][]).every((row) => deadOut.every((o) => row[o] === 0)));
  lin.dispose();
  model.dispose();
  copy.dispose();
});

test("weight transforms' backward equals the autodiff gradient (mask, movement straight-through)", async () => {
  await ready;
  const w = tf.variable(tf.randomNormal([4, 6], 0, 1, "float32", 1));
  const s = tf.variable(tf.randomNormal([4, 6], 0, 1, "float32", 2));
  const r = tf.randomNormal([4, 6], 0, 1, "float32", 3); // dL/d(transformed)
  const mask = tf.tensor(Float32Array.from({ length: 24 }, (_, i) => (i % 3 ? 1 : 0)), [4, 6]);
  const loss = (f: (x: tf.Tensor) => tf.Tensor) => () => tf.sum(tf.mul(f(w), r)) as tf.Scalar;
  const mt = maskTransform(mask);
  const auto = tf.variableGrads(loss((x) => mt(x, "w")), [w]).grads;
  assert.ok(maxAbsDiff(Object.values(auto)[0].dataSync(), mt.backward!(r, w, "w").weight.dataSync()) === 0);
  const mv = movementTransform(s, () => mask, 3, "m.mask_scores");
  const auto2 = tf.variableGrads(loss((x) => mv(x, "w")), [w, s]).grads;
  const hand = mv.backward!(r, w, "w");
  assert.ok(maxAbsDiff(auto2[w.name].dataSync(), hand.weight.dataSync()) < 1e-7);
  assert.ok(maxAbsDiff(auto2[s.name].dataSync(), hand.extra!.get("m.mask_scores")!.dataSync()) < 1e-6);
  // The straight-through score gradient is scale · G ⊙ W, masked or not.
  assert.ok(maxAbsDiff(hand.extra!.get("m.mask_scores")!.dataSync(), tf.mul(tf.mul(r, w), 3).dataSync()) < 1e-6);
  tf.dispose([w, s, r, mask]);
});

test("clear errors: missing parameters, bad amounts, structured on 1-D, bad dims", async () => {
  await ready;
  const noBias = new Linear(10, 5, { bias: false });
  assert.throws(() => l1Unstructured(noBias, "bias", 0.4), /l1Unstructured: Linear\(in_features=10, out_features=5, bias=False\) has no parameter "bias" \(it was built without one; parameters: weight\)/);
  assert.throws(() => l1Unstructured(noBias, "foo", 0.4), /has no parameter "foo" \(parameters: weight\)/);
  assert.throws(() => l1Unstructured(noBias, "weight", 1.5), /amount=1.5 should either be a float in the range \[0, 1\] or a non-negative integer/);
  assert.throws(() => l1Unstructured(noBias, "weight", -1), /amount=-1 should either be a float in the range \[0, 1\]/);
  assert.throws(() => l1Unstructured(noBias, "weight", 60), /amount=60 should be smaller than the number of parameters to prune=50/);
  assert.equal(isPruned(noBias), false, "a failed pruning leaves the module as it was");
  const lin = new Linear(2, 2);
  assert.throws(() => lnStructured(lin, "bias", 0.5, 1, 0), /Structured pruning can only be applied to multidimensional tensors. Found tensor of shape \[2\] with 1 dims/);
  assert.throws(() => lnStructured(lin, "weight", 0.5, 1, 2), /Invalid index 2 for tensor of size \[2, 2\]/);
  assert.throws(() => l1Unstructured(lin, "weight", 0.5, { importanceScores: { data: new Float32Array(3), shape: [3] } }), /importance scores have shape \[3\], but parameter "weight" of Linear\(in_features=2, out_features=2, bias=True\) has \[2, 2\]/);
  const model = DistilBertForSequenceClassification.fromConfig({ vocab_size: 30, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, max_position_embeddings: 16, ...labelMaps(["a", "b"]) });
  assert.throws(() => moduleOf(model, "distilbert.transformer.layer.7.ffn.lin1"), /moduleOf: the model has no module "distilbert.transformer.layer.7.ffn.lin1"/);
  identity(moduleOf(model, "classifier"), "weight");
  assert.deepEqual(moduleOf(model, "classifier").parameterNames(), ["bias", "weight_orig"]);
  model.dispose();
});
