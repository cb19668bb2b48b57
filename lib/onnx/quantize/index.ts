import * as fs from "node:fs";
import { OnnxQuantizer, OpQuantizerCtor, QuantizeDynamicOptions } from "./quantizer";
import { MatMulQuantizer } from "./matmul";
import { GatherQuantizer } from "./gather";
import { decodeModel, saveModel } from "../graphBuilder";

export * from "./quantizer";
export * from "./qdq";
export * from "./static";
export { MatMulQuantizer } from "./matmul";
export { GatherQuantizer } from "./gather";
export { QDQMatMulQuantizer } from "./qdqMatmul";

/**
 * Op type → quantizer for dynamic quantization; adding an op is one entry.
 *
 * @example Object.keys(DYNAMIC_QUANTIZERS); // ["MatMul", "Gather"]
 */
export const DYNAMIC_QUANTIZERS: Readonly<Record<string, OpQuantizerCtor>> = Object.freeze({
  MatMul: MatMulQuantizer,
  Gather: GatherQuantizer,
});

/**
 * ONNX Runtime's `quantize_dynamic`, in TypeScript (a model file in, a
 * model file out; PyTorch's `quantize_dynamic` on a model object is
 * `quantizeDynamicModel`): weights of MatMul and
 * Gather become 8-bit initializers with scales and zero points; activations
 * are quantized on the fly. Returns the names of the quantized nodes.
 *
 * @example quantizeDynamic("onnx/model.onnx", "onnx/model_quantized.onnx", { weightType: "QInt8" });
 */
export function quantizeDynamic(modelInput: string, modelOutput: string, options: QuantizeDynamicOptions = {}): { quantizedNodes: string[] } {
  const known = new Set(["weightType", "perChannel", "reduceRange", "opTypesToQuantize", "nodesToQuantize", "nodesToExclude"]);
  for (const k of Object.keys(options)) if (!known.has(k)) throw new Error(`quantizeDynamic: unknown option "${k}" (known: ${[...known].join(", ")})`);
  if (!fs.existsSync(modelInput)) throw new Error(`quantizeDynamic: ONNX model not found: ${modelInput}`);
  const weightType = options.weightType ?? "QInt8";
  if (weightType !== "QInt8" && weightType !== "QUInt8") throw new Error(`quantizeDynamic: weightType must be "QInt8" or "QUInt8", got "${weightType}"`);
  const opTypes = options.opTypesToQuantize ?? Object.keys(DYNAMIC_QUANTIZERS);
  const unsupported = opTypes.filter((t) => !(t in DYNAMIC_QUANTIZERS));
  if (unsupported.length) throw new Error(`quantizeDynamic: unsupported op types in opTypesToQuantize: ${unsupported.join(", ")} (supported: ${Object.keys(DYNAMIC_QUANTIZERS).join(", ")})`);
  const model = decodeModel(new Uint8Array(fs.readFileSync(modelInput)), modelInput);
  const q = new OnnxQuantizer(
    model,
    {
      weightType,
      activationType: "QUInt8", // DynamicQuantizeLinear's
      perChannel: options.perChannel ?? false,
      reduceRange: options.reduceRange ?? false,
      weightSymmetric: weightType === "QInt8",
      activationSymmetric: false,
      opTypesToQuantize: opTypes,
      nodesToQuantize: options.nodesToQuantize,
      nodesToExclude: options.nodesToExclude ?? [],
      opTypesToExcludeOutputQuantization: [],
    },
    DYNAMIC_QUANTIZERS,
  );
  saveModel(q.quantizeModel(), modelOutput);
  return { quantizedNodes: q.quantizedNodes };
}
