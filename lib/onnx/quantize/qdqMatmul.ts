import { onnx } from "onnx-proto";
import { OnnxQuantizer, OpQuantizer } from "./quantizer";

/**
 * MatMul in QDQ form (ORT's QDQMatMul): a constant weight becomes int8
 * behind a DequantizeLinear (per output column with `perChannel`), every
 * other input and the output get QuantizeLinear/DequantizeLinear pairs
 * from their calibrated ranges. The node itself stays a float MatMul: ONNX
 * Runtime's optimizer turns the group into QLinearMatMul (or
 * MatMulIntegerToFloat when the output is left unquantized).
 *
 * @example await quantizeStatic("model.onnx", "model_static.onnx", reader, { opTypesToQuantize: ["MatMul"] });
 */
export class QDQMatMulQuantizer implements OpQuantizer {
  constructor(private readonly q: OnnxQuantizer, private readonly node: onnx.INodeProto) {}

  shouldQuantize(): boolean {
    return (this.node.input ?? []).length === 2;
  }

  quantize(): void {
    const { q, node } = this;
    for (const t of node.input!) {
      const w = q.floatInitializer(t);
      if (w) q.qdq.weight(t, q.options.perChannel && (w.dims?.length ?? 0) === 2 ? 1 : undefined);
      else q.qdq.activation(t, node.name!);
    }
    if (!q.options.opTypesToExcludeOutputQuantization.includes(node.opType!)) q.qdq.activation(node.output![0], node.name!);
    q.nodes.push(node);
  }
}
