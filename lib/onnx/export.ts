import * as fs from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { onnx } from "onnx-proto";
import { EncoderSpec } from "../models/config";
import { ParamScheme, PreTrainedModel } from "../models/modeling";
import { DataType, GraphBuilder, saveModel } from "./graphBuilder";
import { rejectWidePart } from "../models/wideNgrams";

export interface ExportOptions {
  /** ONNX opset; at least 17 (LayerNormalization). Default 17. */
  opset?: number;
  /**
   * Each layer's attention core (heads split, scores, mask, softmax, context,
   * heads merged) as one ONNX Runtime `com.microsoft.MultiHeadAttention` node
   * instead of eleven standard ops, as ONNX Runtime's transformer optimizer
   * fuses it. The Q/K/V projections stay MatMul + Add, so dynamic quantization
   * still finds them. Runs in ONNX Runtime (node and web) only. Default false.
   */
  fuseAttention?: boolean;
}

const NEG_INF = -3.4028234663852886e38;
/** ONNX Runtime's contrib operators (MultiHeadAttention). */
const MS_DOMAIN = "com.microsoft";

/**
 * What the exporter reads of a model: its architecture and its weights by
 * Hugging Face name (linear weights [in, out], as our models hold them). A
 * `PreTrainedModel` gives one through `exportSourceOf`; a dynamically
 * quantized model gives its own (see `DynamicQuantizedModel`).
 */
export interface OnnxExportSource {
  readonly spec: EncoderSpec;
  readonly scheme: ParamScheme;
  readonly numLabels: number;
  /** The graph's name (the architecture, e.g. "DistilBertForSequenceClassification"). */
  readonly architecture: string;
  weight(name: string): { dims: number[]; data: Float32Array };
}

/**
 * The export source of one of our models: each weight as the forward pass
 * sees it (registered transforms such as pruning masks applied).
 *
 * @example const graph = buildOnnxModel(exportSourceOf(model));
 */
export function exportSourceOf(model: PreTrainedModel): OnnxExportSource {
  rejectWidePart(model.config, "exportToOnnx");
  return {
    spec: model.spec,
    scheme: model.scheme,
    numLabels: model.numLabels,
    architecture: model.constructor.name,
    weight(name: string) {
      if (!model.params.get(name)) throw new Error(`exportToOnnx: the model has no parameter "${name}"`);
      const t = tf.tidy(() => model.weight(name).clone());
      const data = t.dataSync() as Float32Array;
      const dims = [...t.shape];
      t.dispose();
      return { dims, data };
    },
  };
}

/**
 * Exports one of our classifiers to ONNX, computing exactly what the
 * TensorFlow.js model computes. Inputs `input_ids`, `attention_mask` (and
 * `token_type_ids` for BERT) are int64 with dynamic `batch` and `sequence`
 * axes; the outputs are `logits` and `pooled_output` (the classifier's
 * input, for out-of-scope detectors). Weights become initializers; every linear
 * layer is a MatMul with a constant [in, out] weight followed by an Add of
 * its bias, the pattern ONNX Runtime's dynamic quantization looks for.
 *
 * @example exportToOnnx(model, "onnx/model.onnx");
 */
export function exportToOnnx(model: PreTrainedModel, path: string, options: ExportOptions = {}): void {
  const graph = buildOnnxModel(exportSourceOf(model), options);
  fs.mkdirSync(require("node:path").dirname(path), { recursive: true });
  saveModel(graph, path);
}

/**
 * The ONNX model `exportToOnnx` writes, in memory, for any export source.
 *
 * @example const proto = buildOnnxModel(exportSourceOf(model)); // onnx.ModelProto
 */
export function buildOnnxModel(source: OnnxExportSource, options: ExportOptions = {}): onnx.ModelProto {
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 17) throw new Error(`exportToOnnx: opset must be an integer >= 17 (LayerNormalization), got ${opset}`);
  if (options.fuseAttention !== undefined && typeof options.fuseAttention !== "boolean") throw new Error(`exportToOnnx: fuseAttention must be true or false, got ${JSON.stringify(options.fuseAttention)}`);
  const s = source.spec;
  const sc = source.scheme;
  const headDense = sc.headDense;
  if (!headDense || !sc.classifier) throw new Error(`exportToOnnx: ${source.architecture} has no sequence-classification head (export a *ForSequenceClassification model)`);
  const g = new GraphBuilder(source.architecture);
  const init = (name: string) => {
    const { dims, data } = source.weight(name);
    return g.float(name, dims, data);
  };

  const ids = g.input("input_ids", DataType.INT64, ["batch", "sequence"]);
  const mask = g.input("attention_mask", DataType.INT64, ["batch", "sequence"]);
  const types = sc.tokenTypeEmbeddings ? g.input("token_type_ids", DataType.INT64, ["batch", "sequence"]) : undefined;

  const dense = (x: string, name: string, prefix: string) => {
    const mm = g.op("MatMul", [x, init(`${name}.weight`)], { name: `${prefix}/MatMul` });
    return g.op("Add", [mm, init(`${name}.bias`)], { name: `${prefix}/Add` });
  };
  const norm = (x: string, name: string, prefix: string) =>
    g.op("LayerNormalization", [x, init(`${name}.weight`), init(`${name}.bias`)], { name: `${prefix}/LayerNorm`, attrs: { axis: -1, epsilon: s.eps } });

  // Embeddings: word + position (+ token type), LayerNorm.
  const word = g.op("Gather", [init(`${sc.wordEmbeddings}.weight`), ids], { name: "embeddings/word/Gather" });
  const shape = g.op("Shape", [ids], { name: "embeddings/Shape" });
  const seqLen = g.op("Gather", [shape, g.int64("one_index", [1], [])], { name: "embeddings/seq_len", attrs: { axis: 0 } });
  const positions = g.op("Range", [g.int64("zero", [0], []), seqLen, g.int64("one", [1], [])], { name: "embeddings/positions" });
  const pos = g.op("Gather", [init(`${sc.positionEmbeddings}.weight`), positions], { name: "embeddings/position/Gather" });
  let x = g.op("Add", [word, pos], { name: "embeddings/Add" });
  if (sc.tokenTypeEmbeddings && types) x = g.op("Add", [x, g.op("Gather", [init(`${sc.tokenTypeEmbeddings}.weight`), types], { name: "embeddings/token_type/Gather" })], { name: "embeddings/Add_types" });
  x = norm(x, sc.embeddingsNorm, "embeddings");

  const fused = options.fuseAttention === true;
  // The attention mask as each form of attention reads it: MultiHeadAttention as
  // key padding (int32 [batch, seq], 1 attended), the standard ops as an additive
  // bias [batch, 1, 1, seq] (0 attended, float32 min padded).
  const attentionMask = fused ? g.op("Cast", [mask], { name: "mask/Cast_int32", attrs: { to: DataType.INT32 } }) : additiveMaskBias(g, mask);

  const headDim = s.headDim;
  // Shapes per head count: a layer with pruned heads (config.pruned_heads) has fewer.
  const shapes = new Map<number, { heads: string; merged: string }>();
  const shapesFor = (heads: number) => {
    let sh = shapes.get(heads);
    const tag = heads === s.heads ? "" : `_${heads}_heads`;
    if (!sh) shapes.set(heads, (sh = { heads: g.int64(`heads_shape${tag}`, [0, 0, heads, headDim]), merged: g.int64(`merged_shape${tag}`, [0, 0, heads * headDim]) }));
    return sh;
  };
  const scale = fused ? "" : g.scalar("attention_scale", 1 / Math.sqrt(headDim));
  const sqrt2 = g.scalar("gelu_sqrt_two", Math.SQRT2);
  const half = g.scalar("gelu_half", 0.5);
  const one = g.scalar("gelu_one", 1);

  for (let i = 0; i < s.layers; i++) {
    const n = sc.layer(i);
    const p = `layer.${i}`;
    let merged: string;
    if (fused) {
      const qkv = [dense(x, n.query, `${p}/query`), dense(x, n.key, `${p}/key`), dense(x, n.value, `${p}/value`)];
      // Inputs: query, key, value, bias (none: the projections add theirs), key padding mask.
      [merged] = g.node("MultiHeadAttention", [...qkv, "", attentionMask], { name: `${p}/MultiHeadAttention`, domain: MS_DOMAIN, attrs: { num_heads: s.layerHeads[i] } });
    } else {
      const { heads: headsShape, merged: mergedShape } = shapesFor(s.layerHeads[i]);
      const split = (t: string, perm: number[], tag: string) =>
        g.op("Transpose", [g.op("Reshape", [t, headsShape], { name: `${p}/${tag}/Reshape` })], { name: `${p}/${tag}/Transpose`, attrs: { perm } });
      const q = split(dense(x, n.query, `${p}/query`), [0, 2, 1, 3], "q");
      const kT = split(dense(x, n.key, `${p}/key`), [0, 2, 3, 1], "k");
      const v = split(dense(x, n.value, `${p}/value`), [0, 2, 1, 3], "v");
      const scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, kT], { name: `${p}/scores/MatMul` }), scale], { name: `${p}/scores/Mul` }), attentionMask], { name: `${p}/scores/Add` });
      const probs = g.op("Softmax", [scores], { name: `${p}/Softmax`, attrs: { axis: -1 } });
      const ctx = g.op("MatMul", [probs, v], { name: `${p}/context/MatMul` });
      merged = g.op("Reshape", [g.op("Transpose", [ctx], { name: `${p}/context/Transpose`, attrs: { perm: [0, 2, 1, 3] } }), mergedShape], { name: `${p}/context/Reshape` });
    }
    x = norm(g.op("Add", [dense(merged, n.attentionOutput, `${p}/attention_output`), x], { name: `${p}/attention/residual` }), n.attentionNorm, `${p}/attention`);
    const inter = dense(x, n.intermediate, `${p}/intermediate`);
    let act: string;
    if (s.activation === "gelu") {
      // (x · ½) · (1 + erf(x / √2)): written in exactly the form ORT's GeluFusion
      // matches (Div by √2, Mul by ½ on x), so the session runs one Gelu
      // (BiasGelu with the Add before it) instead of five element-wise ops.
      const erf = g.op("Erf", [g.op("Div", [inter, sqrt2], { name: `${p}/gelu/Div` })], { name: `${p}/gelu/Erf` });
      act = g.op("Mul", [g.op("Mul", [inter, half], { name: `${p}/gelu/Mul_half` }), g.op("Add", [erf, one], { name: `${p}/gelu/Add` })], { name: `${p}/gelu/Mul` });
    } else if (s.activation === "relu") act = g.op("Relu", [inter], { name: `${p}/Relu` });
    else throw new Error(`exportToOnnx: activation "${s.activation}" is not supported (gelu, relu)`);
    x = norm(g.op("Add", [dense(act, n.output, `${p}/output`), x], { name: `${p}/output/residual` }), n.outputNorm, `${p}/output`);
  }

  const cls = g.op("Gather", [x, g.int64("cls_index", [0], [])], { name: "head/cls/Gather", attrs: { axis: 1 } });
  const pooled = dense(cls, headDense.name, "head/dense");
  // The classifier's input is a second output, `pooled_output`: what the out-of-scope detectors read (lib/oos).
  const activated = g.op(headDense.activation === "tanh" ? "Tanh" : "Relu", [pooled], { name: "head/activation", output: "pooled_output" });
  const logitsMm = g.op("MatMul", [activated, init(`${sc.classifier}.weight`)], { name: "classifier/MatMul" });
  g.op("Add", [logitsMm, init(`${sc.classifier}.bias`)], { name: "classifier/Add", output: "logits" });
  g.output("logits", DataType.FLOAT, ["batch", source.numLabels]);
  g.output("pooled_output", DataType.FLOAT, ["batch", s.hidden]);
  return g.model(opset, undefined, fused ? [{ domain: MS_DOMAIN, version: 1 }] : []);
}

/** attention_mask (int64, 1 attended) → an additive bias [batch, 1, 1, seq]: 0 attended, float32 min padded. */
function additiveMaskBias(g: GraphBuilder, mask: string): string {
  const maskF = g.op("Cast", [mask], { name: "mask/Cast", attrs: { to: DataType.FLOAT } });
  const inverted = g.op("Sub", [g.scalar("mask_one", 1), maskF], { name: "mask/Sub" });
  const bias = g.op("Mul", [inverted, g.scalar("mask_min", NEG_INF)], { name: "mask/Mul" });
  return g.op("Unsqueeze", [bias, g.int64("mask_axes", [1, 2])], { name: "mask/Unsqueeze" });
}
