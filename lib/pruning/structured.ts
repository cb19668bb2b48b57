// Structured pruning: remove whole attention heads and FFN neurons, so the
// model becomes smaller and faster as a dense model. Importance comes from
// gradients (Michel, Levy & Neubig 2019, "Are Sixteen Heads Really Better
// than One?": the gradient of the loss with respect to a gate on each head's
// output) or from the masks of unstructured pruning (the share of each
// head's or neuron's weights that survived, as nn_pruning reads blocks of
// movement masks). Removed heads are recorded in the config's
// `pruned_heads`, as Hugging Face's `prune_heads` does; FFN neurons shrink
// `intermediate_size` (the same number in every layer).
import * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel, SequenceClassifierOutput } from "../models/modeling";
import type { ModelConfig, PrunedHeads } from "../models/config";
import { createModelFromConfig } from "../models/auto";
import type { TensorBatch } from "../training/data";
import { crossEntropy } from "../training/loss";

/** Importance of every head ([layer][head], original numbering; removed heads 0) and every FFN neuron ([layer][neuron]). */
export interface StructuredImportance {
  heads: number[][];
  neurons: number[][];
}

/** How structuredImportance scores the gates. */
export interface StructuredImportanceOptions {
  /** The loss whose gradients score the gates; default cross-entropy on the batch's labels (pass a distillation loss to score against a teacher). */
  loss?: (outputs: SequenceClassifierOutput, inputs: TensorBatch) => tf.Scalar;
  /** Divide each layer's scores by their L2 norm, as Michel et al. (HF's bertology). Default true. */
  normalizeByLayer?: boolean;
}

/**
 * The heads a layer still has, in the order its projections hold them (original numbering).
 *
 * @example keptHeads(pruneHeads(model, { "0": [1] }), 0); // [0, 2, 3]
 */
export function keptHeads(model: PreTrainedModel, layer: number): number[] {
  const pruned = new Set(model.spec.prunedHeads[layer]);
  return Array.from({ length: model.spec.heads }, (_, h) => h).filter((h) => !pruned.has(h));
}

function normalizeRows(rows: number[][]): number[][] {
  return rows.map((r) => {
    const norm = Math.sqrt(r.reduce((a, v) => a + v * v, 0));
    return r.map((v) => v / (norm + 1e-20));
  });
}

/**
 * Head and FFN-neuron importance from gradients (Michel et al. 2019): for a
 * gate ξ multiplying a head's output (or a neuron's activation),
 * |∂L/∂ξ| summed over batches. A gate on head h scales the rows of the
 * attention-output weight that read it, so ∂L/∂ξ_h = Σ W ⊙ ∂L/∂W over those
 * rows (likewise the FFN output weight's rows for neurons): one backward
 * pass per batch, no gate variables needed.
 *
 * @example
 * const importance = structuredImportance(student, batches); // { heads: [[0.61, 0.12, …], …], neurons: […] }
 */
export function structuredImportance(model: PreTrainedModel, batches: Iterable<TensorBatch>, options: StructuredImportanceOptions = {}): StructuredImportance {
  const s = model.spec;
  const loss = options.loss ?? ((out: SequenceClassifierOutput, inputs: TensorBatch) => crossEntropy(out.logits, inputs.labels, 0));
  const names = Array.from({ length: s.layers }, (_, i) => ({ attn: `${model.scheme.layer(i).attentionOutput}.weight`, ffn: `${model.scheme.layer(i).output}.weight` }));
  const vars = names.flatMap((n) => [model.params.get(n.attn)!, model.params.get(n.ffn)!]);
  const heads = Array.from({ length: s.layers }, () => new Array(s.heads).fill(0));
  const neurons = Array.from({ length: s.layers }, () => new Array(s.ffn).fill(0));
  let batchesSeen = 0;
  for (const inputs of batches) {
    batchesSeen++;
    const { value, grads } = tf.variableGrads(() => loss(model.call(inputs), inputs), vars);
    value.dispose();
    names.forEach((n, i) => {
      // Row sums of W ⊙ ∂L/∂W: one gate gradient per input row of the layer ([in, out] storage).
      const gateGrads = (name: string) => {
        const v = model.params.get(name)!;
        const t = tf.tidy(() => tf.sum(tf.mul(model.weight(name), grads[v.name]), 1));
        const d = t.dataSync() as Float32Array;
        t.dispose();
        return d;
      };
      const attn = gateGrads(n.attn);
      keptHeads(model, i).forEach((h, k) => {
        let g = 0;
        for (let r = k * s.headDim; r < (k + 1) * s.headDim; r++) g += attn[r];
        heads[i][h] += Math.abs(g);
      });
      const ffn = gateGrads(n.ffn);
      for (let j = 0; j < s.ffn; j++) neurons[i][j] += Math.abs(ffn[j]);
    });
    tf.dispose(Object.values(grads));
  }
  if (batchesSeen === 0) throw new Error("structuredImportance: no batches given");
  const normalize = options.normalizeByLayer ?? true;
  return { heads: normalize ? normalizeRows(heads) : heads, neurons: normalize ? normalizeRows(neurons) : neurons };
}

/**
 * Importance from the masks of unstructured pruning: the share of each
 * head's weights (its query/key/value rows and attention-output columns)
 * and of each neuron's (its FFN input row and output column) that are
 * not zero.
 *
 * @example structuredImportanceFromMasks(movementPrunedStudent).heads; // [[0.31, 0.02, …], …]
 */
export function structuredImportanceFromMasks(model: PreTrainedModel): StructuredImportance {
  const s = model.spec;
  const nonZero = (name: string) => Float32Array.from(model.params.get(name)!.dataSync() as Float32Array, (v) => (v !== 0 ? 1 : 0));
  const heads: number[][] = [];
  const neurons: number[][] = [];
  for (let i = 0; i < s.layers; i++) {
    const n = model.scheme.layer(i);
    const [q, k, v] = [n.query, n.key, n.value].map((x) => nonZero(`${x}.weight`)); // [hidden, inner]
    const o = nonZero(`${n.attentionOutput}.weight`); // [inner, hidden]
    const inner = s.layerHeads[i] * s.headDim;
    const row = new Array(s.heads).fill(0);
    keptHeads(model, i).forEach((h, kk) => {
      let alive = 0;
      for (let c = kk * s.headDim; c < (kk + 1) * s.headDim; c++) {
        for (let r = 0; r < s.hidden; r++) alive += q[r * inner + c] + k[r * inner + c] + v[r * inner + c] + o[c * s.hidden + r];
      }
      row[h] = alive / (4 * s.headDim * s.hidden);
    });
    heads.push(row);
    const w1 = nonZero(`${n.intermediate}.weight`); // [hidden, ffn]
    const w2 = nonZero(`${n.output}.weight`); // [ffn, hidden]
    neurons.push(
      Array.from({ length: s.ffn }, (_, j) => {
        let alive = 0;
        for (let r = 0; r < s.hidden; r++) alive += w1[r * s.ffn + j] + w2[j * s.hidden + r];
        return alive / (2 * s.hidden);
      }),
    );
  }
  return { heads, neurons };
}

/**
 * The heads to remove: the `count` least important over all layers
 * (global ranking, as Michel et al.) or `perLayer` in every layer; already
 * removed heads are skipped and every layer keeps at least one head.
 *
 * @example selectHeadsToPrune(importance.heads, { count: 3 }); // { "0": [2], "1": [0, 3] }
 */
export function selectHeadsToPrune(importance: number[][], options: { count?: number; perLayer?: number; alreadyPruned?: number[][] }): PrunedHeads {
  const { count, perLayer } = options;
  if ((count === undefined) === (perLayer === undefined)) throw new Error("selectHeadsToPrune: give exactly one of count (global) or perLayer");
  const n = importance[0]?.length ?? 0;
  const done = (i: number) => new Set(options.alreadyPruned?.[i] ?? []);
  const out: PrunedHeads = {};
  const add = (i: number, h: number) => (out[String(i)] ??= []).push(h);
  if (perLayer !== undefined) {
    importance.forEach((row, i) => {
      const alive = row.map((v, h) => ({ v, h })).filter(({ h }) => !done(i).has(h));
      if (!(Number.isInteger(perLayer) && perLayer >= 0 && perLayer < alive.length)) throw new Error(`selectHeadsToPrune: perLayer must be an integer in [0, ${alive.length - 1}] (layer ${i} has ${alive.length} heads left and keeps at least one), got ${perLayer}`);
      alive.sort((a, b) => a.v - b.v || a.h - b.h).slice(0, perLayer).forEach(({ h }) => add(i, h));
    });
  } else {
    const all = importance.flatMap((row, i) => row.map((v, h) => ({ v, h, i }))).filter(({ i, h }) => !done(i).has(h));
    const maxCount = all.length - importance.length;
    if (!(Number.isInteger(count) && count! >= 0 && count! <= maxCount)) throw new Error(`selectHeadsToPrune: count must be an integer in [0, ${maxCount}] (${all.length} heads left, one kept per layer), got ${count}`);
    const left = importance.map((_, i) => n - done(i).size);
    let removed = 0;
    for (const c of all.sort((a, b) => a.v - b.v || a.i - b.i || a.h - b.h)) {
      if (removed === count) break;
      if (left[c.i] <= 1) continue;
      add(c.i, c.h);
      left[c.i]--;
      removed++;
    }
  }
  for (const k of Object.keys(out)) out[k].sort((a, b) => a - b);
  return out;
}

/**
 * The FFN neurons to keep in every layer: the `keep` most important, in
 * their original order (the same count per layer, so `intermediate_size`
 * stays one number).
 *
 * @example selectNeuronsToKeep(importance.neurons, 512); // [[0, 3, 4, …], […]]
 */
export function selectNeuronsToKeep(importance: number[][], keep: number): number[][] {
  return importance.map((row, i) => {
    if (!(Number.isInteger(keep) && keep >= 1 && keep <= row.length)) throw new Error(`selectNeuronsToKeep: keep must be an integer in [1, ${row.length}] (layer ${i} has ${row.length} neurons), got ${keep}`);
    return row
      .map((v, j) => ({ v, j }))
      .sort((a, b) => b.v - a.v || a.j - b.j)
      .slice(0, keep)
      .map(({ j }) => j)
      .sort((a, b) => a - b);
  });
}

/** Merges pruned-head maps (original numbering), sorted per layer. */
function mergeHeads(a: PrunedHeads | undefined, b: PrunedHeads): PrunedHeads {
  const out: PrunedHeads = {};
  for (const src of [a ?? {}, b]) for (const [k, hs] of Object.entries(src)) out[k] = [...new Set([...(out[k] ?? []), ...hs])].sort((x, y) => x - y);
  return out;
}

/**
 * A smaller dense copy of a model without the given heads and FFN neurons
 * (`model.prune_heads(heads)` in Hugging Face, which changes the model in
 * place; here the original stays as it was). Heads are numbered as in the
 * unpruned layer and add to any already removed; `keepNeurons[layer]`
 * lists the FFN neurons each layer keeps (the same count in every layer).
 * The copy's config records `pruned_heads` and the new `intermediate_size`
 * (`hidden_dim`), so `savePretrained` writes a folder HF and `fromPretrained`
 * load as is.
 *
 * @example
 * const small = pruneStructured(student, { heads: { "0": [1, 3], "1": [2] }, keepNeurons: selectNeuronsToKeep(importance.neurons, 512) });
 */
export function pruneStructured(model: PreTrainedModel, options: { heads?: PrunedHeads | Record<number, number[]>; keepNeurons?: number[][] }): PreTrainedModel {
  const s = model.spec;
  const where = "pruneStructured";
  if (model.weightTransforms.size > 0) throw new Error(`${where}: the model has weight transforms (masks); make them permanent first (remove(), or let the PruningConfig finish training)`);
  const heads: PrunedHeads = {};
  for (const [k, hs] of Object.entries(options.heads ?? {})) {
    const i = Number(k);
    if (!(Number.isInteger(i) && i >= 0 && i < s.layers)) throw new Error(`${where}: layer ${k} does not exist (the model has ${s.layers} layers)`);
    for (const h of hs) if (!(Number.isInteger(h) && h >= 0 && h < s.heads)) throw new Error(`${where}: head ${h} of layer ${i} does not exist (heads are numbered 0..${s.heads - 1})`);
    heads[String(i)] = hs;
  }
  const merged = mergeHeads(model.config.pruned_heads, heads);
  for (const [k, hs] of Object.entries(merged)) if (hs.length >= s.heads) throw new Error(`${where}: removing heads [${hs.join(", ")}] of layer ${k} would leave it no head (it has ${s.heads}); keep at least one head per layer`);
  const keep = options.keepNeurons;
  if (keep) {
    if (keep.length !== s.layers) throw new Error(`${where}: keepNeurons has ${keep.length} layers, the model ${s.layers}`);
    const sizes = keep.map((k) => k.length);
    if (new Set(sizes).size !== 1) throw new Error(`${where}: every layer must keep the same number of FFN neurons (intermediate_size is one number); got [${sizes.join(", ")}]`);
    keep.forEach((k, i) => {
      if (k.length === 0) throw new Error(`${where}: layer ${i} keeps no FFN neuron`);
      if (new Set(k).size !== k.length || k.some((j) => !(Number.isInteger(j) && j >= 0 && j < s.ffn))) throw new Error(`${where}: keepNeurons[${i}] must list distinct neurons in 0..${s.ffn - 1}`);
    });
  }
  const config = JSON.parse(JSON.stringify(model.config)) as ModelConfig;
  if (Object.keys(merged).length) config.pruned_heads = merged;
  const ffn = keep ? keep[0].length : s.ffn;
  if (config.model_type === "bert") config.intermediate_size = ffn;
  else config.hidden_dim = ffn;
  const small = createModelFromConfig(config);

  const state = model.stateDict(); // HF layout: linear weights [out, in]
  const rows = (t: { shape: number[]; data: Float32Array }, idx: number[]) => {
    const width = t.shape.length === 2 ? t.shape[1] : 1;
    const out = new Float32Array(idx.length * width);
    idx.forEach((r, k) => out.set(t.data.subarray(r * width, (r + 1) * width), k * width));
    return { shape: t.shape.length === 2 ? [idx.length, width] : [idx.length], data: out };
  };
  const cols = (t: { shape: number[]; data: Float32Array }, idx: number[]) => {
    const [h, w] = t.shape;
    const out = new Float32Array(h * idx.length);
    for (let r = 0; r < h; r++) idx.forEach((c, k) => (out[r * idx.length + k] = t.data[r * w + c]));
    return { shape: [h, idx.length], data: out };
  };
  for (let i = 0; i < s.layers; i++) {
    const n = model.scheme.layer(i);
    const before = keptHeads(model, i);
    const removed = new Set(merged[String(i)] ?? []);
    // Positions (in the current projections) of the heads that stay, then their rows.
    const stay = before.map((h, k) => ({ h, k })).filter(({ h }) => !removed.has(h)).flatMap(({ k }) => Array.from({ length: s.headDim }, (_, d) => k * s.headDim + d));
    for (const x of [n.query, n.key, n.value]) {
      state.set(`${x}.weight`, rows(state.get(`${x}.weight`)!, stay));
      state.set(`${x}.bias`, rows(state.get(`${x}.bias`)!, stay));
    }
    state.set(`${n.attentionOutput}.weight`, cols(state.get(`${n.attentionOutput}.weight`)!, stay));
    if (keep) {
      state.set(`${n.intermediate}.weight`, rows(state.get(`${n.intermediate}.weight`)!, keep[i]));
      state.set(`${n.intermediate}.bias`, rows(state.get(`${n.intermediate}.bias`)!, keep[i]));
      state.set(`${n.output}.weight`, cols(state.get(`${n.output}.weight`)!, keep[i]));
    }
  }
  small.loadStateDict(state, { strict: true, source: "the pruned state dict" });
  return small;
}

/**
 * Removes attention heads (HF's `prune_heads`, numbered as in the unpruned
 * layer): a smaller copy of the model. Removing every head of a layer is an error.
 *
 * @example pruneHeads(model, { "0": [0, 2] }).config.pruned_heads; // { "0": [0, 2] }
 */
export function pruneHeads(model: PreTrainedModel, heads: PrunedHeads | Record<number, number[]>): PreTrainedModel {
  return pruneStructured(model, { heads });
}

/**
 * Keeps only the given FFN neurons of every layer (the same count in each): a smaller copy.
 *
 * @example pruneFfnNeurons(model, selectNeuronsToKeep(importance.neurons, 512)).spec.ffn; // 512
 */
export function pruneFfnNeurons(model: PreTrainedModel, keepNeurons: number[][]): PreTrainedModel {
  return pruneStructured(model, { keepNeurons });
}
