// Intel Extension for Transformers' `trainer.distill(...)`, as a function of
// the compression layer: the Trainer stays a loop, and compression joins it
// through the Trainer's own callback API.
import type { PreTrainedModel } from "../models/modeling";
import type { Trainer } from "../training/trainer";
import { CompressionManager, prepareCompression } from "./manager";
import type { CompressionConfig } from "./types";

/**
 * Trains `trainer`'s model with compression: a config, several
 * (distillation + quantization-aware training + pruning), or a prepared
 * manager. The manager's hooks join the trainer's callbacks for this run
 * only, so the built-in loop and a hand-written one run the same hooks.
 * Returns the trained model.
 *
 * @example
 * const trainer = new Trainer({ model: student, tokenizer, args: { outputDir: "runs/kd" }, trainDataset });
 * await distill(trainer, [new DistillationConfig({ teacherModel: teacher }), new QuantizationAwareTrainingConfig()]);
 */
export async function distill(trainer: Trainer, compression: CompressionConfig | readonly CompressionConfig[] | CompressionManager): Promise<PreTrainedModel> {
  const model = trainer.model;
  if (!model || trainer.hasModelInit()) throw new Error("distill: the trainer needs a model (modelInit is not supported with distill)");
  let manager: CompressionManager;
  if (compression instanceof CompressionManager) {
    if (compression.model !== model) throw new Error("distill: the compression manager was prepared for another model");
    manager = compression;
  } else manager = prepareCompression(model, compression as CompressionConfig | CompressionConfig[]);
  const callback = trainer.addCallback(manager.asTrainerCallback());
  try {
    await trainer.train();
  } finally {
    trainer.removeCallback(callback);
  }
  return model;
}
