import { onnx } from "onnx-proto";
import { OnnxQuantizer, OpQuantizer } from "./quantizer";
import { DataType } from "../graphBuilder";

/**
 * MatMul with a constant weight → DynamicQuantizeLinear(A) + MatMulInteger,
 * then Cast to float and one Mul by scale_A · scale_B (ORT's dynamic path;
 * ORT fuses it into MatMulIntegerToFloat). MatMuls of two activations stay float.
 *
 * @example quantizeDynamic("model.onnx", "model_quantized.onnx", { opTypesToQuantize: ["MatMul"] });
 */
export class MatMulQuantizer implements OpQuantizer {
  constructor(private readonly q: OnnxQuantizer, private readonly node: onnx.INodeProto) {}

  shouldQuantize(): boolean {
    const w = this.q.floatInitializer(this.node.input![1]);
    return w !== undefined && (w.dims?.length ?? 0) === 2;
  }

  quantize(): void {
    const { q, node } = this;
    const [a, b] = node.input!;
    const base = node.name!;
    const weight = q.quantizeWeight(b, q.options.perChannel ? 1 : undefined);
    const aQ = q.uniqueName(`${a}_quantized`);
    const aScale = q.uniqueName(`${a}_scale`);
    const aZp = q.uniqueName(`${a}_zero_point`);
    const int32 = q.uniqueName(`${node.output![0]}_int32`);
    const asFloat = q.uniqueName(`${node.output![0]}_cast`);
    const scale = q.uniqueName(`${node.output![0]}_scale`);
    q.nodes.push(
      { name: `${base}_DynamicQuantizeLinear`, opType: "DynamicQuantizeLinear", input: [a], output: [aQ, aScale, aZp] },
      { name: `${base}_MatMulInteger`, opType: "MatMulInteger", input: [aQ, weight.values, aZp, weight.zeroPoint], output: [int32] },
      { name: `${base}_Cast`, opType: "Cast", input: [int32], output: [asFloat], attribute: [{ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: DataType.FLOAT }] },
      { name: `${base}_scales_Mul`, opType: "Mul", input: [aScale, weight.scale], output: [scale] },
      { name: `${base}_output_Mul`, opType: "Mul", input: [asFloat, scale], output: [node.output![0]] },
    );
  }
}
