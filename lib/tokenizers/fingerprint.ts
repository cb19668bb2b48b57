// What tokenizer a model folder needs. A model's token ids mean the words of
// one vocabulary: another model's tokenizer.json (a trimmed vocabulary, say)
// gives ids that still fit the embedding table but name other words, so the
// model runs and answers wrongly. config.json records the vocabulary it was
// saved with (`tokenizer_fingerprint`) and loaders compare the folder's
// tokenizer.json with it. Folders without the record load as before.
import * as fs from "node:fs";
import * as path from "node:path";
import { readJson, sha256Hex, writeJsonAtomic, readJsonObjectIfPresent } from "../utils/fs";

/**
 * The config.json field holding the fingerprint of the model's tokenizer.
 *
 * @example
 * config[TOKENIZER_FINGERPRINT_FIELD]; // { vocab_size: 8004, sha256: "…" }
 */
export const TOKENIZER_FINGERPRINT_FIELD = "tokenizer_fingerprint";

/** A vocabulary's size and the SHA-256 of its tokens in id order (one per line, as vocab.txt holds them). */
export interface TokenizerFingerprint {
  vocab_size: number;
  sha256: string;
}

/**
 * The fingerprint of a vocabulary: its size and the SHA-256 of its tokens in
 * id order, each followed by a newline (the bytes of the vocab.txt that
 * `BertTokenizer.savePretrained` writes, so `sha256sum vocab.txt` shows it).
 *
 * @example
 * vocabularyFingerprint(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hi"]); // { vocab_size: 6, sha256: "…" }
 */
export function vocabularyFingerprint(vocab: readonly string[]): TokenizerFingerprint {
  return { vocab_size: vocab.length, sha256: sha256Hex(vocab.join("\n") + "\n") };
}

/**
 * The vocabulary of a parsed tokenizer.json (a WordPiece model), in id order;
 * a clear error names the file when it holds none or has gaps in its ids.
 *
 * @example
 * vocabularyOfTokenizerJson(readJson("data/models/bow-clinc/tokenizer.json"), "data/models/bow-clinc/tokenizer.json").length; // 8004
 */
export function vocabularyOfTokenizerJson(tokenizerJson: any, file: string): string[] {
  const model = tokenizerJson?.model;
  if (!model || model.type !== "WordPiece" || typeof model.vocab !== "object" || model.vocab === null) {
    throw new Error(`BertTokenizer.fromPretrained: ${file} has no WordPiece model (got ${model?.type ?? "none"})`);
  }
  const vocab: string[] = [];
  const entries = Object.entries(model.vocab as Record<string, unknown>);
  for (const [tok, id] of entries) {
    if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length) {
      throw new Error(`BertTokenizer.fromPretrained: ${file} has gaps in its vocabulary ids (token ${JSON.stringify(tok)} has id ${JSON.stringify(id)}, the ids must be 0..${entries.length - 1})`);
    }
    vocab[id as number] = tok;
  }
  if (vocab.length !== entries.length || vocab.some((t) => t === undefined)) throw new Error(`BertTokenizer.fromPretrained: ${file} has gaps in its vocabulary ids`);
  return vocab;
}

/** Whether a value is a well-formed fingerprint. */
function isFingerprint(v: unknown): v is TokenizerFingerprint {
  const f = v as TokenizerFingerprint;
  return !!f && typeof f === "object" && Number.isInteger(f.vocab_size) && f.vocab_size > 0 && typeof f.sha256 === "string" && /^[0-9a-f]{64}$/.test(f.sha256);
}

/**
 * The tokenizer fingerprint a parsed config.json records, or undefined when
 * it records none (folders written before fingerprints, or by Hugging Face).
 * A malformed record is an error naming the file.
 *
 * @example
 * recordedTokenizerFingerprint(readJson("data/models/bow-clinc/config.json"), "data/models/bow-clinc/config.json"); // { vocab_size: 8004, sha256: "…" }
 */
export function recordedTokenizerFingerprint(config: unknown, configFile: string): TokenizerFingerprint | undefined {
  if (!config || typeof config !== "object" || !(TOKENIZER_FINGERPRINT_FIELD in config)) return undefined;
  const v = (config as Record<string, unknown>)[TOKENIZER_FINGERPRINT_FIELD];
  if (!isFingerprint(v)) throw new Error(`${configFile}: ${TOKENIZER_FINGERPRINT_FIELD} must be { vocab_size: a positive integer, sha256: 64 hex digits }, got ${JSON.stringify(v)}`);
  return v;
}

/** A fingerprint for messages: "8004 tokens, sha256 1a2b3c4d5e6f…". */
function describe(f: TokenizerFingerprint): string {
  return `${f.vocab_size} tokens, sha256 ${f.sha256.slice(0, 12)}…`;
}

/** config.json of a folder as an object, or undefined when absent or unreadable (its own loader reports that). */
function folderConfig(dir: string): Record<string, unknown> | undefined {
  return readJsonObjectIfPresent(path.join(dir, "config.json"));
}

/**
 * Checks a tokenizer's vocabulary against the fingerprint the folder's
 * config.json records (nothing to check when it records none): another
 * model's tokenizer.json is an error naming both vocabularies.
 *
 * @example
 * checkTokenizerFingerprint("data/models/distilbert-clinc-distilled", tokenizer.fingerprint());
 * // with the pruned model's tokenizer.json copied in: Error: data/models/distilbert-clinc-distilled/tokenizer.json is not the tokenizer this model was saved with: …
 */
export function checkTokenizerFingerprint(dir: string, actual: TokenizerFingerprint, tokenizerSource = path.join(dir, "tokenizer.json")): void {
  const configFile = path.join(dir, "config.json");
  const recorded = recordedTokenizerFingerprint(folderConfig(dir), configFile);
  if (!recorded || (recorded.vocab_size === actual.vocab_size && recorded.sha256 === actual.sha256)) return;
  throw new Error(
    `${tokenizerSource} is not the tokenizer this model was saved with: ${configFile} records a vocabulary of ${describe(recorded)}, but ${tokenizerSource} holds ${describe(actual)}. ` +
      `It is another model's tokenizer (its token ids would name other words: the model would run and answer wrongly); copy the tokenizer files saved with this model, or save the right tokenizer with tokenizer.savePretrained(dir)`,
  );
}

/**
 * For model loaders: when the folder's config.json records a tokenizer
 * fingerprint and the folder holds a tokenizer.json, they must agree (see
 * `checkTokenizerFingerprint`). A tokenizer.json that is not a WordPiece
 * vocabulary is left to the tokenizer's own loader to report.
 *
 * @example
 * checkFolderTokenizer("data/models/bert-clinc-teacher"); // throws when tokenizer.json is another model's
 */
export function checkFolderTokenizer(dir: string): void {
  const config = folderConfig(dir);
  if (!config || !(TOKENIZER_FINGERPRINT_FIELD in config)) return;
  const file = path.join(dir, "tokenizer.json");
  if (!fs.existsSync(file)) return;
  let vocab: string[];
  try {
    vocab = vocabularyOfTokenizerJson(readJson(file, "tokenizer.json"), file);
  } catch {
    return; // BertTokenizer.fromPretrained names what is wrong with it
  }
  checkTokenizerFingerprint(dir, vocabularyFingerprint(vocab), file);
}

/**
 * Records a tokenizer's fingerprint in the folder's config.json when there is
 * one (a model folder), atomically; a folder without config.json is left as
 * it is. `BertTokenizer.savePretrained` calls it.
 *
 * @example
 * recordTokenizerFingerprint("outputs/models/my-student", tokenizer.fingerprint());
 */
export function recordTokenizerFingerprint(dir: string, fingerprint: TokenizerFingerprint): void {
  const config = folderConfig(dir);
  if (!config) return;
  const current = config[TOKENIZER_FINGERPRINT_FIELD] as TokenizerFingerprint | undefined;
  if (current?.vocab_size === fingerprint.vocab_size && current?.sha256 === fingerprint.sha256) return;
  writeJsonAtomic(path.join(dir, "config.json"), { ...config, [TOKENIZER_FINGERPRINT_FIELD]: { vocab_size: fingerprint.vocab_size, sha256: fingerprint.sha256 } });
}

/**
 * The fingerprint of the tokenizer.json in a folder, or undefined when it has
 * none or it is not a WordPiece vocabulary.
 *
 * @example
 * folderTokenizerFingerprint("data/models/bert-clinc-teacher"); // { vocab_size: 8004, sha256: "…" }
 */
export function folderTokenizerFingerprint(dir: string): TokenizerFingerprint | undefined {
  const file = path.join(dir, "tokenizer.json");
  if (!fs.existsSync(file)) return undefined;
  try {
    return vocabularyFingerprint(vocabularyOfTokenizerJson(readJson(file, "tokenizer.json"), file));
  } catch {
    return undefined;
  }
}
