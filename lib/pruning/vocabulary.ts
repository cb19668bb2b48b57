// Embedding-table shrinking by vocabulary pruning: keep the rows of the
// tokens a model needs (those frequent in the training texts, plus the
// special and ASCII single-character tokens so every word still
// tokenizes), and a new tokenizer over them. Words whose token went are
// split into smaller pieces the model has, so it is fine-tuned again; a
// teacher keeps reading its own tokenization (CrossTokenizerDistillationTrainer).
import * as tf from "@tensorflow/tfjs-core";
import type { PreTrainedModel } from "../models/modeling";
import type { ModelConfig } from "../models/config";
import { isMaskedLm } from "../models/config";
import { createModelFromConfig } from "../models/auto";
import { rejectWidePart } from "../models/wideNgrams";
import { BertTokenizer, SPECIAL_TOKENS } from "../tokenizers";
import type { Dataset } from "../data/dataset";
import type { EncodedRow, TensorBatch } from "../training/data";
import type { RowTargets } from "../training/losses";
import { DistillationTrainer, DistillationTrainerOptions } from "../distillation/trainer";

/** Single-character tokens of printable ASCII, word-initial and `##` forms. */
function asciiCharTokens(tokenizer: BertTokenizer): string[] {
  return tokenizer.vocab.filter((t) => /^(##)?[\x21-\x7e]$/.test(t));
}

/**
 * The tokens to keep: special tokens, printable ASCII single characters
 * (both forms, so any ASCII word still tokenizes), and every token used at
 * least `minCount` times in `texts` (the training texts, never the test
 * split). Returned in vocabulary order with the counts.
 *
 * @example const keep = vocabularyToKeep(tokenizer, clinc.train.column("text"), { minCount: 3 }); // 2,6xx of 7,312 tokens
 */
export function vocabularyToKeep(tokenizer: BertTokenizer, texts: Iterable<string>, options: { minCount?: number } = {}): { tokens: string[]; counts: Map<string, number> } {
  const minCount = options.minCount ?? 1;
  if (!(Number.isInteger(minCount) && minCount >= 1)) throw new Error(`vocabularyToKeep: minCount must be an integer >= 1, got ${minCount}`);
  const counts = new Map<string, number>();
  for (const text of texts) for (const t of tokenizer.tokenize(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  const keep = new Set<string>([...SPECIAL_TOKENS, ...asciiCharTokens(tokenizer)]);
  for (const [t, c] of counts) if (c >= minCount) keep.add(t);
  return { tokens: tokenizer.vocab.filter((t) => keep.has(t)), counts };
}

/**
 * A copy of a classifier and its tokenizer keeping only `tokens` (the
 * special tokens must be among them): the word-embedding rows of those
 * tokens, in vocabulary order, `vocab_size` and `pad_token_id` updated. The
 * other weights are unchanged.
 *
 * @example const { model: small, tokenizer: smallTok } = pruneVocabulary(student, tokenizer, keep.tokens);
 */
export function pruneVocabulary(model: PreTrainedModel, tokenizer: BertTokenizer, tokens: Iterable<string>): { model: PreTrainedModel; tokenizer: BertTokenizer } {
  const where = "pruneVocabulary";
  if (isMaskedLm(model.config)) throw new Error(`${where}: ${model.constructor.name}'s output layer reads the embedding table; prune the vocabulary of a classifier`);
  if (tokenizer.vocabSize !== model.spec.vocabSize) throw new Error(`${where}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocab_size is ${model.spec.vocabSize}; pass the model's own tokenizer`);
  rejectWidePart(model.config, where);
  if (model.weightTransforms.size > 0) throw new Error(`${where}: the model has weight transforms (masks); make them permanent first`);
  const wanted = new Set(tokens);
  for (const t of wanted) if (tokenizer.tokenToId(t) === tokenizer.unkTokenId && t !== "[UNK]") throw new Error(`${where}: token ${JSON.stringify(t)} is not in the tokenizer's vocabulary`);
  for (const t of SPECIAL_TOKENS) if (!wanted.has(t)) throw new Error(`${where}: the special token ${t} must be kept`);
  const ids = tokenizer.vocab.map((t, i) => (wanted.has(t) ? i : -1)).filter((i) => i >= 0);
  const vocab = ids.map((i) => tokenizer.vocab[i]);
  const newTokenizer = new BertTokenizer(vocab, {
    doLowerCase: tokenizer.doLowerCase,
    modelMaxLength: tokenizer.modelMaxLength,
    maxInputCharsPerWord: tokenizer.maxInputCharsPerWord,
    vocabNote: `${tokenizer.vocabNote ? `${tokenizer.vocabNote}; then ` : ""}pruned to ${vocab.length} tokens (pruneVocabulary)`,
  });
  const config = JSON.parse(JSON.stringify(model.config)) as ModelConfig;
  config.vocab_size = vocab.length;
  config.pad_token_id = newTokenizer.padTokenId;
  const small = createModelFromConfig(config);
  const state = model.stateDict();
  const table = `${model.scheme.wordEmbeddings}.weight`;
  const old = state.get(table)!;
  const width = old.shape[1];
  const rows = new Float32Array(ids.length * width);
  ids.forEach((r, k) => rows.set(old.data.subarray(r * width, (r + 1) * width), k * width));
  state.set(table, { shape: [ids.length, width], data: rows });
  small.loadStateDict(state, { strict: true, source: "the vocabulary-pruned state dict" });
  return { model: small, tokenizer: newTokenizer };
}

/** What the CrossTokenizerDistillationTrainer adds to a DistillationTrainer's options. */
export interface CrossTokenizerDistillationOptions extends DistillationTrainerOptions {
  /** The training rows tokenized for the teacher, row for row the same as `trainDataset`. */
  teacherTrainDataset: Dataset<EncodedRow>;
  /** Rows per teacher forward pass when computing its logits. Default 128. */
  teacherBatchSize?: number;
}

/**
 * A DistillationTrainer for a student whose tokenizer differs from its
 * teacher's (a pruned vocabulary): the teacher's logits are computed once
 * per training row from the teacher's own tokenization
 * (`teacherTrainDataset`) and looked up by the student's ids, so the loss is
 * α·CE + (1−α)·T²·KL as usual and data-parallel workers can share it.
 *
 * @example
 * const trainer = new CrossTokenizerDistillationTrainer({ model: small, teacherModel: teacher, tokenizer: smallTok, trainDataset: tokenizeDataset(train, smallTok), teacherTrainDataset: tokenizeDataset(train, teacherTok), args });
 */
export class CrossTokenizerDistillationTrainer extends DistillationTrainer {
  private readonly teacherRows: Dataset<EncodedRow>;
  private readonly teacherBatchSize: number;
  private byStudentIds?: Map<string, Float32Array>;

  constructor(options: CrossTokenizerDistillationOptions) {
    const { teacherTrainDataset, teacherBatchSize, ...rest } = options;
    super({ ...rest, cacheTeacherLogits: true });
    if ((options.tokenMaskProb ?? 0) > 0) throw new Error("CrossTokenizerDistillationTrainer: the teacher's logits are computed once per row, so inputs cannot be augmented (set tokenMaskProb to 0)");
    if (!teacherTrainDataset || teacherTrainDataset.length !== this.trainDataset?.length) throw new Error(`CrossTokenizerDistillationTrainer: teacherTrainDataset must hold the training rows tokenized for the teacher, row for row (${teacherTrainDataset?.length ?? 0} rows for ${this.trainDataset?.length ?? 0})`);
    this.teacherRows = teacherTrainDataset;
    this.teacherBatchSize = teacherBatchSize ?? 128;
  }

  /** The teacher's logits per training row, keyed by the student's ids (computed on first use). */
  private table(): Map<string, Float32Array> {
    if (this.byStudentIds) return this.byStudentIds;
    const map = new Map<string, Float32Array>();
    const rows = this.teacherRows.rows;
    const pad = (r: EncodedRow[], w: number) => r.map((x) => [...x.input_ids, ...new Array(w - x.input_ids.length).fill(0)]);
    for (let s = 0; s < rows.length; s += this.teacherBatchSize) {
      const batch = rows.slice(s, s + this.teacherBatchSize);
      const width = Math.max(...batch.map((r) => r.input_ids.length));
      const logits = tf.tidy(() => {
        const ids = tf.tensor2d(pad(batch, width), undefined, "int32");
        const mask = tf.tensor2d(batch.map((r) => r.input_ids.map(() => 1).concat(new Array(width - r.input_ids.length).fill(0))), undefined, "int32");
        return this.teacherModel.call({ input_ids: ids, attention_mask: mask }).logits;
      });
      const data = logits.dataSync() as Float32Array;
      const n = logits.shape[1];
      logits.dispose();
      batch.forEach((_, k) => map.set(this.key(this.trainDataset!.rows[s + k]), data.slice(k * n, (k + 1) * n)));
    }
    this.byStudentIds = map;
    return map;
  }

  private key(row: EncodedRow): string {
    const ids = row.input_ids;
    const max = this.args.maxLength;
    // The Trainer truncates long rows keeping the final [SEP]; key them the same way.
    return (ids.length <= max ? ids : [...ids.slice(0, max - 1), ids[ids.length - 1]]).join(",");
  }

  protected override rowTargets(rows: readonly EncodedRow[], _inputs?: TensorBatch): RowTargets {
    if (this.alpha === 1) return {};
    const table = this.table();
    return {
      teacherLogits: rows.map((r) => {
        const hit = table.get(this.key(r));
        if (!hit) throw new Error(`CrossTokenizerDistillationTrainer: no teacher logits for a row that is not in the training set (ids ${r.input_ids.slice(0, 8).join(",")}…)`);
        return hit;
      }),
    };
  }
}
