import { onnx } from "onnx-proto";
import { OnnxQuantizer, OpQuantizer } from "./quantizer";

/**
 * Gather from a constant table (embeddings) → Gather from an 8-bit table,
 * then DequantizeLinear: 4x smaller tables, as ORT's dynamic quantization
 * also does for embeddings.
 *
 * @example quantizeDynamic("model.onnx", "model_quantized.onnx", { opTypesToQuantize: ["Gather"] });
 */
export class GatherQuantizer implements OpQuantizer {
  constructor(private readonly q: OnnxQuantizer, private readonly node: onnx.INodeProto) {}

  shouldQuantize(): boolean {
    return this.q.floatInitializer(this.node.input![0]) !== undefined;
  }

  quantize(): void {
    const { q, node } = this;
    const [data, indices] = node.input!;
    const weight = q.quantizeWeight(data);
    const gathered = q.uniqueName(`${node.output![0]}_quantized`);
    q.nodes.push(
      { name: node.name!, opType: "Gather", input: [weight.values, indices], output: [gathered], attribute: node.attribute ?? [] },
      { name: `${node.name}_DequantizeLinear`, opType: "DequantizeLinear", input: [gathered, weight.scale, weight.zeroPoint], output: [node.output![0]] },
    );
  }
}
