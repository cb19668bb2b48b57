// The recipe behind the "Bag-of-words baseline" row: train on a dataset's
// training split, keep the epoch with the best validation accuracy, report
// the test split, and write an HF-like folder.
import * as path from "node:path";
import { DatasetDict, dataFingerprintOf, loadClinc } from "../data";
import { BertTokenizer } from "../tokenizers";
import { IntentReport, intentReport } from "../evaluation";
import { BackendName, initBackend } from "../backend";
import { TEACHER_CHECKPOINT, OUTPUTS_DIR } from "./hub";
import { saveOosThreshold, withFallback } from "./recipes";
import { fitModelOosDetector } from "./oosRecipe";
import { writeJsonAtomic } from "../utils/fs";
import { logger } from "../utils/log";
import { BagOfWordsClassifier } from "../models/bagOfWords/model";
import { bagOfWordsConfig } from "../models/bagOfWords/config";
import { BagOfWordsFeaturizer } from "../models/bagOfWords/features";
import { BOW_TRAINING_DEFAULTS, BagOfWordsEpochLog, BagOfWordsExample, BagOfWordsTrainingArgs, predictBagOfWords, trainBagOfWordsClassifier } from "../baseline/trainer";

function withoutSeed({ seed: _seed, ...rest }: BagOfWordsTrainingArgs): Omit<BagOfWordsTrainingArgs, "seed"> {
  return rest;
}

/** Everything that decides the trained model (features, architecture, training). */
export interface BagOfWordsRecipe extends Omit<BagOfWordsTrainingArgs, "seed"> {
  /** Hashed-bigram buckets (0: unigrams only). */
  numBuckets: number;
  /** Hidden layer width (0: linear model). */
  hiddenSize: number;
  dropout: number;
  sublinearTf: boolean;
  /** Truncation length of the tokenizer ([CLS] and [SEP] included), as the transformers' recipes. */
  maxLength: number;
  /** How many times each `oos` training row is seen per epoch (1: once), as the students' recipe. */
  oosOversample: number;
}

/**
 * Defaults, chosen on CLINC150's validation split only (3,100 queries; the
 * test split was not looked at). One change at a time from a first guess
 * (MLP 256, 8,192 bigram buckets, dropout 0.3, lr 2e-3, label smoothing 0.1,
 * sublinear tf), best-epoch validation accuracy by seed (seed 42 first, then
 * seeds 1 and 2 for the closest variants):
 *
 * | variant                          | seed 42 | seed 1 | seed 2 |
 * |----------------------------------|--------:|-------:|-------:|
 * | first guess                      |  0.9039 | 0.9100 | 0.9048 |
 * | no label smoothing (chosen)      |  0.9110 | 0.9116 | 0.9097 |
 * | dropout 0.5                      |  0.9081 | 0.9110 | 0.9042 |
 * | dropout 0.5, no label smoothing  |         | 0.9110 | 0.9068 |
 * | unigrams only (0 buckets)        |  0.9065 | 0.9061 | 0.8984 |
 * | 32,768 buckets                   |  0.9065 |        |        |
 * | hidden 512                       |  0.9016 |        |        |
 * | learning rate 5e-3               |  0.9039 |        |        |
 * | oos rows x4                      |  0.9039 |        |        |
 * | raw tf (not sublinear)           |  0.9035 |        |        |
 * | linear, lr 1e-2 (2e-3: 0.8626)   |  0.8916 |        |        |
 *
 * Every variant but the linear model is within about half a point; no label
 * smoothing is the only change that helps with all three seeds. `npm run bench -- baselineSearch` reruns these
 * variants with seeds 1 and 2 (see bench/baseline.ts).
 *
 * @example
 * await trainBagOfWords({ ...BOW_RECIPE, seed: 1, hiddenSize: 0 }); // a linear variant
 */
export const BOW_RECIPE: BagOfWordsRecipe = {
  numBuckets: 8192,
  hiddenSize: 256,
  dropout: 0.3,
  sublinearTf: true,
  maxLength: 64,
  oosOversample: 1,
  // Training: the trainer's defaults (which are this recipe's), the seed left to each run.
  ...withoutSeed(BOW_TRAINING_DEFAULTS),
};

export interface TrainBagOfWordsOptions extends Partial<BagOfWordsRecipe> {
  /** Seeds the initialisation, batch order and dropout. */
  seed: number;
  /** Train, validation and test splits. Default: CLINC150 (`loadClinc()`). */
  dataset?: DatasetDict;
  /** A tokenizer or a folder holding one. Default: the shipped teacher's, so the ids match BERT's. */
  tokenizer?: BertTokenizer | string;
  /** Folder to write. Default: outputs/models/bow-clinc (never data/models: what ships is decided elsewhere). */
  out?: string;
}

export interface BagOfWordsResult {
  dir: string;
  model: BagOfWordsClassifier;
  tokenizer: BertTokenizer;
  /** Accuracy, in-scope accuracy and oos recall on the test split (in-scope = all rows when there is no `oos` label). */
  test: IntentReport;
  validationAccuracy: number;
  bestEpoch: number;
  secondsPerEpoch: number;
  history: BagOfWordsEpochLog[];
}

const OPTION_KEYS = new Set(["seed", "dataset", "tokenizer", "out", ...Object.keys(BOW_RECIPE)]);

/**
 * Trains the "Bag-of-words baseline": TF-IDF unigrams and hashed bigrams of
 * the teacher tokenizer's ids, a one-hidden-layer MLP, best epoch on
 * validation accuracy. Writes config.json, model.safetensors, the tokenizer
 * files and training_report.json (recipe, per-epoch validation accuracy,
 * test report) to `out`.
 *
 * @example
 * const { model, test, dir } = await trainBagOfWords({ seed: 42 });
 * test.accuracy; // ≈ 0.85 on CLINC150's 5,500 test queries
 */
export async function trainBagOfWords(options: TrainBagOfWordsOptions): Promise<BagOfWordsResult> {
  if (!options || !Number.isFinite(options.seed)) throw new Error(`trainBagOfWords: options.seed must be a finite number, got ${options?.seed}`);
  for (const k of Object.keys(options)) if (!OPTION_KEYS.has(k)) throw new Error(`trainBagOfWords: unknown option "${k}" (known: ${[...OPTION_KEYS].join(", ")})`);
  const backend: BackendName = await initBackend();
  const { seed, dataset: ds, tokenizer: tok, out: outOption, ...overrides } = options;
  const recipe: BagOfWordsRecipe = { ...BOW_RECIPE, ...overrides };
  if (!(Number.isInteger(recipe.oosOversample) && recipe.oosOversample >= 1)) throw new Error(`trainBagOfWords: oosOversample must be an integer >= 1, got ${recipe.oosOversample}`);
  const dataset = ds ?? loadClinc();
  const tokenizer = tok instanceof BertTokenizer ? tok : BertTokenizer.fromPretrained(tok ?? TEACHER_CHECKPOINT);
  const out = outOption ?? path.join(OUTPUTS_DIR, "models", "bow-clinc");
  const names = dataset.train.features.intent.names;
  const oosId = names.indexOf("oos");
  const maxLength = Math.min(recipe.maxLength, tokenizer.modelMaxLength);
  const encode = (split: keyof DatasetDict): BagOfWordsExample[] => dataset[split].rows.map((r) => ({ input_ids: tokenizer.encode(r.text, { maxLength }).input_ids, label: r.intent }));
  const train = encode("train");
  const validation = encode("validation");
  const test = encode("test");

  const ignored = [tokenizer.padTokenId, tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.maskTokenId];
  const config = bagOfWordsConfig({
    vocab_size: tokenizer.vocabSize,
    ignored_token_ids: ignored,
    num_buckets: recipe.numBuckets,
    sublinear_tf: recipe.sublinearTf,
    hidden_size: recipe.hiddenSize,
    dropout: recipe.dropout,
    max_length: maxLength,
    num_documents: train.length,
    ...dataset.train.features.intent.toConfigMaps(),
  });
  // The IDF sees each training query once, whatever the oversampling.
  const featurizer = BagOfWordsFeaturizer.fit(train.map((e) => e.input_ids), { vocabSize: config.vocab_size, numBuckets: config.num_buckets, ignoredTokenIds: ignored, sublinearTf: config.sublinear_tf });
  const model = new BagOfWordsClassifier(config, featurizer.idf, { seed });
  logger.info(`BagOfWordsClassifier: ${featurizer.numFeatures} features (${tokenizer.vocabSize} unigrams + ${recipe.numBuckets} bigram buckets), hidden ${recipe.hiddenSize}, ${(model.numParameters() / 1e6).toFixed(2)}M parameters; backend ${backend}`);
  const oosRows = oosId >= 0 ? train.filter((e) => e.label === oosId) : [];
  const trainRows = [...train, ...Array.from({ length: recipe.oosOversample - 1 }, () => oosRows).flat()];
  const { numBuckets: _b, hiddenSize: _h, dropout: _d, sublinearTf: _s, maxLength: _m, oosOversample: _o, ...trainingArgs } = recipe;
  const output = trainBagOfWordsClassifier(model, trainRows, validation, { ...trainingArgs, seed });
  // The same rule as the transformers' recipes: an out-of-scope fallback threshold tuned on validation, saved with the model.
  const oos = oosId >= 0 ? oosId : undefined;
  const fallback = saveOosThreshold(model, predictBagOfWords(model, validation), validation.map((e) => e.label), oos);
  const testLogits = predictBagOfWords(model, test);
  const testArgmax = intentReport(testLogits, test.map((e) => e.label), oosId);
  const report = intentReport(withFallback(testLogits, fallback?.threshold, oos), test.map((e) => e.label), oosId);

  model.savePretrained(out);
  tokenizer.savePretrained(out);
  writeJsonAtomic(path.join(out, "training_report.json"), {
    backend,
    recipe: { ...recipe, seed },
    numParameters: model.numParameters(),
    numFeatures: featurizer.numFeatures,
    trainRows: trainRows.length,
    dataFingerprint: dataFingerprintOf(dataset) ?? null,
    bestEpoch: output.bestEpoch,
    bestValidationAccuracy: output.bestValidationAccuracy,
    stoppedEarly: output.stoppedEarly,
    secondsPerEpoch: output.secondsPerEpoch,
    oosFallback: fallback ?? null,
    test: report,
    testArgmax,
    history: output.history,
  });
  const na = (v: number | null) => (v === null ? "n/a" : v.toFixed(4));
  logger.info(`Test accuracy ${report.accuracy.toFixed(4)} | in-scope accuracy ${na(report.inScopeAccuracy)} | oos recall ${na(report.oosRecall)} (best epoch ${output.bestEpoch}, validation ${output.bestValidationAccuracy.toFixed(4)})`);
  logger.info(`Saved ${out}`);
  // Energy beside the softmax rule, chosen on validation (the bag of words has no pooled features for the others).
  await fitModelOosDetector(out, dataset);
  return { dir: out, model, tokenizer, test: report, validationAccuracy: output.bestValidationAccuracy, bestEpoch: output.bestEpoch, secondsPerEpoch: output.secondsPerEpoch, history: output.history };
}
