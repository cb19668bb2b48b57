import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Dataset } from "../data/dataset";
import { IntentRow } from "../data/intents";
import { ClassificationResult } from "../pipelines/textClassification";
import type { SequenceClassificationModel } from "../models/sequenceClassification";
import { logger } from "../utils/log";
import { measureLatency } from "../utils/latency";
import { intentReport } from "../evaluation";
import { oosRanking } from "../oos/metrics";
export { meanStd, measureLatency } from "../utils/latency";

/** One row of the chapter's perf_metrics table. */
export interface BenchmarkMetrics {
  sizeMb: number;
  timeAvgMs: number;
  timeStdMs: number;
  accuracy: number;
  /** Accuracy on in-scope rows, and the share of out-of-scope rows caught (absent without an oos class). */
  inScopeAccuracy?: number;
  oosRecall?: number;
  /** Threshold-free: how the pipeline's out-of-scope score ranks in-scope above out-of-scope rows (absent when it gives no score). */
  auroc?: number;
  /** Share of out-of-scope rows taken as in scope at 95% in-scope recall. */
  fpr95?: number;
  /** The out-of-scope rule the pipeline applied (softmax, energy, mahalanobis, knn). */
  oosDetector?: string;
}

export type PerfMetrics = Record<string, BenchmarkMetrics>;

/**
 * Anything callable like a text-classification pipeline, with a model to
 * size: one whose `savePretrained` writes model.safetensors (a float model,
 * or a dynamically quantized one with int8 weights).
 */
export interface BenchmarkablePipeline {
  (text: string): Promise<ClassificationResult[]>;
  (texts: readonly string[], options?: { batchSize?: number; withOosScore?: boolean }): Promise<ClassificationResult[][]>;
  /**
   * What computeSize measures: a model that writes *.safetensors files
   * (savePretrained), or one that runs from an ONNX file (`file`, the ONNX
   * folders that pipeline() loads).
   */
  model?: Partial<Pick<SequenceClassificationModel, "savePretrained">> & { readonly file?: string };
  /** The out-of-scope detector the pipeline applies (its tensors count in the size). */
  readonly oosDetector?: { readonly kind: string; readonly byteSize: number } | null;
}

/** Bytes of every `.safetensors` file under a folder (an ensemble saves one per member). */
function safetensorsBytes(dir: string): number {
  let bytes = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) bytes += safetensorsBytes(p);
    else if (e.name.endsWith(".safetensors")) bytes += fs.statSync(p).size;
  }
  return bytes;
}

export interface BenchmarkOptions {
  /** Untimed calls before timing (the book: 10). */
  warmupRuns?: number;
  /** Timed calls (the book: 100). */
  timedRuns?: number;
  /** Print the book's three lines. Default true. */
  verbose?: boolean;
}

/**
 * The chapter's benchmark: accuracy on a labelled set, model size on disk,
 * and latency of one query. Subclass and override `computeSize` for other
 * model kinds (the ONNX benchmark measures the .onnx file).
 *
 * @example
 * const pb = new PerformanceBenchmark(pipe, clinc.test);
 * const perfMetrics = await pb.runBenchmark(); // { "BERT baseline": { sizeMb, timeAvgMs, timeStdMs, accuracy } }
 */
export class PerformanceBenchmark {
  readonly options: Required<BenchmarkOptions>;

  constructor(
    readonly pipeline: BenchmarkablePipeline,
    readonly dataset: Dataset<IntentRow>,
    readonly optimType = "BERT baseline",
    options: BenchmarkOptions = {},
  ) {
    if (typeof pipeline !== "function") throw new Error("PerformanceBenchmark: pipeline must be callable (a text-classification pipeline)");
    if (!dataset || dataset.length === 0) throw new Error("PerformanceBenchmark: the dataset is empty");
    this.options = { warmupRuns: 10, timedRuns: 100, verbose: true, ...options };
  }

  protected print(line: string): void {
    if (this.options.verbose) logger.info(line);
  }

  /**
   * Share of rows whose predicted label equals the true intent (names
   * compared, as the book's `str2int`). With an oos class it also gives
   * in-scope accuracy, oos recall and, from the pipeline's out-of-scope
   * scores, AUROC and FPR95: a detector's quality apart from its threshold.
   */
  async computeAccuracy(): Promise<Pick<BenchmarkMetrics, "accuracy" | "inScopeAccuracy" | "oosRecall" | "auroc" | "fpr95" | "oosDetector">> {
    const labels = this.dataset.features.intent;
    const texts = this.dataset.column("text");
    const preds = await this.pipeline(texts, { batchSize: 64, withOosScore: true });
    const truth = this.dataset.rows.map((r) => r.intent);
    const predicted = preds.map((p) => labels.str2int(p[0].label));
    const oosId = labels.names.includes("oos") ? labels.str2int("oos") : undefined;
    const report = intentReport(predicted, truth, oosId);
    const { accuracy } = report;
    this.print(`Accuracy on test set - ${accuracy.toFixed(3)}`);
    const out: Awaited<ReturnType<PerformanceBenchmark["computeAccuracy"]>> = { accuracy };
    if (report.inScopeAccuracy !== null) out.inScopeAccuracy = report.inScopeAccuracy;
    if (report.oosRecall !== null) out.oosRecall = report.oosRecall;
    const scores = preds.map((p) => p[0].oosScore);
    if (oosId !== undefined && report.oosRecall !== null && scores.every((s): s is number => typeof s === "number")) {
      Object.assign(out, oosRanking(scores, truth, oosId));
      this.print(`Out of scope - in-scope accuracy ${out.inScopeAccuracy!.toFixed(3)}, oos recall ${out.oosRecall!.toFixed(3)}, AUROC ${out.auroc!.toFixed(3)}, FPR95 ${out.fpr95!.toFixed(3)}`);
    }
    const detector = this.pipeline.oosDetector;
    if (detector) out.oosDetector = detector.kind;
    return out;
  }

  /**
   * Size in MB of the model's weights as saved to disk (its `.safetensors`
   * files, like `torch.save(model.state_dict())`), plus the tensors of the
   * out-of-scope detector the pipeline applies.
   */
  computeSize(): { sizeMb: number } {
    const model = this.pipeline.model;
    if (!model) throw new Error("PerformanceBenchmark.computeSize: the pipeline has no model; override computeSize for this kind of pipeline");
    let sizeMb: number;
    if (!model.savePretrained) {
      if (!model.file) throw new Error("PerformanceBenchmark.computeSize: the pipeline's model neither saves safetensors nor runs from a file; override computeSize for this kind of model");
      sizeMb = (fs.statSync(model.file).size + this.detectorBytes()) / (1024 * 1024);
      this.print(`Model size (MB) - ${sizeMb.toFixed(2)}${this.detectorNote()}`);
      return { sizeMb };
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-"));
    try {
      model.savePretrained(dir);
      sizeMb = (safetensorsBytes(dir) + this.detectorBytes()) / (1024 * 1024);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    this.print(`Model size (MB) - ${sizeMb.toFixed(2)}${this.detectorNote()}`);
    return { sizeMb };
  }

  /** Bytes of the out-of-scope detector's tensors the pipeline applies: part of what is deployed, so part of the size. */
  protected detectorBytes(): number {
    return this.pipeline.oosDetector?.byteSize ?? 0;
  }

  protected detectorNote(): string {
    const bytes = this.detectorBytes();
    return bytes > 0 ? ` (with the ${this.pipeline.oosDetector!.kind} detector's ${(bytes / (1024 * 1024)).toFixed(2)} MB)` : "";
  }

  /** Latency of one query: warm-up runs, then timed runs on the high-resolution clock. */
  async timePipeline(query = "What is the pin number for my account?"): Promise<{ timeAvgMs: number; timeStdMs: number }> {
    if (typeof query !== "string" || !query.trim()) throw new Error("PerformanceBenchmark.timePipeline: the query must be a non-empty string");
    const { mean, std } = await measureLatency(() => this.pipeline(query), this.options);
    this.print(`Average latency (ms) - ${mean.toFixed(2)} +\\- ${std.toFixed(2)}`);
    return { timeAvgMs: mean, timeStdMs: std };
  }

  async runBenchmark(): Promise<PerfMetrics> {
    const size = this.computeSize();
    const time = await this.timePipeline();
    const acc = await this.computeAccuracy();
    return { [this.optimType]: { ...size, ...time, ...acc } };
  }
}
