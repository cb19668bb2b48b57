// Training throughput of the teacher architecture on CLINC150, one thread vs
// data-parallel workers, against the PyTorch 1.13 reference on this machine
// (about 45 s per epoch at batch 64). Writes bench/results/train_speed.json.
import * as path from "node:path";
import { initBackend } from "../lib/backend";
import { loadClinc } from "../lib/data";
import { BertTokenizer } from "../lib/tokenizers";
import { BertForSequenceClassification, labelMaps } from "../lib/models";
import { Trainer, tokenizeDataset } from "../lib/training";
import { writeJsonAtomic } from "../lib/utils/fs";

const PYTORCH_SECONDS_PER_EPOCH = 45;

export interface TrainSpeedRow { workers: number; batch: number; steps: number; secondsPerStep: number; secondsPerEpoch: number; ratioToPytorch: number }

export async function benchTrainSpeed(): Promise<TrainSpeedRow[]> {
  const backend = await initBackend();
  const clinc = loadClinc();
  const tokenizer = BertTokenizer.bertBaseUncased({ modelMaxLength: 64 }).trimmedTo(clinc.train.column("text"));
  const batch = 64;
  const steps = Number(process.env.BENCH_TRAIN_STEPS ?? 16);
  const rows = tokenizeDataset(clinc.train.shuffle(1).head(batch * steps), tokenizer, 64);
  const stepsPerEpoch = Math.ceil(clinc.train.length / batch);
  const results: TrainSpeedRow[] = [];
  for (const workers of [1, 2]) {
    const model = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 64, ...labelMaps(clinc.train.features.intent.names) });
    const trainer = new Trainer({ model, tokenizer, trainDataset: rows, args: { outputDir: "/tmp/bench-train", numTrainEpochs: 1, perDeviceTrainBatchSize: batch, evaluationStrategy: "no", disableTqdm: true, dataParallelWorkers: workers, learningRate: 1e-4 } });
    const out = await trainer.train();
    const secondsPerStep = out.metrics.trainRuntime / out.globalStep;
    const secondsPerEpoch = secondsPerStep * stepsPerEpoch;
    results.push({ workers, batch, steps: out.globalStep, secondsPerStep, secondsPerEpoch, ratioToPytorch: secondsPerEpoch / PYTORCH_SECONDS_PER_EPOCH });
    model.dispose();
  }
  writeJsonAtomic(path.join(__dirname, "results", "train_speed.json"), { backend, date: new Date().toISOString(), pytorchSecondsPerEpoch: PYTORCH_SECONDS_PER_EPOCH, results });
  return results;
}
