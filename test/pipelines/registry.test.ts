// One model registry: pipeline() loads every kind of folder the workbook
// writes, and AutoModel, ensemble members and pipeline() agree on what a
// folder is.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ready, tmpDir } from "../helpers/setup";
import { AutoModelForSequenceClassification, BagOfWordsClassifier, BertForSequenceClassification, EnsembleForSequenceClassification, folderKind, loadSequenceClassificationModel, registeredModelKinds } from "../../lib/models";
import { pipeline } from "../../lib/pipelines";
import { BertTokenizer } from "../../lib/tokenizers";
import { exportOnnxFolder } from "../../lib/onnx";
import { quantizeDynamicModel } from "../../lib/quantization";
import { saveSparse } from "../../lib/pruning";
import { setLogLevel } from "../../lib/utils/log";
import { LABELS, bert, bow, tokenizer } from "../helpers/tinyModels";

const TEXTS = ["a b c", "d e", "f g h i j", "k"];

/** A folder of each kind the workbook writes, all from the same BERT (and a bag of words for the ensemble). */
function writeFolders(): Record<string, string> {
  const root = tmpDir();
  const dirs: Record<string, string> = {};
  const model = bert();
  const save = (name: string, write: (dir: string) => void) => {
    const dir = path.join(root, name);
    write(dir);
    tokenizer.savePretrained(dir);
    dirs[name] = dir;
  };
  const prev = setLogLevel("warn");
  save("bert", (d) => model.savePretrained(d));
  save("bag-of-words", (d) => bow().savePretrained(d));
  save("ensemble", (d) => new EnsembleForSequenceClassification([bert(), bow()], { weights: [0.5, 0.5] }).savePretrained(d));
  save("dynamic-int8", (d) => quantizeDynamicModel(model, ["Linear"], "qint8").savePretrained(d));
  save("onnx", (d) => exportOnnxFolder(model, tokenizer, d));
  save("sparse", (d) => {
    saveSparse(model, d);
  });
  setLogLevel(prev);
  return dirs;
}

test("pipeline() loads every folder kind the workbook writes, each through the registry kind that owns it", async () => {
  await ready;
  const dirs = writeFolders();
  const reference = await pipeline("text-classification", dirs.bert)(TEXTS);
  for (const [kind, dir] of Object.entries(dirs)) {
    assert.equal(folderKind(dir).name, kind, `${dir} is a ${kind} folder`);
    const dtype = kind === "dynamic-int8" ? "q8" : kind === "onnx" ? "fp32" : undefined;
    if (dtype) assert.throws(() => pipeline("text-classification", dir), new RegExp(`is a "${kind}" folder, which runs in ONNX Runtime; pass \\{ dtype: "q8" \\}`));
    const pipe = dtype ? pipeline("text-classification", dir, { dtype }) : pipeline("text-classification", dir);
    const out = await pipe(TEXTS);
    assert.equal(out.length, TEXTS.length, kind);
    for (const rows of out) assert.ok(LABELS.includes(rows[0].label) && rows[0].score > 0 && rows[0].score <= 1, `${kind}: ${JSON.stringify(rows)}`);
    // Every kind made from the same BERT predicts what it predicts (int8 and sparse storage keep the argmax on 4 texts).
    if (!["bag-of-words", "ensemble"].includes(kind)) assert.deepEqual(out.map((r) => r[0].label), reference.map((r) => r[0].label), kind);
    pipe.dispose();
  }
  // The ONNX folder's quantized file, asked for by dtype, as transformers.js does.
  const q8 = pipeline("text-classification", dirs.onnx, { dtype: "q8" });
  assert.equal(q8.model.file, path.join(dirs.onnx, "onnx", "model_quantized.onnx"));
  assert.equal((await q8(TEXTS)).length, TEXTS.length);
  q8.dispose();
});

test("AutoModel and ensemble members ask the same registry; what they cannot load is a clear error", async () => {
  await ready;
  const dirs = writeFolders();
  assert.ok(AutoModelForSequenceClassification.fromPretrained(dirs.bert, { quiet: true }) instanceof BertForSequenceClassification);
  assert.throws(() => AutoModelForSequenceClassification.fromPretrained(dirs["bag-of-words"]), /is a "bag-of-words" folder, not a transformer; load it with loadSequenceClassifier\(dir\) or pipeline/);
  assert.ok(loadSequenceClassificationModel(dirs["bag-of-words"]) instanceof BagOfWordsClassifier);
  assert.throws(() => loadSequenceClassificationModel(dirs.onnx), /runs in ONNX Runtime; ensemble members and teachers must be TensorFlow.js model folders/);
  assert.throws(() => pipeline("text-classification", dirs.bert, { dtype: "q8" }), /has no ONNX file for dtype "q8"/);
  assert.throws(() => pipeline("text-classification", dirs["dynamic-int8"], { dtype: "fp32" }), /holds dynamically quantized int8 weights; pass \{ dtype: "q8" \}/);
  fs.writeFileSync(path.join(dirs.bert, "config.json"), JSON.stringify({ model_type: "gpt2", id2label: { 0: "a" } }));
  assert.throws(
    () => pipeline("text-classification", dirs.bert),
    (err: Error) => /Unsupported model_type "gpt2" in .*config\.json \(supported: /.test(err.message) && ["bert", "distilbert", "bag-of-words", "ensemble"].every((t) => err.message.includes(t)),
  );
  assert.deepEqual(
    registeredModelKinds().map((k) => k.name).sort(),
    ["bag-of-words", "bert", "distilbert", "dynamic-int8", "ensemble", "onnx", "sparse"],
  );
});

test("every folder kind verifies the checksums recorded when it was written: a flipped byte is an error, not a changed prediction", async () => {
  await ready;
  const dirs = writeFolders();
  const cases: [kind: string, file: string, dtype?: "fp32" | "q8"][] = [
    ["bert", "model.safetensors"],
    ["bag-of-words", "model.safetensors"],
    ["ensemble", "member_0/model.safetensors"],
    ["dynamic-int8", "model.safetensors", "q8"],
    ["onnx", "onnx/model.onnx", "fp32"],
    ["onnx", "onnx/model_quantized.onnx", "q8"],
    ["sparse", "model.sparse.safetensors"],
  ];
  for (const [kind, rel, dtype] of cases) {
    const file = path.join(dirs[kind], rel);
    const load = () => (dtype ? pipeline("text-classification", dirs[kind], { dtype }) : pipeline("text-classification", dirs[kind]));
    load().dispose(); // intact: loads
    const bytes = fs.readFileSync(file);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] ^= 0x01; // inside the weights, past any header
    fs.writeFileSync(file, flipped);
    assert.throws(load, new RegExp(`${rel.replace(/[.]/g, "\\.")} does not match its recorded sha256`), `${kind}: ${rel}`);
    fs.writeFileSync(file, bytes);
  }
});

test("a tokenizer object given with a folder must be the folder's own (its fingerprint is recorded in config.json)", async () => {
  await ready;
  const dirs = writeFolders();
  const other = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrsu".split("")], { modelMaxLength: 16 });
  assert.equal(other.vocabSize, tokenizer.vocabSize, "same size, other tokens");
  assert.throws(() => pipeline("text-classification", dirs.bert, { tokenizer: other }), /options\.tokenizer/);
  pipeline("text-classification", dirs.bert, { tokenizer }).dispose();
});
