// Small graph helpers shared by the quantizers and the calibrators: node
// order, element types of intermediate tensors (our graphs carry no
// value_info), and copies of a model.
import { onnx } from "onnx-proto";
import { DataType, decodeModel, encodeModel } from "./graphBuilder";

/**
 * Orders nodes so every node comes after the producers of its inputs,
 * keeping the original order where it is free (a depth-first walk from each
 * node in turn). Throws on a cycle or an input nobody produces.
 *
 * @example graph.node = topologicalSort(graph);
 */
export function topologicalSort(graph: onnx.IGraphProto): onnx.INodeProto[] {
  const nodes = graph.node ?? [];
  const available = new Set<string>(["", ...(graph.input ?? []).map((i) => i.name!), ...(graph.initializer ?? []).map((t) => t.name!)]);
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => (n.output ?? []).forEach((o) => producer.set(o, i)));
  const state = new Uint8Array(nodes.length); // 0 new, 1 visiting, 2 done
  const out: onnx.INodeProto[] = [];
  const visit = (i: number, path: string[]) => {
    if (state[i] === 2) return;
    if (state[i] === 1) throw new Error(`topologicalSort: the graph has a cycle through ${[...path, nodes[i].name].join(" → ")}`);
    state[i] = 1;
    for (const input of nodes[i].input ?? []) {
      if (available.has(input)) continue;
      const p = producer.get(input);
      if (p === undefined) throw new Error(`topologicalSort: node "${nodes[i].name}" reads "${input}", which no node, input or initializer provides`);
      visit(p, [...path, nodes[i].name ?? ""]);
    }
    state[i] = 2;
    out.push(nodes[i]);
  };
  nodes.forEach((_, i) => visit(i, []));
  return out;
}

const BOOL_OPS = new Set(["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf"]);

/**
 * The element type (an ONNX `DataType`) of every tensor whose type follows
 * from the graph inputs, initializers and the ops we export: Cast, Shape,
 * (Dynamic)QuantizeLinear, DequantizeLinear, MatMulInteger, comparisons;
 * other ops keep their first input's type. Tensors it cannot tell are absent.
 *
 * @example inferElemTypes(model.graph).get("layer.0/query/MatMul_output_0"); // DataType.FLOAT
 */
export function inferElemTypes(graph: onnx.IGraphProto): Map<string, number> {
  const types = new Map<string, number>();
  const fromInfo = (vi: onnx.IValueInfoProto) => {
    const t = vi.type?.tensorType?.elemType;
    if (vi.name && t) types.set(vi.name, t);
  };
  (graph.input ?? []).forEach(fromInfo);
  (graph.valueInfo ?? []).forEach(fromInfo);
  (graph.output ?? []).forEach(fromInfo);
  for (const t of graph.initializer ?? []) if (t.name && t.dataType) types.set(t.name, t.dataType);
  for (const node of topologicalSort(graph)) {
    const ins = node.input ?? [];
    const outs = node.output ?? [];
    const first = ins.map((i) => types.get(i)).find((t) => t !== undefined);
    const attr = (name: string) => (node.attribute ?? []).find((a) => a.name === name);
    let t: (number | undefined)[];
    switch (node.opType) {
      case "Cast":
        t = [Number(attr("to")?.i ?? 0) || undefined];
        break;
      case "Shape":
      case "Size":
      case "NonZero":
      case "ArgMax":
      case "ArgMin":
        t = [DataType.INT64];
        break;
      case "QuantizeLinear":
        t = [types.get(ins[2]) ?? DataType.UINT8];
        break;
      case "DequantizeLinear":
        t = [DataType.FLOAT];
        break;
      case "DynamicQuantizeLinear":
        t = [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
        break;
      case "MatMulInteger":
        t = [DataType.INT32];
        break;
      case "Where":
        t = [types.get(ins[1])];
        break;
      default:
        t = [BOOL_OPS.has(node.opType ?? "") ? DataType.BOOL : first];
    }
    outs.forEach((o, i) => {
      if (o && t[i] !== undefined && !types.has(o)) types.set(o, t[i]!);
    });
  }
  return types;
}

/**
 * A deep copy of a model (through its bytes), so a quantizer or calibrator
 * can rewrite it without touching the caller's.
 *
 * @example const augmented = cloneModel(model);
 */
export function cloneModel(model: onnx.IModelProto): onnx.ModelProto {
  return decodeModel(encodeModel(model));
}

/**
 * Value info for a graph output of a known element type (shape optional).
 *
 * @example graph.output.push(tensorValueInfo("x_ReduceMin", DataType.FLOAT, []));
 */
export function tensorValueInfo(name: string, elemType: number, dims?: (number | string)[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, ...(dims ? { shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } : {}) } },
  };
}
