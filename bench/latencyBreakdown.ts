// Where the final compressed model's latency goes (issue #24's ≥ 30x speed
// target): the chapter's query through the shipped pruned int8 ONNX file as
// notebook 06 runs it (OnnxPipeline, one intra-op thread), split into
// tokenization, the ONNX Runtime feeds, session.run alone, and the whole
// pipeline call, beside the teacher's TF.js pipeline; plus ONNX Runtime's own
// profile of one run (kernels per run, time per operator type); and the same
// model exported with fused attention (one MultiHeadAttention per layer).
//   npm run bench -- latencyBreakdown
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import { BertTokenizer } from "../lib/tokenizers";
import { batchFeeds, createModelForProvider, exportToOnnx, quantizeDynamic } from "../lib/onnx";
import { OnnxPipeline, pipeline } from "../lib/pipelines";
import { AutoModelForSequenceClassification, readConfig } from "../lib/models";
import { MODELS_DIR } from "../lib/workbook/hub";
import type { BenchRow } from "../tools/benchSummary";
import { PIN_QUERY, interleavedLatency } from "./latency";

export const BREAKDOWN_MODEL = "distilbert-clinc-pruned";

interface OperatorShare {
  op: string;
  nodes: number;
  share: number;
}

/** ONNX Runtime's profile of `runs` runs: kernels per run and each operator type's share of kernel time. */
async function ortProfile(file: string, feeds: Record<string, ort.Tensor>, runs = 500): Promise<{ kernelsPerRun: number; operators: OperatorShare[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ort-profile-"));
  try {
    const session = await ort.InferenceSession.create(file, { executionProviders: ["cpu"], intraOpNumThreads: 1, graphOptimizationLevel: "all", enableProfiling: true, profileFilePrefix: path.join(dir, "profile") });
    for (let i = 0; i < runs; i++) await session.run(feeds, ["logits"]);
    session.endProfiling();
    await session.release();
    const [name] = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
    if (!name) throw new Error(`ONNX Runtime wrote no profile in ${dir}`);
    const events = JSON.parse(fs.readFileSync(path.join(dir, name), "utf8")) as { cat?: string; name: string; dur: number; args?: { op_name?: string } }[];
    const kernels = events.filter((e) => e.cat === "Node" && e.name.endsWith("_kernel_time"));
    const time = new Map<string, number>();
    const count = new Map<string, number>();
    for (const e of kernels) {
      const op = e.args?.op_name ?? "?";
      time.set(op, (time.get(op) ?? 0) + e.dur);
      count.set(op, (count.get(op) ?? 0) + 1);
    }
    const total = [...time.values()].reduce((a, b) => a + b, 0);
    const operators = [...time.entries()].sort((a, b) => b[1] - a[1]).map(([op, t]) => ({ op, nodes: count.get(op)! / runs, share: t / total }));
    return { kernelsPerRun: kernels.length / runs, operators };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchLatencyBreakdown(): Promise<BenchRow[]> {
  const dir = path.join(MODELS_DIR, BREAKDOWN_MODEL);
  const file = path.join(dir, "onnx", "model_quantized.onnx");
  const tokenizer = BertTokenizer.fromPretrained(dir);
  const session = await createModelForProvider(file, "cpu", { intraOpNumThreads: 1 });
  const final = new OnnxPipeline(session, tokenizer, readConfig(dir));
  const teacher = pipeline("text-classification", path.join(MODELS_DIR, "bert-clinc-teacher"));
  const feeds = batchFeeds(tokenizer.call([PIN_QUERY]), session.inputNames);
  // The same model exported with each layer's attention as one MultiHeadAttention
  // node (ExportOptions.fuseAttention), quantized the same way: what fusing buys.
  const fusedDir = fs.mkdtempSync(path.join(os.tmpdir(), "fused-attention-"));
  const fusedFile = path.join(fusedDir, "model_quantized.onnx");
  const model = AutoModelForSequenceClassification.fromPretrained(dir, { quiet: true });
  exportToOnnx(model, path.join(fusedDir, "model.onnx"), { fuseAttention: true });
  model.dispose();
  quantizeDynamic(path.join(fusedDir, "model.onnx"), fusedFile);
  const fusedSession = await createModelForProvider(fusedFile, "cpu", { intraOpNumThreads: 1 });
  const ms = await interleavedLatency({
    teacherPipeline: () => teacher(PIN_QUERY),
    finalPipeline: () => final(PIN_QUERY),
    tokenize: () => tokenizer.call([PIN_QUERY]),
    tokenizeAndFeeds: () => batchFeeds(tokenizer.call([PIN_QUERY]), session.inputNames),
    sessionRun: () => session.run(feeds, ["logits"]),
    sessionRunFused: () => fusedSession.run(feeds, ["logits"]),
  });
  const profile = await ortProfile(file, feeds);
  const fusedProfile = await ortProfile(fusedFile, feeds);
  await fusedSession.release();
  fs.rmSync(fusedDir, { recursive: true, force: true });
  final.dispose();
  teacher.dispose();
  const bench = `latencyBreakdown (${BREAKDOWN_MODEL} int8 ONNX, "${PIN_QUERY}")`;
  return [
    { bench, metric: "teacher pipeline ms (TF.js)", value: ms.teacherPipeline },
    { bench, metric: "final pipeline ms (OnnxPipeline, the chapter table's row)", value: ms.finalPipeline },
    { bench, metric: "tokenize ms", value: ms.tokenize },
    { bench, metric: "tokenize + int64 feeds ms", value: ms.tokenizeAndFeeds },
    { bench, metric: "session.run ms (logits only, feeds ready)", value: ms.sessionRun },
    { bench, metric: "pipeline around the run ms (tokenize, feeds, softmax, detector, results)", value: ms.finalPipeline - ms.sessionRun },
    { bench, metric: "teacher / final pipeline (x)", value: ms.teacherPipeline / ms.finalPipeline, target: ">= 30x (issue #24)", met: ms.teacherPipeline / ms.finalPipeline >= 30 },
    { bench, metric: "teacher / session.run alone (x): the ratio if everything around the run were free", value: ms.teacherPipeline / ms.sessionRun },
    { bench, metric: "ONNX Runtime kernels per run (after graph optimization)", value: profile.kernelsPerRun },
    ...profile.operators.slice(0, 8).map((o) => ({ bench, metric: `kernel time share: ${o.op} (${o.nodes} per run)`, value: o.share })),
    { bench, metric: "session.run ms with fused attention (one MultiHeadAttention per layer)", value: ms.sessionRunFused },
    { bench, metric: "fused attention: ONNX Runtime kernels per run", value: fusedProfile.kernelsPerRun },
    { bench, metric: "fused attention: teacher / (session.run + the pipeline around it) (x)", value: ms.teacherPipeline / (ms.sessionRunFused + ms.finalPipeline - ms.sessionRun) },
  ];
}
