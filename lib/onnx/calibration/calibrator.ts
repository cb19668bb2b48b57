// Activation ranges for static quantization, as ONNX Runtime's calibrate.py:
// the model is augmented so that the tensors to calibrate become graph
// outputs (MinMax: through ReduceMin/ReduceMax nodes; histogram methods: the
// tensors themselves), ONNX Runtime runs it on the calibration data with
// graph optimizations off, and the collected values become ranges.
import * as fs from "node:fs";
import * as ort from "onnxruntime-node";
import { onnx } from "onnx-proto";
import { DataType, decodeModel, encodeModel, saveModel } from "../graphBuilder";
import { cloneModel, inferElemTypes, tensorValueInfo } from "../graphUtils";
import { createModelForProvider } from "../session";
import type { TensorRange } from "../quantize/qdq";
import { CalibrationDataReader, CalibrationFeeds } from "./dataReader";
import { TensorHistogram, entropyRange, percentileRange } from "./histogram";

/** ORT's `CalibrationMethod` (Distribution, for float 8, is not implemented). */
export type CalibrationMethod = "MinMax" | "Percentile" | "Entropy";

/**
 * The calibration methods, in ORT's order.
 *
 * @example
 * CALIBRATION_METHODS; // ["MinMax", "Percentile", "Entropy"]
 * for (const calibrateMethod of CALIBRATION_METHODS) await quantizeStatic("onnx/model.onnx", `onnx/model_${calibrateMethod}.onnx`, new TextCalibrationDataReader(tokenizer, texts), { calibrateMethod });
 */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = Object.freeze(["MinMax", "Percentile", "Entropy"] as const);

/** ORT's calibration extra options, typed. */
export interface CalibrationOptions {
  /** Op types whose float inputs and outputs are calibrated. Default: every op type. */
  opTypesToCalibrate?: string[];
  /** Symmetric ranges ±max|x| (ORT's CalibTensorRangeSymmetric). Default false; Percentile: true, as ORT. */
  symmetric?: boolean;
  /** MinMax: average the per-run minima and maxima instead of taking the extremes. Default false. */
  movingAverage?: boolean;
  /** MinMax with movingAverage: the smoothing constant. Default 0.01. */
  averagingConstant?: number;
  /** Histogram bins. Default: Percentile 2048, Entropy 128 (ORT's). */
  numBins?: number;
  /** Entropy: quantized levels compared by KL divergence. Default 128. */
  numQuantizedBins?: number;
  /** Percentile: share of values inside the range, in percent. Default 99.999. */
  percentile?: number;
  /** Also write the augmented model here (ORT writes augmented_model.onnx). */
  augmentedModelPath?: string;
  /** Intra-op threads for the calibration runs. Default 1. */
  intraOpNumThreads?: number;
}

const OPTION_KEYS = new Set(["opTypesToCalibrate", "symmetric", "movingAverage", "averagingConstant", "numBins", "numQuantizedBins", "percentile", "augmentedModelPath", "intraOpNumThreads"]);

/** Calibrated ranges by tensor name (ORT's TensorsData). */
export type TensorsRange = Record<string, TensorRange>;

/**
 * Base of the calibrators (ORT's CalibraterBase): picks the tensors to
 * calibrate, augments a copy of the model, runs it. Subclasses say how the
 * graph is augmented and how collected outputs become ranges.
 *
 * @example
 * const cal: CalibraterBase = await createCalibrator("model.onnx", "MinMax");
 * await cal.collectData(reader);
 * cal.computeData();
 * cal.release();
 */
export abstract class CalibraterBase {
  readonly model: onnx.ModelProto;
  readonly tensorsToCalibrate: string[];
  protected session?: ort.InferenceSession;
  protected readonly options: CalibrationOptions;

  constructor(model: onnx.IModelProto, options: CalibrationOptions = {}) {
    for (const k of Object.keys(options)) if (!OPTION_KEYS.has(k)) throw new Error(`calibration: unknown option "${k}" (known: ${[...OPTION_KEYS].join(", ")})`);
    this.options = options;
    this.model = cloneModel(model);
    this.tensorsToCalibrate = selectTensorsToCalibrate(this.model.graph!, options.opTypesToCalibrate);
    if (this.tensorsToCalibrate.length === 0) throw new Error(`calibration: no float tensors to calibrate for op types ${JSON.stringify(options.opTypesToCalibrate ?? "all")}`);
  }

  /** Adds the graph outputs that expose what this method collects. */
  abstract augmentGraph(): void;

  /** Runs the augmented model on every batch the reader gives. */
  abstract collectData(reader: CalibrationDataReader): Promise<void>;

  /** The ranges, by tensor name. */
  abstract computeData(): TensorsRange;

  /** The ONNX Runtime session of the augmented model (all optimizations off, as ORT's calibrators). */
  async createInferenceSession(): Promise<ort.InferenceSession> {
    const bytes = encodeModel(this.model);
    if (this.options.augmentedModelPath) saveModel(this.model, this.options.augmentedModelPath);
    this.session = await createModelForProvider(bytes, "cpu", { graphOptimizationLevel: "disabled", intraOpNumThreads: this.options.intraOpNumThreads ?? 1 });
    return this.session;
  }

  /** Reads every batch from the reader, keeping only the inputs the model takes. */
  protected readAll(reader: CalibrationDataReader): CalibrationFeeds[] {
    if (!reader || typeof reader.getNext !== "function") throw new Error("calibration: the data reader must have a getNext() method (a CalibrationDataReader)");
    const inputs = this.session!.inputNames;
    const batches: CalibrationFeeds[] = [];
    for (let feeds = reader.getNext(); feeds; feeds = reader.getNext()) {
      const missing = inputs.filter((n) => !(n in feeds!));
      if (missing.length) throw new Error(`calibration: batch ${batches.length} has no "${missing.join('", "')}" (the model's inputs: ${inputs.join(", ")})`);
      batches.push(Object.fromEntries(inputs.map((n) => [n, feeds![n]])));
    }
    if (batches.length === 0) throw new Error("calibration: no calibration data (the data reader's first getNext() returned nothing); give it at least one batch of inputs");
    return batches;
  }

  release(): void {
    void this.session?.release();
    this.session = undefined;
  }
}

/**
 * ORT's `select_tensors_to_calibrate`: float inputs and outputs (not initializers) of the nodes of those op types.
 *
 * @example selectTensorsToCalibrate(model.graph, ["MatMul"]); // ["embeddings/LayerNorm_output_0", …]
 */
export function selectTensorsToCalibrate(graph: onnx.IGraphProto, opTypes?: readonly string[]): string[] {
  const types = inferElemTypes(graph);
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name!));
  const out = new Set<string>();
  for (const node of graph.node ?? []) {
    if (opTypes && opTypes.length && !opTypes.includes(node.opType!)) continue;
    for (const t of [...(node.input ?? []), ...(node.output ?? [])]) {
      if (t && !initializers.has(t) && (types.get(t) === DataType.FLOAT || types.get(t) === DataType.FLOAT16)) out.add(t);
    }
  }
  return [...out];
}

function floatValues(t: ort.Tensor, name: string): Float32Array {
  if (t.type !== "float32") throw new Error(`calibration: tensor "${name}" is ${t.type}, expected float32`);
  return t.data as Float32Array;
}

/**
 * ORT's MinMaxCalibrater: a ReduceMin and a ReduceMax per tensor; the range
 * is the smallest minimum and largest maximum over all runs (or their
 * moving average), made symmetric when asked.
 *
 * @example
 * const cal = await createCalibrator(model, "MinMax");
 * await cal.collectData(reader);
 * cal.computeData(); // { "layer.0/query/MatMul_output_0": { lowest, highest }, … }
 */
export class MinMaxCalibrater extends CalibraterBase {
  private mins = new Map<string, number[]>();
  private maxs = new Map<string, number[]>();
  private range?: TensorsRange;

  augmentGraph(): void {
    const g = this.model.graph!;
    const outputs = new Set((g.output ?? []).map((o) => o.name));
    for (const t of this.tensorsToCalibrate) {
      for (const op of ["ReduceMin", "ReduceMax"]) {
        const out = `${t}_${op}`;
        if (outputs.has(out)) continue;
        g.node!.push({ name: out, opType: op, input: [t], output: [out], attribute: [{ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
        g.output!.push(tensorValueInfo(out, DataType.FLOAT, []));
      }
    }
  }

  async collectData(reader: CalibrationDataReader): Promise<void> {
    const fetch = this.tensorsToCalibrate.flatMap((t) => [`${t}_ReduceMin`, `${t}_ReduceMax`]);
    for (const feeds of this.readAll(reader)) {
      const res = await this.session!.run(feeds, fetch);
      for (const t of this.tensorsToCalibrate) {
        (this.mins.get(t) ?? this.mins.set(t, []).get(t)!).push(floatValues(res[`${t}_ReduceMin`], t)[0]);
        (this.maxs.get(t) ?? this.maxs.set(t, []).get(t)!).push(floatValues(res[`${t}_ReduceMax`], t)[0]);
      }
    }
    this.range = this.merge(this.range, this.compute());
    this.mins.clear();
    this.maxs.clear();
  }

  private compute(): TensorsRange {
    const avg = this.options.movingAverage ?? false;
    const reduce = (xs: number[], pick: (a: number, b: number) => number) => (avg ? xs.reduce((a, b) => a + b, 0) / xs.length : xs.reduce(pick));
    const out: TensorsRange = {};
    for (const t of this.tensorsToCalibrate) {
      let lowest = reduce(this.mins.get(t)!, (a, b) => Math.min(a, b));
      let highest = reduce(this.maxs.get(t)!, (a, b) => Math.max(a, b));
      if (this.options.symmetric) {
        const m = Math.max(Math.abs(lowest), Math.abs(highest));
        [lowest, highest] = [-m, m];
      }
      out[t] = { lowest: Math.fround(lowest), highest: Math.fround(highest) };
    }
    return out;
  }

  private merge(old: TensorsRange | undefined, next: TensorsRange): TensorsRange {
    if (!old) return next;
    const c = this.options.averagingConstant ?? 0.01;
    for (const [k, o] of Object.entries(old)) {
      const n = next[k];
      next[k] = this.options.movingAverage
        ? { lowest: o.lowest + c * (n.lowest - o.lowest), highest: o.highest + c * (n.highest - o.highest) }
        : { lowest: Math.min(o.lowest, n.lowest), highest: Math.max(o.highest, n.highest) };
    }
    return next;
  }

  computeData(): TensorsRange {
    if (!this.range) throw new Error("MinMaxCalibrater: no data collected yet (call collectData first)");
    return this.range;
  }
}

/**
 * ORT's HistogramCalibrater for the Percentile and Entropy methods: every
 * tensor to calibrate becomes a graph output, its values fill one histogram
 * over all the calibration data, and the range is read off the histogram.
 *
 * @example
 * const cal = await createCalibrator(model, "Percentile", { percentile: 99.99 });
 */
export class HistogramCalibrater extends CalibraterBase {
  private histograms?: Map<string, TensorHistogram>;

  constructor(model: onnx.IModelProto, readonly method: "Percentile" | "Entropy", options: CalibrationOptions = {}) {
    super(model, options);
    const o = this.options;
    if (o.numBins !== undefined && !(Number.isInteger(o.numBins) && o.numBins >= 1)) throw new Error(`calibration: numBins must be a positive integer, got ${o.numBins}`);
    if (o.percentile !== undefined && !(o.percentile >= 0 && o.percentile <= 100)) throw new Error(`calibration: percentile must be in [0, 100], got ${o.percentile}`);
  }

  private get symmetric(): boolean {
    return this.options.symmetric ?? this.method === "Percentile";
  }

  augmentGraph(): void {
    const g = this.model.graph!;
    const outputs = new Set((g.output ?? []).map((o) => o.name));
    for (const t of this.tensorsToCalibrate) if (!outputs.has(t)) g.output!.push(tensorValueInfo(t, DataType.FLOAT));
  }

  async collectData(reader: CalibrationDataReader): Promise<void> {
    if (this.histograms) throw new Error("HistogramCalibrater: collectData was already called; read all the calibration data in one call");
    const batches = this.readAll(reader);
    const numBins = this.options.numBins ?? (this.method === "Percentile" ? 2048 : 128);
    // Percentile on a symmetric range bins |x| (collect_absolute_value); otherwise values over ±max|x|.
    const mode = this.method === "Percentile" && this.symmetric ? "absolute" : "value";
    const hists = new Map(this.tensorsToCalibrate.map((t) => [t, new TensorHistogram(mode, numBins)]));
    // Two passes over the data give the histogram numpy computes over all values at once.
    for (const pass of ["observe", "add"] as const) {
      for (const feeds of batches) {
        const res = await this.session!.run(feeds, this.tensorsToCalibrate);
        for (const [t, h] of hists) h[pass](floatValues(res[t], t));
      }
    }
    this.histograms = hists;
  }

  computeData(): TensorsRange {
    if (!this.histograms) throw new Error("HistogramCalibrater: no data collected yet (call collectData first)");
    const out: TensorsRange = {};
    for (const [t, h] of this.histograms) {
      out[t] = this.method === "Percentile" ? percentileRange(h, this.options.percentile ?? 99.999, this.symmetric) : entropyRange(h, this.options.numQuantizedBins ?? 128);
    }
    return out;
  }
}

/**
 * ORT's `create_calibrator`: a calibrator for the method, its graph
 * augmented and its session created, ready for `collectData`.
 *
 * @example
 * const cal = await createCalibrator("model.onnx", "Entropy", { opTypesToCalibrate: ["MatMul"] });
 * await cal.collectData(new TextCalibrationDataReader(tokenizer, texts));
 * const ranges = cal.computeData();
 */
export async function createCalibrator(model: string | onnx.IModelProto, method: CalibrationMethod = "MinMax", options: CalibrationOptions = {}): Promise<CalibraterBase> {
  let proto: onnx.IModelProto;
  if (typeof model === "string") {
    if (!fs.existsSync(model)) throw new Error(`createCalibrator: ONNX model not found: ${model}`);
    proto = decodeModel(new Uint8Array(fs.readFileSync(model)), model);
  } else proto = model;
  let cal: CalibraterBase;
  if (method === "MinMax") cal = new MinMaxCalibrater(proto, options);
  else if (method === "Percentile" || method === "Entropy") cal = new HistogramCalibrater(proto, method, options);
  else throw new Error(`createCalibrator: unknown calibration method "${method}" (use ${CALIBRATION_METHODS.map((m) => `"${m}"`).join(", ")})`);
  cal.augmentGraph();
  await cal.createInferenceSession();
  return cal;
}
