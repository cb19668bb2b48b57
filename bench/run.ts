// npm run bench: the speed and accuracy targets of the issues, measured on
// this machine. Writes bench/results/summary.json and prints a table.
//   npm run bench               # all
//   npm run bench -- teacher    # one
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/backend";
import { BenchRow, BenchRun, SUMMARY_JSON, machineDescription, recordRuns } from "../tools/benchSummary";
import { gitCommit } from "../lib/utils/git";
import { nativeKernelsActive } from "../lib/native";
import { benchTeacher } from "./teacher";
import { benchTrainSpeed } from "./trainSpeed";
import { benchOnnx } from "./onnx";
import { benchDistillation } from "./distillation";
import { benchKdVariant } from "./kdVariants";
import { benchKernels } from "./kernels";
import { benchHpo } from "./hpo";
import { benchQuantization } from "./quantization";
import { benchBaseline, benchBaselineSearch } from "./baseline";
import { benchRobust } from "./robust";
import { benchAccuracy } from "./accuracy";
import { benchPruning } from "./pruning";
import { makeExampleData } from "../tools/exampleData";
import { workbookModelDir, workbookRunDir } from "../lib/workbook/data";
import { benchWorkbook } from "./workbook";
import { benchQat } from "./qat";
import { benchMutation } from "./mutation";
import { benchDemo } from "./demo";
import { benchServing, servingRows } from "./serving";
import { benchLatencyBreakdown } from "./latencyBreakdown";

const DISTILLATION_TARGETS: Record<string, [string, (v: number) => boolean]> = {
  distilledMinusAlonePoints: ["> 0 (distilled beats alone)", (v) => v > 0],
  distilledMinusTeacherPoints: ["> 0 (distilled beats teacher)", (v) => v > 0],
  distilledAccuracy: [">= 0.80 (aim)", (v) => v >= 0.8],
  studentSpeedup: [">= 1.8x", (v) => v >= 1.8],
};

const ONNX_TARGETS: Record<string, [string, (v: number) => boolean]> = {
  int8SizeReduction: [">= 3.5x", (v) => v >= 3.5],
  int8Speedup: [">= 1.5x", (v) => v >= 1.5],
  int8AccuracyDropPoints: ["<= 1 point", (v) => v <= 1],
  int8ArgmaxAgreement: [">= 0.99", (v) => v >= 0.99],
  onnxPipelineOverTransformersJs: ["<= 1.0", (v) => v <= 1.0],
};

const BASELINE_TARGETS: Record<string, [string, (v: number) => boolean]> = {
  bowTestAccuracy: [">= 0.84 (plain BoW MLP measured 0.841)", (v) => v >= 0.84],
};

type Row = BenchRow;

/** Targets per quantized variant: int8 must shrink the file and keep fp32's argmax on most queries. */
const QUANTIZATION_TARGETS: Record<string, [string, (v: number) => boolean]> = {
  agreement: [">= 0.99 (same argmax as fp32)", (v) => v >= 0.99],
  sizeRatio: ["< 1 (smaller than fp32)", (v) => v < 1],
};

/** Benches that run only when named (long, or diagnostic). */
const BY_NAME_ONLY = new Set(["kdLogits", "kdLayers", "kernels", "baselineSearch", "workbook", "workbookOwnData", "mutation", "demo", "serving", "latencyBreakdown"]);

/** The demo page in headless Chromium against the Node pipeline on the same int8 file. */
const DEMO_TARGETS: Record<string, [string, (v: number) => boolean]> = {
  agreement: [">= 0.995 (same label as the Node pipeline, 500 test queries)", (v) => v >= 0.995],
};

const PRUNING_TARGETS: Record<string, [string, (v: number) => boolean]> = {
  structuredSpeedup: [">= 1.3x (ORT fp32, vs the unpruned student)", (v) => v >= 1.3],
  structuredAccuracyLossPoints: ["<= 1 point (argmax, vs the unpruned student)", (v) => v <= 1],
  prunedOnnxInt8Mb: ["<= 1.97 MB", (v) => v <= 1.97],
  finalSizeReduction: [">= 10x (vs the teacher's model.safetensors)", (v) => v >= 10],
  finalSpeedupOverTeacherTfjs: [">= 15x (vs the teacher's TF.js pipeline)", (v) => v >= 15],
  finalMinusTeacherAccuracyPoints: [">= 0 (same fallback rule)", (v) => v >= 0],
};


const BENCHES: Record<string, () => Promise<Row[]>> = {
  teacher: async () => {
    const r = await benchTeacher();
    return Object.entries(r).map(([metric, value]) => ({
      bench: "teacher",
      metric,
      value,
      ...(metric === "testAccuracy" ? { target: ">= 0.77 (aim 0.84)", met: value >= 0.77 } : {}),
    }));
  },
  distillation: async () => {
    const r = await benchDistillation();
    return Object.entries(r).map(([metric, value]) => {
      const t = DISTILLATION_TARGETS[metric];
      return { bench: "distillation", metric, value, ...(t ? { target: t[0], met: t[1](value) } : {}) };
    });
  },
  kdLogits: async () => Object.entries(await benchKdVariant("logits")).map(([metric, value]) => ({ bench: "kd (logits, CE+KL)", metric, value })),
  kdLayers: async () => Object.entries(await benchKdVariant("layers")).map(([metric, value]) => ({ bench: "kd (intermediate layers + CE)", metric, value })),
  onnx: async () => {
    const r = await benchOnnx();
    return Object.entries(r)
      .filter(([, v]) => typeof v === "number")
      .map(([metric, value]) => {
        const t = ONNX_TARGETS[metric];
        return { bench: `onnx (${r.model})`, metric, value: value as number, ...(t ? { target: t[0], met: t[1](value as number) } : {}) };
      });
  },
  quantization: async () => {
    const r = await benchQuantization();
    const fp32 = r.variants.find((v) => v.name === "fp32")!;
    return [
      ...r.variants.flatMap((v) =>
        (["sizeMb", "latencyMs", "speedup", "accuracy", "agreement", "sizeRatio"] as const).map((metric) => {
          const value = metric === "sizeRatio" ? v.sizeMb / fp32.sizeMb : v[metric];
          const t = v.name === "fp32" ? undefined : QUANTIZATION_TARGETS[metric];
          return { bench: `quantization: ${v.name}`, metric, value, ...(t ? { target: t[0], met: t[1](value) } : {}) };
        }),
      ),
      { bench: "quantization: PyTorch-style (PerformanceBenchmark.computeSize)", metric: "safetensors MB (int8 Linear weights)", value: r.torchStyleSafetensorsMb },
      { bench: "quantization: fp32 (PerformanceBenchmark.computeSize)", metric: "safetensors MB", value: r.fp32SafetensorsMb },
    ];
  },
  accuracy: async () =>
    (await benchAccuracy()).flatMap((r) => [
      { bench: `accuracy: ${r.model}`, metric: `test accuracy (fallback below ${r.threshold} tuned on validation)${r.recipe ? `; ${r.recipe}` : ""}`, value: r.testAccuracy },
      { bench: `accuracy: ${r.model}`, metric: "test in-scope accuracy / oos recall (fallback)", value: r.testInScope, note: `oos recall ${r.testOosRecall.toFixed(4)}` },
      { bench: `accuracy: ${r.model}`, metric: "test accuracy (argmax only)", value: r.testArgmaxAccuracy, note: `in-scope ${r.testArgmaxInScope.toFixed(4)}, oos recall ${r.testArgmaxOosRecall.toFixed(4)}` },
      { bench: `accuracy: ${r.model}`, metric: "validation accuracy (argmax)", value: r.validationArgmax },
      ...r.detectors.map((d) => ({ bench: `accuracy: ${r.model}`, metric: `test accuracy, oos detector ${d.kind}${d.chosen ? " (chosen on validation)" : ""}`, value: d.accuracy, note: `in-scope ${d.inScopeAccuracy!.toFixed(4)}, oos recall ${d.oosRecall!.toFixed(4)}, AUROC ${d.auroc!.toFixed(3)}, FPR95 ${d.fpr95!.toFixed(3)}, validation ${d.validationAccuracy.toFixed(4)}, ${(d.bytes / 2 ** 20).toFixed(2)} MB` })),
    ]),

  demo: async () => {
    const { model, values } = await benchDemo();
    return Object.entries(values).map(([metric, value]) => {
      const t = DEMO_TARGETS[metric];
      return { bench: `demo (${model}, Chromium)`, metric, value, ...(t ? { target: t[0], met: t[1](value) } : {}) };
    });
  },
  serving: async () => servingRows(await benchServing()),
  latencyBreakdown: benchLatencyBreakdown,
  pruning: async () => {
    const r = await benchPruning();
    const rows: Row[] = [];
    for (const [metric, value] of Object.entries(r)) {
      if (typeof value !== "number") {
        rows.push({ bench: "pruning", metric: `${metric}: ${value}`, value: NaN });
        continue;
      }
      const t = PRUNING_TARGETS[metric];
      rows.push({ bench: "pruning", metric, value, ...(t ? { target: t[0], met: t[1](value) } : {}) });
    }
    return rows;
  },
  kernels: async () => (await benchKernels()).slice(0, 15).map((r) => ({ bench: "kernels (one training step)", metric: `${r.kernel} ms (${r.calls} calls, ${(r.share * 100).toFixed(1)}%)`, value: r.ms })),
  hpo: async () => (await benchHpo()).map((r) => ({ bench: "hpo", ...r })),
  baseline: async () => {
    const r = await benchBaseline();
    return Object.entries(r).map(([metric, value]) => {
      if (typeof value === "string") return { bench: "baseline", metric, value: NaN, note: value };
      const t = BASELINE_TARGETS[metric];
      return { bench: "baseline", metric, value, ...(t ? { target: t[0], met: t[1](value) } : {}) };
    });
  },
  baselineSearch: async () =>
    (await benchBaselineSearch()).map((r) => ({ bench: "baselineSearch (validation accuracy, mean of seeds 1, 2)", metric: r.name, value: r.validationAccuracy, note: r.perSeed.map((v) => v.toFixed(4)).join(" ") })),
  robust: async () => (await benchRobust()).map((r) => ({ bench: "robust", ...r })),
  workbook: () => benchWorkbook(),
  workbookOwnData: () => {
    const dir = makeExampleData();
    // Every model trained in this run: nothing reused from an earlier one.
    for (const d of [workbookModelDir("", dir), workbookRunDir("", dir)]) fs.rmSync(d, { recursive: true, force: true });
    return benchWorkbook(dir);
  },
  qat: benchQat,
  mutation: benchMutation,
  trainSpeed: async () => {
    const r = await benchTrainSpeed();
    const kernels = `${r.backend}${r.native ? " + native" : ""}`;
    return r.rows.flatMap((row) => [
      { bench: "trainSpeed", metric: `ours s/epoch (${row.threads} thread${row.threads > 1 ? "s" : ""}, ${kernels})`, value: row.oursSecondsPerEpoch },
      ...(row.pytorchSecondsPerEpoch !== undefined ? [{ bench: "trainSpeed", metric: `PyTorch s/epoch (${row.threads} thread${row.threads > 1 ? "s" : ""})`, value: row.pytorchSecondsPerEpoch }] : []),
      ...(row.ratio !== undefined ? [{ bench: "trainSpeed", metric: `ours / PyTorch (${row.threads} thread${row.threads > 1 ? "s" : ""})`, value: row.ratio, target: "<= 2", met: row.ratio <= 2 }] : [{ bench: "trainSpeed", metric: `PyTorch skipped: ${row.note}`, value: NaN }]),
    ]);
  },
};

async function main() {
  const backend = await initBackend();
  const wanted = process.argv.slice(2);
  for (const w of wanted) if (!(w in BENCHES)) throw new Error(`Unknown bench "${w}" (have: ${Object.keys(BENCHES).join(", ")})`);
  const runs: Record<string, BenchRun> = {};
  for (const [name, run] of Object.entries(BENCHES)) {
    if (wanted.length ? !wanted.includes(name) : BY_NAME_ONLY.has(name)) continue;
    console.log(`running ${name}…`);
    const start = performance.now();
    const rows = await run();
    runs[name] = { date: new Date().toISOString(), backend: `${backend}${nativeKernelsActive() ? " + native kernels" : ""}`, machine: machineDescription(), gitCommit: gitCommit(), seconds: (performance.now() - start) / 1000, rows };
    console.table(rows.map((r) => ({ ...r, value: Number(r.value.toFixed(4)) })));
    // Recorded as each bench ends, so a later bench that fails loses nothing measured before it.
    recordRuns({ [name]: runs[name] });
    console.log(`Recorded ${name} in ${path.relative(process.cwd(), SUMMARY_JSON)} and summary.md`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
