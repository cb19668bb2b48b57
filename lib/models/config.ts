// Model configs in the exact Hugging Face config.json format (snake_case
// fields), so folders we write load in HF Transformers and transformers.js.

export type LabelMaps = { id2label: Record<string, string>; label2id: Record<string, number> };

/**
 * Attention heads removed from each layer, as Hugging Face's `pruned_heads`
 * ({"layer": [head, …]}, heads numbered as in the unpruned layer). HF's BERT
 * and DistilBERT shrink that layer's query, key, value and attention-output
 * projections when they load such a config, and so do our models.
 */
export type PrunedHeads = Record<string, number[]>;

export interface BertConfig extends LabelMaps {
  model_type: "bert";
  architectures: string[];
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  position_embedding_type: "absolute";
  classifier_dropout: number | null;
  problem_type?: "single_label_classification";
  torch_dtype?: string;
  transformers_version?: string;
  pruned_heads?: PrunedHeads;
  [extra: string]: unknown;
}

export interface DistilBertConfig extends LabelMaps {
  model_type: "distilbert";
  architectures: string[];
  vocab_size: number;
  dim: number;
  n_layers: number;
  n_heads: number;
  hidden_dim: number;
  activation: string;
  dropout: number;
  attention_dropout: number;
  seq_classif_dropout: number;
  qa_dropout: number;
  max_position_embeddings: number;
  sinusoidal_pos_embds: boolean;
  initializer_range: number;
  pad_token_id: number;
  tie_weights_: boolean;
  problem_type?: "single_label_classification";
  torch_dtype?: string;
  transformers_version?: string;
  pruned_heads?: PrunedHeads;
  [extra: string]: unknown;
}

export type ModelConfig = BertConfig | DistilBertConfig;

/**
 * Label maps from a list of names (ids in list order).
 *
 * @example
 * labelMaps(["greeting", "oos"]); // { id2label: { "0": "greeting", "1": "oos" }, label2id: { greeting: 0, oos: 1 } }
 */
export function labelMaps(names: readonly string[]): LabelMaps {
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  names.forEach((n, i) => {
    id2label[String(i)] = n;
    label2id[n] = i;
  });
  return { id2label, label2id };
}

/**
 * The number of labels a config names (the size of its `id2label`).
 *
 * @example
 * numLabels(labelMaps(["greeting", "oos"])); // 2
 * numLabels(readConfig("data/models/bert-clinc-teacher")); // 151
 */
export function numLabels(config: LabelMaps): number {
  return Object.keys(config.id2label ?? {}).length;
}

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(`Invalid model config: ${msg}`);
}

function checkLabels(c: LabelMaps): void {
  check(!!c.id2label && typeof c.id2label === "object" && numLabels(c) > 0, "id2label is missing or empty (the classifier needs its labels)");
  const seen = new Map<string, number>();
  for (let i = 0; i < numLabels(c); i++) {
    const name = c.id2label[String(i)];
    check(typeof name === "string" && name.length > 0, `id2label has no label for id ${i} (ids must run from 0 to ${numLabels(c) - 1})`);
    check(!seen.has(name), `id2label names "${name}" twice (ids ${seen.get(name)} and ${i})`);
    seen.set(name, i);
  }
  // label2id is optional, but when present it must be id2label's inverse (HF reads either).
  if (c.label2id && Object.keys(c.label2id).length > 0) {
    for (const [name, id] of Object.entries(c.label2id)) {
      check(seen.get(name) === id, `label2id maps "${name}" to ${JSON.stringify(id)} but id2label ${seen.has(name) ? `gives it id ${seen.get(name)}` : "has no such label"}`);
    }
    check(Object.keys(c.label2id).length === seen.size, `label2id has ${Object.keys(c.label2id).length} labels but id2label has ${seen.size}`);
  }
}

const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
const prob = (v: unknown) => typeof v === "number" && v >= 0 && v < 1;

/**
 * A BertConfig with Hugging Face's defaults for every field not given.
 *
 * @example
 * const config = bertConfig({ hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, ...labelMaps(names) });
 * config.vocab_size; // 30522 (HF's default)
 */
export function bertConfig(partial: Partial<BertConfig> & LabelMaps): BertConfig {
  const c: BertConfig = {
    model_type: "bert",
    architectures: ["BertForSequenceClassification"],
    vocab_size: 30522,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    hidden_act: "gelu",
    hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    initializer_range: 0.02,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    position_embedding_type: "absolute",
    classifier_dropout: null,
    problem_type: "single_label_classification",
    torch_dtype: "float32",
    transformers_version: "4.46.0",
    ...partial,
  };
  validateConfig(c);
  return c;
}

/**
 * A DistilBertConfig with Hugging Face's defaults for every field not given.
 *
 * @example
 * const config = distilBertConfig({ dim: 256, n_layers: 2, n_heads: 4, hidden_dim: 1024, ...labelMaps(names) });
 * config.seq_classif_dropout; // 0.2 (HF's default)
 */
export function distilBertConfig(partial: Partial<DistilBertConfig> & LabelMaps): DistilBertConfig {
  const c: DistilBertConfig = {
    model_type: "distilbert",
    architectures: ["DistilBertForSequenceClassification"],
    vocab_size: 30522,
    dim: 768,
    n_layers: 6,
    n_heads: 12,
    hidden_dim: 3072,
    activation: "gelu",
    dropout: 0.1,
    attention_dropout: 0.1,
    seq_classif_dropout: 0.2,
    qa_dropout: 0.1,
    max_position_embeddings: 512,
    sinusoidal_pos_embds: false,
    initializer_range: 0.02,
    pad_token_id: 0,
    tie_weights_: true,
    problem_type: "single_label_classification",
    torch_dtype: "float32",
    transformers_version: "4.46.0",
    ...partial,
  };
  validateConfig(c);
  return c;
}

/** A config's wide part: `wide_ngram_buckets` hashed n-gram rows of `wide_dim` floats. */
export interface WideNgramSpec {
  buckets: number;
  dim: number;
}

/**
 * The wide part a config asks for (`wide_ngram_buckets`, `wide_dim`), or
 * undefined when it has none. Both must be positive integers, or both absent.
 *
 * @example
 * wideNgramSpec({ ...config, wide_ngram_buckets: 2048, wide_dim: 32 }); // { buckets: 2048, dim: 32 }
 */
export function wideNgramSpec(config: ModelConfig): WideNgramSpec | undefined {
  const buckets = config.wide_ngram_buckets;
  const dim = config.wide_dim;
  if (buckets === undefined && dim === undefined) return undefined;
  const posInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0;
  if (!posInt(buckets) || !posInt(dim)) throw new Error(`Model config: wide_ngram_buckets and wide_dim must both be positive integers (or both absent), got ${JSON.stringify(buckets)} and ${JSON.stringify(dim)}`);
  return { buckets: buckets as number, dim: dim as number };
}

/**
 * Rejects configs the models cannot run, naming the field.
 *
 * @example
 * validateConfig({ ...readConfig("data/models/bert-clinc-teacher"), hidden_size: 250 });
 * // Error: Invalid model config: hidden_size (250) must be a multiple of num_attention_heads (4)
 */
export function validateConfig(c: ModelConfig): void {
  if (c.model_type === "bert") {
    for (const k of ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings", "type_vocab_size"] as const) {
      check(posInt(c[k]), `${k} must be a positive integer, got ${c[k]}`);
    }
    check(c.hidden_size % c.num_attention_heads === 0, `hidden_size (${c.hidden_size}) must be a multiple of num_attention_heads (${c.num_attention_heads})`);
    check(prob(c.hidden_dropout_prob) && prob(c.attention_probs_dropout_prob), "dropout probabilities must be in [0, 1)");
    check(c.position_embedding_type === undefined || c.position_embedding_type === "absolute", `position_embedding_type "${c.position_embedding_type}" is not supported (only "absolute")`);
    check(wideNgramSpec(c) === undefined, "wide_ngram_buckets and wide_dim: only DistilBERT models have a wide n-gram part (a BERT model would ignore them)");
  } else if (c.model_type === "distilbert") {
    for (const k of ["vocab_size", "dim", "n_layers", "n_heads", "hidden_dim", "max_position_embeddings"] as const) {
      check(posInt(c[k]), `${k} must be a positive integer, got ${c[k]}`);
    }
    check(c.dim % c.n_heads === 0, `dim (${c.dim}) must be a multiple of n_heads (${c.n_heads})`);
    check(prob(c.dropout) && prob(c.attention_dropout) && prob(c.seq_classif_dropout), "dropout probabilities must be in [0, 1)");
    check(!c.sinusoidal_pos_embds, "sinusoidal_pos_embds is not supported");
    wideNgramSpec(c);
  } else {
    throw new Error(`Unsupported model_type "${(c as any).model_type}" (supported: bert, distilbert)`);
  }
  check(Number.isInteger(c.pad_token_id) && c.pad_token_id >= 0 && c.pad_token_id < c.vocab_size, `pad_token_id must be an id in [0, vocab_size = ${c.vocab_size}), got ${c.pad_token_id}`);
  const [layers, heads] = c.model_type === "bert" ? [c.num_hidden_layers, c.num_attention_heads] : [c.n_layers, c.n_heads];
  checkPrunedHeads(c.pruned_heads, layers, heads);
  if (!isMaskedLm(c)) checkLabels(c);
}

/** `pruned_heads` must name existing layers and heads, and leave every layer at least one head. */
function checkPrunedHeads(pruned: unknown, layers: number, heads: number): void {
  if (pruned === undefined || pruned === null) return;
  check(typeof pruned === "object" && !Array.isArray(pruned), `pruned_heads must be an object {"layer": [heads]}, got ${JSON.stringify(pruned)}`);
  for (const [layer, list] of Object.entries(pruned as Record<string, unknown>)) {
    const i = Number(layer);
    check(Number.isInteger(i) && i >= 0 && i < layers && String(i) === layer.trim(), `pruned_heads names layer "${layer}", but the layers are 0..${layers - 1}`);
    check(Array.isArray(list), `pruned_heads["${layer}"] must be a list of head indices, got ${JSON.stringify(list)}`);
    const hs = list as unknown[];
    for (const h of hs) check(Number.isInteger(h) && (h as number) >= 0 && (h as number) < heads, `pruned_heads["${layer}"] names head ${JSON.stringify(h)}, but the heads are 0..${heads - 1}`);
    check(new Set(hs).size === hs.length, `pruned_heads["${layer}"] lists a head twice: [${hs.join(", ")}]`);
    check(hs.length < heads, `pruned_heads["${layer}"] removes every head of layer ${i} (${heads} of ${heads}); keep at least one head per layer`);
  }
}

/**
 * Whether a config describes a masked-language model (`architectures: ["BertForMaskedLM"]`), which has no labels.
 *
 * @example
 * isMaskedLm({ architectures: ["BertForMaskedLM"] }); // true
 * isMaskedLm(readConfig("data/models/bert-clinc-teacher")); // false
 */
export function isMaskedLm(c: { architectures?: unknown }): boolean {
  return Array.isArray(c.architectures) && c.architectures.some((a) => typeof a === "string" && a.endsWith("ForMaskedLM"));
}

/** The encoder shape both architectures share (post-LayerNorm transformer). */
export interface EncoderSpec {
  vocabSize: number;
  hidden: number;
  layers: number;
  /** Heads per layer in the config (before any pruning). */
  heads: number;
  /** hidden / heads: the width of one head. */
  headDim: number;
  /** Heads each layer keeps after `pruned_heads` (all `heads` when nothing is pruned). */
  layerHeads: number[];
  /** Heads removed from each layer, sorted (original numbering). */
  prunedHeads: number[][];
  ffn: number;
  activation: string;
  hiddenDropout: number;
  attentionDropout: number;
  classifierDropout: number;
  maxPositions: number;
  typeVocab: number;
  eps: number;
  initializerRange: number;
  padTokenId: number;
}

/** Per-layer head bookkeeping from a config's `pruned_heads`. */
function headsOf(pruned: PrunedHeads | undefined, layers: number, heads: number, hidden: number): Pick<EncoderSpec, "headDim" | "layerHeads" | "prunedHeads"> {
  const prunedHeads = Array.from({ length: layers }, (_, i) => [...(pruned?.[String(i)] ?? [])].sort((a, b) => a - b));
  return { headDim: hidden / heads, layerHeads: prunedHeads.map((p) => heads - p.length), prunedHeads };
}

/**
 * The encoder shape of a BERT or DistilBERT config under the names both share (`pruned_heads` applied per layer).
 *
 * @example
 * const spec = encoderSpec(readConfig("data/models/distilbert-clinc-pruned"));
 * spec.layerHeads; // [2, 2]: pruned_heads removed two of the 4 heads in each layer
 */
export function encoderSpec(c: ModelConfig): EncoderSpec {
  if (c.model_type === "bert") {
    return {
      vocabSize: c.vocab_size,
      hidden: c.hidden_size,
      layers: c.num_hidden_layers,
      heads: c.num_attention_heads,
      ...headsOf(c.pruned_heads, c.num_hidden_layers, c.num_attention_heads, c.hidden_size),
      ffn: c.intermediate_size,
      activation: c.hidden_act,
      hiddenDropout: c.hidden_dropout_prob,
      attentionDropout: c.attention_probs_dropout_prob,
      classifierDropout: c.classifier_dropout ?? c.hidden_dropout_prob,
      maxPositions: c.max_position_embeddings,
      typeVocab: c.type_vocab_size,
      eps: c.layer_norm_eps,
      initializerRange: c.initializer_range,
      padTokenId: c.pad_token_id,
    };
  }
  return {
    vocabSize: c.vocab_size,
    hidden: c.dim,
    layers: c.n_layers,
    heads: c.n_heads,
    ...headsOf(c.pruned_heads, c.n_layers, c.n_heads, c.dim),
    ffn: c.hidden_dim,
    activation: c.activation,
    hiddenDropout: c.dropout,
    attentionDropout: c.attention_dropout,
    classifierDropout: c.seq_classif_dropout,
    maxPositions: c.max_position_embeddings,
    typeVocab: 0,
    eps: 1e-12, // hard-coded in HF's DistilBERT
    initializerRange: c.initializer_range,
    padTokenId: c.pad_token_id,
  };
}
