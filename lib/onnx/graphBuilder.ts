// A small writer of ONNX graphs over the `onnx-proto` protobuf classes:
// initializers, nodes with unique names, inputs/outputs with symbolic dims.
import { onnx } from "onnx-proto";
import { writeFileAtomic } from "../utils/fs";

/**
 * ONNX's element types (`onnx.TensorProto.DataType`), for inputs, outputs and initializers.
 *
 * @example
 * [DataType.FLOAT, DataType.UINT8, DataType.INT8, DataType.INT64]; // [1, 2, 3, 7]
 * g.input("input_ids", DataType.INT64, ["batch", "sequence"]); // as exportToOnnx declares them
 */
export const DataType = onnx.TensorProto.DataType;

export type Dim = number | string;

function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
  };
}

export type AttrValue = number | string | number[] | { floats: number[] } | onnx.ITensorProto;

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const AT = onnx.AttributeProto.AttributeType;
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (typeof v === "string") return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AT.INTS, ints: v };
  if ("floats" in v) return { name, type: AT.FLOATS, floats: v.floats };
  return { name, type: AT.TENSOR, t: v };
}

/**
 * A tensor proto with little-endian raw data.
 *
 * @example
 * tensorProto("classifier.bias", DataType.FLOAT, [2], Float32Array.of(0.5, -0.5)); // { name: "classifier.bias", dataType: 1, dims: [2], rawData: Uint8Array(8) }
 */
export function tensorProto(name: string, dataType: number, dims: number[], data: Float32Array | BigInt64Array | Int8Array | Uint8Array | Int32Array): onnx.ITensorProto {
  return { name, dataType, dims, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

/**
 * Builds an ONNX graph (inputs, initializers, nodes with unique names, outputs); `model(opset)` wraps it in a ModelProto.
 *
 * @example
 * const g = new GraphBuilder("scale");
 * g.output(g.op("Mul", [g.input("x", DataType.FLOAT, ["batch", 4]), g.scalar("two", 2)], { output: "y" }), DataType.FLOAT, ["batch", 4]);
 * saveModel(g.model(13), "outputs/onnx/scale.onnx"); // y = 2x, runs in ONNX Runtime
 */
export class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  readonly inputs: onnx.IValueInfoProto[] = [];
  readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;
  private readonly names = new Set<string>();

  constructor(readonly graphName: string) {}

  private unique(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    this.names.add(name);
    return name;
  }

  output(name: string, elemType: number, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer (weights). */
  float(name: string, dims: number[], data: Float32Array): string {
    const n = this.unique(name);
    this.initializers.push(tensorProto(n, DataType.FLOAT, dims, data));
    return n;
  }

  /** An int64 initializer (shapes, axes, indices). */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    const n = this.unique(name);
    this.initializers.push(tensorProto(n, DataType.INT64, dims, BigInt64Array.from(values.map(BigInt))));
    return n;
  }

  scalar(name: string, value: number): string {
    return this.float(name, [], Float32Array.of(value));
  }

  /** Adds a node; returns its output names (one per `outputs` count). */
  node(opType: string, inputs: string[], options: { name?: string; outputs?: number | string[]; attrs?: Record<string, AttrValue>; domain?: string } = {}): string[] {
    const name = this.unique(options.name ?? opType);
    const outs = Array.isArray(options.outputs) ? options.outputs : Array.from({ length: options.outputs ?? 1 }, (_, i) => this.unique(`${name}_output_${i}`));
    for (const o of outs) this.names.add(o);
    this.nodes.push({
      name,
      opType,
      input: inputs,
      output: outs,
      attribute: Object.entries(options.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      ...(options.domain ? { domain: options.domain } : {}),
    });
    return outs;
  }

  /** One-output node. */
  op(opType: string, inputs: string[], options: { name?: string; output?: string; attrs?: Record<string, AttrValue> } = {}): string {
    return this.node(opType, inputs, { name: options.name, outputs: options.output ? [options.output] : 1, attrs: options.attrs })[0];
  }

  model(opset: number, producer = "transformers-efficiency-workbook", extraOpsets: { domain: string; version: number }[] = []): onnx.ModelProto {
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: producer,
      producerVersion: "0.1.0",
      opsetImport: [{ domain: "", version: opset }, ...extraOpsets],
      graph: { name: this.graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
  }
}

/**
 * Serialises a model proto to bytes.
 *
 * @example
 * const session = await ort.InferenceSession.create(encodeModel(g.model(13))); // no file needed
 */
export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model as onnx.ModelProto).finish();
}

/**
 * Writes a model proto to a `.onnx` file atomically.
 *
 * @example
 * saveModel(buildOnnxModel(exportSourceOf(model)), "onnx/model.onnx"); // what exportToOnnx does
 */
export function saveModel(model: onnx.IModelProto, file: string): void {
  writeFileAtomic(file, encodeModel(model));
}

/**
 * Parses `.onnx` bytes, with a clear error for a corrupt file.
 *
 * @example
 * const model = decodeModel(new Uint8Array(fs.readFileSync("onnx/model.onnx")), "onnx/model.onnx");
 * decodeModel(Uint8Array.of(1, 2, 3), "bad.onnx"); // throws: Corrupt ONNX file bad.onnx: index out of range: …
 */
export function decodeModel(bytes: Uint8Array, source = "ONNX model"): onnx.ModelProto {
  try {
    const m = onnx.ModelProto.decode(bytes);
    if (!m.graph) throw new Error("no graph");
    return m;
  } catch (err) {
    throw new Error(`Corrupt ONNX file ${source}: ${(err as Error).message}`);
  }
}
