// The bad-input table (issue #11, item 9): every way a user's input, file or
// option can be wrong, each with the exact error it gets or the behaviour it
// is promised. Nothing here may pass silently: a case either throws a message
// that names the problem (and where) or returns what the comment says.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "../helpers/setup";
import { writeShopData } from "../helpers/intents";
import { AutoModelForSequenceClassification, BertForSequenceClassification, DistilBertForSequenceClassification, labelMaps, readSafetensors, writeSafetensors, SafeTensor } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { TextClassificationPipeline, pipeline } from "../../lib/pipelines";
import { createModelForProvider, exportToOnnx } from "../../lib/onnx";
import { OnnxPipeline } from "../../lib/pipelines";
import { OnnxClassifier } from "../../lib/pipelines";
import { ClassLabel, Dataset, loadIntentDataset } from "../../lib/data";
import { EncodedRow, NonFiniteLossError, Trainer, computeAccuracy, resolveTrainingArguments } from "../../lib/training";
import { setLogLevel, setLogSink } from "../../lib/utils/log";

const WORDS = ["where", "is", "my", "parcel", "refund", "the", "shoes", "please", "donde", "esta", "paquete", "?", "¿", "中", "文"];
const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...WORDS, ..."abcdefghijklmnopqrstuvwxyz".split("")]);
const LABELS = ["refund", "delivery", "oos"];
const tinyConfig = { vocab_size: tokenizer.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 16, ...labelMaps(LABELS) };
const tinyModel = () => BertForSequenceClassification.fromConfig(tinyConfig, { seed: 1 });

/** A saved model folder (config.json, model.safetensors, tokenizer files). */
function modelFolder(): string {
  const dir = tmpDir("bad-input-model-");
  const model = tinyModel();
  model.savePretrained(dir);
  tokenizer.savePretrained(dir);
  model.dispose();
  return dir;
}

/** A copy of a model folder with its weights and/or config edited. */
function variant(dir: string, edit: { weights?: (w: Map<string, SafeTensor>) => void; config?: (c: any) => void }): string {
  const out = tmpDir("bad-input-variant-");
  fs.cpSync(dir, out, { recursive: true });
  if (edit.weights) {
    const { tensors } = readSafetensors(path.join(out, "model.safetensors"));
    edit.weights(tensors);
    writeSafetensors(path.join(out, "model.safetensors"), tensors);
  }
  if (edit.config) {
    const config = JSON.parse(fs.readFileSync(path.join(out, "config.json"), "utf8"));
    edit.config(config);
    fs.writeFileSync(path.join(out, "config.json"), JSON.stringify(config));
  }
  return out;
}

function file(name: string, body: string | Uint8Array): string {
  const f = path.join(tmpDir("bad-input-data-"), name);
  fs.writeFileSync(f, body);
  return f;
}

/** Runs f capturing warnings. */
async function warnings<T>(f: () => T | Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const prev = setLogSink({ out: () => {}, err: (l) => lines.push(l) });
  try {
    return { value: await f(), lines };
  } finally {
    setLogSink(prev);
  }
}

interface Case {
  name: string;
  run: () => void | Promise<void>;
}

const queries = (): Case[] => {
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer });
  const texts40 = Array.from({ length: 40 }, (_, i) => `where is my parcel ${i}`);
  return [
    { name: "empty query", run: () => assert.rejects(pipe(""), /^Error: text-classification pipeline: input 0 is an empty string$/) },
    { name: "whitespace-only query", run: () => assert.rejects(pipe(" \t\n "), /input 0 is an empty string/) },
    { name: "zero-width characters only", run: () => assert.rejects(pipe("\u200b\u200d\u200b"), /^Error: text-classification pipeline: input 0 has no text the tokenizer can read \(only control, format or zero-width characters: U\+200B, U\+200D\), like an empty string$/) },
    { name: "control characters only", run: () => assert.rejects(pipe("\u0007\u0000\u001b"), /input 0 has no text the tokenizer can read \(only control, format or zero-width characters: U\+0007, U\+0000, U\+001B\)/) },
    {
      name: "200 KB query: truncated to the model's 16 positions, same answer as its first 14 tokens",
      run: async () => {
        const huge = "where is my parcel please ".repeat(8000);
        assert.ok(huge.length > 200_000);
        assert.deepEqual(tokenizer.encode(huge, { maxLength: 16 }).input_ids, tokenizer.encode("where is my parcel please ".repeat(3), { maxLength: 16 }).input_ids);
        assert.deepEqual(await pipe(huge, { topK: 3 }), await pipe("where is my parcel please ".repeat(3), { topK: 3 }));
      },
    },
    {
      name: "non-English query: accents stripped, CJK split per character, unknown words in pieces or [UNK]; a normal prediction",
      run: async () => {
        // "mi": "m" is in the vocabulary but "##i" is not, so the word is [UNK], as BERT's WordPiece does.
        assert.deepEqual(tokenizer.tokenize("¿Dónde está mi paquete? 中文"), ["¿", "donde", "esta", "[UNK]", "paquete", "?", "中", "文"]);
        const [r] = await pipe("¿Dónde está mi paquete?");
        assert.ok(LABELS.includes(r.label) && r.score > 0 && r.score <= 1);
      },
    },
    {
      name: "emoji-only query: one [UNK] token, still classified (not an error)",
      run: async () => {
        assert.deepEqual(tokenizer.tokenize("😀😀"), ["[UNK]"]);
        const all = await pipe("😀😀", { topK: 3 });
        assert.ok(Math.abs(all.reduce((a, r) => a + r.score, 0) - 1) < 1e-5);
      },
    },
    { name: "a number instead of text", run: () => assert.rejects(pipe(42 as unknown as string), /expected a string or an array of strings, got number/) },
    { name: "an empty array", run: () => assert.rejects(pipe([]), /the input array is empty/) },
    {
      name: "a bad row in a later batch: the error gives its index in the caller's array",
      run: async () => {
        const withNull = [...texts40];
        withNull[37] = null as unknown as string;
        await assert.rejects(pipe(withNull, { batchSize: 8 }), /input 37 is null, expected a string/);
        const withZeroWidth = [...texts40];
        withZeroWidth[35] = "\u200b";
        await assert.rejects(pipe(withZeroWidth, { batchSize: 8 }), /input 35 has no text the tokenizer can read/);
        await assert.rejects(pipe.logits(withZeroWidth, { batchSize: 8 }), /input 35 has no text the tokenizer can read/);
      },
    },
    { name: "snake_case option", run: () => assert.rejects(pipe("where is my parcel", { top_k: 2 } as never), /^Error: text-classification pipeline: unknown option "top_k" \(did you mean "topK"\?\); known options: topK, oosThreshold, oosLabel, oosDetector, withOosScore, batchSize, maxLength$/) },
    { name: "misspelt pipeline() option", run: () => assert.throws(() => pipeline("text-classification", tinyModel(), { tokenizer, strct: false } as never), /pipeline: unknown option "strct" \(did you mean "strict"\?\)/) },
    { name: "an option nothing resembles: no guess, the known options", run: () => assert.rejects(pipe("where", { colour: "red" } as never), /^Error: text-classification pipeline: unknown option "colour"; known options: topK, oosThreshold, oosLabel, oosDetector, withOosScore, batchSize, maxLength$/) },
    { name: "a snake_case tokenizer option", run: () => assert.throws(() => tokenizer.call(["where"], { max_length: 8 } as never), /BertTokenizer.call: unknown option "max_length" \(did you mean "maxLength"\?\); known options: maxLength, truncation, padding/) },
    { name: "topK 0", run: () => assert.rejects(pipe("where", { topK: 0 }), /topK must be an integer in \[1, 3\], got 0/) },
    { name: "batchSize 0", run: () => assert.rejects(pipe("where", { batchSize: 0 }), /batchSize must be a positive integer, got 0/) },
    { name: "maxLength past the position embeddings", run: () => assert.rejects(pipe("where", { maxLength: 100 }), /maxLength 100 exceeds the model's 16 positions \(max_position_embeddings\)/) },
    { name: "maxLength 2 (room for no token)", run: () => assert.rejects(pipe("where", { maxLength: 2 }), /maxLength must be an integer >= 3 \(\[CLS\], at least one token, \[SEP\]\), got 2/) },
    { name: "oosThreshold 2", run: () => assert.rejects(pipe("where", { oosThreshold: 2 }), /oosThreshold must be in \[0, 1\] \(or null for no fallback\), got 2/) },
    {
      name: "topK with the fallback: the oos row first with the model's own oos probability, then the other labels by score",
      run: async () => {
        const plain = await pipe("where is my parcel", { topK: 3 });
        const fb = await pipe("where is my parcel", { topK: 3, oosThreshold: 0.99 });
        assert.deepEqual(fb[0], { label: "oos", score: plain.find((r) => r.label === "oos")!.score, fallback: true });
        assert.deepEqual(fb.slice(1), plain.filter((r) => r.label !== "oos"));
        const top1 = await pipe("where is my parcel", { topK: 1, oosThreshold: 0.99 });
        assert.deepEqual(top1, [fb[0]]);
      },
    },
    { name: "fallback label not among the model's labels", run: () => assert.rejects(pipe("where", { oosThreshold: 0.5, oosLabel: "unknown" }), /the fallback label "unknown" is not one of the model's labels/) },
  ];
};

const modelFiles = (dir: string): Case[] => {
  const weights = path.join(dir, "model.safetensors");
  return [
    {
      name: "a weight missing from model.safetensors (fromPretrained and pipeline)",
      run: () => {
        const v = variant(dir, { weights: (w) => w.delete("classifier.bias") });
        const re = new RegExp(`BertForSequenceClassification: .*${path.basename(v)}/model.safetensors does not match .*${path.basename(v)}/config.json: 1 of the model's parameters are missing from it \\(first: classifier.bias\\)\\. Missing parameters would keep random weights; pass \\{ strict: false \\} only to train such a model`);
        assert.throws(() => BertForSequenceClassification.fromPretrained(v), re);
        assert.throws(() => pipeline("text-classification", v), re);
      },
    },
    { name: "a misspelt fromPretrained option", run: () => assert.throws(() => AutoModelForSequenceClassification.fromPretrained(dir, { quite: true } as never), /BertForSequenceClassification.fromPretrained: unknown option "quite" \(did you mean "quiet"\?\)/) },
    {
      name: "strict: false loads a folder with a missing weight and warns",
      run: async () => {
        const v = variant(dir, { weights: (w) => w.delete("classifier.bias") });
        const { value: model, lines } = await warnings(() => BertForSequenceClassification.fromPretrained(v, { strict: false }));
        assert.equal(lines.length, 1);
        assert.match(lines[0], /Some weights of BertForSequenceClassification were not initialized from .*model.safetensors and are newly initialized: classifier.bias\. You should probably TRAIN/);
        model.dispose();
      },
    },
    {
      name: "an unexpected weight in model.safetensors",
      run: () => {
        const v = variant(dir, { weights: (w) => w.set("bert.extra.weight", { dtype: "F32", shape: [2], data: new Float32Array(2) }) });
        assert.throws(() => AutoModelForSequenceClassification.fromPretrained(v), /does not match .*config.json: 1 of its weights are not used by the model \(first: bert.extra.weight\)/);
      },
    },
    {
      name: "an empty weights file (no tensors), even with strict: false",
      run: () => {
        const v = variant(dir, { weights: (w) => w.clear() });
        assert.throws(() => BertForSequenceClassification.fromPretrained(v, { strict: false }), /model.safetensors holds none of the model's 25 parameters \(it holds no tensors at all\)/);
      },
    },
    {
      name: "a zero-byte weights file",
      run: () => {
        const v = variant(dir, {});
        fs.writeFileSync(path.join(v, "model.safetensors"), "");
        assert.throws(() => BertForSequenceClassification.fromPretrained(v), /Corrupt safetensors file .*model.safetensors: only 0 bytes, no header/);
      },
    },
    {
      name: "a truncated weights file",
      run: () => {
        const v = variant(dir, {});
        const bytes = fs.readFileSync(weights);
        fs.writeFileSync(path.join(v, "model.safetensors"), bytes.subarray(0, bytes.length - 100));
        assert.throws(() => BertForSequenceClassification.fromPretrained(v), /Corrupt safetensors file .*model.safetensors: tensor ".*" has data_offsets \[\d+, \d+\] outside the \d+-byte data section/);
      },
    },
    {
      name: "config.json of another model type than the weights",
      run: () => {
        const student = DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 8, n_layers: 1, n_heads: 2, hidden_dim: 16, max_position_embeddings: 16, ...labelMaps(LABELS) });
        const v = variant(dir, {});
        fs.writeFileSync(path.join(v, "config.json"), JSON.stringify(student.config));
        student.dispose();
        // Only the classifier's names are shared, so everything else is missing or unused, and the message says why.
        assert.throws(() => AutoModelForSequenceClassification.fromPretrained(v), /DistilBertForSequenceClassification: .*model.safetensors does not match .*config.json: 22 of the model's parameters are missing from it \(first: distilbert.embeddings.word_embeddings.weight, .*\); 23 of its weights are not used by the model \(first: bert.embeddings.LayerNorm.bias, .*\); the weights look like a "bert" model \(keys bert\.\*\) but .*config.json says model_type "distilbert"\./);
        const noClassifier = variant(v, { weights: (w) => ["classifier.weight", "classifier.bias"].forEach((k) => w.delete(k)) });
        assert.throws(() => AutoModelForSequenceClassification.fromPretrained(noClassifier), /model.safetensors holds none of the model's 24 parameters \(the weights look like a "bert" model \(keys bert\.\*\) but .*config.json says model_type "distilbert"\)/);
      },
    },
    {
      name: "config.json with more labels than the classifier weights",
      run: () => {
        const v = variant(dir, { config: (c) => Object.assign(c, labelMaps([...LABELS, "payment"])) });
        assert.throws(() => pipeline("text-classification", v), /weight "classifier.bias" in .*model.safetensors has shape \[3\] but .*config.json needs \[4\] \(id2label names 4 labels\)/);
      },
    },
    {
      name: "config.json vocab_size disagreeing with the embedding table",
      run: () => {
        const v = variant(dir, { config: (c) => (c.vocab_size = 30) });
        assert.throws(() => BertForSequenceClassification.fromPretrained(v), /weight "bert.embeddings.word_embeddings.weight" in .*model.safetensors has shape \[46,8\] but .*config.json needs \[30,8\] \(vocab_size is 30; the tokenizer and the weights must use the same vocabulary\)/);
      },
    },
    {
      name: "tokenizer.json larger than the model's vocabulary",
      run: () => {
        const v = variant(dir, {});
        new BertTokenizer([...tokenizer.vocab, "extra1", "extra2"]).savePretrained(v);
        assert.throws(() => pipeline("text-classification", v), /pipeline: .*tokenizer.json has 48 tokens but .*config.json has vocab_size 46 \(the rows of model.safetensors' embedding table\); ids from 46 up would index past it/);
        const model = tinyModel();
        assert.throws(() => new TextClassificationPipeline(model, BertTokenizer.fromPretrained(v)), /the tokenizer has 48 tokens but the model's vocab_size is 46/);
        model.dispose();
      },
    },
    {
      name: "a NaN or infinite weight",
      run: () => {
        const nan = variant(dir, { weights: (w) => ((w.get("classifier.bias")!.data as Float32Array)[1] = NaN) });
        assert.throws(() => BertForSequenceClassification.fromPretrained(nan), /weight "classifier.bias" in .*model.safetensors holds NaN at index 1; weights must be finite/);
        const inf = variant(dir, { weights: (w) => ((w.get("bert.pooler.dense.weight")!.data as Float32Array)[5] = -Infinity) });
        assert.throws(() => BertForSequenceClassification.fromPretrained(inf, { strict: false }), /weight "bert.pooler.dense.weight" in .*model.safetensors holds -Infinity at index 5/);
      },
    },
    {
      name: "config.json that is not JSON",
      run: () => {
        const v = variant(dir, {});
        fs.writeFileSync(path.join(v, "config.json"), "{ not json");
        assert.throws(() => pipeline("text-classification", v), /Model config is not valid JSON: .*config.json/);
      },
    },
    {
      name: "id2label with a gap, a duplicate name, or a label2id that disagrees",
      run: () => {
        assert.throws(() => BertForSequenceClassification.fromPretrained(variant(dir, { config: (c) => (c.id2label = { 0: "a", 2: "b" }) })), /Invalid model config: id2label has no label for id 1 \(ids must run from 0 to 1\)/);
        assert.throws(() => BertForSequenceClassification.fromPretrained(variant(dir, { config: (c) => Object.assign(c, { id2label: { 0: "a", 1: "a", 2: "b" }, label2id: {} }) })), /id2label names "a" twice \(ids 0 and 1\)/);
        assert.throws(() => BertForSequenceClassification.fromPretrained(variant(dir, { config: (c) => (c.label2id = { refund: 1, delivery: 0, oos: 2 }) })), /label2id maps "refund" to 1 but id2label gives it id 0/);
      },
    },
    {
      name: "wrong input shapes and types to a model",
      run: () => {
        const model = tinyModel();
        assert.throws(() => model.call({ input_ids: tf.tensor2d([[1, 2]], undefined, "float32") as tf.Tensor2D }), /input_ids must be int32, got float32/);
        assert.throws(() => model.call({ input_ids: tf.tensor1d([1, 2], "int32") as unknown as tf.Tensor2D }), /input_ids must be a 2-D \[batch, seq\] tensor, got shape \[2\]/);
        assert.throws(() => model.call({ input_ids: tf.tensor2d([[1, 2]], undefined, "int32"), attention_mask: tf.tensor2d([[1, 1, 1]], undefined, "int32") }), /attention_mask has shape \[1,3\] but input_ids has \[1,2\]/);
        model.dispose();
      },
    },
  ];
};

const onnx = (dir: string): Case[] => [
  {
    name: "OnnxPipeline: id2label that does not cover the model's outputs",
    run: async () => {
      const model = tinyModel();
      const f = path.join(tmpDir(), "m.onnx");
      exportToOnnx(model, f);
      const pipe = new OnnxPipeline(await createModelForProvider(f), tokenizer, labelMaps(["refund", "delivery"]).id2label) as OnnxClassifier;
      await assert.rejects(pipe("where is my parcel"), /the model outputs 3 scores per text but id2label names 2 labels; the config does not describe this model/);
      pipe.dispose();
      model.dispose();
    },
  },
  {
    name: "OnnxPipeline: a long input is truncated to max_position_embeddings given the config; without it, a clear error",
    run: async () => {
      const model = tinyModel();
      const f = path.join(tmpDir(), "m.onnx");
      exportToOnnx(model, f);
      const session = await createModelForProvider(f);
      const long = "where is my parcel please ".repeat(10);
      const withConfig = new OnnxPipeline(session, tokenizer, model.config) as OnnxClassifier;
      const tfPipe = pipeline("text-classification", model, { tokenizer });
      const [a, b] = [await withConfig(long, { topK: 3 }), await tfPipe(long, { topK: 3 })];
      assert.deepEqual(a.map((r) => r.label), b.map((r) => r.label));
      assert.ok(Math.abs(a[0].score - b[0].score) < 1e-5);
      const idsOnly = new OnnxPipeline(session, tokenizer, model.config.id2label) as OnnxClassifier;
      await assert.rejects(idsOnly(long), /OnnxPipeline: the batch has \d+ tokens per row but the model has 16 position embeddings; pass the model's config \(with max_position_embeddings\) instead of its id2label, or options.maxLength <= 16/);
      await assert.rejects(idsOnly(long, { maxLength: 32 }), /the batch has 32 tokens per row but the model has 16 position embeddings/);
      assert.deepEqual((await idsOnly(long, { maxLength: 16, topK: 3 })).map((r) => r.label), a.map((r) => r.label));
      withConfig.dispose();
      model.dispose();
    },
  },
];

const dataFiles = (): Case[] => [
  { name: "a CSV row with more fields than the header (blank lines counted)", run: () => assert.throws(() => loadIntentDataset(file("a.csv", "text,label\nhi,greet\n\nhello, you,greet\n")), /a.csv line 4: 3 fields but the header has 2 \(a text with commas must be quoted\)$/) },
  { name: "a CSV row with fewer fields than the header", run: () => assert.throws(() => loadIntentDataset(file("b.csv", "text,label\r\nhi,greet\r\nbye\r\n")), /b.csv line 3: 1 field but the header has 2$/) },
  { name: "a quoted multi-line text counts its lines", run: () => assert.throws(() => loadIntentDataset(file("c.csv", 'text,label\n"two\nlines",greet\nx\n')), /c.csv line 4: 1 field but the header has 2/) },
  { name: "duplicate header names", run: () => assert.throws(() => loadIntentDataset(file("d.csv", "text,label,Text\nhi,greet,hey\n")), /d.csv line 1: the header names column "Text" twice \(columns 1 and 3\)/) },
  { name: "invalid UTF-8", run: () => assert.throws(() => loadIntentDataset(file("e.csv", Buffer.concat([Buffer.from("text,label\nhi th"), Buffer.from([0xff]), Buffer.from("ere,greet\n")]))), /e.csv: invalid UTF-8 at byte offset 16 \(line 2, byte 0xff\); save the file as UTF-8/) },
  { name: "an overlong UTF-8 sequence", run: () => assert.throws(() => loadIntentDataset(file("f.csv", Buffer.concat([Buffer.from("text,label\n"), Buffer.from([0xc0, 0xaf]), Buffer.from(",greet\n")]))), /invalid UTF-8 at byte offset 11 \(line 2, byte 0xc0\)/) },
  {
    name: "a UTF-8 byte-order mark is dropped (Excel's CSV)",
    run: () => assert.deepEqual(loadIntentDataset(file("g.csv", "\ufefftext,label\nhi,greet\n")).rows, [{ text: "hi", intent: 0 }]),
  },
  { name: "text after a closing quote", run: () => assert.throws(() => loadIntentDataset(file("h.csv", 'text,label\n"hi" there,greet\n')), /h.csv line 2: text after a closing quote/) },
  { name: "an unterminated quote names the line it opens on", run: () => assert.throws(() => loadIntentDataset(file("i.csv", 'text,label\nhi,greet\n"oops,greet\nmore,greet\n')), /i.csv line 3: unterminated quoted field/) },
  {
    name: "a test label never seen in training",
    run: () => {
      const dir = writeShopData(tmpDir(), { train: 3, test: 2 });
      fs.appendFileSync(path.join(dir, "test.csv"), "i want my money back,returns\n");
      const train = path.join(dir, "train.csv");
      assert.throws(() => loadIntentDataset({ train, test: path.join(dir, "test.csv") }, { labelColumn: "category", validationFraction: 0.3 }), /test.csv line 10: label "returns" never appears in the training file .*train.csv; every label must be one of the training labels$/);
      const cased = file("test.csv", "text,category\nmy money back,Refund\n");
      assert.throws(() => loadIntentDataset({ train, test: cased }, { labelColumn: "category", validationFraction: 0.3 }), /test.csv line 2: label "Refund" never appears in the training file .*train.csv \(it has "refund"\)/);
    },
  },
  { name: "labels that differ only by case", run: () => assert.throws(() => loadIntentDataset(file("j.csv", "text,label\nhi,Greet\nbye,bye\nhello,greet\n")), /j.csv: the labels "Greet" \(line 2\) and "greet" \(line 4\) differ only by case; fix the file, or pass labels listing both/) },
  { name: "class ids and names mixed in one JSON file", run: () => assert.throws(() => loadIntentDataset(file("k.json", '[\n{"text": "hi", "label": 0},\n{"text": "yo", "label": "greet"}\n]')), /k.json: line 2 has the class id 0 but line 3 the name "greet"; use names or ids, not both/) },
  { name: "numeric labels with a gap", run: () => assert.throws(() => loadIntentDataset(file("l.json", JSON.stringify([{ text: "a", label: 0 }, { text: "b", label: 2 }]))), /l.json: numeric labels must be the ids 0-2 with each one present, but 1 never occur; pass labels to name the classes/) },
  { name: "a fractional label", run: () => assert.throws(() => loadIntentDataset(file("m.json", '[{"text": "a", "label": 1.5}]')), /m.json line 1: label 1.5 is neither a name nor a class id/) },
  { name: "a JSON row without the label key", run: () => assert.throws(() => loadIntentDataset(file("n.json", '[\n  {"text": "a", "label": "x"},\n  {"text": "b", "intent": "y"}\n]')), /n.json line 3: no "label" column \(columns: "text", "intent"\)/) },
  { name: "a JSON syntax error names its line", run: () => assert.throws(() => loadIntentDataset(file("o.json", '[\n{"text": "a", "label": "x"},\n{"text": "b" "label": "y"}\n]')), /o.json: not valid JSON at line 3/) },
  { name: "a JSON Lines syntax error names its line", run: () => assert.throws(() => loadIntentDataset(file("p.jsonl", '{"text": "a", "label": "x"}\n\n{"text": }\n')), /p.jsonl line 3: not valid JSON/) },
  { name: "a missing label", run: () => assert.throws(() => loadIntentDataset(file("q.csv", "text,label\nhi,greet\nyo, \n")), /q.csv line 3: missing label/) },
  { name: "an unknown loader option", run: () => assert.throws(() => loadIntentDataset(file("r.csv", "text,label\nhi,x\n"), { label_column: "x" } as never), /loadIntentDataset: unknown option "label_column" \(did you mean "labelColumn"\?\)/) },
];

const training = (): Case[] => {
  const tok = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c"]);
  const rows = (n: number): Dataset<EncodedRow> => new Dataset(Array.from({ length: n }, (_, i) => ({ input_ids: [2, 5 + (i % 3), 3], label: i % 2 })), { intent: new ClassLabel(["x", "y"]) });
  const model = () => BertForSequenceClassification.fromConfig({ vocab_size: tok.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8, ...labelMaps(["x", "y"]) });
  return [
    { name: "a snake_case TrainingArguments field", run: () => assert.throws(() => resolveTrainingArguments({ outputDir: "x", learning_rate: 1e-3 } as never), /^Error: TrainingArguments: unknown field "learning_rate" \(did you mean "learningRate"\?\); known fields: outputDir, numTrainEpochs/) },
    { name: "a misspelt TrainingArguments field", run: () => assert.throws(() => resolveTrainingArguments({ outputDir: "x", numTrainEpoch: 3 } as never), /unknown field "numTrainEpoch" \(did you mean "numTrainEpochs"\?\)/) },
    {
      name: "metricForBestModel that evaluation never computes, at construction",
      run: () => {
        const m = model();
        assert.throws(() => new Trainer({ model: m, tokenizer: tok, args: { outputDir: tmpDir(), saveStrategy: "epoch", metricForBestModel: "f1" }, trainDataset: rows(8), evalDataset: rows(4) }), /TrainingArguments.metricForBestModel is "f1" but without computeMetrics evaluation computes only loss; pass computeMetrics \(e.g. computeAccuracy\) or use "loss"/);
        assert.throws(() => new Trainer({ model: m, tokenizer: tok, args: { outputDir: tmpDir(), loadBestModelAtEnd: true, saveStrategy: "epoch", metricForBestModel: "accuracy" }, trainDataset: rows(8), computeMetrics: computeAccuracy }), /loadBestModelAtEnd needs an evalDataset/);
        assert.throws(() => resolveTrainingArguments({ outputDir: "x", metricForBestModel: "" }), /metricForBestModel must be a metric name/);
        m.dispose();
      },
    },
    {
      name: "metricForBestModel missing from computeMetrics' keys: an error at the first evaluation",
      run: async () => {
        const m = model();
        const t = new Trainer({ model: m, tokenizer: tok, args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 4, saveStrategy: "epoch", metricForBestModel: "f1", disableTqdm: true }, trainDataset: rows(8), evalDataset: rows(4), computeMetrics: computeAccuracy });
        const prev = setLogLevel("warn");
        try {
          await assert.rejects(t.train(), /metricForBestModel "f1" is not among the evaluation metrics \(evalLoss, evalAccuracy, evalRuntime, evalSamplesPerSecond\)/);
        } finally {
          setLogLevel(prev);
        }
        m.dispose();
      },
    },
    {
      name: "token ids past the model's vocabulary in a training row",
      run: () => {
        const m = model();
        const bad = new Dataset([{ input_ids: [2, 99, 3], label: 0 }], { intent: new ClassLabel(["x", "y"]) });
        assert.throws(() => new Trainer({ model: m, tokenizer: tok, args: { outputDir: "x" }, trainDataset: bad }), /Trainer: row 0 has token id 99, outside the model's vocabulary \(vocab_size 8\)/);
        m.dispose();
      },
    },
    {
      name: "a NaN loss stops training",
      run: async () => {
        const m = model();
        m.params.get("classifier.bias")!.assign(tf.tensor1d([NaN, 0]));
        const t = new Trainer({ model: m, tokenizer: tok, args: { outputDir: tmpDir(), numTrainEpochs: 1, perDeviceTrainBatchSize: 4, evaluationStrategy: "no", disableTqdm: true }, trainDataset: rows(8) });
        const prev = setLogLevel("warn");
        try {
          await assert.rejects(t.train(), (err: Error) => err instanceof NonFiniteLossError && /^Training stopped: the loss is NaN at step 1 \(epoch 0.00\)\. Lower the learning rate/.test(err.message));
        } finally {
          setLogLevel(prev);
        }
        m.dispose();
      },
    },
  ];
};

test("bad-input table: queries and pipeline options", async (t) => {
  await ready;
  for (const c of queries()) await t.test(c.name, c.run);
});

test("bad-input table: model folders", async (t) => {
  await ready;
  const dir = modelFolder();
  for (const c of modelFiles(dir)) await t.test(c.name, c.run);
});

test("bad-input table: ONNX pipelines", async (t) => {
  await ready;
  for (const c of onnx(modelFolder())) await t.test(c.name, c.run);
});

test("bad-input table: data files", async (t) => {
  for (const c of dataFiles()) await t.test(c.name, c.run);
});

test("bad-input table: training", async (t) => {
  await ready;
  for (const c of training()) await t.test(c.name, c.run);
});
