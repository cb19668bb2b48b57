// One call for a notebook's setup cell: the profile, the backend, the data,
// the benchmark's test set and options, the models the notebook starts from,
// and the perf table with the "BERT baseline" row the charts compare against.
import * as path from "node:path";
import { BackendName, initBackend } from "../backend";
import type { DatasetDict, IntentDataset } from "../data";
import { BertTokenizer } from "../tokenizers";
import { AutoModelForSequenceClassification, PreTrainedModel } from "../models";
import { pipeline } from "../pipelines";
import { DEMO_METRICS_FILE, PERF_METRICS_FILE, demoMetricsFile, perfMetricsFile, PerfMetrics, PerformanceBenchmark, loadPerfMetrics, resetPerfMetrics, savePerfMetrics } from "../benchmark";
import { WorkbookProfile, profileBenchmarkOptions, profileTestSet, workbookProfile } from "./profile";
import { loadWorkbookData, workbookDataName, workbookModelName } from "./data";
import { workbookStudent, workbookTeacher } from "./models";
import { bestShippedModel } from "./hub";
import { logger } from "../utils/log";

/**
 * The name of the teacher's row in the perf table: every chart compares against it.
 *
 * @example perfMetrics[BASELINE_ROW].accuracy; // the teacher's accuracy on the profile's test rows
 */
export const BASELINE_ROW = "BERT baseline";

/** A model a notebook compresses: its folder and the name of its row in the perf table. */
export interface ChapterStudent {
  name: string;
  dir: string;
  optimType: string;
}

export interface ChapterOptions {
  /**
   * Start the perf table afresh and benchmark nothing (notebook 01, whose own
   * BERT baseline becomes the table's first row). Otherwise the table is
   * loaded and its "BERT baseline" row is benchmarked once when missing.
   */
  freshPerfTable?: boolean;
  /** Resolve the teacher's folder (`teacherDir`; trained first when it must be), and with "model" load it too (`teacher`). */
  teacher?: "dir" | "model";
  /**
   * The model the notebook compresses (`student`), whose row is benchmarked
   * once when missing: "best" is bestShippedModel() (the tuned student when
   * there is one, notebooks 04–05), "distilled" the distilled student
   * (notebook 06). `tokenizer` is then its tokenizer (else the teacher's).
   */
  student?: "best" | "distilled";
  /** Also load the student (`model`); its row is then measured on this instance. */
  studentModel?: boolean;
  /** The folder of perf_metrics.json and demo_metrics.json (default: outputs/, where the notebooks and `npm start` keep them). */
  metricsDir?: string;
}

/** What setupChapter returns for any options; the fields a given option asks for are made required by {@link ChapterSetup}. */
export interface Chapter {
  profile: WorkbookProfile;
  backend: BackendName;
  /** The workbook's data: CLINC150, or WORKBOOK_DATA's splits. */
  data: DatasetDict;
  /** The rows the benchmarks measure: the test split, or the profile's subset of it (profileTestSet). */
  testSet: IntentDataset;
  /** PerformanceBenchmark's warm-up and timed runs for the profile. */
  benchOptions: { warmupRuns: number; timedRuns: number };
  /** The perf table so far (with the "BERT baseline" row unless freshPerfTable). */
  perfMetrics: PerfMetrics;
  teacherDir?: string;
  teacher?: PreTrainedModel;
  student?: ChapterStudent;
  model?: PreTrainedModel;
  tokenizer?: BertTokenizer;
}

/** setupChapter's result for options O: `teacherDir` with `teacher`, `teacher` with "model", `student` and `tokenizer` with `student`, `model` with `studentModel`. */
export type ChapterSetup<O extends ChapterOptions> = Chapter &
  (O extends { teacher: "dir" | "model" } ? { teacherDir: string; tokenizer: BertTokenizer } : unknown) &
  (O extends { teacher: "model" } ? { teacher: PreTrainedModel } : unknown) &
  (O extends { student: "best" | "distilled" } ? { student: ChapterStudent; tokenizer: BertTokenizer } : unknown) &
  (O extends { studentModel: true } ? { model: PreTrainedModel } : unknown);

/** Benchmarks a model folder (or a loaded model with its tokenizer) into the perf table; a pipeline it loaded is disposed. */
async function benchmarkRow(model: string | { model: PreTrainedModel; tokenizer: BertTokenizer }, chapter: Chapter, optimType: string, file: string): Promise<PerfMetrics> {
  const pipe = typeof model === "string" ? pipeline("text-classification", model) : pipeline("text-classification", model.model, { tokenizer: model.tokenizer });
  try {
    return savePerfMetrics(await new PerformanceBenchmark(pipe, chapter.testSet, optimType, chapter.benchOptions).runBenchmark(), file);
  } finally {
    if (typeof model === "string") pipe.dispose();
  }
}

/**
 * A notebook's setup in one call: initialises the backend, reads the profile
 * (WORKBOOK_PROFILE), loads the data (loadWorkbookData, so WORKBOOK_DATA is
 * respected), picks the profile's test set and benchmark options, resolves
 * and loads the models asked for, and loads the perf table with the
 * "BERT baseline" row ensured: benchmarked once, here, when an earlier
 * notebook has not measured it (so every notebook runs on its own); with
 * `student`, that model's row too. Prints a one-line summary.
 *
 * @example
 * const { profile, data, testSet, benchOptions, teacher, tokenizer, perfMetrics } = await setupChapter({ teacher: "model" });
 * // Profile: smoke (test rows: 550, timed runs: 20); data: clinc150; teacher: bert-clinc-teacher; rows so far: BERT baseline
 * @example
 * // Notebook 01 measures the baseline itself, in a fresh table:
 * const { data, testSet, benchOptions } = await setupChapter({ freshPerfTable: true });
 */
export async function setupChapter<O extends ChapterOptions = {}>(options?: O): Promise<ChapterSetup<O>> {
  const { freshPerfTable = false, teacher, student, studentModel = false, metricsDir } = (options ?? {}) as ChapterOptions;
  if (studentModel && !student) throw new Error('setupChapter: studentModel needs a student ("best" or "distilled")');
  const perfFile = metricsDir ? path.join(metricsDir, path.basename(PERF_METRICS_FILE)) : perfMetricsFile();
  const demoFile = metricsDir ? path.join(metricsDir, path.basename(DEMO_METRICS_FILE)) : demoMetricsFile();

  const profile = workbookProfile();
  const backend = await initBackend();
  const data = loadWorkbookData();
  const chapter: Chapter = { profile, backend, data, testSet: profileTestSet(profile, data.test), benchOptions: profileBenchmarkOptions(profile), perfMetrics: {} };
  if (student === "best") chapter.student = bestShippedModel();
  else if (student === "distilled") chapter.student = { name: workbookModelName("distilbert-clinc-distilled"), dir: await workbookStudent("distill"), optimType: "Distillation" };
  if (teacher) chapter.teacherDir = await workbookTeacher();
  if (teacher === "model") chapter.teacher = AutoModelForSequenceClassification.fromPretrained(chapter.teacherDir!, { quiet: true });
  if (chapter.student && studentModel) chapter.model = AutoModelForSequenceClassification.fromPretrained(chapter.student.dir, { quiet: true });
  if (chapter.student || chapter.teacherDir) chapter.tokenizer = BertTokenizer.fromPretrained(chapter.student?.dir ?? chapter.teacherDir!);

  if (freshPerfTable) resetPerfMetrics(perfFile, demoFile);
  else {
    chapter.perfMetrics = loadPerfMetrics(perfFile);
    if (!chapter.perfMetrics[BASELINE_ROW]) chapter.perfMetrics = await benchmarkRow(chapter.teacherDir ?? (await workbookTeacher()), chapter, BASELINE_ROW, perfFile);
    const s = chapter.student;
    if (s && !chapter.perfMetrics[s.optimType]) {
      chapter.perfMetrics = await benchmarkRow(chapter.model ? { model: chapter.model, tokenizer: chapter.tokenizer! } : s.dir, chapter, s.optimType, perfFile);
    }
  }

  const rows = Object.keys(chapter.perfMetrics);
  logger.info(
    [
      `Profile: ${profile.name} (test rows: ${chapter.testSet.length}, timed runs: ${profile.timedRuns})`,
      `data: ${workbookDataName()}`,
      ...(chapter.teacherDir ? [`teacher: ${path.basename(chapter.teacherDir)}`] : []),
      ...(chapter.student ? [`model: ${chapter.student.name} (${chapter.student.optimType})`] : []),
      freshPerfTable ? "a fresh perf table" : `rows so far: ${rows.join(", ")}`,
    ].join("; "),
  );
  return chapter as ChapterSetup<O>;
}
