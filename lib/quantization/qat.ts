// Quantization-aware training (QAT), as PyTorch's prepare_qat/convert and
// Neural Compressor's QuantizationAwareTrainingConfig: every dense layer's
// weight is fake-quantized per output channel (symmetric int8) and its input
// per tensor (asymmetric uint8, ranges from moving-average min/max observers),
// both with a straight-through gradient, so the model learns weights that
// survive int8. The config is a CompressionConfig: alone, or with a
// DistillationConfig in prepareCompression(model, [dConf, qConf]). After
// training, exportQatToOnnx writes a truly int8 ONNX model whose scales are
// the ones training used.
import * as fs from "node:fs";
import * as pathLib from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import type { onnx } from "onnx-proto";
import { buildOnnxModel, exportSourceOf } from "../onnx/export";
import { saveModel } from "../onnx/graphBuilder";
import { OnnxQuantizer } from "../onnx/quantize/quantizer";
import { QDQ_QUANTIZERS } from "../onnx/quantize/static";
import type { TensorRange } from "../onnx/quantize/qdq";
import type { CompressionConfig, CompressionHooks } from "../compression/types";
import type { InputTransform, PreTrainedModel, WeightTransform } from "../models/modeling";
import { computeScaleZeroPoint } from "../int8/int8";
import { fakeQuantizePerTensorAffine } from "../int8/fakeQuantize";

/** Module types QAT knows; only dense (Linear) layers exist in our transformers. */
export type QatModuleType = "Linear";

export interface QuantizationAwareTrainingOptions {
  /** Module types to fake-quantize (PyTorch's qconfig_spec). Default ["Linear"]. */
  modules?: QatModuleType[];
  /** Weights: "qint8" (symmetric, per output channel by default). */
  weightDtype?: "qint8";
  /** One scale per output channel (default true), else one per tensor. */
  perChannelWeights?: boolean;
  /** Activations: "quint8" (asymmetric). */
  activationDtype?: "quint8";
  /** The observers' moving-average constant (PyTorch's MovingAverageMinMaxObserver default 0.01). */
  averagingConstant?: number;
  /** Dense layers (names without .weight) left in float; default: none. */
  exclude?: string[];
  /** Stop updating activation ranges after this many training steps (PyTorch's disable_observer); default never. */
  freezeObserversAfterStep?: number;
}

const KEYS = new Set(["modules", "weightDtype", "perChannelWeights", "activationDtype", "averagingConstant", "exclude", "freezeObserversAfterStep"]);

/** The int8 grid the ONNX quantizer writes (ORT: symmetric QInt8 uses [-127, 127], activations QUInt8 [0, 255]). */
const WEIGHT_RANGE: [number, number] = [-127, 127];
const ACTIVATION_RANGE: [number, number] = [0, 255];

/**
 * A moving-average min/max of a layer's inputs (PyTorch's
 * MovingAverageMinMaxObserver): the first batch sets the range, later ones
 * move it by `averagingConstant`.
 *
 * @example
 * const observer = new MovingAverageMinMaxObserver(0.01);
 * observer.observe(-1, 2); observer.observe(-3, 4); // [minVal, maxVal]: [-1, 2], then [-1.02, 2.02]
 * observer.qparams(); // { scale: 0.01192…, zeroPoint: 86 }
 */
export class MovingAverageMinMaxObserver {
  minVal = Infinity;
  maxVal = -Infinity;
  observations = 0;
  constructor(readonly averagingConstant = 0.01) {
    if (!(averagingConstant > 0 && averagingConstant <= 1)) throw new Error(`MovingAverageMinMaxObserver: averagingConstant must be in (0, 1], got ${averagingConstant}`);
  }

  observe(min: number, max: number): void {
    if (!(Number.isFinite(min) && Number.isFinite(max))) throw new Error(`MovingAverageMinMaxObserver: the observed range [${min}, ${max}] is not finite (NaN or Inf activations?)`);
    if (this.observations === 0) [this.minVal, this.maxVal] = [min, max];
    else {
      this.minVal += this.averagingConstant * (min - this.minVal);
      this.maxVal += this.averagingConstant * (max - this.maxVal);
    }
    this.observations++;
  }

  /** Scale and zero point of the uint8 grid over the range (widened to include 0), as ONNX Runtime computes them. */
  qparams(): { scale: number; zeroPoint: number } {
    return computeScaleZeroPoint(this.minVal, this.maxVal, ACTIVATION_RANGE[0], ACTIVATION_RANGE[1], false);
  }
}

/** Per-output-channel (or per-tensor) symmetric int8 scales of a dense weight held as [in, out]. */
function weightScales(w: tf.Tensor, perChannel: boolean): tf.Tensor {
  return tf.tidy(() => {
    const absMax = perChannel ? tf.max(tf.abs(w), 0) : tf.max(tf.abs(w));
    return tf.maximum(tf.div(absMax, WEIGHT_RANGE[1]), 1e-12);
  });
}

/**
 * Symmetric int8 fake quantization with a straight-through gradient, the
 * scales treated as constants (computed from the weight itself, as
 * PyTorch's per-channel weight observer does every forward pass).
 */
function fakeQuantizeWeight(perChannel: boolean): WeightTransform {
  const f = tf.customGrad((w: any, save: any) => {
    const scale = weightScales(w as tf.Tensor, perChannel);
    const q = tf.clipByValue(tf.round(tf.div(w as tf.Tensor, scale)), WEIGHT_RANGE[0], WEIGHT_RANGE[1]);
    save([]);
    // Symmetric around the weight's own max: every value is inside the grid, so the gradient passes unchanged.
    return { value: tf.mul(q, scale), gradFunc: (dy: tf.Tensor) => dy };
  });
  const t = ((w: tf.Tensor) => f(w) as tf.Tensor) as WeightTransform;
  t.backward = (g) => ({ weight: tf.clone(g) });
  return t;
}

/** A dense layer's input transform: observe (in training), then fake-quantize on the observer's grid. */
class ActivationFakeQuant {
  enabled = true;
  constructor(readonly observer: MovingAverageMinMaxObserver) {}

  readonly transform: InputTransform = (x, layer, { training }) => {
    if (training && this.enabled) {
      const [min, max] = tf.tidy(() => [tf.min(x), tf.max(x)]);
      this.observer.observe(min.dataSync()[0], max.dataSync()[0]);
      tf.dispose([min, max]);
    }
    if (this.observer.observations === 0) return x; // never observed (e.g. evaluation before training): float
    const { scale, zeroPoint } = this.observer.qparams();
    return fakeQuantizePerTensorAffine(x, scale, zeroPoint, ACTIVATION_RANGE[0], ACTIVATION_RANGE[1]);
  };
}

/** What QAT registered on a model: the observers by dense layer (read by exportQatToOnnx). */
export interface QatState {
  layers: string[];
  observers: Map<string, MovingAverageMinMaxObserver>;
  perChannelWeights: boolean;
}

const STATE = new WeakMap<PreTrainedModel, QatState>();

/**
 * The QAT state of a prepared model, if any.
 *
 * @example
 * qatState(student); // undefined (not prepared)
 * prepareCompression(student, [new QuantizationAwareTrainingConfig()]);
 * qatState(student)!.layers; // ["distilbert.transformer.layer.0.attention.q_lin", …, "pre_classifier", "classifier"]
 */
export function qatState(model: PreTrainedModel): QatState | undefined {
  return STATE.get(model);
}

/**
 * Neural Compressor's QuantizationAwareTrainingConfig: fake-quantize the
 * model's dense layers during training. Pass it to `prepareCompression` or
 * `distill(trainer, …)`, alone or after a DistillationConfig.
 *
 * @example
 * const qConf = new QuantizationAwareTrainingConfig();
 * await distill(new Trainer({ model: student, … }), [distillationConfig, qConf]);
 * await exportQatToOnnx(student, "outputs/onnx/qat/model_int8.onnx");
 */
export class QuantizationAwareTrainingConfig implements CompressionConfig {
  readonly kind = "quantization";
  readonly options: Required<Omit<QuantizationAwareTrainingOptions, "freezeObserversAfterStep">> & { freezeObserversAfterStep?: number };

  constructor(options: QuantizationAwareTrainingOptions = {}) {
    const where = "QuantizationAwareTrainingConfig";
    for (const k of Object.keys(options)) if (!KEYS.has(k)) throw new Error(`${where}: unknown option "${k}" (known: ${[...KEYS].join(", ")})`);
    const modules = options.modules ?? ["Linear"];
    const bad = modules.filter((m) => m !== "Linear");
    if (bad.length) throw new Error(`${where}: module type ${bad.map((m) => `"${m}"`).join(", ")} is not supported (only "Linear": the transformers have no other quantizable layers)`);
    if ((options.weightDtype ?? "qint8") !== "qint8") throw new Error(`${where}: weightDtype must be "qint8", got "${options.weightDtype}"`);
    if ((options.activationDtype ?? "quint8") !== "quint8") throw new Error(`${where}: activationDtype must be "quint8", got "${options.activationDtype}"`);
    const c = options.averagingConstant ?? 0.01;
    if (!(c > 0 && c <= 1)) throw new Error(`${where}: averagingConstant must be in (0, 1], got ${c}`);
    const f = options.freezeObserversAfterStep;
    if (f !== undefined && !(Number.isInteger(f) && f >= 0)) throw new Error(`${where}: freezeObserversAfterStep must be an integer >= 0, got ${f}`);
    this.options = { modules, weightDtype: "qint8", perChannelWeights: options.perChannelWeights ?? true, activationDtype: "quint8", averagingConstant: c, exclude: options.exclude ?? [], freezeObserversAfterStep: f };
  }

  createHooks(model: PreTrainedModel): CompressionHooks {
    const dense = model.denseLayers();
    const unknown = this.options.exclude.filter((e) => !dense.includes(e));
    if (unknown.length) throw new Error(`QuantizationAwareTrainingConfig: exclude names layers the model lacks: ${unknown.join(", ")}`);
    const layers = dense.filter((l) => !this.options.exclude.includes(l));
    if (layers.length === 0) throw new Error(`QuantizationAwareTrainingConfig: ${model.constructor.name} has no dense (Linear) layers to quantize`);
    if (STATE.has(model)) throw new Error("QuantizationAwareTrainingConfig: the model is already prepared for quantization-aware training");
    const fakeQuants = new Map<string, ActivationFakeQuant>();
    for (const layer of layers) {
      const fq = new ActivationFakeQuant(new MovingAverageMinMaxObserver(this.options.averagingConstant));
      fakeQuants.set(layer, fq);
      model.registerInputTransform(layer, fq.transform);
      model.registerWeightTransform(`${layer}.weight`, fakeQuantizeWeight(this.options.perChannelWeights));
    }
    STATE.set(model, { layers, observers: new Map([...fakeQuants].map(([k, v]) => [k, v.observer])), perChannelWeights: this.options.perChannelWeights });
    const freezeAt = this.options.freezeObserversAfterStep;
    return {
      onStepBegin: (step) => {
        if (freezeAt !== undefined && step >= freezeAt) for (const fq of fakeQuants.values()) fq.enabled = false;
      },
      // The fake quantization stays on the model after training (as PyTorch's prepared model), so evaluation
      // and export see what training saw; dispose() of the manager removes it.
      dispose: () => {
        for (const layer of layers) {
          model.registerInputTransform(layer, undefined);
          model.registerWeightTransform(`${layer}.weight`, undefined);
        }
        STATE.delete(model);
      },
    };
  }
}

/**
 * PyTorch's `convert` for a QAT-trained model, to ONNX: exports the model
 * (its weights as fake quantization left them, on the int8 grid) and writes
 * a QDQ graph in which every fake-quantized dense layer's MatMul reads an
 * int8 weight (the same per-channel scales, exactly) and an activation
 * quantized with the range its observer learned in training; MatMul outputs
 * stay float (ONNX Runtime fuses each group into one integer kernel), and
 * the embedding tables become int8 too unless `quantizeEmbeddings` is false.
 * Returns the quantized nodes and the ranges used.
 *
 * @example
 * await exportQatToOnnx(student, "outputs/onnx/qat/model_quantized.onnx");
 */
export function exportQatToOnnx(model: PreTrainedModel, path: string, options: { quantizeEmbeddings?: boolean } = {}): { quantizedNodes: string[]; tensorsRange: Record<string, TensorRange> } {
  const state = STATE.get(model);
  if (!state) throw new Error("exportQatToOnnx: the model was not prepared for quantization-aware training (pass a QuantizationAwareTrainingConfig to prepareCompression or distill(trainer, …) first)");
  const never = state.layers.filter((l) => state.observers.get(l)!.observations === 0);
  if (never.length) throw new Error(`exportQatToOnnx: ${never.length} layers never saw a training batch, so their activation ranges are unknown (first: ${never[0]}); train first`);
  const graph = buildOnnxModel(exportSourceOf(model));
  const byWeight = new Map<string, onnx.INodeProto>();
  for (const n of graph.graph!.node ?? []) if (n.opType === "MatMul" && n.input?.[1]) byWeight.set(n.input[1], n);
  const tensorsRange: Record<string, TensorRange> = {};
  const nodes: string[] = [];
  for (const layer of state.layers) {
    const node = byWeight.get(`${layer}.weight`);
    if (!node) throw new Error(`exportQatToOnnx: the exported graph has no MatMul reading ${layer}.weight`);
    const obs = state.observers.get(layer)!;
    tensorsRange[node.input![0]] = { lowest: obs.minVal, highest: obs.maxVal };
    nodes.push(node.name!);
  }
  const gathers = options.quantizeEmbeddings === false ? [] : (graph.graph!.node ?? []).filter((n) => n.opType === "Gather" && n.input?.[0]?.endsWith("embeddings.weight")).map((n) => n.name!);
  const q = new OnnxQuantizer(
    graph,
    {
      weightType: "QInt8",
      activationType: "QUInt8",
      perChannel: state.perChannelWeights,
      reduceRange: false,
      weightSymmetric: true,
      activationSymmetric: false,
      opTypesToQuantize: gathers.length ? ["MatMul", "Gather"] : ["MatMul"],
      nodesToQuantize: [...nodes, ...gathers],
      nodesToExclude: [],
      opTypesToExcludeOutputQuantization: ["MatMul"],
    },
    QDQ_QUANTIZERS,
    { tensorsRange },
  );
  fs.mkdirSync(pathLib.dirname(path), { recursive: true });
  saveModel(q.quantizeModel(), path);
  return { quantizedNodes: q.quantizedNodes, tensorsRange };
}
