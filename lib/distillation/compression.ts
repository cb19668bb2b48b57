// Intel Neural Compressor–style distillation: criteria configs and a
// DistillationConfig whose hooks (the teacher's loss term, learned
// projections for intermediate layers) join lib/compression's manager, next
// to quantization-aware training and pruning.
import { kdLoss } from "./loss";
import * as tf from "@tensorflow/tfjs-core";
import { PreTrainedModel, SequenceClassifierOutput } from "../models/modeling";
import { stopGradient } from "../ops";
import type { TensorBatch } from "../training/data";
import type { CompressionConfig, CompressionHooks } from "../compression/types";
import { Random } from "../utils/random";

export type KdLossType = "CE" | "KL" | "MSE";
export type LayerLossType = "MSE" | "KL" | "L1";

function checkWeights(where: string, w: readonly number[], n: number): void {
  if (w.length !== n) throw new Error(`${where}: lossWeightRatio has ${w.length} entries, expected ${n}`);
  if (w.some((x) => !(x >= 0) || !Number.isFinite(x))) throw new Error(`${where}: lossWeightRatio entries must be finite and >= 0, got [${w}]`);
  const sum = w.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-6) throw new Error(`${where}: lossWeightRatio must sum to 1, got [${w}] (sum ${sum})`);
}

/**
 * Logit distillation: loss = w0 · L0(student, labels) + w1 · T² · L1(student/T, teacher/T),
 * with L0 in CE | MSE (the student's own loss, as computed by the loop) and
 * L1 in CE (soft cross-entropy) | KL | MSE.
 *
 * @example
 * const criterion = new KnowledgeDistillationLossConfig({ temperature: 2, lossTypes: ["CE", "KL"], lossWeightRatio: [0.5, 0.5] });
 * new DistillationConfig({ teacherModel: teacher, criterion });
 */
export class KnowledgeDistillationLossConfig {
  readonly kind = "logits" as const;
  readonly temperature: number;
  readonly lossTypes: readonly [KdLossType, KdLossType];
  readonly lossWeightRatio: readonly [number, number];

  constructor(options: { temperature?: number; lossTypes?: [KdLossType, KdLossType]; lossWeightRatio?: [number, number] } = {}) {
    this.temperature = options.temperature ?? 1.0;
    this.lossTypes = options.lossTypes ?? ["CE", "CE"];
    this.lossWeightRatio = options.lossWeightRatio ?? [0.5, 0.5];
    const where = "KnowledgeDistillationLossConfig";
    if (!(this.temperature > 0 && Number.isFinite(this.temperature))) throw new Error(`${where}: temperature must be a positive number, got ${this.temperature}`);
    if (this.lossTypes.length !== 2) throw new Error(`${where}: lossTypes needs 2 entries (student-vs-labels, student-vs-teacher), got ${this.lossTypes.length}`);
    if (!["CE", "MSE"].includes(this.lossTypes[0])) throw new Error(`${where}: lossTypes[0] (student vs labels) must be CE or MSE, got ${this.lossTypes[0]}`);
    if (!["CE", "KL", "MSE"].includes(this.lossTypes[1])) throw new Error(`${where}: lossTypes[1] (student vs teacher) must be CE, KL or MSE, got ${this.lossTypes[1]}`);
    checkWeights(where, this.lossWeightRatio, 2);
  }
}

/** `"hidden_states.<i>"` (0 = embeddings) or `"attentions.<i>"`, as in HF's model outputs. */
export type LayerRef = string;

/**
 * Intermediate-layer distillation: match the student's hidden states (or
 * attentions) to the teacher's on mapped layers, with a learned linear
 * projection when their widths differ.
 *
 * @example
 * new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["hidden_states.2", "hidden_states.4"], ["hidden_states.0"]] });
 * // layerMappings [["hidden_states.2", "hidden_states.4"], ["hidden_states.0", "hidden_states.0"]], lossTypes ["MSE", "MSE"], lossWeightRatio [0.5, 0.5]
 */
export class IntermediateLayersKnowledgeDistillationLossConfig {
  readonly kind = "layers" as const;
  readonly layerMappings: readonly [LayerRef, LayerRef][];
  readonly lossTypes: readonly LayerLossType[];
  readonly lossWeightRatio: readonly number[];
  readonly addOriginLoss: boolean;

  constructor(options: { layerMappings: ([LayerRef] | [LayerRef, LayerRef])[]; lossTypes?: LayerLossType[]; lossWeightRatio?: number[]; addOriginLoss?: boolean }) {
    const where = "IntermediateLayersKnowledgeDistillationLossConfig";
    const maps = options.layerMappings ?? [];
    if (maps.length === 0) throw new Error(`${where}: layerMappings must not be empty`);
    this.layerMappings = maps.map((m) => [m[0], m[1] ?? m[0]] as [LayerRef, LayerRef]);
    for (const [s, t] of this.layerMappings) for (const ref of [s, t]) parseLayerRef(ref, where);
    this.lossTypes = options.lossTypes ?? maps.map(() => "MSE");
    if (this.lossTypes.length !== maps.length) throw new Error(`${where}: lossTypes has ${this.lossTypes.length} entries for ${maps.length} layer mappings`);
    for (const t of this.lossTypes) if (!["MSE", "KL", "L1"].includes(t)) throw new Error(`${where}: loss type ${t} is not supported (MSE, KL, L1)`);
    this.lossWeightRatio = options.lossWeightRatio ?? maps.map(() => 1 / maps.length);
    checkWeights(where, this.lossWeightRatio, maps.length);
    this.addOriginLoss = options.addOriginLoss ?? false;
  }
}

/**
 * Parses a layer reference (`"hidden_states.<i>"` or `"attentions.<i>"`) into the model output it names and its index; an error names `where` otherwise.
 *
 * @example
 * parseLayerRef("hidden_states.2"); // { output: "hiddenStates", index: 2 }
 * parseLayerRef("attentions.0");    // { output: "attentions", index: 0 }
 */
export function parseLayerRef(ref: LayerRef, where = "layer mapping"): { output: "hiddenStates" | "attentions"; index: number } {
  const m = /^(hidden_states|attentions)\.(\d+)$/.exec(ref);
  if (!m) throw new Error(`${where}: "${ref}" is not a layer reference (use "hidden_states.<i>" or "attentions.<i>")`);
  return { output: m[1] === "hidden_states" ? "hiddenStates" : "attentions", index: Number(m[2]) };
}

export type DistillationCriterion = KnowledgeDistillationLossConfig | IntermediateLayersKnowledgeDistillationLossConfig;

/**
 * Which teacher, and which criterion (INC's DistillationConfig).
 *
 * @example
 * const manager = prepareCompression(student, [new DistillationConfig({ teacherModel: teacher, criterion: new KnowledgeDistillationLossConfig({ temperature: 2 }) })]);
 * await distill(trainer, [new DistillationConfig({ teacherModel: teacher }), new QuantizationAwareTrainingConfig()]);
 */
export class DistillationConfig implements CompressionConfig {
  readonly kind = "distillation";
  readonly teacherModel: PreTrainedModel;
  readonly criterion: DistillationCriterion;

  constructor(options: { teacherModel: PreTrainedModel; criterion?: DistillationCriterion }) {
    if (!options.teacherModel) throw new Error("DistillationConfig: teacherModel is required");
    this.teacherModel = options.teacherModel;
    this.criterion = options.criterion ?? new KnowledgeDistillationLossConfig();
  }

  createHooks(model: PreTrainedModel): CompressionHooks {
    return new DistillationHooks(model, this);
  }
}

function softCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  return tf.mean(tf.neg(tf.sum(tf.mul(tf.softmax(targets), tf.logSoftmax(logits)), -1))) as tf.Scalar;
}

/** A DistillationConfig's hooks: the criterion's loss term (teacher run without gradients) and its projections. */
class DistillationHooks implements CompressionHooks {
  private readonly projections = new Map<string, { w: tf.Variable; b: tf.Variable }>();
  readonly modelOutputs: { hiddenStates?: boolean; attentions?: boolean };

  constructor(private readonly model: PreTrainedModel, private readonly config: DistillationConfig) {
    const c = config;
    if (c.teacherModel.numLabels !== model.numLabels) throw new Error(`prepareCompression: the student has ${model.numLabels} labels, the teacher ${c.teacherModel.numLabels}`);
    const layers = c.criterion.kind === "layers" ? c.criterion.layerMappings.map(([s]) => parseLayerRef(s).output) : [];
    this.modelOutputs = { hiddenStates: layers.includes("hiddenStates") || undefined, attentions: layers.includes("attentions") || undefined };
    if (c.criterion.kind !== "layers") return;
    const limit = (m: PreTrainedModel, output: "hiddenStates" | "attentions") => (output === "hiddenStates" ? m.spec.layers + 1 : m.spec.layers);
    for (const [s, t] of c.criterion.layerMappings) {
      const ps = parseLayerRef(s);
      const pt = parseLayerRef(t);
      if (ps.output !== pt.output) throw new Error(`prepareCompression: layer mapping ${s} → ${t} mixes hidden states and attentions`);
      if (ps.index >= limit(model, ps.output)) throw new Error(`prepareCompression: student layer "${s}" is out of range (the student has ${model.spec.layers} layers)`);
      if (pt.index >= limit(c.teacherModel, pt.output)) throw new Error(`prepareCompression: teacher layer "${t}" is out of range (the teacher has ${c.teacherModel.spec.layers} layers)`);
      if (ps.output === "attentions" && model.spec.heads !== c.teacherModel.spec.heads) throw new Error(`prepareCompression: attention maps need equal head counts (student ${model.spec.heads}, teacher ${c.teacherModel.spec.heads})`);
      if (ps.output === "hiddenStates" && model.spec.hidden !== c.teacherModel.spec.hidden && !this.projections.has(s)) {
        // A learned projection student width → teacher width, trained with the student.
        const rng = new Random(this.projections.size + 1);
        const [din, dout] = [model.spec.hidden, c.teacherModel.spec.hidden];
        const w = Float32Array.from({ length: din * dout }, () => rng.normal() * 0.02);
        this.projections.set(s, { w: tf.variable(tf.tensor2d(w, [din, dout])), b: tf.variable(tf.zeros([dout])) });
      }
    }
  }

  trainableParams(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [ref, p] of this.projections) {
      out.set(`distillation.projection.${ref}.weight`, p.w);
      out.set(`distillation.projection.${ref}.bias`, p.b);
    }
    return out;
  }

  /** The distillation loss from the student's outputs and its own loss; runs the teacher without gradients. */
  onAfterComputeLoss(inputs: TensorBatch, student: SequenceClassifierOutput, studentLoss: tf.Scalar): tf.Scalar {
    const crit = this.config.criterion;
    const wantAtt = crit.kind === "layers" && crit.layerMappings.some(([s]) => s.startsWith("attentions"));
    const teacher = this.config.teacherModel.call(inputs, { outputHiddenStates: crit.kind === "layers", outputAttentions: wantAtt });
    if (crit.kind === "logits") {
      const T = crit.temperature;
      const [w0, w1] = crit.lossWeightRatio;
      // Each teacher term is scaled by T², as kdLoss does for KL (its element-wise mean, KLDivLoss's default).
      const s = tf.div(student.logits, T);
      const t = stopGradient(tf.div(teacher.logits, T));
      const kd = crit.lossTypes[1] === "KL" ? kdLoss(student.logits, teacher.logits, T, "mean") : tf.mul(crit.lossTypes[1] === "CE" ? softCrossEntropy(s, t) : tf.mean(tf.squaredDifference(s, t)), T * T);
      const own = crit.lossTypes[0] === "CE" ? studentLoss : (tf.mean(tf.squaredDifference(student.logits, tf.oneHot(inputs.labels, this.model.numLabels))) as tf.Scalar);
      return tf.add(tf.mul(own, w0), tf.mul(kd, w1)) as tf.Scalar;
    }
    let total: tf.Tensor = crit.addOriginLoss ? studentLoss : tf.scalar(0);
    crit.layerMappings.forEach(([sRef, tRef], i) => {
      const sp = parseLayerRef(sRef);
      const tp = parseLayerRef(tRef);
      let sf: tf.Tensor = (student[sp.output] as tf.Tensor[] | undefined)?.[sp.index] ?? (() => { throw new Error(`onAfterComputeLoss: the student outputs lack ${sRef}; pass manager.forwardOptions(...) to model.call`); })();
      const tfeat = stopGradient((teacher[tp.output] as tf.Tensor[])[tp.index]);
      const proj = this.projections.get(sRef);
      if (proj) sf = tf.reshape(tf.add(tf.matMul(tf.reshape(sf, [-1, sf.shape[2]!]), proj.w), proj.b), tfeat.shape);
      const mask = tf.cast(tf.expandDims(inputs.attention_mask, -1), "float32"); // padded positions do not count
      const type = crit.lossTypes[i];
      let l: tf.Tensor;
      if (type === "KL") l = kdLoss(sf, tfeat, 1, "mean");
      else {
        const diff = type === "MSE" ? tf.squaredDifference(sf, tfeat) : tf.abs(tf.sub(sf, tfeat));
        l = sp.output === "hiddenStates" ? tf.div(tf.sum(tf.mul(diff, mask)), tf.mul(tf.sum(mask), sf.shape[2]!)) : tf.mean(diff);
      }
      total = tf.add(total, tf.mul(l, crit.lossWeightRatio[i]));
    });
    return total as tf.Scalar;
  }

  dispose(): void {
    for (const p of this.projections.values()) tf.dispose([p.w, p.b]);
    this.projections.clear();
  }
}
