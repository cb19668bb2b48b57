import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Dataset } from "../data/dataset";
import { IntentRow } from "../data/intents";
import { ClassificationResult } from "../pipelines/textClassification";
import type { SequenceClassificationModel } from "../models/sequenceClassification";
import { logger } from "../utils/log";
import { measureLatency } from "../utils/latency";
export { meanStd, measureLatency } from "../utils/latency";

/** One row of the chapter's perf_metrics table. */
export interface BenchmarkMetrics {
  sizeMb: number;
  timeAvgMs: number;
  timeStdMs: number;
  accuracy: number;
}

export type PerfMetrics = Record<string, BenchmarkMetrics>;

/**
 * Anything callable like a text-classification pipeline, with a model to
 * size: one whose `savePretrained` writes model.safetensors (a float model,
 * or a dynamically quantized one with int8 weights).
 */
export interface BenchmarkablePipeline {
  (text: string): Promise<ClassificationResult[]>;
  (texts: readonly string[], options?: { batchSize?: number }): Promise<ClassificationResult[][]>;
  /**
   * What computeSize measures: a model that writes *.safetensors files
   * (savePretrained), or one that runs from an ONNX file (`file`, the ONNX
   * folders that pipeline() loads).
   */
  model?: Partial<Pick<SequenceClassificationModel, "savePretrained">> & { readonly file?: string };
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

  /** Share of rows whose predicted label equals the true intent (names compared, as the book's `str2int`). */
  async computeAccuracy(): Promise<{ accuracy: number }> {
    const labels = this.dataset.features.intent;
    const texts = this.dataset.column("text");
    const preds = await this.pipeline(texts, { batchSize: 64 });
    let correct = 0;
    preds.forEach((p, i) => {
      if (labels.str2int(p[0].label) === this.dataset.rows[i].intent) correct++;
    });
    const accuracy = correct / this.dataset.length;
    this.print(`Accuracy on test set - ${accuracy.toFixed(3)}`);
    return { accuracy };
  }

  /** Size in MB of the model's weights as saved to disk (its `.safetensors` files, like `torch.save(model.state_dict())`). */
  computeSize(): { sizeMb: number } {
    const model = this.pipeline.model;
    if (!model) throw new Error("PerformanceBenchmark.computeSize: the pipeline has no model; override computeSize for this kind of pipeline");
    let sizeMb: number;
    if (!model.savePretrained) {
      if (!model.file) throw new Error("PerformanceBenchmark.computeSize: the pipeline's model neither saves safetensors nor runs from a file; override computeSize for this kind of model");
      sizeMb = fs.statSync(model.file).size / (1024 * 1024);
      this.print(`Model size (MB) - ${sizeMb.toFixed(2)}`);
      return { sizeMb };
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pb-"));
    try {
      model.savePretrained(dir);
      sizeMb = safetensorsBytes(dir) / (1024 * 1024);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    this.print(`Model size (MB) - ${sizeMb.toFixed(2)}`);
    return { sizeMb };
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
