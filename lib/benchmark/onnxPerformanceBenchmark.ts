import * as fs from "node:fs";
import type { OnnxClassifier } from "../pipelines/onnxPipeline";
import { Dataset } from "../data/dataset";
import { IntentRow } from "../data/intents";
import { PerformanceBenchmark, BenchmarkablePipeline, BenchmarkOptions } from "./performanceBenchmark";

/**
 * The book's `OnnxPerformanceBenchmark`: the size is that of the .onnx file
 * (plus the out-of-scope detector's tensors, when the pipeline applies one).
 *
 * @example
 * const pb = new OnnxPerformanceBenchmark(new OnnxPipeline(session, tokenizer, model.config), testSet, "Distillation + ORT", "outputs/onnx/model.onnx");
 * perfMetrics = savePerfMetrics(await pb.runBenchmark()); // sizeMb is the .onnx file's
 */
export class OnnxPerformanceBenchmark extends PerformanceBenchmark {
  constructor(pipeline: OnnxClassifier, dataset: Dataset<IntentRow>, optimType: string, readonly modelPath: string, options: BenchmarkOptions = {}) {
    super(pipeline as unknown as BenchmarkablePipeline, dataset, optimType, options);
    if (!fs.existsSync(modelPath)) throw new Error(`OnnxPerformanceBenchmark: ONNX model not found: ${modelPath}`);
  }

  override computeSize(): { sizeMb: number } {
    if (!fs.existsSync(this.modelPath)) throw new Error(`OnnxPerformanceBenchmark: ONNX model not found: ${this.modelPath} (it was there when the benchmark was created)`);
    const sizeMb = (fs.statSync(this.modelPath).size + this.detectorBytes()) / (1024 * 1024);
    this.print(`Model size (MB) - ${sizeMb.toFixed(2)}${this.detectorNote()}`);
    return { sizeMb };
  }
}
