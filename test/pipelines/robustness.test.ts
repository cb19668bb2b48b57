// Pipelines under load and odd input (lib/pipelines/textClassification.ts):
// any batch size, an event loop that keeps running, unreadable texts,
// disposed pipelines and sparse arrays.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { ready } from "../helpers/setup";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { BertTokenizer } from "../../lib/tokenizers";
import { FORWARD_MEMORY_BUDGET, ModelBatch, estimateForwardBytesPerRow, pipeline } from "../../lib/pipelines";

const words = ["hello", "world", "rent", "a", "van", "oos"];
const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...words]);
const labels = ["greet", "car_rental", "oos"];
const tinyModel = (over: object = {}, names = labels) => BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16, max_position_embeddings: 16, ...labelMaps(names), ...over }, { seed: 3 });
/** n texts of 1 to 6 words, deterministic. */
const texts = (n: number) => Array.from({ length: n }, (_, i) => Array.from({ length: 1 + (i % 6) }, (_, j) => words[(i * 7 + j * 3) % words.length]).join(" "));

/** Records the rows and tokens of every forward pass of a pipeline. */
function spyPasses(pipe: { _forward(b: ModelBatch): Promise<Float32Array[]> }): { rows: number; seqLen: number }[] {
  const passes: { rows: number; seqLen: number }[] = [];
  const forward = pipe._forward.bind(pipe);
  pipe._forward = (b: ModelBatch) => {
    passes.push({ rows: b.input_ids.length, seqLen: b.input_ids[0].length });
    return forward(b);
  };
  return passes;
}

test("a batchSize of 5000 gives what batchSize 32 does, in passes that fit the memory budget, and later calls still work", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer, topK: 2 });
  const inputs = texts(5000);
  const small = await pipe(inputs, { batchSize: 32 });
  // A budget that holds ~300 rows of this model, so 5000 rows need many passes.
  pipe.forwardMemoryBudget = 300 * estimateForwardBytesPerRow(pipe.model.config, 8);
  const passes = spyPasses(pipe);
  const big = await pipe(inputs, { batchSize: 5000 });
  assert.ok(passes.length >= 5000 / 300, `${passes.length} passes`);
  for (const p of passes) assert.ok(p.rows * estimateForwardBytesPerRow(pipe.model.config, p.seqLen) <= pipe.forwardMemoryBudget, `${p.rows} rows of ${p.seqLen} tokens exceed the budget`);
  assert.equal(passes.reduce((a, p) => a + p.rows, 0), 5000);
  assert.equal(big.length, 5000);
  big.forEach((r, i) => {
    assert.deepEqual(r.map((x) => x.label), small[i].map((x) => x.label), `text ${i}`);
    r.forEach((x, k) => assert.ok(Math.abs(x.score - small[i][k].score) < 1e-5, `text ${i}: ${x.score} vs ${small[i][k].score}`));
  });
  const logits = await pipe.logits(inputs.slice(0, 700), { batchSize: 700 });
  assert.equal(logits.length, 700);
  assert.deepEqual((await pipe(inputs[7])).map((r) => r.label), small[7].map((r) => r.label), "a later single call works");
  pipe.dispose();
});

test("a model whose 5000-row batch would not fit in the backend's memory runs it in passes: peak memory stays under the budget, nothing crashes", async () => {
  await ready;
  // 20,000 tokens × a 8192-wide intermediate layer: ~8 GB held at once by one pass, twice what wasm can address.
  const pipe = pipeline("text-classification", tinyModel({ hidden_size: 16, intermediate_size: 8192 }), { tokenizer });
  const inputs = Array.from({ length: 5000 }, (_, i) => (i % 2 ? "rent a van" : "hello world"));
  const weights = pipe.model.numParameters() * 4;
  const profile = await tf.profile(async () => {
    const out = await pipe(inputs, { batchSize: 5000 });
    assert.equal(out.length, 5000);
    assert.deepEqual(out[2], out[0]);
    return [] as tf.Tensor[];
  });
  assert.ok(profile.peakBytes <= FORWARD_MEMORY_BUDGET + weights, `peak ${(profile.peakBytes / 2 ** 20).toFixed(0)} MB`);
  assert.equal((await pipe(["hello world"], { batchSize: 32 }))[0][0].label, (await pipe("hello world"))[0].label, "the backend still works");
  pipe.dispose();
});

test("a long list call yields to the event loop: a 10 ms timer fires before it ends", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer });
  const inputs = texts(3000);
  const events: string[] = [];
  const started = performance.now();
  const timer = setTimeout(() => events.push("timer"), 10);
  await pipe(inputs, { batchSize: 4 });
  events.push("call done");
  clearTimeout(timer);
  const took = performance.now() - started;
  assert.ok(took > 30, `the call took only ${took.toFixed(0)} ms, too short to tell`);
  assert.deepEqual(events, ["timer", "call done"]);
  // logits() too.
  events.length = 0;
  const timer2 = setTimeout(() => events.push("timer"), 10);
  await pipe.logits(inputs, { batchSize: 4 });
  events.push("call done");
  clearTimeout(timer2);
  assert.deepEqual(events, ["timer", "call done"]);
  pipe.dispose();
});

test("a text the tokenizer cannot read at all is out of scope: the oos label with fallback: true, whatever the threshold", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer });
  const unreadable = ["😀😀", "a".repeat(100_000), "¿¡ 😀 ™", "[UNK]"];
  for (const text of unreadable) assert.deepEqual(pipe.tokenizer.call([text]).input_ids[0].slice(1, -1).every((id) => id === tokenizer.unkTokenId), true, text.slice(0, 10));
  const list = ["rent a van", ...unreadable];
  const logits = await pipe.logits(list);
  const oosProb = (row: Float32Array) => Math.exp(row[2]) / row.reduce((a, v) => a + Math.exp(v), 0);
  for (const threshold of [null, 0.01]) {
    const out = await pipe(list, { oosThreshold: threshold, topK: 2 });
    unreadable.forEach((t, k) => {
      const [first, second] = out[k + 1];
      assert.deepEqual(first, { label: "oos", score: first.score, fallback: true }, t.slice(0, 10));
      assert.ok(Math.abs(first.score - oosProb(logits[k + 1])) < 1e-6, "the model's own probability for oos");
      assert.notEqual(second.label, "oos");
    });
    assert.equal(out[0][0].fallback, undefined, "a readable text is classified as usual");
  }
  // A text with one known word is readable.
  assert.equal((await pipe("😀 rent a van", { oosThreshold: null }))[0].fallback, undefined);
  // A model without an out-of-scope label cannot say so: an error naming the input.
  const noOos = pipeline("text-classification", tinyModel({}, ["greet", "car_rental"]), { tokenizer });
  await assert.rejects(noOos(["hello", "rent a van", "😀😀"]), /^Error: text-classification pipeline: input 2 has no token the tokenizer knows \("😀😀" reads as \[UNK\] only\); a text the tokenizer cannot read at all is out of scope, but this model has no "oos" label to say so/);
  await assert.rejects(noOos("a".repeat(100_000)), /input 0 has no token the tokenizer knows \("a{40}…" reads as \[UNK\] only\)/);
  // … unless oosLabel names its out-of-scope label.
  assert.deepEqual((await noOos("😀", { oosLabel: "greet" }))[0].label, "greet");
  // Text that tokenizes to nothing at all is still an error, like an empty string.
  await assert.rejects(pipe("\u200b\u200d"), /input 0 has no text the tokenizer can read/);
  pipe.dispose();
  noOos.dispose();
});

test("a disposed pipeline says so on every call, also when disposed during a call; dispose() twice is harmless", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer });
  assert.equal((await pipe("hello")).length, 1);
  const during = pipe(texts(200), { batchSize: 4 });
  pipe.dispose();
  await assert.rejects(during, /^Error: text-classification pipeline: this pipeline was disposed/);
  await assert.rejects(pipe("hello"), /this pipeline was disposed/);
  await assert.rejects(pipe(["hello", "world"]), /this pipeline was disposed/);
  await assert.rejects(pipe.logits(["hello"]), /this pipeline was disposed/);
  assert.doesNotThrow(() => pipe.dispose());
});

test("a hole in a sparse array is an error naming its index", async () => {
  await ready;
  const pipe = pipeline("text-classification", tinyModel(), { tokenizer });
  // eslint-disable-next-line no-sparse-arrays
  const sparse = ["hello", , "world"] as string[];
  await assert.rejects(pipe(sparse), /^Error: text-classification pipeline: input 1 is missing \(the array has a hole at index 1/);
  await assert.rejects(pipe.logits(sparse), /input 1 is missing/);
  await assert.rejects(pipe(new Array<string>(3)), /input 0 is missing/);
  // undefined written explicitly is a value, not a hole.
  await assert.rejects(pipe(["hello", undefined as unknown as string]), /input 1 is undefined, expected a string/);
  pipe.dispose();
});
