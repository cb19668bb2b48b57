import { onnx } from "onnx-proto";
import { QuantType, QuantizedTensor, quantizeTensor } from "../../int8/int8";
import { DataType, tensorProto } from "../graphBuilder";
import { topologicalSort } from "../graphUtils";
import { QdqTensors, TensorRange } from "./qdq";

/** Options of `quantizeDynamic` (ORT's quantize_dynamic arguments). */
export interface QuantizeDynamicOptions {
  /** Weight type: "QInt8" (default, symmetric) or "QUInt8" (asymmetric). */
  weightType?: QuantType;
  /** One scale per output channel of each MatMul weight. Default false. */
  perChannel?: boolean;
  /** 7-bit weights (for CPUs without VNNI). Default false. */
  reduceRange?: boolean;
  /** Op types to quantize. Default: all the registry knows (MatMul, Gather). */
  opTypesToQuantize?: string[];
  /** Only these node names (default: all). */
  nodesToQuantize?: string[];
  /** Never these node names. */
  nodesToExclude?: string[];
}

/** Everything the graph walker needs, resolved (the public functions fill the defaults). */
export interface QuantizerOptions {
  weightType: QuantType;
  /** Type of activations quantized by QuantizeLinear (static QDQ only). */
  activationType: QuantType;
  perChannel: boolean;
  reduceRange: boolean;
  weightSymmetric: boolean;
  activationSymmetric: boolean;
  opTypesToQuantize: string[];
  nodesToQuantize?: string[];
  nodesToExclude: string[];
  /** Op types whose outputs get no QuantizeLinear/DequantizeLinear pair (static QDQ). */
  opTypesToExcludeOutputQuantization: string[];
}

/** Per-op quantizer, one small class per op (ORT's operators/*.py). */
export interface OpQuantizer {
  /** Whether this node can be quantized (e.g. its weight is a constant). */
  shouldQuantize(): boolean;
  /**
   * Quantizes the node: appends its replacement nodes to the quantizer's
   * node list (dynamic), or marks the tensors around it for
   * QuantizeLinear/DequantizeLinear pairs and appends the node itself (QDQ).
   */
  quantize(): void;
}

/** An op quantizer class, as the registries hold them. */
export type OpQuantizerCtor = new (q: OnnxQuantizer, node: onnx.INodeProto) => OpQuantizer;

/** Names of a quantized weight's initializers. */
export interface QuantizedWeightNames {
  values: string;
  scale: string;
  zeroPoint: string;
  /** The channel axis of per-channel weights. */
  axis?: number;
}

/**
 * Reads a float initializer's data (raw_data or float_data).
 *
 * @example floatData(graph.initializer[0]); // Float32Array
 */
export function floatData(t: onnx.ITensorProto): Float32Array {
  if (t.rawData && t.rawData.length) {
    const copy = new Uint8Array(t.rawData);
    return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
  }
  return Float32Array.from(t.floatData ?? []);
}

/** Inputs of the walker beyond its options. */
export interface QuantizerExtras {
  /** Activation ranges from calibration, by tensor name (static QDQ). */
  tensorsRange?: Readonly<Record<string, TensorRange>>;
  /**
   * Weights already quantized elsewhere (PyTorch-style dynamic quantization),
   * by initializer name, in the graph's [in, out] layout: used as they are.
   */
  prequantized?: ReadonlyMap<string, QuantizedTensor>;
}

/**
 * Walks a graph and replaces each quantizable node through the op registry;
 * other nodes pass through in float. Weights are quantized once and shared.
 * In QDQ mode the op quantizers mark tensors, and `quantizeModel` inserts one
 * QuantizeLinear/DequantizeLinear pair per marked activation and one
 * DequantizeLinear per weight, then restores topological order.
 *
 * @example
 * const q = new OnnxQuantizer(model, options, DYNAMIC_QUANTIZERS);
 * saveModel(q.quantizeModel(), "model_quantized.onnx");
 */
export class OnnxQuantizer {
  readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers = new Map<string, onnx.ITensorProto>();
  private readonly quantizedWeights = new Map<string, QuantizedWeightNames>();
  private counter = 0;
  readonly quantizedNodes: string[] = [];
  readonly qdq: QdqTensors;

  constructor(
    readonly model: onnx.ModelProto,
    readonly options: QuantizerOptions,
    readonly registry: Readonly<Record<string, OpQuantizerCtor>>,
    readonly extras: QuantizerExtras = {},
  ) {
    for (const t of model.graph!.initializer ?? []) this.initializers.set(t.name!, t);
    this.qdq = new QdqTensors(this, extras.tensorsRange ?? {});
  }

  uniqueName(base: string): string {
    return `${base}_q${++this.counter}`;
  }

  /** The float initializer of that name, if the input is a constant float tensor. */
  floatInitializer(name: string): onnx.ITensorProto | undefined {
    const t = this.initializers.get(name);
    return t && t.dataType === DataType.FLOAT ? t : undefined;
  }

  addInitializer(t: onnx.ITensorProto): string {
    this.initializers.set(t.name!, t);
    return t.name!;
  }

  /** Quantizes a weight initializer (cached), per tensor or per channel along `axis`. */
  quantizeWeight(name: string, axis?: number): QuantizedWeightNames {
    const pre = this.extras.prequantized?.get(name);
    const key = pre ? `${name}@given` : `${name}@${axis ?? "tensor"}`;
    const cached = this.quantizedWeights.get(key);
    if (cached) return cached;
    const t = this.floatInitializer(name);
    if (!t) throw new Error(`OnnxQuantizer: "${name}" is not a float initializer`);
    const dims = (t.dims ?? []).map(Number);
    let q: QuantizedTensor;
    if (pre) {
      if (pre.shape.length !== dims.length || pre.shape.some((d, i) => d !== dims[i])) throw new Error(`OnnxQuantizer: the quantized weight given for "${name}" has shape [${pre.shape}], the graph's is [${dims}]`);
      q = pre;
    } else {
      const o = this.options;
      q = quantizeTensor(floatData(t), dims, { type: o.weightType, symmetric: o.weightSymmetric, reduceRange: o.reduceRange, axis });
    }
    const qType = q.type === "QInt8" ? DataType.INT8 : DataType.UINT8;
    const channelDims = q.axis === undefined ? [] : [dims[q.axis]];
    const names: QuantizedWeightNames = {
      values: this.addInitializer(tensorProto(`${name}_quantized`, qType, dims, q.values)),
      scale: this.addInitializer(tensorProto(`${name}_scale`, DataType.FLOAT, channelDims, q.scale)),
      zeroPoint: this.addInitializer(tensorProto(`${name}_zero_point`, qType, channelDims, q.zeroPoint)),
      ...(q.axis === undefined ? {} : { axis: q.axis }),
    };
    this.quantizedWeights.set(key, names);
    return names;
  }

  private wanted(node: onnx.INodeProto): boolean {
    const o = this.options;
    if (!o.opTypesToQuantize.includes(node.opType!)) return false;
    if (o.nodesToExclude.includes(node.name!)) return false;
    if (o.nodesToQuantize && o.nodesToQuantize.length && !o.nodesToQuantize.includes(node.name!)) return false;
    return true;
  }

  /** Quantizes the graph in place and returns the model. */
  quantizeModel(): onnx.ModelProto {
    const graph = this.model.graph!;
    for (const node of graph.node ?? []) {
      const Ctor = this.registry[node.opType!];
      const q = Ctor && this.wanted(node) ? new Ctor(this, node) : undefined;
      if (q && q.shouldQuantize()) {
        q.quantize();
        this.quantizedNodes.push(node.name!);
      } else this.nodes.push(node);
    }
    graph.node = this.nodes;
    this.qdq.insertPairs(graph);
    // Keep only initializers some node still reads (float weights that were quantized go).
    const used = new Set((graph.node ?? []).flatMap((n) => n.input ?? []));
    graph.initializer = [...this.initializers.values()].filter((t) => used.has(t.name!));
    graph.node = topologicalSort(graph);
    return this.model;
  }
}
