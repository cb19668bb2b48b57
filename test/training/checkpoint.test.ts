// Checkpoint saves (lib/training/checkpoint.ts): atomic folders that leave
// nothing behind when a save fails or is killed, and a full disk that names the file.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as tf from "@tensorflow/tfjs-core";
import { ready, tmpDir } from "../helpers/setup";
import { BertTokenizer } from "../../lib/tokenizers";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { resolveTrainingArguments, TrainerState } from "../../lib/training";
import { listCheckpoints, loadCheckpoint, removeStaleCheckpointTemps, saveCheckpoint } from "../../lib/training/checkpoint";
import { AdamW } from "../../lib/training/optimizer";
import { readSafetensors, writeSafetensors } from "../../lib/models/safetensors";

// The module object lib/ calls into (an `import * as` namespace is a copy whose methods cannot be replaced).
const nodeFs: typeof import("node:fs") = require("node:fs");

const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b"]);
const model = () => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 8, ...labelMaps(["x", "y"]) });
const state = (globalStep: number): TrainerState => ({ epoch: 1, globalStep, maxSteps: 10, stepsPerEpoch: 5, logHistory: [] });

/** Runs f with fs.writeFileSync failing (code `code`) for paths that match `which`. */
function withFailingWrite<T>(which: RegExp, code: string, f: () => T): T {
  const real = nodeFs.writeFileSync;
  nodeFs.writeFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
    if (which.test(String(file))) throw Object.assign(new Error(`${code}: injected failure, write`), { code, syscall: "write" });
    return (real as (...a: unknown[]) => void)(file, ...rest);
  }) as typeof fs.writeFileSync;
  try {
    return f();
  } finally {
    nodeFs.writeFileSync = real;
  }
}

test("a save that fails half-way removes its temporary folder and leaves the previous checkpoint as it was", async () => {
  await ready;
  const out = tmpDir();
  const m = model();
  const args = resolveTrainingArguments({ outputDir: out });
  const dir = path.join(out, "checkpoint-5");
  saveCheckpoint(dir, { model: m, tokenizer, state: state(5), args });
  const before = fs.readFileSync(path.join(dir, "trainer_state.json"), "utf8");
  // Overwriting checkpoint-5 fails at the last file, after the weights and the tokenizer were written.
  assert.throws(
    () => withFailingWrite(/training_args\.json/, "EIO", () => saveCheckpoint(dir, { model: m, tokenizer, state: state(99), args })),
    (err: Error) => err.message.startsWith(`saveCheckpoint: ${dir} was not saved (its temporary folder was removed): EIO`),
  );
  assert.deepEqual(fs.readdirSync(out), ["checkpoint-5"], "no temporary folder or file is left");
  assert.equal(fs.readFileSync(path.join(dir, "trainer_state.json"), "utf8"), before, "the old checkpoint is intact");
  // A new checkpoint that fails leaves nothing at all.
  assert.throws(() => withFailingWrite(/model\.safetensors/, "EIO", () => saveCheckpoint(path.join(out, "checkpoint-10"), { model: m, tokenizer, state: state(10), args })), /checkpoint-10 was not saved/);
  assert.deepEqual(fs.readdirSync(out), ["checkpoint-5"]);
  assert.deepEqual(listCheckpoints(out), [dir]);
  m.dispose();
});

test("a full disk is an error that says so and names the file being written", async () => {
  await ready;
  const out = tmpDir();
  const m = model();
  const dir = path.join(out, "checkpoint-3");
  assert.throws(
    () => withFailingWrite(/model\.safetensors/, "ENOSPC", () => saveCheckpoint(dir, { model: m, tokenizer, state: state(3), args: resolveTrainingArguments({ outputDir: out }) })),
    (err: Error & { code?: string }) => {
      assert.match(err.message, new RegExp(`^saveCheckpoint: ${dir} was not saved .*: disk full: could not write ${out}/\\.checkpoint-3\\.\\d+\\.tmp/model\\.safetensors \\(\\d+ bytes\\): ENOSPC`));
      assert.equal(err.code, "ENOSPC");
      return true;
    },
  );
  assert.deepEqual(fs.readdirSync(out), []);
  m.dispose();
});

test("temporary folders of saves that were killed mid-way are removed by the next save; a running process's are kept", async () => {
  await ready;
  const out = tmpDir();
  // A pid that is certainly not running: a child that has exited.
  const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
  const killed = path.join(out, `.checkpoint-4.${dead}.tmp`);
  const live = path.join(out, `.checkpoint-6.${process.ppid}.tmp`);
  for (const d of [killed, live]) {
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "config.json"), "{}");
  }
  const m = model();
  saveCheckpoint(path.join(out, "checkpoint-8"), { model: m, tokenizer, state: state(8), args: resolveTrainingArguments({ outputDir: out }) });
  assert.deepEqual(fs.readdirSync(out).sort(), [path.basename(live), "checkpoint-8"].sort());
  assert.deepEqual(removeStaleCheckpointTemps(out), [], "nothing stale is left");
  m.dispose();
});

test("optimizer state stored as an integer dtype is an error naming the tensor, not integer bits read as moments", async () => {
  await ready;
  const out = tmpDir();
  const m = model();
  const optimizer = new AdamW(m.params);
  const grads = new Map([...m.params].map(([k, v]) => [k, tf.onesLike(v) as tf.Tensor]));
  optimizer.applyGradients(grads, 1e-3); // one step, so there are moments to save
  tf.dispose([...grads.values()]);
  const dir = path.join(out, "checkpoint-5");
  saveCheckpoint(dir, { model: m, tokenizer, optimizer, state: state(5), args: resolveTrainingArguments({ outputDir: out }) });
  const file = path.join(dir, "optimizer.safetensors");
  const { tensors, metadata } = readSafetensors(file);
  const [name, first] = [...tensors][0];
  tensors.set(name, { dtype: "I32", shape: first.shape, data: new Int32Array(first.data.length) });
  writeSafetensors(file, tensors, metadata); // rewritten by the workbook: its checksum is recorded again
  assert.throws(() => loadCheckpoint(dir, { model: model(), optimizer: new AdamW(model().params), stepsPerEpoch: 5 }), new RegExp(`tensor "${name.replace(/[.]/g, "\\.")}" is stored as I32, not a float type`));
});
