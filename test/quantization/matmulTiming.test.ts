// timeMatMul: A @ A timed in ONNX Runtime in float32 and int8 (checks and the result's shape).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ready } from "../helpers/setup";
import { timeMatMul } from "../../lib/quantization/matmulTiming";
import { quantizePerChannel, quantizePerTensor } from "../../lib/int8/qtensor";

const n = 8;
const weight = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i) * 0.5);

test("timeMatMul times both products and reports float32 / int8 as the speedup", async () => {
  await ready;
  const t = await timeMatMul(weight, quantizePerTensor(weight, 0.5 / 127, 0, "qint8"), [n, n], { warmupRuns: 1, timedRuns: 3 });
  for (const m of [t.float32, t.int8]) assert.ok(m.mean > 0 && Number.isFinite(m.mean) && m.std >= 0, JSON.stringify(m));
  assert.ok(Math.abs(t.speedup - t.float32.mean / t.int8.mean) < 1e-12);
});

test("timeMatMul rejects a non-square shape, mismatched lengths, per-channel and quint8 matrices", async () => {
  await ready;
  const q = quantizePerTensor(weight, 0.5 / 127, 0, "qint8");
  await assert.rejects(timeMatMul(weight, q, [4, 16]), /timeMatMul: the matrix must be square to multiply by itself, got \[4,16\]/);
  await assert.rejects(timeMatMul(weight.subarray(1), q, [n, n]), /timeMatMul: 63 floats and 64 integers for shape \[8,8\]/);
  const perChannel = quantizePerChannel(weight, Array(n).fill(0.5 / 127), Array(n).fill(0), 0, "qint8", { shape: [n, n] });
  await assert.rejects(timeMatMul(weight, perChannel as any, [n, n]), /timeMatMul: pass a per-tensor quantized matrix/);
  await assert.rejects(timeMatMul(weight, quantizePerTensor(weight, 1 / 255, 128, "quint8"), [n, n]), /timeMatMul: the quantized matrix must be qint8/);
});
