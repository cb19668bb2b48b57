import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURES, tmpDir } from "../helpers/setup";
import { parseSafetensors, readSafetensors, serializeSafetensors, toFloat32, writeSafetensors } from "../../lib/models/safetensors";

test("reads a file written by Python with F32, F16, BF16, I64, I32 and U8 tensors", () => {
  const { tensors, metadata } = readSafetensors(path.join(FIXTURES, "dtypes.safetensors"));
  assert.equal(metadata.written_by, "make_reference.py");
  assert.deepEqual([...toFloat32(tensors.get("f32")!)], [1.5, -2.25, 0, 3, 65504, -0.5]);
  assert.deepEqual([...toFloat32(tensors.get("f16")!)], [1.5, -2.25, 0, 3, 65504, -0.5]);
  assert.deepEqual([...toFloat32(tensors.get("bf16")!)], [1.5, -2.25, 0, 3, 256, -0.5]);
  assert.deepEqual([...(tensors.get("i64")!.data as BigInt64Array)], [1n, -2n, 3n]);
  assert.deepEqual([...(tensors.get("i32")!.data as Int32Array)], [7, -8]);
  assert.deepEqual([...(tensors.get("u8")!.data as Uint8Array)], [0, 1, 254, 255]);
  assert.deepEqual(tensors.get("f16")!.shape, [2, 3]);
});

test("round trip keeps names, shapes, dtypes, values and metadata; the data section is 8-byte aligned", () => {
  const dir = tmpDir();
  const file = path.join(dir, "x.safetensors");
  writeSafetensors(file, {
    "a.weight": { dtype: "F32", shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
    "b.ids": { dtype: "I32", shape: [3], data: Int32Array.of(-1, 0, 1) },
    "c.q": { dtype: "I8", shape: [2], data: Int8Array.of(-128, 127) },
  }, { format: "pt" });
  const bytes = fs.readFileSync(file);
  assert.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0);
  const { tensors, metadata } = readSafetensors(file);
  assert.deepEqual(metadata, { format: "pt" });
  assert.deepEqual([...tensors.keys()].sort(), ["a.weight", "b.ids", "c.q"]);
  assert.deepEqual([...(tensors.get("a.weight")!.data as Float32Array)], [1, 2, 3, 4]);
  assert.deepEqual([...(tensors.get("b.ids")!.data as Int32Array)], [-1, 0, 1]);
  assert.deepEqual([...(tensors.get("c.q")!.data as Int8Array)], [-128, 127]);
  assert.deepEqual(fs.readdirSync(dir), ["x.safetensors"]); // no temp file left behind
});

test("corrupt files fail with a clear message", () => {
  const good = serializeSafetensors({ w: { dtype: "F32", shape: [2], data: Float32Array.of(1, 2) } });
  assert.throws(() => parseSafetensors(good.slice(0, 4)), /no header/);
  const huge = good.slice();
  new DataView(huge.buffer).setBigUint64(0, 10n ** 9n, true);
  assert.throws(() => parseSafetensors(huge), /header length 1000000000 exceeds the file size/);
  const badJson = good.slice();
  badJson[9] = "!".charCodeAt(0);
  assert.throws(() => parseSafetensors(badJson), /header is not valid JSON/);
  assert.throws(() => parseSafetensors(good.slice(0, good.length - 4)), /data_offsets \[0, 8\] outside the 4-byte data section/);
  const mk = (header: object) => {
    const h = Buffer.from(JSON.stringify(header));
    const b = Buffer.alloc(8 + h.length + 8);
    b.writeBigUInt64LE(BigInt(h.length));
    h.copy(b, 8);
    return new Uint8Array(b);
  };
  assert.throws(() => parseSafetensors(mk({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } })), /needs 12 bytes for F32\[3\] but has 8/);
  assert.throws(() => parseSafetensors(mk({ w: { dtype: "Q4", shape: [2], data_offsets: [0, 8] } })), /unsupported dtype "Q4"/);
  assert.throws(() => readSafetensors("/nonexistent/model.safetensors"), /safetensors file not found/);
  assert.throws(() => serializeSafetensors({ w: { dtype: "F32", shape: [3], data: Float32Array.of(1) } }), /has 1 values for shape \[3\]/);
});
