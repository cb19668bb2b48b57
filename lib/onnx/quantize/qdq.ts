// The QDQ format (ORT's qdq_quantizer.py): a quantized tensor is written as
// QuantizeLinear → DequantizeLinear, and every consumer reads the
// dequantized copy; a quantized weight is an 8-bit initializer read through
// DequantizeLinear. ONNX Runtime's optimizer then fuses each
// DequantizeLinear → op → QuantizeLinear group into an integer kernel.
import { onnx } from "onnx-proto";
import { computeScaleZeroPoint, qRange } from "../../int8/int8";
import { DataType, tensorProto } from "../graphBuilder";
import type { OnnxQuantizer } from "./quantizer";

/** The calibrated range of one tensor (ORT's TensorData lowest / highest). */
export interface TensorRange {
  lowest: number;
  highest: number;
}

/**
 * ORT's tensor-name suffixes, so a reader of both graphs finds the same names.
 *
 * @example quantOutputName("x"); // "x_QuantizeLinear_Output"
 */
export const quantOutputName = (t: string) => `${t}_QuantizeLinear_Output`;
/**
 * The name consumers of a quantized tensor read.
 *
 * @example dequantOutputName("x"); // "x_DequantizeLinear_Output"
 */
export const dequantOutputName = (t: string) => `${t}_DequantizeLinear_Output`;

/**
 * The tensors an OnnxQuantizer quantizes in QDQ form: activations get a
 * QuantizeLinear/DequantizeLinear pair with scale and zero point from their
 * calibrated range; weights an 8-bit initializer and a DequantizeLinear.
 *
 * @example
 * // inside an op quantizer:
 * q.qdq.activation(node.input[0], node.name); // → "…_DequantizeLinear_Output"
 * q.qdq.weight(node.input[1], 1); // per output column
 */
export class QdqTensors {
  private readonly activations = new Map<string, string>(); // tensor → the node that asked
  private readonly weights = new Map<string, string>(); // float initializer → its DequantizeLinear output

  constructor(private readonly q: OnnxQuantizer, private readonly ranges: Readonly<Record<string, TensorRange>>) {}

  /** Marks an activation for a Q/DQ pair; returns the name its consumers will read. */
  activation(tensor: string, node: string): string {
    if (!this.activations.has(tensor)) this.activations.set(tensor, node);
    return dequantOutputName(tensor);
  }

  /** A weight initializer as int8 (per tensor, or per channel along `axis`) behind a DequantizeLinear; returns the dequantized name. */
  weight(initializer: string, axis?: number): string {
    const done = this.weights.get(initializer);
    if (done) return done;
    const w = this.q.quantizeWeight(initializer, axis);
    const out = dequantOutputName(initializer);
    this.q.nodes.push({
      name: `${initializer}_DequantizeLinear`,
      opType: "DequantizeLinear",
      input: [w.values, w.scale, w.zeroPoint],
      output: [out],
      attribute: w.axis === undefined ? [] : [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: w.axis }],
    });
    this.weights.set(initializer, out);
    return out;
  }

  /** Adds the marked pairs to the graph and points every consumer at the dequantized tensors. */
  insertPairs(graph: onnx.IGraphProto): void {
    const nodes = graph.node ?? [];
    const rename = (from: string, to: string, except?: onnx.INodeProto) => {
      for (const n of nodes) if (n !== except && n.input) n.input = n.input.map((i) => (i === from ? to : i));
    };
    for (const [w, out] of this.weights) rename(w, out);
    const o = this.q.options;
    const [qmin, qmax] = qRange(o.activationType, false, o.activationSymmetric);
    const zpType = o.activationType === "QInt8" ? DataType.INT8 : DataType.UINT8;
    const graphOutputs = new Set((graph.output ?? []).map((t) => t.name!));
    for (const [tensor, node] of this.activations) {
      const range = this.ranges[tensor];
      if (!range) throw new Error(`quantizeStatic: no calibration range for tensor "${tensor}" (read or written by node "${node}"); calibrate the op types you quantize`);
      const { scale, zeroPoint } = computeScaleZeroPoint(range.lowest, range.highest, qmin, qmax, o.activationSymmetric);
      const scaleName = this.q.addInitializer(tensorProto(`${tensor}_scale`, DataType.FLOAT, [], Float32Array.of(scale)));
      const zp = zpType === DataType.INT8 ? Int8Array.of(zeroPoint) : Uint8Array.of(zeroPoint);
      const zpName = this.q.addInitializer(tensorProto(`${tensor}_zero_point`, zpType, [], zp));
      // A graph output keeps its name: its producer writes a renamed tensor that the pair reads.
      let qInput = tensor;
      let dqOutput = dequantOutputName(tensor);
      if (graphOutputs.has(tensor)) {
        qInput = `${tensor}_QuantizeLinear_Input`;
        dqOutput = tensor;
        for (const n of nodes) if (n.output) n.output = n.output.map((x) => (x === tensor ? qInput : x));
      }
      const quantize: onnx.INodeProto = { name: `${tensor}_QuantizeLinear`, opType: "QuantizeLinear", input: [qInput, scaleName, zpName], output: [quantOutputName(tensor)] };
      const dequantize: onnx.INodeProto = { name: `${tensor}_DequantizeLinear`, opType: "DequantizeLinear", input: [quantOutputName(tensor), scaleName, zpName], output: [dqOutput] };
      if (!graphOutputs.has(tensor)) rename(tensor, dqOutput, quantize);
      nodes.push(quantize, dequantize);
    }
    graph.node = nodes;
  }
}
