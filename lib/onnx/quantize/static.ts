import * as fs from "node:fs";
import { QuantType } from "../../int8/int8";
import { decodeModel, saveModel } from "../graphBuilder";
import { CalibrationDataReader } from "../calibration/dataReader";
import { CALIBRATION_METHODS, CalibrationMethod, CalibrationOptions, TensorsRange, createCalibrator } from "../calibration/calibrator";
import { OnnxQuantizer, OpQuantizerCtor } from "./quantizer";
import { QDQMatMulQuantizer } from "./qdqMatmul";
import { GatherQuantizer } from "./gather";

/**
 * Op type → quantizer for static QDQ quantization. Gather stores its table in int8 and dequantizes the rows it reads.
 *
 * @example Object.keys(QDQ_QUANTIZERS); // ["MatMul", "Gather"]
 */
export const QDQ_QUANTIZERS: Readonly<Record<string, OpQuantizerCtor>> = Object.freeze({
  MatMul: QDQMatMulQuantizer,
  Gather: GatherQuantizer,
});

/** ORT's QuantFormat: only QDQ is written here (QOperator's QLinear* ops are what ORT's optimizer makes of it). */
export type QuantFormat = "QDQ" | "QOperator";

/** Options of `quantizeStatic` (ORT's quantize_static arguments and extra options, typed). */
export interface QuantizeStaticOptions {
  /** Default "QDQ" (the only format written). */
  quantFormat?: QuantFormat;
  /** Activations: default "QUInt8", asymmetric. */
  activationType?: QuantType;
  /** Weights: default "QInt8", symmetric. */
  weightType?: QuantType;
  /** One weight scale per output column of each MatMul. Default false. */
  perChannel?: boolean;
  /** 7-bit weights. Default false. */
  reduceRange?: boolean;
  /** Default: every op type of the QDQ registry (MatMul, Gather). */
  opTypesToQuantize?: string[];
  nodesToQuantize?: string[];
  nodesToExclude?: string[];
  /** Default "MinMax". */
  calibrateMethod?: CalibrationMethod;
  /** Options of the calibration method (ORT's Calib* extra options). */
  calibration?: Omit<CalibrationOptions, "opTypesToCalibrate">;
  /** Symmetric activations (ORT's ActivationSymmetric). Default false. */
  activationSymmetric?: boolean;
  /** Symmetric weights (ORT's WeightSymmetric). Default: true for QInt8. */
  weightSymmetric?: boolean;
  /** Op types whose outputs stay float (ORT's OpTypesToExcludeOutputQuantization). Default none: MatMul outputs are quantized too. */
  opTypesToExcludeOutputQuantization?: string[];
}

const KEYS = new Set(["quantFormat", "activationType", "weightType", "perChannel", "reduceRange", "opTypesToQuantize", "nodesToQuantize", "nodesToExclude", "calibrateMethod", "calibration", "activationSymmetric", "weightSymmetric", "opTypesToExcludeOutputQuantization"]);

/**
 * ONNX Runtime's `quantize_static` in QDQ format: calibrates the activations
 * of the op types to quantize on the data reader's batches (MinMax,
 * Percentile or Entropy), then writes QuantizeLinear/DequantizeLinear pairs
 * around each MatMul (activations QUInt8 asymmetric, weights QInt8
 * symmetric by default) and int8 embedding tables for Gather. Returns the
 * quantized nodes and the calibrated ranges.
 *
 * @example
 * const reader = new TextCalibrationDataReader(tokenizer, validationTexts);
 * await quantizeStatic("onnx/model.onnx", "onnx/model_static.onnx", reader, { calibrateMethod: "Percentile" });
 */
export async function quantizeStatic(modelInput: string, modelOutput: string, calibrationDataReader: CalibrationDataReader, options: QuantizeStaticOptions = {}): Promise<{ quantizedNodes: string[]; tensorsRange: TensorsRange }> {
  const where = "quantizeStatic";
  for (const k of Object.keys(options)) if (!KEYS.has(k)) throw new Error(`${where}: unknown option "${k}" (known: ${[...KEYS].join(", ")})`);
  if (!fs.existsSync(modelInput)) throw new Error(`${where}: ONNX model not found: ${modelInput}`);
  const format = options.quantFormat ?? "QDQ";
  if (format !== "QDQ") throw new Error(`${where}: quantFormat "${format}" is not supported; write "QDQ" (ONNX Runtime turns the pairs into QLinear* kernels when it optimizes the graph)`);
  const types: QuantType[] = ["QInt8", "QUInt8"];
  const activationType = options.activationType ?? "QUInt8";
  const weightType = options.weightType ?? "QInt8";
  if (!types.includes(activationType)) throw new Error(`${where}: activationType must be "QInt8" or "QUInt8", got "${activationType}"`);
  if (!types.includes(weightType)) throw new Error(`${where}: weightType must be "QInt8" or "QUInt8", got "${weightType}"`);
  const method = options.calibrateMethod ?? "MinMax";
  if (!CALIBRATION_METHODS.includes(method)) throw new Error(`${where}: calibrateMethod must be one of ${CALIBRATION_METHODS.map((m) => `"${m}"`).join(", ")}, got "${method}"`);
  const opTypes = options.opTypesToQuantize ?? Object.keys(QDQ_QUANTIZERS);
  const unsupported = opTypes.filter((t) => !(t in QDQ_QUANTIZERS));
  if (unsupported.length) throw new Error(`${where}: unsupported op types in opTypesToQuantize: ${unsupported.join(", ")} (supported: ${Object.keys(QDQ_QUANTIZERS).join(", ")})`);
  if (options.calibration && "opTypesToCalibrate" in options.calibration) throw new Error(`${where}: calibration.opTypesToCalibrate follows opTypesToQuantize; set that instead`);

  const model = decodeModel(new Uint8Array(fs.readFileSync(modelInput)), modelInput);
  const calibrator = await createCalibrator(model, method, { ...options.calibration, opTypesToCalibrate: opTypes });
  let tensorsRange: TensorsRange;
  try {
    await calibrator.collectData(calibrationDataReader);
    tensorsRange = calibrator.computeData();
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  } finally {
    calibrator.release();
  }
  const q = new OnnxQuantizer(
    model,
    {
      weightType,
      activationType,
      perChannel: options.perChannel ?? false,
      reduceRange: options.reduceRange ?? false,
      weightSymmetric: options.weightSymmetric ?? weightType === "QInt8",
      activationSymmetric: options.activationSymmetric ?? false,
      opTypesToQuantize: opTypes,
      nodesToQuantize: options.nodesToQuantize,
      nodesToExclude: options.nodesToExclude ?? [],
      opTypesToExcludeOutputQuantization: options.opTypesToExcludeOutputQuantization ?? [],
    },
    QDQ_QUANTIZERS,
    { tensorsRange },
  );
  saveModel(q.quantizeModel(), modelOutput);
  return { quantizedNodes: q.quantizedNodes, tensorsRange };
}
