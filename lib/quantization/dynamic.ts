// PyTorch's dynamic quantization of a model object
// (torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)),
// as the chapter applies it to the distilled student: the weights of every
// Linear layer become int8 (MinMaxObserver, symmetric, per tensor; or
// per-channel), activations are quantized on the fly at each call, the
// embeddings and LayerNorms stay float32. The int8 compute runs in ONNX
// Runtime: the model is written as an ONNX graph whose Linear layers are
// DynamicQuantizeLinear + MatMulInteger on exactly these int8 weights.
//
// Naming: this is `quantizeDynamicModel`, PyTorch's
// `torch.quantization.quantize_dynamic` on a model (one public name); `quantizeDynamic(modelPath, outPath)` in
// lib/onnx/quantize is ONNX Runtime's function on a .onnx file.
import * as fs from "node:fs";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { onnx } from "onnx-proto";
import { ModelConfig, EncoderSpec, numLabels } from "../models/config";
import { ParamScheme, PreTrainedModel, readConfig } from "../models/modeling";
import { createModelFromConfig } from "../models/auto";
import { registerModelKind } from "../models/registry";
import { withoutFolderRecords } from "../models/folder";
import { rejectWidePart } from "../models/wideNgrams";
import { readSafetensors, toFloat32, writeSafetensors, SafeTensor } from "../models/safetensors";
import { writeJsonAtomic } from "../utils/fs";
import { buildOnnxModel, OnnxExportSource } from "../onnx/export";
import { encodeModel, saveModel } from "../onnx/graphBuilder";
import { OnnxQuantizer } from "../onnx/quantize/quantizer";
import { MatMulQuantizer } from "../onnx/quantize/matmul";
import { batchFeeds, createModelForProvider, logitsRows, SessionOptions } from "../onnx/session";
import type { ModelBatch } from "../models/sequenceClassification";
import { QuantizedTensor } from "../int8/int8";
import { MinMaxObserver, PerChannelMinMaxObserver } from "../int8/observer";
import { QTensor, qtensorFromIntRepr } from "../int8/qtensor";

/** Module types `quantizeDynamicModel` replaces (torch's `{nn.Linear}`). */
export type DynamicQuantModuleType = "Linear";
/** Weight dtypes it writes (torch's `dtype=torch.qint8`). */
export type DynamicQuantDtype = "qint8";

/**
 * The module types `quantizeDynamicModel` knows.
 *
 * @example
 * DYNAMIC_QUANT_MODULE_TYPES; // ["Linear"]
 * const quantized = quantizeDynamicModel(model, DYNAMIC_QUANT_MODULE_TYPES, "qint8"); // torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
 */
export const DYNAMIC_QUANT_MODULE_TYPES: readonly DynamicQuantModuleType[] = Object.freeze(["Linear"] as const);

/** Options of `quantizeDynamicModel`. */
export interface QuantizeDynamicModelOptions {
  /** One scale per output row of each weight (torch's per_channel_dynamic_qconfig). Default false (default_dynamic_qconfig). */
  perChannel?: boolean;
}

/** A Linear layer after dynamic quantization: int8 weight in PyTorch layout [out, in], float bias. */
export interface DynamicQuantizedLinear {
  weight: QTensor;
  bias: Float32Array;
}

/**
 * A model whose Linear layers hold int8 weights (torch's
 * `DynamicQuantizedLinear`); the rest stays float32. It runs on int8
 * kernels through ONNX Runtime: `forward`, or `pipeline("text-classification",
 * model, { tokenizer })`; `savePretrained` writes the int8 weights, so
 * `PerformanceBenchmark.computeSize` measures what is stored.
 *
 * @example
 * const q = quantizeDynamicModel(model, ["Linear"], "qint8");
 * q.linears.get("classifier")!.weight.intRepr(); // Int8Array
 * await q.forward(tokenizer.call(["What is the pin number for my account?"])); // [Float32Array(151)]
 */
export class DynamicQuantizedModel {
  private sessionPromise?: Promise<ort.InferenceSession>;
  private disposed = false;

  /** Throws once the model was disposed. */
  private checkAlive(): void {
    if (this.disposed) throw new Error("DynamicQuantizedModel: this model was disposed (dispose() released its session); load or quantize it again");
  }

  /** @internal use quantizeDynamicModel or DynamicQuantizedModel.fromPretrained */
  constructor(
    readonly config: ModelConfig,
    readonly spec: EncoderSpec,
    readonly scheme: ParamScheme,
    readonly architecture: string,
    /** Quantized Linear layers by module name (e.g. "classifier"). */
    readonly linears: ReadonlyMap<string, DynamicQuantizedLinear>,
    /** Every other parameter, float32, Hugging Face layout. */
    readonly floatParams: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
    readonly perChannel: boolean,
    /** ONNX Runtime session options for `forward` (default: one intra-op thread, every optimization). */
    public sessionOptions: SessionOptions = {},
  ) {}

  get numLabels(): number {
    return numLabels(this.config);
  }

  /** The model's position limit (inputs are truncated to it). */
  get maxSequenceLength(): number {
    return this.spec.maxPositions;
  }

  /** The weights as the ONNX exporter reads them: Linear weights dequantized, [in, out]. */
  exportSource(): OnnxExportSource {
    this.checkAlive();
    return {
      spec: this.spec,
      scheme: this.scheme,
      numLabels: this.numLabels,
      architecture: this.architecture,
      weight: (name: string) => {
        const lin = name.endsWith(".weight") ? this.linears.get(name.slice(0, -".weight".length)) : undefined;
        if (lin) {
          const [out, inp] = lin.weight.shape;
          return { dims: [inp, out], data: transpose(lin.weight.dequantize(), out, inp) };
        }
        const p = this.floatParams.get(name) ?? (name.endsWith(".bias") ? bias(this.linears.get(name.slice(0, -".bias".length))) : undefined);
        if (!p) throw new Error(`DynamicQuantizedModel: no parameter named "${name}"`);
        return { dims: [...p.shape], data: p.data };
      },
    };
  }

  /**
   * The model as an ONNX graph: each Linear is DynamicQuantizeLinear (uint8
   * activations, per call) + MatMulInteger on these int8 weights, which ONNX
   * Runtime fuses into one int8 kernel; embeddings stay float32.
   */
  toOnnx(): onnx.ModelProto {
    this.checkAlive();
    const proto = buildOnnxModel(this.exportSource());
    const prequantized = new Map<string, QuantizedTensor>();
    for (const [name, lin] of this.linears) prequantized.set(`${name}.weight`, onnxLayout(lin.weight));
    const q = new OnnxQuantizer(
      proto,
      {
        weightType: "QInt8",
        activationType: "QUInt8",
        perChannel: this.perChannel,
        reduceRange: false,
        weightSymmetric: true,
        activationSymmetric: false,
        opTypesToQuantize: ["MatMul"],
        nodesToExclude: [],
        opTypesToExcludeOutputQuantization: [],
      },
      { MatMul: MatMulQuantizer },
      { prequantized },
    );
    return q.quantizeModel();
  }

  /** Writes `toOnnx()` to a file. */
  exportToOnnx(file: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    saveModel(this.toOnnx(), file);
  }

  /** The ONNX Runtime session that runs the model (created once, on first use). */
  session(): Promise<ort.InferenceSession> {
    this.checkAlive();
    this.sessionPromise ??= createModelForProvider(encodeModel(this.toOnnx()), "cpu", this.sessionOptions);
    return this.sessionPromise;
  }

  /** Logits, one row per text of a tokenized batch, computed with int8 kernels. */
  async forward(batch: ModelBatch): Promise<Float32Array[]> {
    this.checkAlive();
    const s = await this.session();
    const { logits } = await s.run(batchFeeds(batch, s.inputNames));
    return logitsRows(logits);
  }

  /**
   * Writes config.json (with a `quantization_config`) and model.safetensors
   * holding each Linear weight as I8 [out, in] with its scale and zero point
   * (like `torch.save(quantized_model.state_dict())`), the rest as F32.
   */
  savePretrained(dir: string): void {
    this.checkAlive();
    fs.mkdirSync(dir, { recursive: true });
    const tensors = new Map<string, SafeTensor>();
    for (const [name, p] of this.floatParams) tensors.set(name, { dtype: "F32", shape: p.shape, data: p.data });
    for (const [name, lin] of this.linears) {
      const w = lin.weight;
      tensors.set(`${name}.weight`, { dtype: "I8", shape: [...w.shape], data: w.intRepr() as Int8Array });
      const scales = this.perChannel ? Float32Array.from(w.qPerChannelScales()) : Float32Array.of(w.qScale());
      const zps = this.perChannel ? Int8Array.from(w.qPerChannelZeroPoints()) : Int8Array.of(w.qZeroPoint());
      tensors.set(`${name}.weight_scale`, { dtype: "F32", shape: [scales.length], data: scales });
      tensors.set(`${name}.weight_zero_point`, { dtype: "I8", shape: [zps.length], data: zps });
      tensors.set(`${name}.bias`, { dtype: "F32", shape: [lin.bias.length], data: lin.bias });
    }
    // config.json first: writing model.safetensors then records its checksum there (loading verifies it).
    writeJsonAtomic(path.join(dir, "config.json"), {
      ...withoutFolderRecords(this.config),
      quantization_config: { quant_method: "dynamic", dtype: "qint8", modules: [...DYNAMIC_QUANT_MODULE_TYPES], qscheme: this.perChannel ? "per_channel_symmetric" : "per_tensor_symmetric" },
    });
    writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt", quantization: "dynamic_qint8" });
  }

  /**
   * Reads a folder written by `savePretrained`.
   *
   * @example const q = DynamicQuantizedModel.fromPretrained("outputs/distilbert-clinc-int8");
   */
  static fromPretrained(dir: string): DynamicQuantizedModel {
    const config = readConfig(dir) as ModelConfig & { quantization_config?: { quant_method?: string; qscheme?: string } };
    const qc = config.quantization_config;
    if (qc?.quant_method !== "dynamic") throw new Error(`DynamicQuantizedModel.fromPretrained: ${dir}/config.json has no dynamic quantization_config; load float models with AutoModelForSequenceClassification`);
    const perChannel = qc.qscheme === "per_channel_symmetric";
    const { tensors } = readSafetensors(path.join(dir, "model.safetensors"));
    const shell = createModelFromConfig(config);
    const [spec, scheme, architecture] = [shell.spec, shell.scheme, shell.constructor.name];
    shell.dispose();
    const linears = new Map<string, DynamicQuantizedLinear>();
    const floats = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, t] of tensors) {
      if (t.dtype === "I8" && name.endsWith(".weight")) {
        const m = name.slice(0, -".weight".length);
        const scale = tensors.get(`${m}.weight_scale`);
        const zp = tensors.get(`${m}.weight_zero_point`);
        const b = tensors.get(`${m}.bias`);
        if (!scale || !zp || !b) throw new Error(`DynamicQuantizedModel.fromPretrained: ${m} lacks its weight_scale, weight_zero_point or bias in ${dir}/model.safetensors`);
        const params = perChannel ? { scales: toFloat32(scale), zeroPoints: zp.data as Int8Array, axis: 0 } : { scale: toFloat32(scale)[0], zeroPoint: (zp.data as Int8Array)[0] };
        linears.set(m, { weight: qtensorFromIntRepr(t.data as Int8Array, t.shape, "qint8", params, perChannel ? "per_channel_symmetric" : "per_tensor_symmetric"), bias: toFloat32(b) });
      }
    }
    for (const [name, t] of tensors) {
      const m = name.replace(/\.(weight|bias|weight_scale|weight_zero_point)$/, "");
      if (!linears.has(m)) floats.set(name, { shape: t.shape, data: toFloat32(t) });
    }
    return new DynamicQuantizedModel(config, spec, scheme, architecture, linears, floats, perChannel);
  }

  /** Releases the ONNX Runtime session; every later use is an error naming it, and a second dispose does nothing. */
  dispose(): void {
    this.disposed = true;
    const s = this.sessionPromise;
    this.sessionPromise = undefined;
    void s?.then((x) => x.release()).catch(() => undefined);
  }
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

function bias(lin: DynamicQuantizedLinear | undefined): { shape: number[]; data: Float32Array } | undefined {
  return lin && { shape: [lin.bias.length], data: lin.bias };
}

/** A PyTorch-layout [out, in] int8 weight as the MatMul's [in, out] QuantizedTensor (per-channel axis 0 → 1). */
function onnxLayout(w: QTensor): QuantizedTensor {
  const [out, inp] = w.shape;
  const ints = w.intRepr() as Int8Array;
  const values = new Int8Array(ints.length);
  for (let r = 0; r < out; r++) for (let c = 0; c < inp; c++) values[c * out + r] = ints[r * inp + c];
  const perChannel = w.qScheme() === "per_channel_symmetric" || w.qScheme() === "per_channel_affine";
  return perChannel
    ? { type: "QInt8", shape: [inp, out], values, scale: Float32Array.from(w.qPerChannelScales()), zeroPoint: Int8Array.from(w.qPerChannelZeroPoints()), axis: 1 }
    : { type: "QInt8", shape: [inp, out], values, scale: Float32Array.of(w.qScale()), zeroPoint: Int8Array.of(w.qZeroPoint()) };
}

/**
 * PyTorch's `torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)`
 * for our models: a new `DynamicQuantizedModel` whose Linear weights are
 * int8, observed with torch's default weight observer (MinMax, symmetric,
 * per tensor: scale = max|w| / 127.5, zero point 0), or per output row with
 * `perChannel`. The float model is left as it is.
 *
 * Not to be confused with ONNX Runtime's `quantizeDynamic(modelPath, outPath)`,
 * which works on a .onnx file.
 *
 * @example
 * const modelQuantized = quantizeDynamicModel(model, ["Linear"], "qint8");
 * const pipe = pipeline("text-classification", modelQuantized, { tokenizer });
 * await new PerformanceBenchmark(pipe, clinc.test, "Distillation + quantization").runBenchmark();
 */
export function quantizeDynamicModel(
  model: PreTrainedModel,
  qconfigSpec: Iterable<DynamicQuantModuleType> = DYNAMIC_QUANT_MODULE_TYPES,
  dtype: DynamicQuantDtype = "qint8",
  options: QuantizeDynamicModelOptions = {},
): DynamicQuantizedModel {
  const where = "quantizeDynamicModel";
  if (typeof qconfigSpec === "string") throw new Error(`${where}: qconfigSpec must be a list of module types such as ["Linear"], got the string "${qconfigSpec}"`);
  const types = [...qconfigSpec] as string[];
  const unsupported = types.filter((t) => !(DYNAMIC_QUANT_MODULE_TYPES as readonly string[]).includes(t));
  if (unsupported.length) throw new Error(`${where}: module type${unsupported.length > 1 ? "s" : ""} ${unsupported.map((t) => `"${t}"`).join(", ")} not supported (supported: "Linear"; these models have no LSTM/GRU/Conv layers)`);
  if (types.length === 0) throw new Error(`${where}: qconfigSpec is empty; pass ["Linear"]`);
  if ((dtype as string) !== "qint8") throw new Error(`${where}: dtype "${dtype}" is not supported (use "qint8"; PyTorch's float16 and quint8 dynamic modes are not implemented here)`);
  for (const k of Object.keys(options)) if (k !== "perChannel") throw new Error(`${where}: unknown option "${k}" (known: perChannel)`);
  if (!(model instanceof PreTrainedModel)) throw new Error(`${where}: expected one of our models (a PreTrainedModel), got ${model === null ? "null" : typeof model === "object" ? (model as object).constructor?.name ?? "an object" : typeof model}`);
  rejectWidePart(model.config, where);
  const perChannel = options.perChannel ?? false;
  const linears = new Map<string, DynamicQuantizedLinear>();
  const floats = new Map<string, { shape: number[]; data: Float32Array }>();
  const linearNames = [...model.params.keys()].filter((n) => model.isLinearWeight(n));
  if (linearNames.length === 0) throw new Error(`${where}: the model has no Linear (dense) layers to quantize`);
  const read = (name: string) => {
    const t = model.weight(name); // as the forward pass sees it (pruning masks applied)
    return { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
  };
  for (const name of linearNames) {
    const module = name.slice(0, -".weight".length);
    const { shape, data } = read(name); // [in, out]
    const [inp, out] = shape;
    const w = transpose(data, inp, out); // PyTorch's [out, in]
    let weight: QTensor;
    if (perChannel) {
      const obs = new PerChannelMinMaxObserver({ dtype: "qint8", qscheme: "per_channel_symmetric", chAxis: 0 });
      weight = obs.quantize(obs.forward(w, [out, inp]), [out, inp]);
    } else {
      const obs = new MinMaxObserver({ dtype: "qint8", qscheme: "per_tensor_symmetric" });
      weight = obs.quantize(obs.forward(w), [out, inp]);
    }
    linears.set(module, { weight, bias: read(`${module}.bias`).data });
  }
  for (const name of model.params.keys()) {
    const module = name.replace(/\.(weight|bias)$/, "");
    if (!linears.has(module)) floats.set(name, read(name));
  }
  return new DynamicQuantizedModel(model.config, model.spec, model.scheme, model.constructor.name, linears, floats, perChannel);
}

registerModelKind({
  name: "dynamic-int8",
  runtime: "onnxruntime",
  matches: (_dir, config) => (config.quantization_config as { quant_method?: string } | undefined)?.quant_method === "dynamic",
  load: (dir) => DynamicQuantizedModel.fromPretrained(dir),
});
