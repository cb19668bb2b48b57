// Sparse storage of pruned models (lib/pruning/sparse.ts): CSR and bitmap,
// float32 and int8, files that load back to the same weights.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { maxAbsDiff, ready, tmpDir, values } from "../helpers/setup";
import { DistilBertForSequenceClassification, labelMaps } from "../../lib/models";
import { serializeSafetensors, parseSafetensors } from "../../lib/models/safetensors";
import { SPARSE_FILE, numToPrune, decodeSparse, dequantizeRows, encodeSparse, encoderLinearModules, l1Unstructured, loadSparse, moduleOf, quantizeRows, readSparseWeights, remove, saveSparse, sparseSize } from "../../lib/pruning";

function prunedModel(amount: number) {
  const model = DistilBertForSequenceClassification.fromConfig({ vocab_size: 50, dim: 32, n_layers: 2, n_heads: 4, hidden_dim: 64, max_position_embeddings: 16, ...labelMaps(["a", "b", "c"]) }, { seed: 9 });
  for (const m of encoderLinearModules(model)) {
    l1Unstructured(moduleOf(model, m), "weight", amount);
    remove(moduleOf(model, m), "weight");
  }
  return model;
}

test("sparse files round-trip: float32 CSR, bitmap and auto give back identical weights and logits; sizes shrink with sparsity", async () => {
  await ready;
  const model = prunedModel(0.8);
  const ids = tf.tensor2d([[2, 7, 11, 40, 3]], undefined, "int32");
  const want = values(model.call({ input_ids: ids }).logits);
  const state = model.stateDict();
  const sizes: Record<string, number> = {};
  for (const format of ["dense", "csr", "bitmap", "auto"] as const) {
    const dir = tmpDir();
    const saved = saveSparse(model, dir, { format });
    assert.equal(saved.bytes, fs.statSync(path.join(dir, SPARSE_FILE)).size);
    sizes[format] = saved.bytes;
    const loaded = loadSparse(dir);
    for (const [name, w] of state) assert.ok(maxAbsDiff(loaded.stateDict().get(name)!.data, w.data) === 0, `${format}: ${name}`);
    assert.ok(maxAbsDiff(values(loaded.call({ input_ids: ids }).logits), want) === 0, format);
    const q = saved.tensors.find((t) => t.name.endsWith("layer.0.attention.q_lin.weight"))!;
    assert.equal(q.encoding, format === "auto" ? "bitmap" : format);
    assert.equal(q.sparsity, numToPrune(0.8, 32 * 32) / (32 * 32));
    loaded.dispose();
  }
  assert.ok(sizes.csr < sizes.dense && sizes.bitmap < sizes.dense, JSON.stringify(sizes));
  assert.ok(sizes.auto <= Math.min(sizes.csr, sizes.bitmap), JSON.stringify(sizes));
  assert.equal(sparseSize(model, { format: "bitmap" }), sizes.bitmap);
  // Some weights only: the encoder's linear layers.
  const encoder = new Map([...state].filter(([n]) => n.includes("transformer.layer") && n.endsWith("lin.weight")));
  assert.ok(sparseSize(encoder, { format: "bitmap" }) < sizes.bitmap);
  // Sparser models make smaller files.
  assert.ok(sparseSize(prunedModel(0.95), { format: "csr" }) < sizes.csr);
  model.dispose();
});

test("int8 sparse files: one symmetric scale per row, zeros stay zero, the weights come back as q·scale (identical on a second round trip)", async () => {
  await ready;
  const model = prunedModel(0.7);
  const state = model.stateDict();
  for (const format of ["csr", "bitmap", "dense"] as const) {
    const dir = tmpDir();
    const saved = saveSparse(model, dir, { format, dtype: "int8" });
    const back = readSparseWeights(path.join(dir, SPARSE_FILE));
    for (const [name, w] of state) {
      const got = back.get(name)!;
      if (w.shape.length === 2) {
        const [rows, cols] = w.shape;
        const q = quantizeRows(w.data, rows, cols);
        assert.ok(maxAbsDiff(got.data, dequantizeRows(q.values, q.scale, cols)) === 0, `${format} ${name}`);
        w.data.forEach((v, i) => (v === 0 ? assert.ok(got.data[i] === 0) : undefined));
        // Entries that quantize to 0 are not stored.
        if (format !== "dense") assert.equal(saved.tensors.find((t) => t.name === name)!.bytes < w.data.length * 4, true);
        const maxErr = Math.max(...Array.from(q.scale)) / 2;
        assert.ok(maxAbsDiff(got.data, w.data) <= maxErr + 1e-7);
      } else assert.ok(maxAbsDiff(got.data, w.data) === 0, `${name} stays float32`);
    }
    const again = tmpDir();
    const reloaded = loadSparse(dir);
    saveSparse(reloaded, again, { format, dtype: "int8" });
    assert.deepEqual(fs.readFileSync(path.join(again, SPARSE_FILE)), fs.readFileSync(path.join(dir, SPARSE_FILE)), `${format}: the second round trip is byte-identical`);
    assert.ok(saved.bytes < sparseSize(model, { format }), `${format}: int8 smaller than float32`);
    reloaded.dispose();
  }
  model.dispose();
});

test("sparse encodings: CSR with 16-bit column indices, one bit per entry in the bitmap; corrupt files and bad options fail clearly", async () => {
  await ready;
  const w = { shape: [3, 5], data: Float32Array.of(0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 3, 0, 0, 4, 5) };
  const csr = encodeSparse(new Map([["m.weight", w]]), { format: "csr" });
  assert.deepEqual(Array.from(csr.tensors.get("m.weight.indptr")!.data as Int32Array), [0, 2, 2, 5]);
  assert.deepEqual(Array.from(csr.tensors.get("m.weight.indices")!.data as Int16Array), [1, 4, 0, 3, 4]);
  assert.equal(csr.tensors.get("m.weight.indices")!.dtype, "I16");
  assert.deepEqual(Array.from(csr.tensors.get("m.weight.values")!.data as Float32Array), [1, 2, 3, 4, 5]);
  const bitmap = encodeSparse(new Map([["m.weight", w]]), { format: "bitmap" });
  assert.deepEqual(Array.from(bitmap.tensors.get("m.weight.bitmap")!.data as Uint8Array), [0b00010010, 0b01100100]); // positions 1, 4 | 10, 13, 14
  // Round trips through bytes.
  for (const e of [csr, bitmap]) {
    const parsed = parseSafetensors(serializeSafetensors(e.tensors, e.metadata));
    assert.deepEqual(Array.from(decodeSparse(parsed.tensors, parsed.metadata).get("m.weight")!.data), Array.from(w.data));
  }
  assert.throws(() => decodeSparse(csr.tensors, {}), /metadata format is undefined, expected "workbook-sparse-v1"/);
  const broken = new Map(csr.tensors);
  broken.set("m.weight.indptr", { dtype: "I32", shape: [4], data: Int32Array.of(0, 2, 2, 4) });
  assert.throws(() => decodeSparse(broken, csr.metadata, "x.safetensors"), /Corrupt sparse weights in x.safetensors: "m.weight" has row pointers that do not match its 5 indices/);
  const missing = new Map(bitmap.tensors);
  missing.delete("m.weight.bitmap");
  assert.throws(() => decodeSparse(missing, bitmap.metadata), /tensor "m.weight.bitmap" is missing/);
  assert.throws(() => encodeSparse(new Map([["m.weight", w]]), { format: "coo" as any }), /format must be "dense", "csr", "bitmap" or "auto", got "coo"/);
  assert.throws(() => encodeSparse(new Map([["m.weight", w]]), { dtype: "int4" as any }), /dtype must be "float32" or "int8", got "int4"/);
  assert.throws(() => readSparseWeights("/nonexistent/model.sparse.safetensors"), /Sparse weights not found/);
  const model = prunedModel(0.5);
  l1Unstructured(moduleOf(model, "classifier"), "weight", 0.5);
  assert.throws(() => saveSparse(model, tmpDir()), /the model has weight transforms \(masks\); make them permanent first/);
  model.dispose();
});

test("tensors of 3 or more dimensions are stored by rows of their last dimension and load back, in every encoding and dtype", () => {
  // [2, 3, 4]: six rows of four, one of them all zero and one with a single entry.
  const data = Float32Array.from({ length: 24 }, (_, i) => (i % 5 === 0 || (i >= 8 && i < 12) ? 0 : (i - 11.5) / 7));
  data[16] = 0; data[17] = 0; data[19] = 0;
  const weights = new Map([["blocks.weight", { shape: [2, 3, 4], data }], ["bias", { shape: [4], data: Float32Array.of(1, 0, 0, -1) }]]);
  for (const dtype of ["float32", "int8"] as const) {
    for (const format of ["dense", "csr", "bitmap", "auto"] as const) {
      const { tensors, metadata } = encodeSparse(weights, { format, dtype });
      // Through the bytes of a file, as saveSparse writes and readSparseWeights reads it.
      const parsed = parseSafetensors(serializeSafetensors(tensors, metadata));
      const back = decodeSparse(parsed.tensors, parsed.metadata, `${format} ${dtype}`);
      const got = back.get("blocks.weight")!;
      assert.deepEqual(got.shape, [2, 3, 4]);
      const want = dtype === "int8" ? (() => { const q = quantizeRows(data, 6, 4); return dequantizeRows(q.values, q.scale, 4); })() : data;
      assert.deepEqual(Array.from(got.data), Array.from(want), `${format} ${dtype}`);
      if (dtype === "int8") assert.deepEqual(tensors.get("blocks.weight.scale")!.shape, [6], "one scale per row of the last dimension");
      data.forEach((v, i) => (v === 0 ? assert.equal(got.data[i], 0) : undefined));
      assert.deepEqual(Array.from(back.get("bias")!.data), [1, 0, 0, -1]);
    }
  }
  assert.equal(encodeSparse(weights, { format: "csr" }).tensors.get("blocks.weight.indptr")!.shape[0], 7, "CSR: a row pointer per row");
});

test("NaN and Infinity in an int8 row are errors naming the row, the column and the weight", () => {
  assert.throws(() => quantizeRows(Float32Array.of(0, 1, 2, NaN), 2, 2), /^Error: quantizeRows: row 1 holds NaN at column 1 \(index 3\); int8 rows need finite values$/);
  assert.throws(() => quantizeRows(Float32Array.of(-Infinity, 1), 1, 2), /row 0 holds -Infinity at column 0 \(index 0\)/);
  assert.throws(() => quantizeRows(Float32Array.of(1, 2, 3), 2, 2), /3 values do not fill 2 rows of 2/);
  const w = new Map([["m.weight", { shape: [2, 2], data: Float32Array.of(1, Infinity, 0, 0) }]]);
  for (const format of ["dense", "csr", "bitmap", "auto"] as const) {
    assert.throws(() => encodeSparse(w, { format, dtype: "int8" }), /encodeSparse: weight "m.weight" \[2,2\]: quantizeRows: row 0 holds Infinity at column 1/);
  }
  // float32 storage keeps the values as they are (nothing is scaled).
  assert.equal(encodeSparse(w, { format: "csr" }).tensors.get("m.weight.values")!.data[1], Infinity);
});
