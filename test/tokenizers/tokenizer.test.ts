import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tmpDir } from "../helpers/setup";
import { BertTokenizer } from "../../lib/tokenizers";
import { loadClinc } from "../../lib/data";
import { Random } from "../../lib/utils/random";

const full = BertTokenizer.bertBaseUncased();

test("bert-base-uncased ids for the chapter's first test query", () => {
  assert.equal(full.vocabSize, 30522);
  assert.deepEqual([full.padTokenId, full.unkTokenId, full.clsTokenId, full.sepTokenId, full.maskTokenId], [0, 100, 101, 102, 103]);
  assert.deepEqual(full.encode("how would you say fly in italian").input_ids, [101, 2129, 2052, 2017, 2360, 4875, 1999, 3059, 102]);
  assert.deepEqual(full.tokenize("Héllo, WORLD!! unaffable"), ["hello", ",", "world", "!", "!", "una", "##ffa", "##ble"]);
});

test("truncation keeps [SEP]; batches pad to the longest row", () => {
  const enc = full.encode("one two three four five six", { maxLength: 5 });
  assert.equal(enc.input_ids.length, 5);
  assert.equal(enc.input_ids.at(-1), full.sepTokenId);
  assert.equal(enc.input_ids[0], full.clsTokenId);
  const batch = full.call(["hi", "how are you today"]);
  assert.equal(batch.input_ids[0].length, batch.input_ids[1].length);
  assert.deepEqual(batch.attention_mask[0], [1, 1, 1, 0, 0, 0]);
  assert.deepEqual(batch.input_ids[0].slice(3), [0, 0, 0]);
  assert.throws(() => full.encode("x", { maxLength: 1 }), /maxLength must be an integer >= 2/);
  assert.throws(() => full.tokenize(42 as unknown as string), /expected a string, got number/);
});

test("trimmed vocabulary tokenizes seen text to the same pieces and keeps single characters", () => {
  const texts = ["transfer $100 from my checking to saving account", "how would you say fly in italian"];
  const small = full.trimmedTo(texts);
  assert.ok(small.vocabSize < 3000);
  for (const t of texts) assert.deepEqual(small.tokenize(t), full.tokenize(t));
  assert.deepEqual(small.tokenize("zebra"), ["z", "##e", "##b", "##r", "##a"]); // unseen word: characters, not [UNK]
  assert.match(small.vocabNote!, /trimmed to \d+/);
});

test("savePretrained / fromPretrained round trip", () => {
  const dir = tmpDir();
  const small = full.trimmedTo(["hello world"]);
  small.savePretrained(dir);
  for (const f of ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"]) assert.ok(fs.existsSync(path.join(dir, f)), f);
  const again = BertTokenizer.fromPretrained(dir);
  assert.deepEqual(again.vocab, small.vocab);
  assert.equal(again.vocabNote, small.vocabNote);
  assert.deepEqual(again.encode("hello world!").input_ids, small.encode("hello world!").input_ids);
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify({ model: { type: "BPE" } }));
  assert.throws(() => BertTokenizer.fromPretrained(dir), /has no WordPiece model \(got BPE\)/);
});

test("transformers.js AutoTokenizer loads our tokenizer.json and produces identical ids", async () => {
  const { AutoTokenizer, env } = await import("@huggingface/transformers");
  const root = tmpDir();
  const clinc = loadClinc();
  const tok = BertTokenizer.bertBaseUncased().trimmedTo(clinc.train.column("text"));
  tok.savePretrained(path.join(root, "tok"));
  env.allowRemoteModels = false;
  env.localModelPath = root;
  const js = await AutoTokenizer.from_pretrained("tok");
  const edge = ["Héllo, WORLD!! naïve café", "what's 2+2? (a) [b] {c}", "东京 weather", "tab\tand\nnewline", "a".repeat(120), "ÅNGSTRÖM résumé", "don't stop-believing..."];
  const texts = [...edge, ...clinc.test.rows.filter((_, i) => i % 11 === 0).map((r) => r.text)];
  for (const t of texts) {
    const ours = tok.encode(t).input_ids;
    const theirs = Array.from(js.encode(t) as number[]);
    assert.deepEqual(ours, theirs, `ids differ for ${JSON.stringify(t)}`);
  }
  assert.ok(texts.length > 500);
});

test("truncation tokenizes only as much text as it needs and gives exactly the first tokens of the whole text", () => {
  // Pieces that stress every cut rule: accents and combining marks (NFD), final sigma (the one
  // context-dependent lowercase), case-ignorable punctuation, CJK, emoji (surrogate pairs),
  // removed control/zero-width characters, non-ASCII whitespace, long words.
  const pieces = ["Σ", "σ", "ΑΣ", "ΌΣΟΣ", ".", ":", "'", "`", "^", " ", "\t", "\n", "\u200b", "\u0301", "é", "e\u0301", "İ", "中", "!", ",", "-", "😀", "\u037e", "\u0387", "\u1fef", "a", "hello", "\ufeff", "\u00ad", "\u2000", "ǅ", "ﬁ", "\u0000", "\ufffd", "\u3000", "«", "—", "’", "ß", "\u0345", "Ω", "x".repeat(120), "नमस्ते", "한국어"];
  for (const [lower, withSigma] of [[true, true], [false, true], [true, false]] as const) {
    const tok = BertTokenizer.bertBaseUncased({ doLowerCase: lower });
    const set = withSigma ? pieces : pieces.filter((p) => !p.includes("Σ"));
    for (let seed = 0; seed < 12; seed++) {
      const rng = new Random(seed);
      let text = "";
      for (let i = 0, n = 600 + rng.int(900); i < n; i++) text += set[rng.int(set.length)];
      const all = tok.tokenize(text);
      for (const k of [1, 62, 300, all.length, all.length + 3]) assert.deepEqual(tok.tokenize(text, k), all.slice(0, k), `lowercase ${lower}, seed ${seed}, ${k} tokens`);
    }
  }
  // The final-sigma rule looks across case-ignorable punctuation: "ΑΣ.Β" keeps σ, "ΑΣ" alone ends in ς.
  const sigma = `${"word ".repeat(200)}ΑΣ.Β ${"word ".repeat(200)}`;
  assert.deepEqual(full.tokenize(sigma, 300), full.tokenize(sigma).slice(0, 300));
  // A 200 KB query: the same ids as truncating the whole tokenization.
  const huge = "please transfer money from my checking to my savings account ".repeat(3400);
  const ids = full.encode(huge, { maxLength: 64 }).input_ids;
  assert.deepEqual(ids, [full.clsTokenId, ...full.tokenize(huge).slice(0, 62).map((t) => full.tokenToId(t)), full.sepTokenId]);
  assert.equal(full.encode(huge, { truncation: false }).input_ids.length, full.tokenize(huge).length + 2);
});

test("fingerprint: vocabulary size and the sha256 of vocab.txt; savePretrained records it only in a model folder's config.json, and fromPretrained checks it", () => {
  const { sha256Hex } = require("../../lib/utils/fs") as typeof import("../../lib/utils/fs");
  const small = full.trimmedTo(["hello world"]);
  const dir = tmpDir();
  small.savePretrained(dir);
  assert.deepEqual(small.fingerprint(), { vocab_size: small.vocabSize, sha256: sha256Hex(fs.readFileSync(path.join(dir, "vocab.txt"))) });
  assert.ok(!fs.existsSync(path.join(dir, "config.json")), "a tokenizer-only folder gets no config.json");
  const model = tmpDir();
  fs.writeFileSync(path.join(model, "config.json"), JSON.stringify({ model_type: "bert", vocab_size: small.vocabSize }));
  small.savePretrained(model);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(model, "config.json"), "utf8")), { model_type: "bert", vocab_size: small.vocabSize, tokenizer_fingerprint: small.fingerprint() });
  assert.deepEqual(BertTokenizer.fromPretrained(model).vocab, small.vocab);
  // One token renamed: same size, another vocabulary.
  const renamed = new BertTokenizer(small.vocab.map((t) => (t === "hello" ? "jello" : t)));
  fs.copyFileSync((renamed.savePretrained(dir), path.join(dir, "tokenizer.json")), path.join(model, "tokenizer.json"));
  assert.throws(() => BertTokenizer.fromPretrained(model), new RegExp(`is not the tokenizer this model was saved with: .*records a vocabulary of ${small.vocabSize} tokens, sha256 ${small.fingerprint().sha256.slice(0, 12)}…, but .*holds ${small.vocabSize} tokens, sha256 ${renamed.fingerprint().sha256.slice(0, 12)}…`));
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify({ model: { type: "WordPiece", vocab: { "[PAD]": 0, "[UNK]": 1.5 } } }));
  assert.throws(() => BertTokenizer.fromPretrained(dir), /has gaps in its vocabulary ids \(token "\[UNK\]" has id 1.5/);
});
