// PyTorch's torch.nn.utils.prune in TypeScript: pruning methods that
// compute masks, applied to a module's parameter so that the parameter
// becomes `name_orig` (kept) times `name_mask` (a buffer); `remove` makes
// the product permanent; a PruningContainer stacks iterative prunings.
// Tensors are in PyTorch's layout ([out, in] for linear weights, dim 0 =
// output channels) even where our models store them transposed.
import * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel, WeightTransform } from "../models/modeling";
import { Random } from "../utils/random";
import { PruningAmount, checkAmount, numToPrune, smallestIndices } from "./masks";

/** A tensor's values on the host, row-major, in PyTorch layout. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** What a method prunes (PyTorch's PRUNING_TYPE): single entries, whole channels along `dim`, or entries across several tensors. */
export type PruningType = "unstructured" | "structured" | "global";

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const ones = (shape: number[]): HostTensor => ({ data: new Float32Array(sizeOf(shape)).fill(1), shape: [...shape] });
const shapeStr = (shape: readonly number[]) => `[${shape.join(", ")}]`;

/**
 * A host tensor from a tf tensor, a host tensor, or nested arrays with a shape.
 *
 * @example toHost(tf.ones([2, 3])).shape; // [2, 3]
 */
export function toHost(t: tf.Tensor | HostTensor): HostTensor {
  if (t instanceof tf.Tensor) return { data: Float32Array.from(t.dataSync() as ArrayLike<number>), shape: [...t.shape] };
  return { data: Float32Array.from(t.data), shape: [...t.shape] };
}

/**
 * Transposes a 2-D host tensor.
 *
 * @example transpose2d({ data: Float32Array.of(1, 2, 3, 4, 5, 6), shape: [2, 3] }).data; // [1, 4, 2, 5, 3, 6]
 */
export function transpose2d(t: HostTensor): HostTensor {
  const [r, c] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return { data: out, shape: [c, r] };
}

function normalizeDim(dim: number, rank: number, shape: number[]): number {
  if (!Number.isInteger(dim)) throw new Error(`Invalid index ${dim} for tensor of size ${shapeStr(shape)}`);
  if (dim >= rank || dim < -rank) throw new Error(`Invalid index ${dim} for tensor of size ${shapeStr(shape)}`);
  return dim < 0 ? rank + dim : dim;
}

/** Layout of axis `dim`: (outer, channels, inner) so that flat index = (o·channels + c)·inner + i. */
function axisLayout(shape: number[], dim: number): { outer: number; channels: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, dim)), channels: shape[dim], inner: sizeOf(shape.slice(dim + 1)) };
}

/** The sub-tensor of the given channels along `dim`. */
function takeChannels(t: HostTensor, dim: number, channels: number[]): HostTensor {
  const { outer, channels: n, inner } = axisLayout(t.shape, dim);
  const out = new Float32Array(outer * channels.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) for (const c of channels) {
    const from = (o * n + c) * inner;
    out.set(t.data.subarray(from, from + inner), at);
    at += inner;
  }
  const shape = [...t.shape];
  shape[dim] = channels.length;
  return { data: out, shape };
}

/** Writes `part` (the given channels along `dim`) back into `t`. */
function putChannels(t: HostTensor, dim: number, channels: number[], part: HostTensor): void {
  const { outer, channels: n, inner } = axisLayout(t.shape, dim);
  let at = 0;
  for (let o = 0; o < outer; o++) for (const c of channels) {
    t.data.set(part.data.subarray(at, at + inner), (o * n + c) * inner);
    at += inner;
  }
}

/**
 * The Ln norm of every channel along `dim` (PyTorch's `_compute_norm`): n a number, ±Infinity, or "fro".
 *
 * @example channelNorms({ data: Float32Array.of(3, 4, 0, 1), shape: [2, 2] }, 2, 0); // [5, 1]
 */
export function channelNorms(t: HostTensor, n: number | "fro", dim: number): Float64Array {
  const d = normalizeDim(dim, t.shape.length, t.shape);
  const { outer, channels, inner } = axisLayout(t.shape, d);
  const p = n === "fro" ? 2 : n;
  const acc = new Float64Array(channels).fill(p === -Infinity ? Infinity : 0);
  for (let o = 0; o < outer; o++) for (let c = 0; c < channels; c++) {
    const base = (o * channels + c) * inner;
    for (let i = 0; i < inner; i++) {
      const a = Math.abs(t.data[base + i]);
      if (p === Infinity) acc[c] = Math.max(acc[c], a);
      else if (p === -Infinity) acc[c] = Math.min(acc[c], a);
      else if (p === 0) acc[c] += a !== 0 ? 1 : 0;
      else acc[c] += a ** p;
    }
  }
  if (Number.isFinite(p) && p !== 0) for (let c = 0; c < channels; c++) acc[c] = acc[c] ** (1 / p);
  return acc;
}

/**
 * PyTorch's `BasePruningMethod`: a subclass writes `computeMask` (from
 * importance scores and the mask already in place); `applyPruning` does
 * the rest (the `_orig` parameter, the `_mask` buffer, stacking).
 *
 * @example class Threshold extends BasePruningMethod { readonly pruningType = "unstructured" as const; computeMask(t, m) { return { data: m.data.map((v, i) => (Math.abs(t.data[i]) < 0.01 ? 0 : v)), shape: m.shape }; } }
 * lin.applyPruning("weight", new Threshold());
 */
export abstract class BasePruningMethod {
  abstract readonly pruningType: PruningType;
  /** The parameter this method prunes ("weight", "bias", …), set when applied. */
  tensorName = "";
  /** The axis of a structured method. */
  readonly dim?: number;

  /** The new mask from scores `t` and the mask in place (PyTorch's `compute_mask(t, default_mask)`). */
  abstract computeMask(t: HostTensor, defaultMask: HostTensor): HostTensor;

  get name(): string {
    return this.constructor.name;
  }
}

/**
 * Prunes the `amount` entries of smallest |score| (PyTorch's `L1Unstructured`).
 *
 * @example globalUnstructured(params, { pruningMethod: L1Unstructured, amount: 0.2 });
 */
export class L1Unstructured extends BasePruningMethod {
  readonly pruningType = "unstructured" as const;
  constructor(readonly amount: PruningAmount) {
    super();
    checkAmount(amount, "L1Unstructured");
  }
  computeMask(t: HostTensor, defaultMask: HostTensor): HostTensor {
    const k = numToPrune(this.amount, t.data.length, "L1Unstructured");
    const mask = { data: Float32Array.from(defaultMask.data), shape: [...defaultMask.shape] };
    const abs = Float32Array.from(t.data, Math.abs);
    for (const i of smallestIndices(abs, k)) mask.data[i] = 0;
    return mask;
  }
}

/**
 * Prunes `amount` entries chosen at random (PyTorch's `RandomUnstructured`; seeded here so runs repeat).
 *
 * @example lin.applyPruning("weight", new RandomUnstructured(0.3, 7));
 */
export class RandomUnstructured extends BasePruningMethod {
  readonly pruningType = "unstructured" as const;
  constructor(readonly amount: PruningAmount, readonly seed = 0) {
    super();
    checkAmount(amount, "RandomUnstructured");
  }
  computeMask(t: HostTensor, defaultMask: HostTensor): HostTensor {
    const k = numToPrune(this.amount, t.data.length, "RandomUnstructured");
    const rng = new Random(this.seed);
    const draws = Float32Array.from({ length: t.data.length }, () => rng.next());
    const mask = { data: Float32Array.from(defaultMask.data), shape: [...defaultMask.shape] };
    for (const i of smallestIndices(draws, k)) mask.data[i] = 0;
    return mask;
  }
}

/**
 * Prunes whole channels along `dim`: the `amount` channels of smallest Ln
 * norm (PyTorch's `LnStructured`). In PyTorch's layout, dim 0 of a linear
 * weight is its output channels.
 *
 * @example lin.applyPruning("weight", new LnStructured(0.5, 2, 0)); // half the output rows
 */
export class LnStructured extends BasePruningMethod {
  readonly pruningType = "structured" as const;
  constructor(readonly amount: PruningAmount, readonly n: number | "fro", override readonly dim = -1) {
    super();
    checkAmount(amount, "LnStructured");
    if (!(n === "fro" || (typeof n === "number" && !Number.isNaN(n)))) throw new Error(`LnStructured: n must be a number, Infinity, -Infinity or "fro", got ${JSON.stringify(n)}`);
  }
  computeMask(t: HostTensor, defaultMask: HostTensor): HostTensor {
    if (t.shape.length <= 1) throw new Error(`Structured pruning can only be applied to multidimensional tensors. Found tensor of shape ${shapeStr(t.shape)} with ${t.shape.length} dims`);
    const dim = normalizeDim(this.dim, t.shape.length, t.shape);
    const channels = t.shape[dim];
    const k = numToPrune(this.amount, channels, "LnStructured");
    if (k === 0) return { data: Float32Array.from(defaultMask.data), shape: [...defaultMask.shape] };
    const norms = channelNorms(t, this.n, dim);
    const pruned = new Set(smallestIndices(norms, k));
    const keep = Array.from({ length: channels }, (_, c) => c).filter((c) => !pruned.has(c));
    const mask = { data: new Float32Array(t.data.length), shape: [...t.shape] };
    putChannels(mask, dim, keep, ones(takeChannels(mask, dim, keep).shape));
    for (let i = 0; i < mask.data.length; i++) mask.data[i] *= defaultMask.data[i];
    return mask;
  }
}

/**
 * A given mask, multiplied into the one in place (PyTorch's `CustomFromMask`).
 *
 * @example lin.applyPruning("bias", new CustomFromMask({ data: Float32Array.of(1, 0, 1, 1, 1), shape: [5] }));
 */
export class CustomFromMask extends BasePruningMethod {
  readonly pruningType = "global" as const;
  readonly mask: HostTensor;
  constructor(mask: HostTensor | tf.Tensor) {
    super();
    this.mask = toHost(mask);
  }
  computeMask(_t: HostTensor, defaultMask: HostTensor): HostTensor {
    if (shapeStr(defaultMask.shape) !== shapeStr(this.mask.shape)) throw new Error(`CustomFromMask: the mask has shape ${shapeStr(this.mask.shape)}, the parameter ${shapeStr(defaultMask.shape)}`);
    return { data: Float32Array.from(defaultMask.data, (v, i) => v * this.mask.data[i]), shape: [...defaultMask.shape] };
  }
}

/**
 * Prunes nothing: the mask in place, or ones (PyTorch's `Identity`, to get `_orig`/`_mask` on a parameter).
 *
 * @example lin.applyPruning("weight", new Identity()); lin.bufferNames(); // ["weight_mask"]
 */
export class Identity extends BasePruningMethod {
  readonly pruningType = "unstructured" as const;
  computeMask(_t: HostTensor, defaultMask: HostTensor): HostTensor {
    return { data: Float32Array.from(defaultMask.data), shape: [...defaultMask.shape] };
  }
}

/**
 * Iterative pruning (PyTorch's `PruningContainer`): each new method acts
 * only on what the earlier ones left — unstructured methods on the
 * surviving entries, structured ones on the surviving channels — so a second
 * amount of 0.5 prunes half of the remainder.
 *
 * @example l1Unstructured(lin, "weight", 0.2); l1Unstructured(lin, "weight", 0.5);
 * lin.pruningHooks.get("weight") instanceof PruningContainer; // true: 0.2 + 0.5 · 0.8 = 60% pruned
 */
export class PruningContainer extends BasePruningMethod {
  readonly pruningType = "unstructured" as const;
  readonly methods: BasePruningMethod[] = [];

  constructor(...methods: BasePruningMethod[]) {
    super();
    for (const m of methods) this.addPruningMethod(m);
  }

  addPruningMethod(method: BasePruningMethod): void {
    if (!(method instanceof BasePruningMethod)) throw new Error(`PruningContainer: ${String(method)} is not a pruning method`);
    if (this.tensorName === "") this.tensorName = method.tensorName;
    else if (method.tensorName !== this.tensorName) throw new Error(`Can only add pruning methods acting on the parameter named '${this.tensorName}' to PruningContainer. Found '${method.tensorName}'`);
    this.methods.push(method);
  }

  computeMask(t: HostTensor, defaultMask: HostTensor): HostTensor {
    const method = this.methods[this.methods.length - 1];
    if (!method) throw new Error("PruningContainer: no pruning method");
    return combineMasks(method, t, defaultMask);
  }
}

/** PyTorch's `_combine_masks`: the new method's mask on the part the old mask left, written into a copy of it. */
function combineMasks(method: BasePruningMethod, t: HostTensor, mask: HostTensor): HostTensor {
  const out = { data: Float32Array.from(mask.data), shape: [...mask.shape] };
  if (method.pruningType === "unstructured") {
    const idx: number[] = [];
    for (let i = 0; i < mask.data.length; i++) if (mask.data[i] === 1) idx.push(i);
    const part = method.computeMask({ data: Float32Array.from(idx, (i) => t.data[i]), shape: [idx.length] }, { data: Float32Array.from(idx, (i) => mask.data[i]), shape: [idx.length] });
    idx.forEach((i, j) => (out.data[i] = part.data[j]));
    return out;
  }
  if (method.pruningType === "structured") {
    if (method.dim === undefined) throw new Error(`Pruning method ${method.name} has no dim`);
    const dim = normalizeDim(method.dim, t.shape.length, t.shape);
    const { outer, channels, inner } = axisLayout(mask.shape, dim);
    const alive = new Array(channels).fill(false);
    for (let o = 0; o < outer; o++) for (let c = 0; c < channels; c++) for (let i = 0; i < inner; i++) if (mask.data[(o * channels + c) * inner + i] !== 0) alive[c] = true;
    const keep = alive.map((a, c) => (a ? c : -1)).filter((c) => c >= 0);
    const part = method.computeMask(takeChannels(t, dim, keep), takeChannels(mask, dim, keep));
    putChannels(out, dim, keep, part);
    return out;
  }
  return method.computeMask(t, mask);
}

/** How a module reads and writes one of its parameters, in PyTorch layout. */
export interface ParameterSlot {
  shape: number[];
  read(): HostTensor;
  write(value: HostTensor): void;
}

/**
 * What the prune functions act on (PyTorch's `nn.Module`, reduced to
 * parameters, masks and pruning hooks). After pruning "weight", the module
 * has the parameter "weight_orig" and the buffer "weight_mask", and its
 * weight is their product.
 *
 * @example l1Unstructured(module, "weight", 0.3); module.parameterNames(); // ["bias", "weight_orig"]
 */
export abstract class Module {
  /** Parameters by name; null for one declared absent (a Linear built without bias). */
  protected readonly slots = new Map<string, ParameterSlot | null>();
  /** The `<name>_mask` buffers, by parameter name. */
  readonly masks = new Map<string, HostTensor>();
  /** The pruning method (a PruningContainer after the second pruning) of each pruned parameter. */
  readonly pruningHooks = new Map<string, BasePruningMethod>();

  /** PyTorch's repr, e.g. `Linear(in_features=10, out_features=5, bias=True)`. */
  abstract toString(): string;

  /** Called after a mask changes (undefined: removed), so the module's computation uses it. */
  protected abstract maskChanged(name: string, mask: HostTensor | undefined): void;

  /** The slot of a parameter, or a clear error naming the module and what it has. */
  slot(name: string, where = "prune"): ParameterSlot {
    const s = this.slots.get(name);
    if (s) return s;
    const have = [...this.slots].filter(([, v]) => v).map(([k]) => k);
    if (s === null) throw new Error(`${where}: ${this} has no parameter "${name}" (it was built without one; parameters: ${have.join(", ")})`);
    throw new Error(`${where}: ${this} has no parameter "${name}" (parameters: ${have.join(", ") || "none"})`);
  }

  /** PyTorch's `named_parameters()` names: "weight_orig" instead of "weight" once pruned. */
  parameterNames(): string[] {
    return [...this.slots].filter(([, s]) => s).map(([k]) => (this.pruningHooks.has(k) ? `${k}_orig` : k));
  }

  /** PyTorch's `named_buffers()` names: "weight_mask" for each pruned parameter. */
  bufferNames(): string[] {
    return [...this.masks.keys()].map((k) => `${k}_mask`);
  }

  /**
   * A tensor by PyTorch name: "weight" (what the module computes with:
   * `weight_orig * weight_mask` when pruned), "weight_orig", "weight_mask".
   */
  tensor(name: string): HostTensor {
    const m = /^(.*)_(orig|mask)$/.exec(name);
    if (m && this.pruningHooks.has(m[1])) return m[2] === "orig" ? this.slot(m[1]).read() : toHost(this.masks.get(m[1])!);
    const raw = this.slot(name, "Module.tensor").read();
    const mask = this.masks.get(name);
    if (mask) for (let i = 0; i < raw.data.length; i++) raw.data[i] *= mask.data[i];
    return raw;
  }

  /** The weight as the module computes with it, as a new tf tensor (dispose it, or read inside tf.tidy). */
  get weight(): tf.Tensor {
    const t = this.tensor("weight");
    return tf.tensor(t.data, t.shape);
  }

  /** The bias as a new tf tensor, or null when the module has none. */
  get bias(): tf.Tensor | null {
    if (!this.slots.get("bias")) return null;
    const t = this.tensor("bias");
    return tf.tensor(t.data, t.shape);
  }

  /** Applies a method to a parameter (PyTorch's `BasePruningMethod.apply`). */
  applyPruning(name: string, method: BasePruningMethod, importanceScores?: HostTensor | tf.Tensor, where = "prune"): this {
    const slot = this.slot(name, where);
    method.tensorName = name;
    let m: BasePruningMethod = method;
    const old = this.pruningHooks.get(name);
    if (old) {
      const container = old instanceof PruningContainer ? old : new PruningContainer(old);
      container.addPruningMethod(method);
      m = container;
    }
    // The importance defaults to the parameter as the module sees it (masked when already pruned), as PyTorch.
    const scores = importanceScores ? toHost(importanceScores) : this.tensor(name);
    if (shapeStr(scores.shape) !== shapeStr(slot.shape)) throw new Error(`${where}: importance scores have shape ${shapeStr(scores.shape)}, but parameter "${name}" of ${this} has ${shapeStr(slot.shape)}`);
    const defaultMask = this.masks.get(name) ?? ones(slot.shape);
    const mask = m.computeMask(scores, defaultMask);
    this.masks.set(name, mask);
    if (!old) this.reinsertLast(name); // PyTorch registers name_orig after the other parameters
    this.pruningHooks.set(name, m);
    this.maskChanged(name, mask);
    return this;
  }

  /** Makes a pruning permanent (PyTorch's `prune.remove`): the parameter becomes `orig * mask`; `_orig` and `_mask` go. */
  removePruning(name: string): this {
    if (!this.pruningHooks.has(name)) throw new Error(`Parameter '${name}' of module ${this} has to be pruned before pruning can be removed`);
    const slot = this.slot(name, "remove");
    slot.write(this.tensor(name));
    this.masks.delete(name);
    this.pruningHooks.delete(name);
    this.reinsertLast(name); // and re-registers name last on remove
    this.maskChanged(name, undefined);
    return this;
  }

  private reinsertLast(name: string): void {
    const s = this.slots.get(name);
    this.slots.delete(name);
    this.slots.set(name, s ?? null);
  }
}

/**
 * A small standalone linear layer, PyTorch's `nn.Linear(inFeatures,
 * outFeatures, bias)`: weight [out, in], initialised uniform(±1/√in) like
 * PyTorch's default. For the prune API's own tests and notebook examples.
 *
 * @example
 * const lin = new Linear(10, 5);
 * l1Unstructured(lin, "weight", 0.4); // 20 of the 50 weights are now 0
 */
export class Linear extends Module {
  /** The stored parameters ([out, in] weight, [out] bias), by PyTorch name. */
  readonly variables = new Map<string, tf.Variable>();
  private readonly maskTensors = new Map<string, tf.Tensor>();

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: { bias?: boolean; seed?: number } = {}) {
    super();
    for (const [k, v] of [["inFeatures", inFeatures], ["outFeatures", outFeatures]] as const) if (!(Number.isInteger(v) && v > 0)) throw new Error(`Linear: ${k} must be a positive integer, got ${v}`);
    const rng = new Random(options.seed ?? 0);
    const bound = 1 / Math.sqrt(inFeatures);
    const uniform = (n: number) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * bound);
    this.addParameter("weight", [outFeatures, inFeatures], uniform(inFeatures * outFeatures));
    if (options.bias ?? true) this.addParameter("bias", [outFeatures], uniform(outFeatures));
    else this.slots.set("bias", null);
  }

  private addParameter(name: string, shape: number[], data: Float32Array): void {
    const v = tf.variable(tf.tensor(data, shape), true);
    this.variables.set(name, v);
    this.slots.set(name, {
      shape,
      read: () => ({ data: Float32Array.from(v.dataSync() as Float32Array), shape: [...shape] }),
      write: (value) => v.assign(tf.tensor(value.data, shape)),
    });
  }

  toString(): string {
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.slots.get("bias") ? "True" : "False"})`;
  }

  /** Sets a parameter's stored values (PyTorch layout). */
  setParameter(name: string, values: ArrayLike<number>): void {
    const s = this.slot(name, "Linear.setParameter");
    if (values.length !== sizeOf(s.shape)) throw new Error(`Linear.setParameter: ${values.length} values for "${name}" of shape ${shapeStr(s.shape)}`);
    s.write({ data: Float32Array.from(values), shape: s.shape });
  }

  protected maskChanged(name: string, mask: HostTensor | undefined): void {
    this.maskTensors.get(name)?.dispose();
    this.maskTensors.delete(name);
    if (mask) this.maskTensors.set(name, tf.tensor(mask.data, mask.shape));
  }

  /** The effective parameter as a differentiable tf expression of the stored variable (`orig * mask`). */
  effective(name: string): tf.Tensor {
    const v = this.variables.get(name);
    if (!v) throw new Error(`Linear: no parameter "${name}"`);
    const m = this.maskTensors.get(name);
    return m ? tf.mul(v, m) : v;
  }

  /** `x @ weightᵀ + bias` with the masked parameters (the forward pre-hook's product), differentiable. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) throw new Error(`Linear.forward: input width ${x.shape[x.rank - 1]} does not match in_features=${this.inFeatures}`);
    const y = tf.matMul(tf.reshape(x, [-1, this.inFeatures]), this.effective("weight"), false, true);
    const out = this.variables.has("bias") ? tf.add(y, this.effective("bias")) : y;
    return tf.reshape(out, [...x.shape.slice(0, -1), this.outFeatures]);
  }

  dispose(): void {
    for (const t of [...this.variables.values(), ...this.maskTensors.values()]) t.dispose();
    this.variables.clear();
    this.maskTensors.clear();
  }
}

/**
 * A weight transform multiplying by a fixed mask, with its hand-written backward (the same product).
 *
 * @example model.registerWeightTransform("classifier.weight", maskTransform(mask));
 */
export function maskTransform(mask: tf.Tensor): WeightTransform {
  const f = ((w: tf.Tensor) => tf.mul(w, mask)) as WeightTransform;
  f.backward = (g) => ({ weight: tf.mul(g, mask) });
  return f;
}

/**
 * A module of one of our models, by its Hugging Face path, whose `weight`
 * and `bias` are the model's parameters `<path>.weight` / `<path>.bias`.
 * Pruning one registers a weight transform on the model, so its forward
 * pass and gradients use `orig * mask`; masks are in PyTorch layout even
 * though our linear weights are stored [in, out].
 *
 * @example const view = moduleOf(model, "classifier"); String(view); // "classifier: Linear(in_features=256, out_features=151, bias=True)"
 */
export class ModelModule extends Module {
  private readonly maskTensors = new Map<string, tf.Tensor>();

  constructor(readonly model: PreTrainedModel, readonly path: string) {
    super();
    for (const p of ["weight", "bias"]) {
      const full = `${path}.${p}`;
      const v = model.params.get(full);
      if (!v) continue;
      const transposed = model.isLinearWeight(full);
      const shape: number[] = transposed ? [v.shape[1]!, v.shape[0]!] : [...v.shape];
      this.slots.set(p, {
        shape,
        read: () => {
          const t = { data: Float32Array.from(v.dataSync() as Float32Array), shape: [...v.shape] };
          return transposed ? transpose2d(t) : t;
        },
        write: (value) => {
          const stored = transposed ? transpose2d(value) : value;
          tf.tidy(() => v.assign(tf.tensor(stored.data, stored.shape)));
        },
      });
    }
    if (this.slots.size === 0) throw new Error(`moduleOf: the model has no module "${path}" (no parameter ${path}.weight or ${path}.bias; modules: ${namedModules(model).slice(0, 6).join(", ")}, …)`);
  }

  toString(): string {
    const w = this.slots.get("weight");
    const kind = w && this.model.isLinearWeight(`${this.path}.weight`) ? `Linear(in_features=${w.shape[1]}, out_features=${w.shape[0]}, bias=${this.slots.get("bias") ? "True" : "False"})` : w?.shape.length === 2 ? `Embedding(${w.shape[0]}, ${w.shape[1]})` : w ? `LayerNorm((${w.shape[0]},))` : "Module";
    return `${this.path}: ${kind}`;
  }

  protected maskChanged(name: string, mask: HostTensor | undefined): void {
    const full = `${this.path}.${name}`;
    this.maskTensors.get(name)?.dispose();
    this.maskTensors.delete(name);
    if (!mask) {
      this.model.registerWeightTransform(full, undefined);
      return;
    }
    const stored = this.model.isLinearWeight(full) ? transpose2d(mask) : mask;
    const t = tf.tensor(stored.data, stored.shape);
    this.maskTensors.set(name, t);
    this.model.registerWeightTransform(full, maskTransform(t));
  }
}

const views = new WeakMap<PreTrainedModel, Map<string, ModelModule>>();

/**
 * The module view of a model at a Hugging Face path, e.g.
 * `moduleOf(model, "bert.encoder.layer.0.attention.self.query")` (the same
 * object on every call, so its pruning state persists).
 *
 * @example
 * const q = moduleOf(model, "distilbert.transformer.layer.0.attention.q_lin");
 * l1Unstructured(q, "weight", 0.5); // the model's forward pass now uses the masked weight
 */
export function moduleOf(model: PreTrainedModel, path: string): ModelModule {
  let byPath = views.get(model);
  if (!byPath) views.set(model, (byPath = new Map()));
  let m = byPath.get(path);
  if (!m) byPath.set(path, (m = new ModelModule(model, path)));
  return m;
}

/**
 * Module paths of a model (its parameter names without `.weight` / `.bias`), in parameter order.
 *
 * @example namedModules(student).slice(0, 2); // ["distilbert.embeddings.word_embeddings", "distilbert.embeddings.position_embeddings"]
 */
export function namedModules(model: PreTrainedModel): string[] {
  return [...new Set([...model.params.keys()].map((k) => k.replace(/\.(weight|bias)$/, "")))];
}

/**
 * Paths of the linear layers of a model's encoder (query, key, value, attention output, FFN), the usual pruning targets.
 *
 * @example globalUnstructured(encoderLinearModules(model).map((p) => [moduleOf(model, p), "weight"] as const), { amount: 0.5 });
 */
export function encoderLinearModules(model: PreTrainedModel): string[] {
  const out: string[] = [];
  for (let i = 0; i < model.spec.layers; i++) {
    const n = model.scheme.layer(i);
    out.push(n.query, n.key, n.value, n.attentionOutput, n.intermediate, n.output);
  }
  return out;
}

/**
 * Prunes the `amount` entries of smallest magnitude of a parameter
 * (`torch.nn.utils.prune.l1_unstructured`): the parameter becomes
 * `name_orig` with a `name_mask` buffer, and the module computes with their
 * product. A second call prunes `amount` of what is left.
 *
 * @example l1Unstructured(new Linear(10, 5), "weight", 0.4).tensor("weight_mask"); // 20 zeros
 */
export function l1Unstructured<M extends Module>(module: M, name: string, amount: PruningAmount, options: { importanceScores?: HostTensor | tf.Tensor } = {}): M {
  return module.applyPruning(name, new L1Unstructured(amount), options.importanceScores, "l1Unstructured");
}

/**
 * Prunes `amount` entries at random (`prune.random_unstructured`), seeded.
 *
 * @example randomUnstructured(lin, "weight", 0.3, { seed: 1 });
 */
export function randomUnstructured<M extends Module>(module: M, name: string, amount: PruningAmount, options: { seed?: number } = {}): M {
  return module.applyPruning(name, new RandomUnstructured(amount, options.seed ?? 0), undefined, "randomUnstructured");
}

/**
 * Prunes the `amount` channels along `dim` of smallest Ln norm
 * (`prune.ln_structured(module, name, amount, n, dim)`); dim 0 of a linear
 * weight is its output channels, in PyTorch's layout.
 *
 * @example lnStructured(lin, "weight", 0.4, 2, 0); // 2 of 5 output rows become 0
 */
export function lnStructured<M extends Module>(module: M, name: string, amount: PruningAmount, n: number | "fro", dim = -1, options: { importanceScores?: HostTensor | tf.Tensor } = {}): M {
  return module.applyPruning(name, new LnStructured(amount, n, dim), options.importanceScores, "lnStructured");
}

/**
 * Applies a given mask (`prune.custom_from_mask`), multiplied into any mask in place.
 *
 * @example customFromMask(lin, "bias", { data: Float32Array.of(1, 0, 1, 1, 0), shape: [5] });
 */
export function customFromMask<M extends Module>(module: M, name: string, mask: HostTensor | tf.Tensor): M {
  return module.applyPruning(name, new CustomFromMask(mask), undefined, "customFromMask");
}

/**
 * Adds `name_orig` / `name_mask` without pruning anything (`prune.identity`).
 *
 * @example identity(lin, "weight"); lin.parameterNames(); // ["weight_orig", "bias"]
 */
export function identity<M extends Module>(module: M, name: string): M {
  return module.applyPruning(name, new Identity(), undefined, "identity");
}

/**
 * Global pruning (`prune.global_unstructured`): one ranking over all the
 * given parameters (their current, masked values unless `importanceScores`
 * are given, one per parameter in order), so layers lose different shares.
 *
 * @example globalUnstructured([[lin1, "weight"], [lin2, "weight"]], { pruningMethod: L1Unstructured, amount: 0.5 });
 */
export function globalUnstructured(
  parameters: readonly (readonly [Module, string])[],
  options: { pruningMethod?: new (amount: PruningAmount) => BasePruningMethod; amount: PruningAmount; importanceScores?: readonly (HostTensor | tf.Tensor | undefined)[] },
): void {
  if (!Array.isArray(parameters)) throw new Error("globalUnstructured: parameters is not an array of [module, name] pairs");
  if (parameters.length === 0) throw new Error("globalUnstructured: no parameters given");
  const scores = options.importanceScores;
  if (scores && scores.length !== parameters.length) throw new Error(`globalUnstructured: ${scores.length} importance scores for ${parameters.length} parameters`);
  const Method = options.pruningMethod ?? L1Unstructured;
  const method = new Method(options.amount);
  if (method.pruningType !== "unstructured") throw new Error(`Only "unstructured" PRUNING_TYPE supported for the \`pruning_method\`. Found method ${method.name} of type ${method.pruningType}`);
  const parts = parameters.map(([module, name], i) => {
    const slot = module.slot(name, "globalUnstructured");
    const s = scores?.[i] ? toHost(scores[i]!) : module.tensor(name);
    if (s.data.length !== sizeOf(slot.shape)) throw new Error(`globalUnstructured: importance scores ${i} have shape ${shapeStr(s.shape)}, the parameter ${shapeStr(slot.shape)}`);
    return { importance: s.data, mask: module.masks.get(name)?.data ?? new Float32Array(s.data.length).fill(1), shape: slot.shape };
  });
  const concat = (xs: Float32Array[]) => {
    const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
    let at = 0;
    for (const x of xs) {
      out.set(x, at);
      at += x.length;
    }
    return out;
  };
  const all = concat(parts.map((p) => p.importance));
  const defaultMask = concat(parts.map((p) => p.mask));
  method.tensorName = "temp";
  const container = new PruningContainer(method);
  const finalMask = container.computeMask({ data: all, shape: [all.length] }, { data: defaultMask, shape: [all.length] });
  let at = 0;
  parameters.forEach(([module, name], i) => {
    const n = parts[i].importance.length;
    module.applyPruning(name, new CustomFromMask({ data: finalMask.data.slice(at, at + n), shape: parts[i].shape }), undefined, "globalUnstructured");
    at += n;
  });
}

/**
 * Makes the pruning of a parameter permanent (`prune.remove`): it becomes
 * `orig * mask` and the `_orig` / `_mask` pair goes. Throws when it was never pruned.
 *
 * @example remove(lin, "weight"); lin.parameterNames(); // ["weight", "bias"]
 */
export function remove<M extends Module>(module: M, name: string): M {
  return module.removePruning(name);
}

/**
 * Whether a module (or any module view of a model) has a pruning hook (`prune.is_pruned`).
 *
 * @example isPruned(lin); // false, until l1Unstructured(lin, "weight", 0.2)
 */
export function isPruned(target: Module | PreTrainedModel): boolean {
  if (target instanceof Module) return target.pruningHooks.size > 0;
  return [...(views.get(target)?.values() ?? [])].some((m) => m.pruningHooks.size > 0);
}
