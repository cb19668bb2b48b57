import * as tf from "@tensorflow/tfjs-core";
import { DistilBertConfig, distilBertConfig } from "../models/config";
import { DistilBertForSequenceClassification } from "../models/distilbert";
import { PreTrainedModel } from "../models/modeling";

export interface StudentInitOptions {
  /** Student layers (default: half the teacher's, at least 1). */
  numLayers?: number;
  /** "random" (HF's default init) or "distilbert": copy the teacher's embeddings and every other layer. */
  init?: "random" | "distilbert";
  /** Overrides for the student config (dropout, …). */
  config?: Partial<DistilBertConfig>;
  seed?: number;
}

/**
 * Teacher layers a DistilBERT-style student copies: evenly spaced, starting at 0 (every other layer for half the depth).
 *
 * @example
 * distilbertLayerMap(12, 6); // [0, 2, 4, 6, 8, 10]: BERT-base → DistilBERT
 * distilbertLayerMap(4, 2);  // [0, 2]: the chapter's teacher → student
 */
export function distilbertLayerMap(teacherLayers: number, studentLayers: number): number[] {
  if (!(Number.isInteger(studentLayers) && studentLayers >= 1 && studentLayers <= teacherLayers)) {
    throw new Error(`studentInit: numLayers must be an integer in [1, ${teacherLayers}] (the teacher's depth), got ${studentLayers}`);
  }
  return Array.from({ length: studentLayers }, (_, i) => Math.floor((i * teacherLayers) / studentLayers));
}

/**
 * Builds the chapter's student: a DistilBertForSequenceClassification with
 * the teacher's width and labels (id2label / label2id) and half its layers.
 * With init "distilbert", the student starts from the teacher as DistilBERT
 * did from BERT: embeddings (BERT's token-type row 0 folded into the
 * position table, since DistilBERT has no token types and our inputs use
 * type 0) and every other encoder layer; the classification head is new.
 *
 * @example const student = studentInit(teacher, { init: "distilbert" });
 */
export function studentInit(teacher: PreTrainedModel, options: StudentInitOptions = {}): DistilBertForSequenceClassification {
  const init = options.init ?? "random";
  if (init !== "random" && init !== "distilbert") throw new Error(`studentInit: init must be "random" or "distilbert", got ${JSON.stringify(init)}`);
  const s = teacher.spec;
  const layers = options.numLayers ?? Math.max(1, Math.floor(s.layers / 2));
  const map = distilbertLayerMap(s.layers, layers);
  const { id2label, label2id } = teacher.config;
  const student = new DistilBertForSequenceClassification(
    distilBertConfig({
      vocab_size: s.vocabSize,
      dim: s.hidden,
      n_layers: layers,
      n_heads: s.heads,
      hidden_dim: s.ffn,
      activation: s.activation,
      max_position_embeddings: s.maxPositions,
      pad_token_id: s.padTokenId,
      initializer_range: s.initializerRange,
      id2label,
      label2id,
      ...options.config,
    }),
    { seed: options.seed ?? 42 },
  );
  if (init === "random") return student;
  const copy = (to: string, from: string) => {
    const dst = student.params.get(to);
    const src = teacher.params.get(from);
    if (!dst || !src) throw new Error(`studentInit: cannot copy ${from} → ${to}`);
    if (dst.shape.join() !== src.shape.join()) throw new Error(`studentInit: ${from} [${src.shape}] does not fit ${to} [${dst.shape}]`);
    dst.assign(src);
  };
  const ts = teacher.scheme;
  const ss = student.scheme;
  copy(`${ss.wordEmbeddings}.weight`, `${ts.wordEmbeddings}.weight`);
  for (const p of ["weight", "bias"]) copy(`${ss.embeddingsNorm}.${p}`, `${ts.embeddingsNorm}.${p}`);
  tf.tidy(() => {
    const pos = teacher.params.get(`${ts.positionEmbeddings}.weight`)!;
    const types = ts.tokenTypeEmbeddings ? teacher.params.get(`${ts.tokenTypeEmbeddings}.weight`) : undefined;
    student.params.get(`${ss.positionEmbeddings}.weight`)!.assign(types ? tf.add(pos, tf.slice(types, [0, 0], [1, -1])) : pos);
  });
  map.forEach((t, i) => {
    const from = ts.layer(t);
    const to = ss.layer(i);
    for (const k of Object.keys(from) as (keyof typeof from)[]) for (const p of ["weight", "bias"]) copy(`${to[k]}.${p}`, `${from[k]}.${p}`);
  });
  return student;
}
