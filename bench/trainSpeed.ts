// Training throughput of the teacher architecture (BERT, 4 layers, hidden 256,
// batch 64) on CLINC150 batches, measured side by side with PyTorch (Debian's
// python3-torch, bench/python/train_speed.py) on the very same padded batches:
// one thread against one thread, data-parallel workers against PyTorch's
// threads. `npm run bench -- trainSpeed`; BENCH_TRAIN_STEPS sets the steps
// timed (default 40; an epoch has 239).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { initBackend } from "../lib/backend";
import { loadClinc } from "../lib/data";
import { BertTokenizer } from "../lib/tokenizers";
import { BertForSequenceClassification, labelMaps } from "../lib/models";
import { DataCollatorWithPadding, Trainer, epochBatches, tokenizeDataset } from "../lib/training";
import { nativeKernelsActive } from "../lib/native";
import { withLogLevel } from "../lib/utils/log";

export interface TrainSpeedRow {
  threads: number;
  oursSecondsPerEpoch: number;
  pytorchSecondsPerEpoch?: number;
  /** ours / PyTorch (lower is better; the target is <= 2). */
  ratio?: number;
  note?: string;
}

const PYTHON = "/usr/bin/python3";

function pytorchAvailable(): string | undefined {
  if (!fs.existsSync(PYTHON)) return "no /usr/bin/python3";
  const r = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  return r.status === 0 ? undefined : "python3-torch is not installed (sudo apt-get install python3-torch)";
}

export async function benchTrainSpeed(): Promise<{ backend: string; native: boolean; steps: number; rows: TrainSpeedRow[] }> {
  const backend = await initBackend();
  const clinc = loadClinc();
  const tokenizer = BertTokenizer.bertBaseUncased({ modelMaxLength: 64 }).trimmedTo(clinc.train.column("text"));
  const batch = 64;
  const steps = Number(process.env.BENCH_TRAIN_STEPS ?? 40);
  const data = tokenizeDataset(clinc.train.shuffle(1).head(batch * steps), tokenizer, 64);
  const stepsPerEpoch = Math.ceil(clinc.train.length / batch);
  const seed = 42;
  const config = { vocab_size: tokenizer.vocabSize, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 64, ...labelMaps(clinc.train.features.intent.names) };

  // The batches the Trainer will build (same seed, length grouping, dynamic padding), for PyTorch.
  const collator = new DataCollatorWithPadding({ padTokenId: tokenizer.padTokenId });
  const batches = epochBatches(data.rows.map((r) => r.input_ids.length), batch, seed, true).map((idx) => {
    const b = collator.call(idx.map((i) => data.rows[i]));
    const out = { input_ids: b.input_ids.arraySync(), attention_mask: b.attention_mask.arraySync(), labels: b.labels.arraySync() };
    Object.values(b).forEach((t) => t.dispose());
    return out;
  });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "train-speed-")), "batches.json");
  fs.writeFileSync(file, JSON.stringify({ vocab: tokenizer.vocabSize, labels: config.id2label ? Object.keys(config.id2label).length : 151, batches }));
  const noTorch = pytorchAvailable();

  const ours = async (workers: number) => {
    const model = BertForSequenceClassification.fromConfig(config);
    const trainer = new Trainer({ model, tokenizer, trainDataset: data, args: { outputDir: path.join(os.tmpdir(), "bench-train"), numTrainEpochs: 1, perDeviceTrainBatchSize: batch, evaluationStrategy: "no", saveStrategy: "no", disableTqdm: true, dataParallelWorkers: workers, learningRate: 1e-4, labelSmoothingFactor: 0.1, seed } });
    const out = await withLogLevel("warn", () => trainer.train());
    model.dispose();
    return (out.metrics.trainRuntime / out.globalStep) * stepsPerEpoch;
  };
  const torch = (threads: number) => {
    const r = spawnSync(PYTHON, [path.join(__dirname, "python", "train_speed.py"), file, String(threads)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`PyTorch side failed: ${r.stderr.trim().split("\n").at(-1)}`);
    return JSON.parse(r.stdout.trim().split("\n").at(-1)!).secondsPerStep * stepsPerEpoch;
  };

  const rows: TrainSpeedRow[] = [];
  for (const threads of [1, 2]) {
    const o = await ours(threads);
    const p = noTorch ? undefined : torch(threads);
    rows.push({ threads, oursSecondsPerEpoch: o, pytorchSecondsPerEpoch: p, ratio: p ? o / p : undefined, note: noTorch ?? (threads > 1 ? "ours: data-parallel workers; PyTorch: intra-op threads" : undefined) });
  }
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { backend, native: nativeKernelsActive(), steps, rows };
}
