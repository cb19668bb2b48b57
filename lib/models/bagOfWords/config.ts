// config.json of a bag-of-words classifier, in the snake_case style of the
// Hugging Face configs beside it.
import type { LabelMaps } from "../config";
import type { FeatureSettings } from "./features";

export interface BagOfWordsConfig extends LabelMaps {
  model_type: "bag-of-words";
  architectures: ["BagOfWordsClassifier"];
  /** Unigram features: token ids 0..vocab_size-1 of the tokenizer saved beside the model. */
  vocab_size: number;
  /** Hashed-bigram buckets after the unigrams (0: unigrams only). */
  num_buckets: number;
  /** How a bigram (a, b) finds its bucket: MurmurHash3_x86_32 of <a, b> as little-endian uint32, seed 0. */
  bigram_hash: "murmur3_x86_32";
  /** Token ids that are not words ([PAD], [CLS], [SEP], [MASK]). */
  ignored_token_ids: number[];
  /** tf = 1 + ln(count). */
  sublinear_tf: boolean;
  /** idf = ln((1 + n) / (1 + df)) + 1, fitted on the training split; 0 for features it never saw. */
  idf: "smooth";
  norm: "l2";
  /** vocab_size + num_buckets: the length of the IDF vector and the rows of the bag layer. */
  num_features: number;
  /** Width of the hidden layer; 0: a linear model (the bag layer gives the logits). */
  hidden_size: number;
  hidden_act: "relu";
  /** Dropout on the hidden layer in training. */
  dropout: number;
  /** Std of the normal initialisation of the bag layer. */
  initializer_range: number;
  /** Inputs are truncated to this many tokens ([CLS] and [SEP] included) by the pipeline, as in training. */
  max_length: number;
  /** Documents the IDF was fitted on (informative). */
  num_documents?: number;
}

/** The fields a caller sets; the rest have defaults or follow from these. */
export type BagOfWordsConfigInput = LabelMaps & Pick<BagOfWordsConfig, "vocab_size" | "ignored_token_ids"> & Partial<Pick<BagOfWordsConfig, "num_buckets" | "sublinear_tf" | "hidden_size" | "dropout" | "initializer_range" | "max_length" | "num_documents">>;

const INPUT_KEYS = new Set(["id2label", "label2id", "vocab_size", "ignored_token_ids", "num_buckets", "sublinear_tf", "hidden_size", "dropout", "initializer_range", "max_length", "num_documents"]);

function check(cond: boolean, msg: string): void {
  if (!cond) throw new Error(`Invalid bag-of-words config: ${msg}`);
}

/**
 * A full config from the fields that matter, with defaults (8,192 bigram
 * buckets, sublinear tf, a 256-wide hidden layer, dropout 0.3). Unknown keys
 * are an error.
 *
 * @example
 * bagOfWordsConfig({ vocab_size: tok.vocabSize, ignored_token_ids: [0, 2, 3, 4], ...labelMaps(names) });
 */
export function bagOfWordsConfig(input: BagOfWordsConfigInput): BagOfWordsConfig {
  for (const k of Object.keys(input)) check(INPUT_KEYS.has(k), `unknown field "${k}" (known: ${[...INPUT_KEYS].join(", ")})`);
  const numBuckets = input.num_buckets ?? 8192;
  const c: BagOfWordsConfig = {
    model_type: "bag-of-words",
    architectures: ["BagOfWordsClassifier"],
    vocab_size: input.vocab_size,
    num_buckets: numBuckets,
    bigram_hash: "murmur3_x86_32",
    ignored_token_ids: [...input.ignored_token_ids],
    sublinear_tf: input.sublinear_tf ?? true,
    idf: "smooth",
    norm: "l2",
    num_features: input.vocab_size + numBuckets,
    hidden_size: input.hidden_size ?? 256,
    hidden_act: "relu",
    dropout: input.dropout ?? 0.3,
    initializer_range: input.initializer_range ?? 0.1,
    max_length: input.max_length ?? 64,
    ...(input.num_documents !== undefined ? { num_documents: input.num_documents } : {}),
    id2label: input.id2label,
    label2id: input.label2id,
  };
  validateBagOfWordsConfig(c);
  return c;
}

/**
 * Rejects a config the model cannot run, naming the field.
 *
 * @example
 * validateBagOfWordsConfig({ ...config, hidden_size: -1 }); // Error: Invalid bag-of-words config: hidden_size must be an integer >= 0 (0: linear), got -1
 */
export function validateBagOfWordsConfig(c: BagOfWordsConfig): void {
  check(!!c && typeof c === "object", "not an object");
  check(c.model_type === "bag-of-words", `model_type must be "bag-of-words", got "${c.model_type}"`);
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const natural = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  check(posInt(c.vocab_size), `vocab_size must be a positive integer, got ${c.vocab_size}`);
  check(natural(c.num_buckets), `num_buckets must be an integer >= 0, got ${c.num_buckets}`);
  check(c.bigram_hash === "murmur3_x86_32", `bigram_hash "${c.bigram_hash}" is not supported (only "murmur3_x86_32")`);
  check(Array.isArray(c.ignored_token_ids) && c.ignored_token_ids.every((id) => natural(id) && id < c.vocab_size), `ignored_token_ids must be token ids in [0, ${c.vocab_size}), got ${JSON.stringify(c.ignored_token_ids)}`);
  check(typeof c.sublinear_tf === "boolean", `sublinear_tf must be a boolean, got ${c.sublinear_tf}`);
  check(c.idf === "smooth", `idf "${c.idf}" is not supported (only "smooth")`);
  check(c.norm === "l2", `norm "${c.norm}" is not supported (only "l2")`);
  check(c.num_features === c.vocab_size + c.num_buckets, `num_features (${c.num_features}) must equal vocab_size + num_buckets (${c.vocab_size + c.num_buckets})`);
  check(natural(c.hidden_size), `hidden_size must be an integer >= 0 (0: linear), got ${c.hidden_size}`);
  check(c.hidden_act === "relu", `hidden_act "${c.hidden_act}" is not supported (only "relu")`);
  check(typeof c.dropout === "number" && c.dropout >= 0 && c.dropout < 1, `dropout must be in [0, 1), got ${c.dropout}`);
  check(typeof c.initializer_range === "number" && c.initializer_range > 0, `initializer_range must be a positive number, got ${c.initializer_range}`);
  check(Number.isInteger(c.max_length) && c.max_length >= 2, `max_length must be an integer >= 2, got ${c.max_length}`);
  check(!!c.id2label && Object.keys(c.id2label).length > 0, "id2label is missing or empty (the classifier needs its labels)");
  const n = Object.keys(c.id2label).length;
  for (let i = 0; i < n; i++) check(typeof c.id2label[String(i)] === "string", `id2label has no entry for id ${i}`);
}

/**
 * The feature settings a config describes.
 *
 * @example
 * featureSettings(model.config); // { vocabSize: 7312, numBuckets: 8192, ignoredTokenIds: [0, 2, 3, 4], sublinearTf: true }
 */
export function featureSettings(c: BagOfWordsConfig): FeatureSettings {
  return { vocabSize: c.vocab_size, numBuckets: c.num_buckets, ignoredTokenIds: c.ignored_token_ids, sublinearTf: c.sublinear_tf };
}
