// Bag-of-words features of WordPiece token ids: unigram counts plus hashed
// bigram counts, TF-IDF weighted (sublinear tf, smooth idf) and L2-normalised,
// as scikit-learn's TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
// would compute them on the same tokens. Working on ids, not text, lets the
// model take the padded batches the transformers take.
import { murmurHash3Pair } from "./hash";

/** How token ids become features. */
export interface FeatureSettings {
  /** Unigram features are the token ids 0..vocabSize-1. */
  vocabSize: number;
  /** Buckets for hashed bigrams (feature ids vocabSize..vocabSize+numBuckets-1); 0: unigrams only. */
  numBuckets: number;
  /** Ids that are not words: [PAD], [CLS], [SEP], [MASK]. Skipped, and no bigram spans them. */
  ignoredTokenIds: readonly number[];
  /** tf = 1 + ln(count) instead of count (a word said twice is not twice the evidence). */
  sublinearTf: boolean;
}

/** One row of features: feature ids in increasing order and their values. */
export interface SparseRow {
  indices: Int32Array;
  values: Float32Array;
}

/**
 * A batch of sparse rows as a dense [batch, features used] matrix plus the
 * ids of those features: `matrix @ table[features]` is the batch's weighted
 * sum of table rows (PyTorch's `EmbeddingBag(mode="sum")` with
 * `per_sample_weights`), computed as one small matrix product.
 */
export interface CompactBatch {
  /** Distinct feature ids the batch uses, in order of first use. */
  features: Int32Array;
  /** [batch, features.length], row-major. */
  matrix: Float32Array;
  batch: number;
}

/**
 * The bucket of the bigram (a, b): MurmurHash3_x86_32 of the two ids as
 * little-endian uint32 words, seed 0, modulo the bucket count (Python:
 * `mmh3.hash(struct.pack("<II", a, b), 0, signed=False) % numBuckets`).
 *
 * @example
 * bigramBucket(2129, 2052, 8192); // a fixed number in [0, 8192)
 */
export function bigramBucket(a: number, b: number, numBuckets: number): number {
  return murmurHash3Pair(a, b, 0) % numBuckets;
}

/**
 * Throws, naming the field, when the settings cannot describe a feature space.
 *
 * @example
 * validateFeatureSettings({ vocabSize: 10, numBuckets: -1, ignoredTokenIds: [], sublinearTf: true });
 * // Error: BagOfWords features: numBuckets must be an integer >= 0, got -1
 */
export function validateFeatureSettings(s: FeatureSettings): void {
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  if (!posInt(s.vocabSize)) throw new Error(`BagOfWords features: vocabSize must be a positive integer, got ${s.vocabSize}`);
  if (!(Number.isInteger(s.numBuckets) && s.numBuckets >= 0)) throw new Error(`BagOfWords features: numBuckets must be an integer >= 0, got ${s.numBuckets}`);
  if (!Array.isArray(s.ignoredTokenIds)) throw new Error("BagOfWords features: ignoredTokenIds must be an array of token ids");
  for (const id of s.ignoredTokenIds) {
    if (!(Number.isInteger(id) && id >= 0 && id < s.vocabSize)) throw new Error(`BagOfWords features: ignored token id ${id} is outside the vocabulary [0, ${s.vocabSize})`);
  }
  if (typeof s.sublinearTf !== "boolean") throw new Error(`BagOfWords features: sublinearTf must be a boolean, got ${s.sublinearTf}`);
}

/**
 * Turns token-id sequences into TF-IDF bag-of-words rows. `fit` computes the
 * IDF on a corpus (the training split); features never seen there get idf 0
 * and are dropped, as words outside scikit-learn's fitted vocabulary are.
 *
 * @example
 * const f = BagOfWordsFeaturizer.fit(trainIds, { vocabSize: tok.vocabSize, numBuckets: 8192, ignoredTokenIds: [0, 2, 3, 4], sublinearTf: true });
 * f.transform(tok.encode("what is my pin").input_ids); // { indices: Int32Array [...], values: Float32Array [...] } (unit L2 norm)
 */
export class BagOfWordsFeaturizer {
  readonly settings: FeatureSettings;
  readonly idf: Float32Array;
  private readonly ignored: Uint8Array;

  constructor(settings: FeatureSettings, idf: Float32Array) {
    validateFeatureSettings(settings);
    this.settings = { ...settings, ignoredTokenIds: [...settings.ignoredTokenIds] };
    const n = settings.vocabSize + settings.numBuckets;
    if (!(idf instanceof Float32Array) || idf.length !== n) throw new Error(`BagOfWordsFeaturizer: the IDF vector has ${idf?.length} values, the settings need ${n} (vocabSize ${settings.vocabSize} + numBuckets ${settings.numBuckets})`);
    for (let i = 0; i < n; i++) if (!(Number.isFinite(idf[i]) && idf[i] >= 0)) throw new Error(`BagOfWordsFeaturizer: IDF value ${idf[i]} at feature ${i} is not a finite number >= 0`);
    this.idf = idf;
    this.ignored = new Uint8Array(settings.vocabSize);
    for (const id of settings.ignoredTokenIds) this.ignored[id] = 1;
  }

  /** Unigram features plus bigram buckets: the length of the IDF vector and of a feature row. */
  get numFeatures(): number {
    return this.settings.vocabSize + this.settings.numBuckets;
  }

  /**
   * Fits the IDF on documents (token-id rows): idf = ln((1 + n) / (1 + df)) + 1
   * for a feature in df of the n documents (scikit-learn's smooth_idf), 0 for
   * a feature in none.
   */
  static fit(documents: readonly (readonly number[])[], settings: FeatureSettings): BagOfWordsFeaturizer {
    validateFeatureSettings(settings);
    if (documents.length === 0) throw new Error("BagOfWordsFeaturizer.fit: no documents to fit the IDF on");
    const probe = new BagOfWordsFeaturizer(settings, new Float32Array(settings.vocabSize + settings.numBuckets));
    const df = new Float64Array(probe.numFeatures);
    documents.forEach((doc, i) => {
      for (const f of probe.counts(doc, undefined, `document ${i}`).keys()) df[f]++;
    });
    const n = documents.length;
    const idf = new Float32Array(probe.numFeatures);
    for (let f = 0; f < idf.length; f++) if (df[f] > 0) idf[f] = Math.log((1 + n) / (1 + df[f])) + 1;
    return new BagOfWordsFeaturizer(settings, idf);
  }

  /**
   * Raw counts of one sequence's features (unigram ids and bigram buckets).
   * Positions with mask 0 and ignored ids are skipped; a bigram needs two
   * adjacent kept positions.
   */
  counts(ids: ArrayLike<number>, mask?: ArrayLike<number>, where = "input"): Map<number, number> {
    const { vocabSize, numBuckets } = this.settings;
    if (mask && mask.length !== ids.length) throw new Error(`BagOfWords features: ${where} has ${ids.length} ids but ${mask.length} mask values`);
    const out = new Map<number, number>();
    let prev = -1; // the previous position's id when it was kept, else -1
    for (let j = 0; j < ids.length; j++) {
      const id = ids[j];
      if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) throw new Error(`BagOfWords features: token id ${id} at position ${j} of ${where} is outside the vocabulary [0, ${vocabSize}) (were the ids made by another tokenizer?)`);
      if ((mask && mask[j] === 0) || this.ignored[id]) {
        prev = -1;
        continue;
      }
      out.set(id, (out.get(id) ?? 0) + 1);
      if (numBuckets > 0 && prev >= 0) {
        const f = vocabSize + bigramBucket(prev, id, numBuckets);
        out.set(f, (out.get(f) ?? 0) + 1);
      }
      prev = id;
    }
    return out;
  }

  /** TF-IDF features of one sequence, L2-normalised (all zeros when nothing is left). */
  transform(ids: ArrayLike<number>, mask?: ArrayLike<number>, where?: string): SparseRow {
    const counts = this.counts(ids, mask, where);
    const keys = [...counts.keys()].filter((f) => this.idf[f] > 0).sort((a, b) => a - b);
    const values = new Float32Array(keys.length);
    let norm = 0;
    keys.forEach((f, i) => {
      const c = counts.get(f)!;
      const v = (this.settings.sublinearTf ? 1 + Math.log(c) : c) * this.idf[f];
      values[i] = v;
      norm += v * v;
    });
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let i = 0; i < values.length; i++) values[i] *= inv;
    }
    return { indices: Int32Array.from(keys), values };
  }

  /** Features of a padded [batch, seq] batch given as flat row-major arrays. */
  transformBatch(ids: ArrayLike<number>, batch: number, seq: number, mask?: ArrayLike<number>): SparseRow[] {
    if (ids.length !== batch * seq) throw new Error(`BagOfWords features: ${ids.length} ids for a [${batch}, ${seq}] batch`);
    if (mask && mask.length !== ids.length) throw new Error(`BagOfWords features: the attention mask has ${mask.length} values for a [${batch}, ${seq}] batch`);
    const rows: SparseRow[] = [];
    const slice = (a: ArrayLike<number>, s: number) => Array.prototype.slice.call(a, s, s + seq) as number[];
    for (let b = 0; b < batch; b++) rows.push(this.transform(slice(ids, b * seq), mask ? slice(mask, b * seq) : undefined, `row ${b}`));
    return rows;
  }
}

/**
 * Compacts sparse rows to the features they use. A batch that uses none gets
 * one all-zero column (feature 0), so shapes stay valid.
 *
 * @example
 * compactRows([{ indices: Int32Array.of(3, 9), values: Float32Array.of(0.6, 0.8) }]);
 * // { features: Int32Array [3, 9], matrix: Float32Array [0.6, 0.8], batch: 1 }
 */
export function compactRows(rows: readonly SparseRow[]): CompactBatch {
  const column = new Map<number, number>();
  const features: number[] = [];
  for (const r of rows) {
    for (const f of r.indices) {
      if (!column.has(f)) {
        column.set(f, features.length);
        features.push(f);
      }
    }
  }
  if (features.length === 0) features.push(0);
  const width = features.length;
  const matrix = new Float32Array(rows.length * width);
  rows.forEach((r, b) => r.indices.forEach((f, k) => (matrix[b * width + column.get(f)!] += r.values[k])));
  return { features: Int32Array.from(features), matrix, batch: rows.length };
}
