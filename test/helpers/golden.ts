// Short, fully seeded training runs whose per-step losses are recorded in
// test/fixtures/training_golden.json (see make_training_golden.ts).
import { distill } from "../../lib/compression";
import * as tf from "@tensorflow/tfjs-core";
import { ClassLabel, Dataset } from "../../lib/data";
import { BertTokenizer } from "../../lib/tokenizers";
import { BertForSequenceClassification, PreTrainedModel, labelMaps } from "../../lib/models";
import { EncodedRow, Trainer } from "../../lib/training";
import { DistillationConfig, DistillationTrainer, IntermediateLayersKnowledgeDistillationLossConfig, KnowledgeDistillationLossConfig, studentInit } from "../../lib/distillation";
import { Random } from "../../lib/utils/random";
import { setLogLevel } from "../../lib/utils/log";

export const goldenTokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")]);

/** 49 rows (shards of a 16-row batch split unevenly), lengths 3–10, label = whether token 5 occurs. */
export function goldenData(n = 49, seed = 7): Dataset<EncodedRow> {
  const rng = new Random(seed);
  const rows: EncodedRow[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(8);
    const body = Array.from({ length: len }, () => 6 + rng.int(19));
    const label = i % 2;
    if (label) body[rng.int(len)] = 5;
    rows.push({ input_ids: [2, ...body, 3], label });
  }
  return new Dataset(rows, { intent: new ClassLabel(["no", "yes"]) });
}

export const goldenTeacher = () =>
  BertForSequenceClassification.fromConfig({ vocab_size: goldenTokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 4, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(["no", "yes"]) }, { seed: 3 });

export interface GoldenResult {
  losses: number[];
  weightSum: number;
  weightAbsSum: number;
}

function summarize(trainer: Trainer, model: PreTrainedModel): GoldenResult {
  const losses = trainer.state.logHistory.filter((e) => e.loss !== undefined).map((e) => e.loss as number);
  let s = 0;
  let a = 0;
  for (const v of model.params.values()) {
    const d = v.dataSync();
    for (let i = 0; i < d.length; i++) {
      s += d[i];
      a += Math.abs(d[i]);
    }
  }
  return { losses, weightSum: s, weightAbsSum: a };
}

const base = { numTrainEpochs: 2, learningRate: 3e-3, perDeviceTrainBatchSize: 16, evaluationStrategy: "no" as const, loggingSteps: 1, disableTqdm: true, seed: 11 };

type Run = (dir: string) => Promise<GoldenResult>;

function distilRun(opts: { workers: number; cache: boolean; alpha: number; temperature: number; tokenMaskProb?: number }): Run {
  return async (dir) => {
    const teacher = goldenTeacher();
    const student = studentInit(teacher, { init: "distilbert" });
    const t = new DistillationTrainer({
      model: student,
      teacherModel: teacher,
      tokenizer: goldenTokenizer,
      cacheTeacherLogits: opts.cache,
      tokenMaskProb: opts.tokenMaskProb,
      args: { ...base, outputDir: dir, alpha: opts.alpha, temperature: opts.temperature, dataParallelWorkers: opts.workers, labelSmoothingFactor: 0.1 },
      trainDataset: goldenData(),
    });
    await t.train();
    const r = summarize(t, student);
    student.dispose();
    teacher.dispose();
    return r;
  };
}

export const GOLDEN_RUNS: Record<string, Run> = {
  "trainer ce+smoothing+mask, 1 thread": async (dir) => {
    const m = goldenTeacher();
    const t = new Trainer({ model: m, tokenizer: goldenTokenizer, tokenMaskProb: 0.15, args: { ...base, outputDir: dir, labelSmoothingFactor: 0.1 }, trainDataset: goldenData() });
    await t.train();
    const r = summarize(t, m);
    m.dispose();
    return r;
  },
  "trainer ce+smoothing, 2 workers": async (dir) => {
    const m = goldenTeacher();
    const t = new Trainer({ model: m, tokenizer: goldenTokenizer, args: { ...base, outputDir: dir, labelSmoothingFactor: 0.1, dataParallelWorkers: 2 }, trainDataset: goldenData() });
    await t.train();
    const r = summarize(t, m);
    m.dispose();
    return r;
  },
  "distillation a0.5 T2 cached, 1 thread": distilRun({ workers: 1, cache: true, alpha: 0.5, temperature: 2 }),
  "distillation a0.5 T2 cached, 2 workers": distilRun({ workers: 2, cache: true, alpha: 0.5, temperature: 2 }),
  "distillation a0.3 T5 uncached, masked inputs": distilRun({ workers: 1, cache: false, alpha: 0.3, temperature: 5, tokenMaskProb: 0.15 }),
  "distillation a1 (alone), 2 workers": distilRun({ workers: 2, cache: true, alpha: 1, temperature: 2 }),
  "trainer.distill logits criterion": async (dir) => {
    const teacher = goldenTeacher();
    const student = studentInit(teacher, { init: "distilbert" });
    const config = new DistillationConfig({ teacherModel: teacher, criterion: new KnowledgeDistillationLossConfig({ temperature: 2, lossTypes: ["CE", "KL"], lossWeightRatio: [0.4, 0.6] }) });
    const t = new Trainer({ model: student, tokenizer: goldenTokenizer, args: { ...base, outputDir: dir }, trainDataset: goldenData() });
    await distill(t, config);
    const r = summarize(t, student);
    student.dispose();
    teacher.dispose();
    return r;
  },
  "trainer.distill layers criterion": async (dir) => {
    const teacher = goldenTeacher();
    const student = studentInit(teacher, { init: "distilbert" });
    const config = new DistillationConfig({
      teacherModel: teacher,
      criterion: new IntermediateLayersKnowledgeDistillationLossConfig({ layerMappings: [["hidden_states.1", "hidden_states.2"], ["hidden_states.2", "hidden_states.4"]], addOriginLoss: true }),
    });
    const t = new Trainer({ model: student, tokenizer: goldenTokenizer, args: { ...base, outputDir: dir }, trainDataset: goldenData() });
    await distill(t, config);
    const r = summarize(t, student);
    student.dispose();
    teacher.dispose();
    return r;
  },
};

export async function runGolden(name: string, dir: string): Promise<GoldenResult> {
  const prev = setLogLevel("warn");
  try {
    return await GOLDEN_RUNS[name](dir);
  } finally {
    setLogLevel(prev);
  }
}

export { tf };
