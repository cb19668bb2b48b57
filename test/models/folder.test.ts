// A model folder is consistent or refused (issue #21, item 3): config.json
// records the sha256 of the weights and the fingerprint of the tokenizer;
// loaders of every kind verify them. Folders without the records load as
// before; a float model refuses integer-typed weights.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir, maxAbsDiff, values } from "../helpers/setup";
import { BertTokenizer } from "../../lib/tokenizers";
import {
  AutoModelForSequenceClassification,
  BagOfWordsClassifier,
  BagOfWordsFeaturizer,
  BertForSequenceClassification,
  DistilBertForSequenceClassification,
  EnsembleForSequenceClassification,
  SequenceClassificationModel,
  addFolderRecords,
  fileChecksum,
  labelMaps,
  loadSequenceClassifier,
  parseSafetensors,
  readSafetensors,
  writePretrainedFolder,
  writeSafetensors,
} from "../../lib/models";
import { pipeline } from "../../lib/pipelines";
import { sha256Hex } from "../../lib/utils/fs";

const SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
const LETTERS = "abcdefghijklmnopqrst".split("");
const tokenizer = new BertTokenizer([...SPECIAL, ...LETTERS], { modelMaxLength: 16 });
// Another model's tokenizer of the same size: two tokens swapped, so every id still fits the embedding table.
const other = new BertTokenizer([...SPECIAL, "b", "a", ...LETTERS.slice(2)], { modelMaxLength: 16 });
const LABELS = ["no", "maybe", "yes"];

const bert = (seed = 3) =>
  BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(LABELS) }, { seed });
const distilbert = (seed = 4) =>
  DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 32, max_position_embeddings: 16, ...labelMaps(LABELS) }, { seed });
function bow(seed = 5): BagOfWordsClassifier {
  const docs = Array.from({ length: 12 }, (_, i) => [2, 5 + (i % 7), 6 + (i % 5), 3]);
  const f = BagOfWordsFeaturizer.fit(docs, { vocabSize: tokenizer.vocabSize, numBuckets: 16, ignoredTokenIds: [0, 2, 3, 4], sublinearTf: true });
  return BagOfWordsClassifier.fromConfig({ vocab_size: tokenizer.vocabSize, ignored_token_ids: [0, 2, 3, 4], num_buckets: 16, hidden_size: 8, initializer_range: 1, max_length: 16, ...labelMaps(LABELS) }, f.idf, { seed });
}
const ensemble = () => new EnsembleForSequenceClassification([bert(6), bow(7)], { weights: [0.5, 0.5] });

const KINDS: Record<string, () => SequenceClassificationModel> = { bert, distilbert, "bag-of-words": bow, ensemble };
/** Where each kind keeps a weights file (the ensemble: in its members' folders). */
const WEIGHTS: Record<string, string> = { bert: "model.safetensors", distilbert: "model.safetensors", "bag-of-words": "model.safetensors", ensemble: "member_1/model.safetensors" };
/** A float weight of each kind's weights file. */
const A_WEIGHT: Record<string, string> = { bert: "classifier.weight", distilbert: "classifier.weight", "bag-of-words": "bag.weight", ensemble: "bag.weight" };

/** Every way the workbook loads a folder: the kind's class, the registry, and pipeline() (which loads the tokenizer too). */
function loaders(kind: string): [string, (dir: string) => { dispose(): void }][] {
  const own: Record<string, (dir: string) => { dispose(): void }> = {
    bert: (d) => BertForSequenceClassification.fromPretrained(d),
    distilbert: (d) => DistilBertForSequenceClassification.fromPretrained(d),
    "bag-of-words": (d) => BagOfWordsClassifier.fromPretrained(d),
    ensemble: (d) => EnsembleForSequenceClassification.fromPretrained(d),
  };
  return [
    [`${kind}.fromPretrained`, own[kind]],
    ["loadSequenceClassifier", (d) => loadSequenceClassifier(d, { quiet: true })],
    ["pipeline", (d) => pipeline("text-classification", d)],
  ];
}

function saved(kind: string, order: "model first" | "tokenizer first" = "model first"): string {
  const dir = tmpDir(`folder-${kind}-`);
  const model = KINDS[kind]();
  if (order === "tokenizer first") tokenizer.savePretrained(dir);
  model.savePretrained(dir);
  if (order === "model first") tokenizer.savePretrained(dir);
  model.dispose();
  return dir;
}

const readConfig = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
const writeConfig = (dir: string, c: unknown) => fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(c, null, 2));
const copy = (dir: string) => {
  const out = tmpDir("folder-copy-");
  fs.cpSync(dir, out, { recursive: true });
  return out;
};
/** A folder as written before the records (or by Hugging Face). */
function withoutRecords(dir: string): string {
  const walk = (d: string) => {
    const { checksums: _c, tokenizer_fingerprint: _t, ...rest } = readConfig(d);
    writeConfig(d, rest);
    for (const m of rest.members ?? []) walk(path.join(d, m));
  };
  walk(dir);
  return dir;
}

/** Flips one bit of a weight value (in the data section, so the file still parses). */
function flipByte(file: string): void {
  const b = fs.readFileSync(file);
  const headerLen = Number(b.readBigUInt64LE(0));
  const at = 8 + headerLen + Math.floor((b.length - 8 - headerLen) / 2);
  b[at] ^= 0x04;
  fs.writeFileSync(file, b);
}

/** Rewrites one tensor's header dtype F32 → I32 (same size: the offsets still fit). */
function f32ToI32(file: string, tensor: string): void {
  const b = fs.readFileSync(file);
  const headerLen = Number(b.readBigUInt64LE(0));
  const header = b.subarray(8, 8 + headerLen).toString("utf8");
  const key = `"${tensor}":{"dtype":"F32"`;
  assert.ok(header.includes(key), `the header lists ${tensor} as F32`);
  Buffer.from(header.replace(key, `"${tensor}":{"dtype":"I32"`)).copy(b, 8);
  fs.writeFileSync(file, b);
}

function logitsOf(model: SequenceClassificationModel): number[] {
  const enc = tokenizer.call(["a b c", "d e f g"]);
  return tf.tidy(() => Array.from(values(model.call({ input_ids: tf.tensor2d(enc.input_ids, undefined, "int32"), attention_mask: tf.tensor2d(enc.attention_mask, undefined, "int32") }).logits)));
}

test("savePretrained records the weights' sha256 and the tokenizer's fingerprint in config.json (model or tokenizer saved first); every kind loads back unchanged", async () => {
  await ready;
  for (const kind of Object.keys(KINDS)) {
    for (const order of ["model first", "tokenizer first"] as const) {
      const dir = tmpDir(`folder-${kind}-`);
      const model = KINDS[kind]();
      if (order === "tokenizer first") tokenizer.savePretrained(dir);
      model.savePretrained(dir);
      if (order === "model first") tokenizer.savePretrained(dir);
      const config = readConfig(dir);
      // The fingerprint is the vocabulary's size and the sha256 of vocab.txt.
      assert.deepEqual(config.tokenizer_fingerprint, { vocab_size: 25, sha256: sha256Hex(fs.readFileSync(path.join(dir, "vocab.txt"))) }, `${kind}, ${order}`);
      const weights = path.join(dir, WEIGHTS[kind]);
      const recordedIn = readConfig(path.dirname(weights));
      assert.deepEqual(recordedIn.checksums, { "model.safetensors": { sha256: sha256Hex(fs.readFileSync(weights)), bytes: fs.statSync(weights).size } }, `${kind}, ${order}`);
      for (const [name, load] of loaders(kind)) {
        const again = load(dir) as { dispose(): void; model?: SequenceClassificationModel; config?: object };
        const m = (name === "pipeline" ? again.model : again) as SequenceClassificationModel;
        assert.ok(maxAbsDiff(logitsOf(m), logitsOf(model)) < 1e-6, `${kind} via ${name}`);
        // The records describe the folder's files, not the model: a loaded model never carries them.
        assert.ok(!("checksums" in m.config) && !("tokenizer_fingerprint" in m.config), `${kind} via ${name}: records left in model.config`);
        again.dispose();
      }
      model.dispose();
    }
  }
});

test("another model's tokenizer.json (same size, other tokens) is an error naming both vocabularies, for every kind and loader", async () => {
  await ready;
  const recorded = tokenizer.fingerprint().sha256.slice(0, 12);
  const found = other.fingerprint().sha256.slice(0, 12);
  assert.notEqual(recorded, found);
  for (const kind of Object.keys(KINDS)) {
    const dir = saved(kind);
    BertTokenizer.fromPretrained(dir); // its own tokenizer loads
    const foreign = tmpDir("folder-other-tok-");
    other.savePretrained(foreign);
    fs.copyFileSync(path.join(foreign, "tokenizer.json"), path.join(dir, "tokenizer.json"));
    const error = new RegExp(`${dir}/tokenizer.json is not the tokenizer this model was saved with: ${dir}/config.json records a vocabulary of 25 tokens, sha256 ${recorded}…, but ${dir}/tokenizer.json holds 25 tokens, sha256 ${found}…. It is another model's tokenizer`);
    assert.throws(() => BertTokenizer.fromPretrained(dir), error, kind);
    for (const [name, load] of loaders(kind)) assert.throws(() => load(dir), error, `${kind} via ${name}`);
  }
});

const shipped = (name: string) => path.resolve(__dirname, "..", "..", "data", "models", name);
test("the issue's case: the distilled model with the pruned model's tokenizer.json is refused", { skip: fs.existsSync(path.join(shipped("distilbert-clinc-pruned"), "tokenizer.json")) ? false : "the shipped models are absent" }, async () => {
  await ready;
  const dir = tmpDir("folder-distilled-");
  for (const f of ["config.json", "model.safetensors", "tokenizer_config.json"]) fs.copyFileSync(path.join(shipped("distilbert-clinc-distilled"), f), path.join(dir, f));
  fs.copyFileSync(path.join(shipped("distilbert-clinc-pruned"), "tokenizer.json"), path.join(dir, "tokenizer.json"));
  const error = /tokenizer.json is not the tokenizer this model was saved with: .*config.json records a vocabulary of 3535 tokens, sha256 ebccebf2d7ea…, but .*tokenizer.json holds 1465 tokens, sha256 77596538d65a…/;
  assert.throws(() => BertTokenizer.fromPretrained(dir), error);
  assert.throws(() => AutoModelForSequenceClassification.fromPretrained(dir), error);
  assert.throws(() => pipeline("text-classification", dir), error);
  // The pruned folder's ONNX model with the distilled model's tokenizer: refused before ONNX Runtime starts.
  const onnx = tmpDir("folder-pruned-onnx-");
  fs.copyFileSync(path.join(shipped("distilbert-clinc-pruned"), "config.json"), path.join(onnx, "config.json"));
  fs.cpSync(path.join(shipped("distilbert-clinc-pruned"), "onnx"), path.join(onnx, "onnx"), { recursive: true });
  fs.copyFileSync(path.join(shipped("distilbert-clinc-distilled"), "tokenizer.json"), path.join(onnx, "tokenizer.json"));
  const onnxError = /config.json records a vocabulary of 1465 tokens, sha256 77596538d65a…, but .*tokenizer.json holds 3535 tokens, sha256 ebccebf2d7ea…/;
  assert.throws(() => pipeline("text-classification", onnx, { dtype: "q8" }), onnxError);
  assert.throws(() => loadSequenceClassifier(onnx, { dtype: "q8" }), onnxError); // the registry checks every kind's folder, the model alone too
});

test("a flipped byte in model.safetensors is an error naming the file, for every kind and loader", async () => {
  await ready;
  for (const kind of Object.keys(KINDS)) {
    const dir = saved(kind);
    const weights = path.join(dir, WEIGHTS[kind]);
    flipByte(weights);
    parseSafetensors(new Uint8Array(fs.readFileSync(weights))); // the file still parses: only the checksum can tell
    const error = new RegExp(`${weights} does not match its recorded sha256 in ${path.dirname(weights)}/config.json \\(recorded [0-9a-f]{16}…, \\d+ bytes; the file has [0-9a-f]{16}…, \\d+ bytes\\): the file changed after it was written`);
    assert.throws(() => readSafetensors(weights), error, kind);
    for (const [name, load] of loaders(kind)) assert.throws(() => load(dir), error, `${kind} via ${name}`);
  }
});

test("a header whose dtype says I32 where the model reads floats is an error naming the tensor and the dtype (folders with and without records)", async () => {
  await ready;
  for (const kind of Object.keys(KINDS)) {
    const dir = withoutRecords(saved(kind));
    const weights = path.join(dir, WEIGHTS[kind]);
    f32ToI32(weights, A_WEIGHT[kind]);
    assert.equal(readSafetensors(weights).tensors.get(A_WEIGHT[kind])!.dtype, "I32"); // a valid file: only the dtype is wrong
    const error = new RegExp(`${weights}: tensor "${A_WEIGHT[kind]}" is stored as I32, not a float type`);
    for (const [name, load] of loaders(kind)) assert.throws(() => load(dir), error, `${kind} via ${name}`);
    // With the records, the changed header is caught first, as any changed byte.
    const recorded = saved(kind);
    f32ToI32(path.join(recorded, WEIGHTS[kind]), A_WEIGHT[kind]);
    assert.throws(() => loadSequenceClassifier(recorded), /does not match its recorded sha256 .*: the file changed after it was written/, kind);
  }
});

test("folders without the records (written before them, or by Hugging Face) load as before; an I64 position_ids buffer is still ignored", async () => {
  await ready;
  for (const kind of Object.keys(KINDS)) {
    const dir = withoutRecords(saved(kind));
    assert.ok(!("checksums" in readConfig(dir)) && !("tokenizer_fingerprint" in readConfig(dir)));
    const model = KINDS[kind]();
    for (const [name, load] of loaders(kind)) {
      const again = load(dir) as { dispose(): void; model?: SequenceClassificationModel };
      assert.ok(maxAbsDiff(logitsOf((name === "pipeline" ? again.model : again) as SequenceClassificationModel), logitsOf(model)) < 1e-6, `${kind} via ${name}`);
      again.dispose();
    }
    model.dispose();
    // Without a record nothing can tell another tokenizer of the same size: it loads (what the records are for).
    const foreign = tmpDir();
    other.savePretrained(foreign);
    fs.copyFileSync(path.join(foreign, "tokenizer.json"), path.join(dir, "tokenizer.json"));
    assert.deepEqual(BertTokenizer.fromPretrained(dir).vocab, other.vocab);
  }
  const dir = withoutRecords(saved("bert"));
  const { tensors } = readSafetensors(path.join(dir, "model.safetensors"));
  tensors.set("bert.embeddings.position_ids", { dtype: "I64", shape: [1, 16], data: BigInt64Array.from({ length: 16 }, (_, i) => BigInt(i)) });
  writeSafetensors(path.join(dir, "model.safetensors"), tensors);
  BertForSequenceClassification.fromPretrained(dir, { quiet: true }).dispose();
});

test("records never travel with a config: a model loaded from one folder and saved (or a raw config.json written) elsewhere records that folder's files", async () => {
  await ready;
  const a = saved("bert");
  const model = BertForSequenceClassification.fromPretrained(a);
  const b = tmpDir("folder-b-");
  other.savePretrained(b); // another tokenizer, saved first
  model.savePretrained(b);
  assert.equal(readConfig(b).tokenizer_fingerprint.sha256, other.fingerprint().sha256);
  assert.equal(readConfig(b).checksums["model.safetensors"].sha256, sha256Hex(fs.readFileSync(path.join(b, "model.safetensors"))));
  BertForSequenceClassification.fromPretrained(b).dispose();
  BertTokenizer.fromPretrained(b);
  // A raw config.json (records included) given to the writer: its stale records are replaced.
  const c = tmpDir("folder-c-");
  const raw = readConfig(a);
  const stale = { ...raw, checksums: { "model.safetensors": { sha256: "0".repeat(64), bytes: 1 } } };
  writePretrainedFolder(c, model.stateDict(), stale);
  assert.ok(!("tokenizer_fingerprint" in readConfig(c)), "no tokenizer in c: no fingerprint");
  BertForSequenceClassification.fromPretrained(c).dispose();
  model.dispose();
});

test("the workbook's own rewrites keep the record true (writeSafetensors); a malformed record is an error naming config.json", async () => {
  await ready;
  const dir = saved("bert");
  const file = path.join(dir, "model.safetensors");
  const { tensors, metadata } = readSafetensors(file);
  (tensors.get("classifier.bias")!.data as Float32Array)[0] = 0.25;
  writeSafetensors(file, tensors, metadata);
  assert.deepEqual(readConfig(dir).checksums["model.safetensors"], fileChecksum(fs.readFileSync(file)));
  const model = BertForSequenceClassification.fromPretrained(dir);
  assert.equal(model.stateDict().get("classifier.bias")!.data[0], 0.25);
  model.dispose();
  writeConfig(dir, { ...readConfig(dir), checksums: { "model.safetensors": "abc" } });
  assert.throws(() => BertForSequenceClassification.fromPretrained(dir), new RegExp(`${dir}/config.json: checksums\\["model.safetensors"\\] must be \\{ sha256: 64 hex digits, bytes: an integer \\}, got "abc"`));
  writeConfig(dir, { ...readConfig(dir), checksums: undefined, tokenizer_fingerprint: { vocab_size: 25 } });
  assert.throws(() => BertTokenizer.fromPretrained(dir), new RegExp(`${dir}/config.json: tokenizer_fingerprint must be \\{ vocab_size: a positive integer, sha256: 64 hex digits \\}, got \\{"vocab_size":25\\}`));
});

test("addFolderRecords (scripts/recordModelChecksums.ts) records a folder written before the records without changing its other files; it re-blesses nothing", async () => {
  await ready;
  const dir = withoutRecords(saved("distilbert"));
  const before = new Map(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
  const r = addFolderRecords(dir);
  assert.equal(r.changed, true);
  assert.deepEqual(r.tokenizer_fingerprint, tokenizer.fingerprint());
  assert.deepEqual(readConfig(dir).checksums, { "model.safetensors": fileChecksum(before.get("model.safetensors")!) });
  for (const [f, bytes] of before) if (f !== "config.json") assert.ok(bytes.equals(fs.readFileSync(path.join(dir, f))), `${f} changed`);
  const { checksums: _c, tokenizer_fingerprint: _t, ...rest } = readConfig(dir);
  assert.deepEqual(rest, JSON.parse(before.get("config.json")!.toString()), "config.json keeps every other field");
  assert.equal(addFolderRecords(dir).changed, false);
  // A file that no longer matches its record, or another tokenizer, is refused rather than recorded anew.
  const flipped = copy(dir);
  flipByte(path.join(flipped, "model.safetensors"));
  assert.throws(() => addFolderRecords(flipped), /does not match its recorded sha256/);
  const foreign = copy(dir);
  const t = tmpDir();
  other.savePretrained(t);
  fs.copyFileSync(path.join(t, "tokenizer.json"), path.join(foreign, "tokenizer.json"));
  assert.throws(() => addFolderRecords(foreign), /tokenizer.json \(25 tokens\) is not the tokenizer .*config.json records/);
  const big = withoutRecords(copy(dir));
  BertTokenizer.bertBaseUncased().savePretrained(t);
  fs.copyFileSync(path.join(t, "tokenizer.json"), path.join(big, "tokenizer.json"));
  assert.throws(() => addFolderRecords(big), /has 30522 tokens but .*config.json has vocab_size 25: it cannot be this model's tokenizer/);
});

test("every shipped model folder records its weights' sha256 and its tokenizer's fingerprint, and they hold", { skip: fs.existsSync(shipped("bert-clinc-teacher")) ? false : "the shipped models are absent" }, () => {
  const root = path.dirname(shipped("bert-clinc-teacher"));
  const dirs = fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, "config.json")));
  assert.ok(dirs.length >= 6);
  for (const d of dirs) {
    const dir = path.join(root, d);
    const config = readConfig(dir);
    assert.deepEqual(config.checksums?.["model.safetensors"], fileChecksum(fs.readFileSync(path.join(dir, "model.safetensors"))), d);
    assert.deepEqual(config.tokenizer_fingerprint, BertTokenizer.fromPretrained(dir).fingerprint(), d);
  }
});
