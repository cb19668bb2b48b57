// Issue #25, item 3: a fair search on your own data. The plan is sized to the
// data and to the untuned student (trials as long as its recipe, the whole
// validation split with its standard error, the best retrained for no fewer
// epochs, trials that fit the budget), and the tuned-vs-untuned comparison is
// worded as it came out.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { quietly, ready, tmpDir } from "../helpers/setup";
import { writeShopData } from "../helpers/intents";
import { loadClinc, loadIntentDataset } from "../../lib/data";
import { BertTokenizer } from "../../lib/tokenizers";
import { BagOfWordsClassifier, BagOfWordsFeaturizer, BertForSequenceClassification, labelMaps } from "../../lib/models";
import { createStudy, RandomSampler } from "../../lib/hpo";
import { workbookProfile, WorkbookProfile } from "../../lib/workbook/profile";
import { modelPath, OUTPUTS_DIR } from "../../lib/workbook/hub";
import { CHAPTER_STUDY_NAME, STUDENT_RECIPE, studentHpSpace, tuneStudent } from "../../lib/workbook/recipes";
import { compareTunedStudent, searchDataSizes, searchPlan, tunedComparison, untunedStudent, UntunedStudent } from "../../lib/workbook/searchPlan";

const untuned: UntunedStudent = { numTrainEpochs: 6, validationAccuracy: 0.9, validationRows: 1000, samplesPerSecond: 400 };
const defaultProfile = workbookProfile("default");

test("default profile: trials of the untuned epochs E to E + E/2 on every row, all validation rows, the best retrained for at least E", () => {
  for (const E of [1, 3, 6]) {
    const plan = searchPlan(defaultProfile, { train: 2700, validation: 300 }, { ...untuned, numTrainEpochs: E });
    assert.deepEqual(plan.epochs, [E, E + Math.ceil(E / 2)]);
    assert.equal(plan.finalMinEpochs, E, "the tuned student never trains fewer epochs than the untuned one");
    assert.equal(plan.validationRows, 300, "the whole validation split");
    assert.equal(plan.subsetOnly, false);
    assert.deepEqual(plan.search, { nTrials: plan.nTrials, epochs: plan.epochs, subset: 0, validationRows: 0, minFinalEpochs: E, samplerStartupTrials: plan.samplerStartupTrials });
    assert.match(plan.description, new RegExp(`^${plan.nTrials} trials \\(.*\\) of ${E}–${E + Math.ceil(E / 2)} epochs on all 2,700 training rows, each scored on all 300 validation rows .*; the best retrained for at least ${E} epochs like the untuned student`));
  }
});

test("the standard error of the validation accuracy is stated, and the difference it cannot separate", () => {
  const plan = searchPlan(defaultProfile, { train: 16000, validation: 3100 }, { ...untuned, validationAccuracy: 0.899 });
  assert.ok(Math.abs(plan.standardError - Math.sqrt((0.899 * 0.101) / 3100)) < 1e-12);
  assert.ok(Math.abs(plan.separable - 2 * Math.SQRT2 * plan.standardError) < 1e-12);
  assert.match(plan.description, /standard error ±0\.5 points at 0\.899 accuracy: differences under 1\.5 points are not separable/);
  const small = searchPlan(defaultProfile, { train: 2700, validation: 300 }, { ...untuned, validationAccuracy: 0.899 });
  assert.match(small.description, /±1\.7 points .* under 4\.9 points/, "fewer rows, a larger error");
});

test("the number of trials fits the budget at the untuned student's speed: fewer for more data, at least 4, at most the profile's", () => {
  const budget = defaultProfile.searchBudgetMinutes! * 60;
  const sizes = [1000, 10000, 16000, 40000, 200000];
  const plans = sizes.map((train) => searchPlan(defaultProfile, { train, validation: 1000 }, untuned));
  for (const [i, plan] of plans.entries()) {
    const epochSeconds = sizes[i] / untuned.samplesPerSecond!;
    assert.equal(plan.epochSeconds, epochSeconds);
    const mean = (plan.epochs[0] + plan.epochs[1]) / 2;
    const final = Math.max(plan.epochs[1], plan.finalMinEpochs);
    assert.equal(plan.estimatedSeconds, (plan.nTrials * mean + final) * epochSeconds);
    assert.ok(plan.nTrials >= 4 && plan.nTrials <= defaultProfile.nTrials, `${plan.nTrials} trials`);
    if (plan.nTrials > 4) assert.ok(plan.estimatedSeconds! <= budget, `${sizes[i]} rows: ${plan.estimatedSeconds} s over the budget`);
    if (plan.nTrials < defaultProfile.nTrials) assert.ok(plan.estimatedSeconds! + mean * epochSeconds > budget, `${sizes[i]} rows: one more trial would fit`);
    assert.match(plan.description, new RegExp(`${plan.nTrials} trials`));
  }
  assert.deepEqual(plans.map((p) => p.nTrials), [...plans.map((p) => p.nTrials)].sort((a, b) => b - a), "more data, no more trials");
  assert.equal(plans[0].nTrials, defaultProfile.nTrials);
  assert.equal(plans.at(-1)!.nTrials, 4);
  assert.match(plans.at(-1)!.description, /over the 30 min budget even at 4 trials/);
  assert.match(plans[1].description, /about 29 min here at most \(25 s an epoch at the untuned student's 400 rows\/s; the budget: 30 min\)/, "10k rows on 2 cores");
  const noSpeed = searchPlan(defaultProfile, { train: 10000, validation: 1000 }, { ...untuned, samplesPerSecond: undefined });
  assert.equal(noSpeed.nTrials, defaultProfile.nTrials);
  assert.equal(noSpeed.estimatedSeconds, undefined);
  assert.match(noSpeed.description, /no time estimate \(the untuned student's report records no training speed\)/);
});

test("TPE's random start is half the trials, at most Optuna's 10; the description says how many are random", () => {
  const plan = searchPlan(defaultProfile, { train: 10000, validation: 1000 }, untuned);
  assert.equal(plan.samplerStartupTrials, Math.ceil(plan.nTrials / 2));
  assert.match(plan.description, new RegExp(`${plan.nTrials} trials \\(${plan.samplerStartupTrials} random, then ${plan.nTrials - plan.samplerStartupTrials} by TPE\\)`));
  assert.equal(searchPlan(workbookProfile("full"), { train: 10000, validation: 1000 }, untuned).samplerStartupTrials, 10);
});

test("smoke: a quick check on a subset, said to be no fair search; full: the chapter's search and study", () => {
  const smoke = workbookProfile("smoke");
  const plan = searchPlan(smoke, { train: 542, validation: 3100 }, untuned);
  assert.equal(plan.subsetOnly, true);
  assert.equal(plan.nTrials, smoke.nTrials);
  assert.deepEqual(plan.epochs, smoke.searchEpochs);
  assert.equal(plan.validationRows, smoke.searchValidationRows);
  assert.equal(plan.finalMinEpochs, 0, "its own epochs: smoke stays fast");
  assert.deepEqual(plan.search, { nTrials: 2, epochs: [1, 2], subset: smoke.searchTrainRows, validationRows: smoke.searchValidationRows, minFinalEpochs: 0, samplerStartupTrials: 1 });
  assert.match(plan.description, /^A quick check, not a fair search: 2 trials .* on 542 training rows, each scored on 256 validation rows .*where the untuned student trained 6 epochs on every row/);
  assert.notEqual(plan.studyName, CHAPTER_STUDY_NAME);
  const full = searchPlan(workbookProfile("full"), { train: 16000, validation: 3100 }, untuned);
  assert.deepEqual([full.nTrials, full.epochs, full.studyName, full.finalMinEpochs], [20, [5, 10], CHAPTER_STUDY_NAME, 6]);
  assert.notEqual(searchPlan(defaultProfile, { train: 16000, validation: 3100 }, untuned).studyName, CHAPTER_STUDY_NAME, "another search keeps its own study");
});

test("the study's name follows the data's files: an edited CSV of the same size starts a new study instead of resuming old trials", () => {
  const root = tmpDir();
  const load = (dir: string) => loadIntentDataset({ train: path.join(dir, "train.csv"), validation: path.join(dir, "validation.csv"), test: path.join(dir, "test.csv") }, { labelColumn: "category" });
  const a = writeShopData(path.join(root, "a"), { train: 10, test: 3, validation: 5 });
  const b = writeShopData(path.join(root, "b"), { train: 10, test: 3, validation: 5 });
  const name = (dir: string) => searchPlan(defaultProfile, load(dir), untuned).studyName;
  assert.equal(name(a), name(b), "the same files, the same study");
  const lines = fs.readFileSync(path.join(b, "train.csv"), "utf8").split("\n");
  [lines[1], lines[2]] = [lines[2], lines[1]];
  fs.writeFileSync(path.join(b, "train.csv"), lines.join("\n"));
  assert.notEqual(name(a), name(b), "edited rows, another study");
  assert.match(name(a), /^distilbert-clinc-distillation-e6-9-tall-v20-d[0-9a-f]{8}$/);
});

test("searchPlan refuses what cannot be planned", () => {
  assert.throws(() => searchPlan(defaultProfile, { train: 100, validation: 10 }, { ...untuned, numTrainEpochs: 0 }), /the untuned student's epochs must be an integer >= 1, got 0/);
  assert.throws(() => searchPlan(defaultProfile, { train: 100, validation: 0 }, untuned), /needs training and validation rows, got 100 and 0/);
});

test("CLINC150 and the shipped distilled student: the rows a search sees and the plan from its report", () => {
  const clinc = loadClinc();
  const oos = clinc.train.features.intent.str2int("oos");
  const oosRows = clinc.train.rows.filter((r) => r.intent === oos).length;
  assert.deepEqual(searchDataSizes(clinc, defaultProfile), { train: clinc.train.length + (STUDENT_RECIPE.oosOversample - 1) * oosRows, validation: clinc.validation.length });
  const dir = modelPath("distilbert-clinc-distilled");
  const report = JSON.parse(fs.readFileSync(path.join(dir, "training_report.json"), "utf8"));
  const u = untunedStudent(dir);
  assert.deepEqual(u, { numTrainEpochs: report.recipe.numTrainEpochs, validationAccuracy: report.bestValidationAccuracy, validationRows: report.dataset.validation, samplesPerSecond: report.trainOutput.metrics.trainSamplesPerSecond });
  const plan = searchPlan(defaultProfile, clinc, u);
  assert.equal(plan.validationRows, clinc.validation.length);
  assert.equal(plan.trainRows, searchDataSizes(clinc, defaultProfile).train);
  assert.deepEqual(plan.epochs, [u.numTrainEpochs, u.numTrainEpochs + Math.ceil(u.numTrainEpochs / 2)]);
  assert.throws(() => untunedStudent(tmpDir()), /has no training_report.json \(train the distilled student first: notebook 02\)/);
});

test("tunedComparison says what came out: worse, tied, better within the noise, better, or not comparable", () => {
  const next = "notebooks 04–06 keep using the distilled student";
  const worse = tunedComparison({ accuracy: 0.8964, rows: 3100 }, { accuracy: 0.9032, rows: 3100 }, next);
  assert.equal(worse.verdict, "worse");
  assert.equal(worse.text, "The search did not beat the untuned student: 0.8964 vs 0.9032 validation accuracy on 3,100 rows (-0.7 points); notebooks 04–06 keep using the distilled student.");
  assert.equal(tunedComparison({ accuracy: 0.9, rows: 300 }, { accuracy: 0.9, rows: 300 }, "x").verdict, "tie");
  assert.match(tunedComparison({ accuracy: 0.9, rows: 300 }, { accuracy: 0.9, rows: 300 }, "x").text, /^The search only tied the untuned student: 0\.9000 validation accuracy on 300 rows for both; x\.$/);
  const noise = tunedComparison({ accuracy: 0.9035, rows: 3100 }, { accuracy: 0.899, rows: 3100 }, "notebooks 04–06 start from this tuned student");
  assert.equal(noise.verdict, "better within noise");
  assert.equal(noise.text, "The tuned student beat the untuned one on validation by +0.4 points (0.9035 vs 0.8990 on 3,100 rows), within the noise: differences under 1.5 points are not separable on 3,100 rows, and the search chose it on these rows; notebooks 04–06 start from this tuned student.");
  const clear = tunedComparison({ accuracy: 0.93, rows: 3100 }, { accuracy: 0.899, rows: 3100 }, "y");
  assert.equal(clear.verdict, "better");
  assert.match(clear.text, /by \+3\.1 points .* more than the 1\.5 points noise explains \(the search chose it on these rows: the test split is the unbiased check\); y\.$/);
  // The same difference is noise on fewer rows.
  assert.equal(tunedComparison({ accuracy: 0.93, rows: 300 }, { accuracy: 0.899, rows: 300 }, "y").verdict, "better within noise");
  const other = tunedComparison({ accuracy: 0.95, rows: 512 }, { accuracy: 0.9, rows: 3100 }, "z");
  assert.equal(other.verdict, "not comparable");
  assert.equal(other.text, "Not comparable on validation: the tuned student was scored on 512 rows (0.9500), the untuned one on 3,100 (0.9000); z.");
});

test("compareTunedStudent reads both reports and names the student notebooks 04–06 start from", () => {
  const root = tmpDir();
  const folder = (name: string, accuracy: number) => {
    const dir = path.join(root, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "training_report.json"), JSON.stringify({ bestValidationAccuracy: accuracy, dataset: { validation: 300 } }));
    return dir;
  };
  const tuned = folder("tuned", 0.88);
  const distilled = folder("distilled", 0.9);
  const lost = compareTunedStudent(tuned, distilled, { name: "student-distilled", dir: distilled, optimType: "Distillation" });
  assert.equal(lost.verdict, "worse");
  assert.match(lost.text, /did not beat the untuned student: 0\.8800 vs 0\.9000 .*; notebooks 04–06 keep using student-distilled \(the "Distillation" row\)\.$/);
  const won = compareTunedStudent(folder("tuned2", 0.95), distilled, { name: "student-tuned", dir: path.join(root, "tuned2"), optimType: "Distillation (tuned)" });
  assert.match(won.text, /notebooks 04–06 start from this tuned student\.$/);
  assert.throws(() => compareTunedStudent(tuned, folder("bare", Number.NaN)), /records no bestValidationAccuracy/);
});

test("studentHpSpace draws epochs in the plan's range and refuses a bad one", async () => {
  const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
  await study.optimize((trial) => {
    const hp = studentHpSpace([6, 9])(trial);
    assert.ok(Number.isInteger(hp.numTrainEpochs) && hp.numTrainEpochs >= 6 && hp.numTrainEpochs <= 9);
    assert.ok(hp.alpha >= 0 && hp.alpha <= 1 && hp.temperature >= 2 && hp.temperature <= 20);
    return hp.alpha;
  }, { nTrials: 12 });
  assert.ok(new Set(study.trials.map((t) => t.params.numTrainEpochs)).size > 1);
  assert.throws(() => studentHpSpace([3, 2]), /epochs must be integers 1 <= low <= high, got \[3, 2\]/);
});

test("tuneStudent runs a plan's search: its epochs, validation rows, study and journal, the best retrained for at least minFinalEpochs", async () => {
  await ready;
  const name = `search-plan-shop-${process.pid}`;
  const shop = writeShopData(path.join(tmpDir(), name), { train: 10, test: 3, validation: 5 });
  const saved = process.env.WORKBOOK_DATA;
  process.env.WORKBOOK_DATA = shop; // run folders go under outputs/<name>, not the chapter's runs/
  try {
    const data = loadIntentDataset({ train: path.join(shop, "train.csv"), validation: path.join(shop, "validation.csv"), test: path.join(shop, "test.csv") }, { labelColumn: "category" });
    const labels = data.train.features.intent.names;
    const words = [...new Set([...data.train.column("text"), ...data.validation.column("text"), ...data.test.column("text")].flatMap((t) => t.toLowerCase().split(/\s+/)))];
    const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...words], { modelMaxLength: 16 });
    const teacherDir = path.join(tmpDir(), "teacher");
    const teacher = BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(labels) }, { seed: 3 });
    teacher.savePretrained(teacherDir);
    tokenizer.savePretrained(teacherDir);
    teacher.dispose();
    const bowDir = path.join(tmpDir(), "bow");
    const docs = data.train.column("text").map((t) => tokenizer.encode(t).input_ids);
    const f = BagOfWordsFeaturizer.fit(docs, { vocabSize: tokenizer.vocabSize, numBuckets: 16, ignoredTokenIds: [0, 2, 3, 4], sublinearTf: true });
    const bow = BagOfWordsClassifier.fromConfig({ vocab_size: tokenizer.vocabSize, ignored_token_ids: [0, 2, 3, 4], num_buckets: 16, hidden_size: 8, max_length: 16, ...labelMaps(labels) }, f.idf, { seed: 5 });
    bow.savePretrained(bowDir);
    tokenizer.savePretrained(bowDir);
    bow.dispose();

    const out = path.join(tmpDir(), "tuned");
    const journal = path.join(tmpDir(), "plan.jsonl");
    const result = await quietly(() => tuneStudent({ nTrials: 2, epochs: [1, 1], validationRows: 8, minFinalEpochs: 2, samplerStartupTrials: 1, dataParallelWorkers: 1, studyName: "plan-test", journal, dataset: data, teacherDir, bowDir, out }));
    assert.equal(result.study.trials.length, 2);
    for (const t of result.study.trials) {
      assert.equal(t.params.numTrainEpochs, 1, "trials draw from the plan's epochs");
      // Each trial is scored on the plan's 8 validation rows: its accuracy is a multiple of 1/8.
      assert.ok(Math.abs(t.value! * 8 - Math.round(t.value! * 8)) < 1e-9, `accuracy ${t.value} on 8 rows`);
    }
    assert.ok(data.validation.length > 8);
    const report = JSON.parse(fs.readFileSync(path.join(out, "training_report.json"), "utf8"));
    assert.equal(report.recipe.numTrainEpochs, 2, "retrained for minFinalEpochs, not the best trial's 1");
    assert.equal(report.hyperparameterSearch.retrainEpochs, 2);
    assert.deepEqual(report.hyperparameterSearch.space.numTrainEpochs, [1, 1]);
    assert.equal(report.hyperparameterSearch.studyName, "plan-test");
    assert.equal(report.hyperparameterSearch.search.validationRows, 8);
    assert.ok(fs.readFileSync(path.join(out, "study.jsonl"), "utf8").includes("plan-test"), "the study's journal travels with the model");
    const runs = fs.readdirSync(path.join(OUTPUTS_DIR, name, "runs"));
    assert.ok(runs.includes("student-tuned") && !runs.includes("student-distilled"), `the retrain's checkpoints go to its own run folder: ${runs}`);
    result.model.dispose();
  } finally {
    if (saved === undefined) delete process.env.WORKBOOK_DATA;
    else process.env.WORKBOOK_DATA = saved;
    fs.rmSync(path.join(OUTPUTS_DIR, name), { recursive: true, force: true });
  }
});

// The profiles' search fields: smoke stays a quick check (CI), default is sized to the data, full is the chapter's.
test("the profiles' search fields", () => {
  const fields = (p: WorkbookProfile) => [p.nTrials, p.searchEpochs, p.searchTrainRows, p.searchValidationRows, p.searchBudgetMinutes];
  assert.deepEqual(fields(workbookProfile("smoke")), [2, [1, 2], 512, 256, null]);
  assert.deepEqual(fields(defaultProfile), [10, null, null, null, 30]);
  assert.deepEqual(fields(workbookProfile("full")), [20, [5, 10], null, null, null]);
});
