// The exercises: the source practice page's 5 fill-in-the-blank tasks (T1–T5)
// and ten-question test (Q1–Q10; Q6–Q10 written for this chapter), in
// TypeScript against this library, plus one task per chapter notebook
// (01.1 … 06.1). Each fill-in-the-blank answer is run through the real
// function it fills (quantizeDynamicModel, kdLoss, studentInit, createStudy,
// quantizeDynamic, l1Unstructured, PerformanceBenchmark).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { setLogLevel, getLogLevel } from "../utils/log";
import type { PreTrainedModel } from "../models/modeling";
import { decodeModel } from "../onnx/graphBuilder";
import { exportToOnnx } from "../onnx/export";
import { quantizeDynamic } from "../onnx/quantize";
import { createStudy } from "../hpo/study";
import { RandomSampler } from "../hpo/samplers/random";
import { crossEntropy } from "../training/loss";
import { kdLoss, distillationLoss } from "../distillation/loss";
import { studentInit } from "../distillation/studentInit";
import { quantizeDynamicModel } from "../quantization/dynamic";
import { Linear, l1Unstructured } from "../pruning/prune";
import { PerformanceBenchmark } from "../benchmark/performanceBenchmark";
import type { Exercise, Verdict } from "./types";
import { fixedLogits, near, scalarValue, tinyBatch, tinyTeacher } from "./tiny";

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const show = (v: unknown) => (typeof v === "function" ? "a function" : JSON.stringify(v) ?? String(v));

/** The answer as an object with exactly these keys, or a malformed verdict. */
function fields(answer: unknown, keys: readonly string[]): Record<string, unknown> | Verdict {
  const expected = `an object { ${keys.map((k) => `${k}: …`).join(", ")} }`;
  if (answer === null || typeof answer !== "object" || Array.isArray(answer)) return { status: "malformed", expected: `${expected}, got ${show(answer)}` };
  const extra = Object.keys(answer).filter((k) => !keys.includes(k));
  const missing = keys.filter((k) => !(k in answer));
  if (extra.length || missing.length) return { status: "malformed", expected: `${expected}${missing.length ? `; missing ${missing.join(", ")}` : ""}${extra.length ? `; unknown ${extra.join(", ")}` : ""}` };
  return answer as Record<string, unknown>;
}
const isVerdict = (v: unknown): v is Verdict => typeof v === "object" && v !== null && typeof (v as { status?: unknown }).status === "string" && Object.keys(v).every((k) => ["status", "expected"].includes(k));

/** Runs `fn` with the library's own logging turned down to warnings (a study logs each trial). */
async function quietly<T>(fn: () => T | Promise<T>): Promise<T> {
  const prev = setLogLevel(getLogLevel() === "silent" ? "silent" : "warn");
  try {
    return await fn();
  } finally {
    setLogLevel(prev);
  }
}

/** quantizeDynamicModel on a tiny BERT with the given module types and dtype: what it did, or its error. */
function runQuantizeDynamicModel(modules: unknown, dtype: unknown): { ok: true; note: string } | { ok: false; error: string } {
  const model = tinyTeacher();
  try {
    const q = quantizeDynamicModel(model, modules as ["Linear"], dtype as "qint8");
    try {
      const cls = q.linears.get("classifier")!.weight.intRepr();
      return { ok: true, note: `quantizeDynamicModel turned the tiny BERT's ${q.linears.size} Linear layers into int8 (the classifier's weight is now an ${cls.constructor.name}); embeddings and LayerNorms stay float32.` };
    } finally {
      q.dispose();
    }
  } catch (err) {
    return { ok: false, error: message(err) };
  } finally {
    model.dispose();
  }
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

const MODULE_NOTES: Record<string, string> = {
  '["LSTM"]': "Our transformers have no LSTM layers: the weights that matter are the Linear (dense) layers of attention and the feed-forward blocks.",
  '["Conv2d"]': "Convolutions are for images; a transformer's weights are Linear (dense) layers.",
  '["ReLU"]': "ReLU (or GELU) is an activation function: it has no weights to quantize.",
};

/** T2 / T4: the module types (and dtype) of quantizeDynamicModel, run on a tiny BERT. */
function quantizeCheck(keys: readonly ("modules" | "dtype")[]) {
  return (answer: unknown): Verdict => {
    const f = fields(answer, keys);
    if (isVerdict(f)) return f;
    const modules = f.modules;
    const dtype = keys.includes("dtype") ? f.dtype : "qint8";
    if (!Array.isArray(modules) && typeof modules !== "string") return { status: "malformed", expected: `modules: a list of module types such as ["…"], got ${show(modules)}` };
    if (typeof dtype !== "string") return { status: "malformed", expected: `dtype: a string such as "…", got ${show(dtype)}` };
    const run = runQuantizeDynamicModel(modules, dtype);
    if (run.ok) return { status: "right", note: run.note };
    const why = MODULE_NOTES[JSON.stringify(modules)] ?? (dtype === "float16" ? "float16 halves the weights but is not int8 quantization: the chapter's dynamic quantization stores Linear weights as int8 (torch.qint8 → \"qint8\")." : undefined);
    return { status: "wrong", why, detail: `quantizeDynamicModel said: ${run.error}` };
  };
}

const FIELD_NOTES: Record<string, string> = {
  attentions: "Attention maps are the model's internals (one tensor per layer), not its predictions: the KD loss compares class distributions.",
  hiddenStates: "Hidden states are the layers' vectors (one per layer); the KD loss compares the final class scores, the logits.",
  labels: "Labels are inputs (the gold intents), not part of the model's output: the CE term uses them, the KD term does not.",
};

const TEMPERATURES = [2, 4];

/**
 * Every exercise of the workbook: the practice page's tasks T1–T5 and
 * questions Q1–Q10, and one task per chapter notebook (01.1 … 06.1).
 *
 * @example
 * EXERCISES.filter((e) => e.kind === "choice").length; // 10
 */
export const EXERCISES: readonly Exercise[] = [
  // ---------------------------------------------------------------- the page's five tasks
  {
    id: "T1",
    kind: "blank",
    level: "easy",
    source: "practice page, task 1",
    prompt: "Complete the code to start the distillation student from a pretrained checkpoint. The book loads distilbert-base-uncased; here the student starts from the teacher as DistilBERT started from BERT.",
    context: "const student = studentInit(teacher, { init: BLANK });",
    template: "{ init: BLANK }",
    blanks: [{ name: "init", options: ['"distilbert"', '"bert-base-uncased"', '"gpt2"', '"random"'] }],
    fill: { right: ['"distilbert"'], wrong: ['"random"'] },
    hint: "The student is a DistilBERT: half the teacher's layers, initialised DistilBERT's way.",
    mistakes: ["Using the full BERT model instead of the distilled (DistilBERT) version.", "Choosing a model of another architecture, such as GPT-2.", "Starting the student from random weights when a pretrained start is available."],
    solution: [
      "Step 1: the book's student is DistilBertForSequenceClassification.from_pretrained(\"distilbert-base-uncased\"): a smaller model that already knows language.",
      "Step 2: nothing can be downloaded here, so studentInit builds the DistilBERT student from our teacher: its embeddings and every other encoder layer (as DistilBERT was made from BERT).",
      "Step 3: that is the init option \"distilbert\"; \"random\" starts from scratch, and model names are not init modes.",
      "Final answer: studentInit(teacher, { init: \"distilbert\" })",
    ],
    evaluate(answer) {
      const f = fields(answer, ["init"]);
      if (isVerdict(f)) return f;
      if (typeof f.init !== "string") return { status: "malformed", expected: `init: a string such as "…", got ${show(f.init)}` };
      const teacher = tinyTeacher();
      let student: PreTrainedModel | undefined;
      try {
        student = studentInit(teacher, { init: f.init as "distilbert" });
        const copied = tf.tidy(() => tf.max(tf.abs(tf.sub(student!.params.get("distilbert.embeddings.word_embeddings.weight")!, teacher.params.get("bert.embeddings.word_embeddings.weight")!))).dataSync()[0]) === 0;
        const layers = `the student has ${student.spec.layers} of the teacher's ${teacher.spec.layers} layers`;
        if (copied) return { status: "right", note: `studentInit ran: ${layers}, and its embeddings are the teacher's.` };
        return { status: "wrong", why: "\"random\" starts the student from random weights: the book starts it from a pretrained DistilBERT, and so should we (from the teacher).", detail: `studentInit ran: ${layers}, but none of its weights come from the teacher.` };
      } catch (err) {
        const why = f.init === "gpt2" ? "GPT-2 is another architecture (a decoder), not a distilled BERT." : f.init.startsWith("bert") ? "That is the full BERT, the teacher's kind: the student should be the distilled one." : undefined;
        return { status: "wrong", why, detail: `studentInit said: ${message(err)}` };
      } finally {
        student?.dispose();
        teacher.dispose();
      }
    },
  },
  {
    id: "T2",
    kind: "blank",
    level: "medium",
    source: "practice page, task 2",
    prompt: "Complete the code to apply dynamic quantization to a model (PyTorch: torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)).",
    context: 'const quantized = quantizeDynamicModel(model, BLANK, "qint8");',
    template: "{ modules: BLANK }",
    blanks: [{ name: "modules", options: ['["LSTM"]', '["Linear"]', '["Conv2d"]', '["ReLU"]'] }],
    fill: { right: ['["Linear"]'], wrong: ['["ReLU"]'] },
    hint: "Quantize the layers that hold most of a transformer's weights and compute: the dense ones.",
    mistakes: ["Trying to quantize activation functions like ReLU (they have no weights).", "Using convolution layers, which NLP transformers do not have."],
    solution: [
      "Step 1: dynamic quantization stores weights as int8 and quantizes activations on the fly, at each call.",
      "Step 2: in a transformer almost every weight sits in Linear layers (attention projections, feed-forward, classifier).",
      'Step 3: so the module types to replace are ["Linear"] (torch\'s {nn.Linear}).',
      'Final answer: quantizeDynamicModel(model, ["Linear"], "qint8")',
    ],
    evaluate: quantizeCheck(["modules"]),
  },
  {
    id: "T3",
    kind: "blank",
    level: "hard",
    source: "practice page, task 3",
    prompt: "Fix the code so knowledge distillation reads the right field of the models' output.",
    context: "const teacherOut = teacher.call(batch), studentOut = student.call(batch);\nconst loss = kdLoss(studentOut[field], teacherOut[field], 2);",
    template: "{ field: BLANK }",
    blanks: [{ name: "field", options: ['"attentions"', '"hiddenStates"', '"logits"', '"labels"'] }],
    fill: { right: ['"logits"'], wrong: ['"hiddenStates"'] },
    hint: "The KD loss compares the class distributions of teacher and student: softmax of what?",
    mistakes: ["Using hidden states or attention outputs instead of logits.", "Trying to read labels from the model's output."],
    solution: [
      "Step 1: the KD term is T²·KL(softmax(teacher/T) ‖ softmax(student/T)), over the classes.",
      "Step 2: the class scores before the softmax are the logits, [batch, numLabels]; hidden states and attentions are per-layer internals, labels are inputs.",
      'Final answer: field = "logits": kdLoss(studentOut.logits, teacherOut.logits, 2)',
    ],
    evaluate(answer) {
      const f = fields(answer, ["field"]);
      if (isVerdict(f)) return f;
      if (typeof f.field !== "string") return { status: "malformed", expected: `field: a string such as "…", got ${show(f.field)}` };
      const field = f.field;
      const teacher = tinyTeacher();
      const student = studentInit(teacher, { init: "distilbert" });
      try {
        const value = tf.tidy(() => {
          const batch = tinyBatch();
          const options = { outputHiddenStates: true, outputAttentions: true };
          const t = teacher.call(batch, options) as unknown as Record<string, tf.Tensor>;
          const s = student.call(batch, options) as unknown as Record<string, tf.Tensor>;
          return kdLoss(s[field], t[field], 2).dataSync()[0];
        });
        if (field === "logits") return { status: "right", note: `kdLoss on the tiny teacher's and student's logits: ${value.toFixed(4)}.` };
        return { status: "wrong", why: FIELD_NOTES[field], detail: `kdLoss ran on "${field}" (${value.toFixed(4)}), but that is not a class distribution.` };
      } catch (err) {
        return { status: "wrong", why: FIELD_NOTES[field] ?? `Our models' output has logits (and, when asked, hiddenStates and attentions); "${field}" is none of them.`, detail: `kdLoss said: ${message(err)}` };
      } finally {
        student.dispose();
        teacher.dispose();
      }
    },
  },
  {
    id: "T4",
    kind: "blank",
    level: "hard",
    source: "practice page, task 4",
    prompt: "Fill both blanks to create a dynamically quantized model (torch: quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)).",
    context: "const quantized = quantizeDynamicModel(model, BLANK, BLANK);",
    template: "{ modules: BLANK, dtype: BLANK }",
    blanks: [
      { name: "modules", options: ['["Linear"]', '["Conv2d"]'] },
      { name: "dtype", options: ['"qint8"', '"float16"'] },
    ],
    fill: { right: ['["Linear"]', '"qint8"'], wrong: ['["Linear"]', '"float16"'] },
    hint: "Dynamic quantization: which layers hold the weights, and which 8-bit type stores them?",
    mistakes: ["Using float16, which is half precision, not the int8 dynamic quantization dtype.", "Trying to quantize convolution layers in NLP models."],
    solution: [
      'Step 1: the weights to quantize live in Linear layers → ["Linear"].',
      'Step 2: dynamic quantization stores them as signed 8-bit integers → "qint8" (torch.qint8).',
      'Final answer: quantizeDynamicModel(model, ["Linear"], "qint8")',
    ],
    evaluate: quantizeCheck(["modules", "dtype"]),
  },
  {
    id: "T5",
    kind: "blank",
    level: "hard",
    source: "practice page, task 5",
    prompt: "Fill the three blanks of the DistillationTrainer's loss: alpha·CE(student, labels) + (1 − alpha)·T²·KL(teacher ‖ student), with alpha = 0.5 and T = 2.",
    context: "type Out = { logits: tf.Tensor2D; hiddenStates?: tf.Tensor3D[] };\n(studentOut: Out, teacherOut: Out, labels: tf.Tensor1D) => alpha·CE(BLANK, labels) + (1 − alpha)·kdLoss(BLANK, BLANK, T)",
    template:
      "(studentOut: { logits: tf.Tensor2D; hiddenStates?: tf.Tensor3D[] }, teacherOut: { logits: tf.Tensor2D; hiddenStates?: tf.Tensor3D[] }, labels: tf.Tensor1D) => {\n  const alpha = 0.5, T = 2;\n  return tf.add(tf.mul(crossEntropy(BLANK, labels), alpha), tf.mul(kdLoss(BLANK, BLANK, T), 1 - alpha));\n}",
    blanks: [
      { name: "CE input", options: ["studentOut.logits", "teacherOut.logits", "studentOut.hiddenStates"] },
      { name: "kdLoss student", options: ["studentOut.logits", "teacherOut.logits", "studentOut.hiddenStates"] },
      { name: "kdLoss teacher", options: ["studentOut.logits", "teacherOut.logits", "studentOut.hiddenStates"] },
    ],
    fill: { right: ["studentOut.logits", "studentOut.logits", "teacherOut.logits"], wrong: ["studentOut.logits", "teacherOut.logits", "studentOut.logits"] },
    hint: "Both terms train the student: the CE term on the gold labels, the KD term on the teacher's soft labels. Which argument of kdLoss is whose?",
    mistakes: ["Using hidden states instead of logits.", "Mixing up student and teacher outputs (kdLoss takes the student first).", "Putting the teacher's logits in the cross-entropy (the teacher is not being trained)."],
    solution: [
      "Step 1: the CE term is the student's ordinary loss on the labels: crossEntropy(studentOut.logits, labels).",
      "Step 2: kdLoss(studentLogits, teacherLogits, T) takes the student first, the teacher second (KL of the teacher's soft labels against the student's).",
      "Step 3: this is distillationLoss(ce, studentLogits, teacherLogits, alpha, T), the DistillationTrainer's loss.",
      "Final answer: crossEntropy(studentOut.logits, labels), kdLoss(studentOut.logits, teacherOut.logits, T)",
    ],
    evaluate(answer) {
      if (typeof answer !== "function") return { status: "malformed", expected: `a function (studentOut, teacherOut, labels) => loss, got ${show(answer)}` };
      const { student, teacher, labels } = fixedLogits();
      const hs = [tf.zeros([3, 2, 4]) as tf.Tensor3D];
      try {
        const expected = tf.tidy(() => distillationLoss(crossEntropy(student, labels), student, teacher, 0.5, 2).dataSync()[0]);
        const swapped = tf.tidy(() => distillationLoss(crossEntropy(student, labels), teacher, student, 0.5, 2).dataSync()[0]);
        const teacherCe = tf.tidy(() => distillationLoss(crossEntropy(teacher, labels), student, teacher, 0.5, 2).dataSync()[0]);
        let got: number;
        try {
          got = tf.tidy(() => scalarValue(answer({ logits: student, hiddenStates: hs }, { logits: teacher, hiddenStates: hs }, labels), "Your loss"));
        } catch (err) {
          return { status: "wrong", why: /hiddenStates|shape|rank|undefined/i.test(message(err)) ? "The losses read class scores, [batch, numLabels]: the logits, not the hidden states." : undefined, detail: `Your loss failed: ${message(err)}` };
        }
        if (near(got, expected)) return { status: "right", note: `Your loss equals distillationLoss(ce, studentLogits, teacherLogits, 0.5, 2) = ${expected.toFixed(4)} on fixed logits.` };
        const why = near(got, swapped) ? "Student and teacher are swapped in kdLoss: it takes the student's logits first." : near(got, teacherCe) ? "The cross-entropy must be the student's: the teacher is not trained." : undefined;
        return { status: "wrong", why, detail: `Your loss is ${got.toFixed(4)}; distillationLoss gives ${expected.toFixed(4)} on the same logits.` };
      } finally {
        tf.dispose([student, teacher, labels, ...hs]);
      }
    },
  },
  // ---------------------------------------------------------------- the ten-question test
  {
    id: "Q1",
    kind: "choice",
    level: "easy",
    source: "practice page, question 1",
    prompt: "What is the main goal of model distillation in NLP?",
    choices: { A: "To increase the number of layers in a neural network", B: "To add more training data for better accuracy", C: "To convert text data into numerical vectors", D: "To train a smaller model to mimic a larger model's behavior" },
    answer: "D",
    whyWrong: { A: "Distillation makes the model smaller, not deeper.", B: "Distillation reuses the same data, with the teacher's soft labels added.", C: "That is tokenization and embedding, a preprocessing step." },
    hint: "Distillation means a small model learns from a big one.",
    mistakes: ["Confusing distillation with adding layers", "Thinking distillation increases data size", "Mixing distillation with data preprocessing"],
    solution: [
      "Step 1: model distillation makes a smaller model (the student) learn from a bigger, well-trained one (the teacher).",
      "Step 2: the goal is to keep the accuracy while reducing size and latency.",
      "Final answer: to train a smaller model to mimic a larger model's behavior → D",
      "Quick check: distillation = the small model copies the big model.",
    ],
  },
  {
    id: "Q2",
    kind: "choice",
    level: "easy",
    source: "practice page, question 2 (torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8) in this library)",
    prompt: "Which is the correct way to quantize a model's weights with this library (PyTorch: torch.quantization.quantize_dynamic)?",
    choices: { A: "model.quantize({ weights: true })", B: 'quantizeDynamicModel(model, ["Linear"], "qint8")', C: 'quantizeDynamicModel(model, ["Linear"], "float32")', D: 'quantize(model, "int32")' },
    answer: "B",
    whyWrong: { A: "Our models have no quantize method: quantization is a function applied to the model.", C: "float32 is what the weights already are: quantization lowers them to int8.", D: "There is no quantize(model) function, and int32 is not an 8-bit type." },
    hint: "Use quantizeDynamicModel, the PyTorch-style function, with the Linear layers and int8.",
    mistakes: ["Using a non-existent quantize function", "Passing a wrong dtype like float32 instead of qint8", "Calling quantization as a model method"],
    solution: [
      "Step 1: torch.quantization.quantize_dynamic is quantizeDynamicModel here (lib/quantization), applied to a model object.",
      'Step 2: it takes the model, the module types (["Linear"], torch\'s {nn.Linear}) and the dtype ("qint8", torch.qint8).',
      'Final answer: quantizeDynamicModel(model, ["Linear"], "qint8") → B',
    ],
  },
  {
    id: "Q3",
    kind: "choice",
    level: "medium",
    source: "practice page, question 3 (MSELoss of identical outputs, here the KD loss)",
    prompt: "const teacher = tf.tensor2d([[0.1, 0.9]]); const student = tf.tensor2d([[0.1, 0.9]]); What does kdLoss(student, teacher, 2).dataSync()[0] print?",
    choices: { A: "0", B: "0.5", C: "1", D: "An error: the shapes do not match" },
    answer: "A",
    whyWrong: { B: "There is no default loss: identical distributions diverge by nothing.", C: "A loss is not an accuracy: 1 would mean something differs.", D: "Both are [1, 2]: kdLoss checks the shapes, and they match." },
    hint: "The KL divergence of a distribution from itself.",
    mistakes: ["Assuming the loss is 1 by default", "Confusing the loss with an accuracy", "Thinking a shape mismatch occurs"],
    solution: [
      "Step 1: kdLoss is T²·KL(softmax(teacher/T) ‖ softmax(student/T)).",
      "Step 2: identical logits give identical distributions, and KL(p ‖ p) = 0, so T²·0 = 0.",
      "Final answer: 0 → A (a student that perfectly mimics the teacher has no KD loss left)",
    ],
  },
  {
    id: "Q4",
    kind: "choice",
    level: "medium",
    source: "practice page, question 4",
    prompt: "You try to quantize a model and get: TypeError: model.quantize is not a function. What is the likely cause?",
    choices: { A: "The model class has no quantize method: quantization is a function applied to the model", B: "You forgot to import @tensorflow/tfjs-core", C: "Quantization only works on a GPU", D: "The model is already quantized" },
    answer: "A",
    whyWrong: { B: "A missing import fails with a name that is not defined, not a missing method of the model.", C: "Dynamic quantization is a CPU technique (int8 kernels); the error is about a missing method.", D: "A quantized model would still not have that method: none of our models do." },
    hint: "Quantize with the library's functions, not a model method.",
    mistakes: ["Calling quantization as model.quantize()", "Reading the error as an import problem", "Assuming quantization needs a GPU"],
    solution: [
      "Step 1: the error says the model object has no method named quantize.",
      "Step 2: quantization here is a function that takes the model: quantizeDynamicModel(model, [\"Linear\"], \"qint8\") (or quantizeDynamic on an ONNX file).",
      "Final answer: the model class has no quantize method → A",
    ],
  },
  {
    id: "Q5",
    kind: "choice",
    level: "hard",
    source: "practice page, question 5",
    prompt: "You deploy the intent classifier on a mobile device with little memory and CPU. Which combination reduces size and speeds up inference without losing much accuracy?",
    choices: { A: "Quantize first, then retrain the large model from scratch", B: "Only add training data to improve accuracy", C: "Distill a smaller student, then quantize it to 8-bit", D: "Add layers and use float64 precision" },
    answer: "C",
    whyWrong: { A: "Retraining the large model from scratch throws the quantization away and keeps the size.", B: "More data changes neither the size nor the latency.", D: "More layers and float64 make the model bigger and slower." },
    hint: "Distill first, then quantize.",
    mistakes: ["Ignoring quantization for mobile", "Adding layers, which increases size and latency", "Retraining the large model after quantization"],
    solution: [
      "Step 1: the constraints: small and fast, with good accuracy.",
      "Step 2: distillation gives a model with fewer layers; quantization stores its weights in 8 bits and uses int8 kernels.",
      "Step 3: the chapter combines them (notebooks 02 and 04/05): the distilled, quantized student is the smallest and fastest row of the perf table.",
      "Final answer: distill a smaller student, then quantize it → C",
    ],
  },
  {
    id: "Q6",
    kind: "choice",
    level: "medium",
    source: "written for this workbook (pruning, notebook 06)",
    prompt: 'const lin = new Linear(10, 5); l1Unstructured(lin, "weight", 0.9); remove(lin, "weight"); What is true now?',
    choices: { C: "45 of the 50 weights are stored as exact zeros; weight_orig and weight_mask are gone", B: "The layer takes 10× less memory, since pruned weights are no longer stored", A: "90% of the weights are kept and the 10% smallest are zeroed", D: "remove undid the pruning: the original weights are back" },
    answer: "C",
    whyWrong: { B: "A dense tensor of zeros is as big as any other: only a sparse format (saveSparse) or structured pruning shrinks it.", A: "amount is the share pruned, not the share kept.", D: "remove makes the pruning permanent: it drops the reparametrization, the zeros stay." },
    hint: "amount is what is pruned; remove makes the mask permanent, it does not undo it.",
    mistakes: ["Reading amount as the share of weights kept", "Expecting remove to restore the weights", "Expecting dense zeros to save memory by themselves"],
    solution: [
      "Step 1: l1Unstructured with amount 0.9 masks the 90% smallest-magnitude weights: 45 of 50.",
      "Step 2: remove(lin, \"weight\") writes weight_orig·weight_mask into weight and drops both: the zeros are now the weight itself.",
      "Step 3: the tensor is still dense [5, 10]: the memory saving needs sparse storage (saveSparse) or structured pruning.",
      "Final answer: 45 exact zeros, no weight_orig or mask → C",
    ],
  },
  {
    id: "Q7",
    kind: "choice",
    level: "medium",
    source: "written for this workbook (ONNX Runtime, notebook 05)",
    prompt: "Exported to ONNX and run with ONNX Runtime, the distilled student is faster than in TensorFlow.js even before quantization. Why?",
    choices: { A: "The .onnx file is smaller, so each query loads faster", B: "ONNX Runtime optimizes the graph (operator fusion, constant folding) and runs it with optimized kernels", C: "ONNX export converts the weights to int8 automatically", D: "ONNX Runtime always runs on the GPU" },
    answer: "B",
    whyWrong: { A: "The weights are the same float32 values, and the model is loaded once, not per query.", C: "Export keeps float32: int8 comes only from quantizeDynamic afterwards.", D: "The chapter's runs use the CPU execution provider." },
    hint: "What does ONNX Runtime do to the graph when it creates the session?",
    mistakes: ["Confusing the file format with quantization", "Thinking the speed-up comes from the file size", "Assuming a GPU"],
    solution: [
      "Step 1: export writes the same float32 weights as a graph of standard operators.",
      "Step 2: when the session is created, ONNX Runtime applies graph optimizations (constant folding, fusing attention, GELU, LayerNorm) — the book's graphOptimizationLevel \"all\".",
      "Step 3: the fused graph runs on optimized CPU kernels with fewer memory round trips: that is the speed-up; quantizeDynamic adds int8 on top.",
      "Final answer: graph optimizations and optimized kernels → B",
    ],
  },
  {
    id: "Q8",
    kind: "choice",
    level: "hard",
    source: "written for this workbook (hyperparameter search, notebook 03)",
    prompt: "You search alpha and temperature with createStudy() and TPE; the objective returns the validation accuracy. study.bestValue is the worst accuracy of all trials. What is the likely cause?",
    choices: { B: 'createStudy was called without direction: "maximize", so it minimized the accuracy', A: "TPE needs more than 100 trials before it works", C: "The temperature must be an integer", D: "The MedianPruner pruned the best trials" },
    answer: "B",
    whyWrong: { A: "TPE starts from random trials and gets better with each one; it never aims at the worst.", C: "The temperature is a float (suggestFloat); its type cannot turn the best into the worst.", D: "Pruned trials have no final value, so they cannot be the best either way; this is about what 'best' means." },
    hint: "What does a study do when it is not told which way is better?",
    mistakes: ["Leaving the default direction (minimize) for an accuracy", "Blaming the sampler for a wrong objective direction", "Returning a loss from one trial and an accuracy from another"],
    solution: [
      "Step 1: createStudy's direction defaults to \"minimize\" (as Optuna's create_study).",
      "Step 2: minimizing an accuracy makes the worst trial the best one, and TPE steers the search towards it.",
      "Step 3: pass direction: \"maximize\" for an accuracy (or return 1 − accuracy, or a loss, and keep minimizing).",
      'Final answer: createStudy({ direction: "maximize" }) was missing → B',
    ],
  },
  {
    id: "Q9",
    kind: "choice",
    level: "medium",
    source: "written for this workbook (the benchmark, notebook 01)",
    prompt: "PerformanceBenchmark.timePipeline runs the query 10 times untimed before the 100 timed runs. Why?",
    choices: { D: "To warm up: the first calls pay one-time costs (kernel setup, memory allocation, graph optimization) that a deployed model pays once", B: "To compute the accuracy on those 10 runs", C: "To fine-tune the model on the query", A: "To time 10 different queries" },
    answer: "D",
    whyWrong: { B: "The accuracy comes from computeAccuracy on the whole test set.", C: "The benchmark never trains: the weights do not change.", A: "All 110 calls use the same query." },
    hint: "Compare the first call's time with the tenth's.",
    mistakes: ["Timing the first calls, which measures start-up rather than steady-state latency", "Thinking warm-up runs change the model", "Reporting one run instead of the mean and standard deviation over many"],
    solution: [
      "Step 1: the first calls of a model are slow for reasons unrelated to the model's size: kernel initialization, allocation, graph optimization.",
      "Step 2: a deployed model answers thousands of queries, so the steady-state latency is what matters.",
      "Step 3: measureLatency does 10 untimed runs, then reports the mean and standard deviation over 100 timed ones (the book's numbers).",
      "Final answer: warm-up before timing → D",
    ],
  },
  {
    id: "Q10",
    kind: "choice",
    level: "hard",
    source: "written for this workbook (the temperature, notebook 02)",
    prompt: "In kdLoss the KL term is computed on logits / T and multiplied by T². What happens when T rises from 1 to 10?",
    choices: {
      B: "The teacher's distribution becomes softer (closer to uniform), revealing which intents it finds similar; T² keeps the soft term's gradients on the scale of the CE term",
      A: "The teacher's distribution becomes sharper (closer to one-hot), so the student learns only the top intent",
      C: "T² makes the loss 100× larger, so the learning rate must be divided by 100",
      D: "Nothing during training: T only changes the student's predictions at inference",
    },
    answer: "B",
    whyWrong: {
      A: "Dividing the logits by T > 1 shrinks their differences: the softmax gets flatter, not sharper.",
      C: "The gradients of the soft term shrink like 1/T²; T² only restores their scale, it does not inflate the loss 100×.",
      D: "T is used only in training, inside the KD loss; at inference the student runs at T = 1.",
    },
    hint: "softmax(z / T): what does a large T do to the gaps between the logits?",
    mistakes: ["Thinking a higher temperature sharpens the distribution", "Forgetting the T² factor (the soft term then fades as T grows)", "Using the temperature at inference time"],
    solution: [
      "Step 1: softmax(z / T) with T > 1 divides the gaps between logits, so the probabilities spread out: the 'dark knowledge' of which wrong intents are close.",
      "Step 2: the gradient of the soft term scales like 1/T², so kdLoss multiplies it by T² to keep it comparable to the CE term whatever T is.",
      "Step 3: T matters only in training; the distilled student predicts with plain logits.",
      "Final answer: softer teacher, T² restores the gradient scale → B",
    ],
  },
  // ---------------------------------------------------------------- one task per chapter notebook
  {
    id: "01.1",
    kind: "blank",
    level: "easy",
    source: "written for this workbook (notebook 01)",
    prompt: "Which PerformanceBenchmark method measures each of the chapter's three numbers?",
    context: "const pb = new PerformanceBenchmark(pipe, testSet);\n// size: pb.<size>(), latency: await pb.<latency>(), accuracy: await pb.<accuracy>()",
    template: "{ size: BLANK, latency: BLANK, accuracy: BLANK }",
    blanks: [
      { name: "size", options: ['"computeSize"', '"timePipeline"', '"computeAccuracy"', '"runBenchmark"'] },
      { name: "latency", options: ['"computeSize"', '"timePipeline"', '"computeAccuracy"', '"runBenchmark"'] },
      { name: "accuracy", options: ['"computeSize"', '"timePipeline"', '"computeAccuracy"', '"runBenchmark"'] },
    ],
    fill: { right: ['"computeSize"', '"timePipeline"', '"computeAccuracy"'], wrong: ['"computeSize"', '"runBenchmark"', '"computeAccuracy"'] },
    hint: "runBenchmark calls the other three and collects their numbers into one perf-table row.",
    mistakes: ["Naming runBenchmark, which runs all three, for one of them", "Mixing up the latency and the size"],
    solution: [
      "Step 1: computeSize saves the model's weights and measures the files (MB).",
      "Step 2: timePipeline times one query: 10 warm-up runs, then the mean and std of 100 (ms).",
      "Step 3: computeAccuracy runs the pipeline over the test set; runBenchmark calls all three and returns { [optimType]: { sizeMb, timeAvgMs, timeStdMs, accuracy } }.",
      'Final answer: { size: "computeSize", latency: "timePipeline", accuracy: "computeAccuracy" }',
    ],
    evaluate(answer) {
      const keys = ["size", "latency", "accuracy"] as const;
      const f = fields(answer, keys);
      if (isVerdict(f)) return f;
      const proto = PerformanceBenchmark.prototype as unknown as Record<string, unknown>;
      const notMethods = keys.filter((k) => typeof f[k] !== "string" || typeof proto[f[k] as string] !== "function");
      if (notMethods.length) return { status: "malformed", expected: `each a PerformanceBenchmark method name as a string (computeSize, timePipeline, computeAccuracy, runBenchmark); ${notMethods.map((k) => `${k}: ${show(f[k])}`).join(", ")} is not one` };
      const key: Record<string, string> = { size: "computeSize", latency: "timePipeline", accuracy: "computeAccuracy" };
      const wrong = keys.filter((k) => f[k] !== key[k]);
      if (!wrong.length) return { status: "right", note: "runBenchmark calls exactly these three: computeAccuracy, computeSize, timePipeline." };
      const why = wrong.some((k) => f[k] === "runBenchmark") ? "runBenchmark runs all three and returns the whole row: each number has its own method." : "Each method returns one number: computeSize { sizeMb }, timePipeline { timeAvgMs, timeStdMs }, computeAccuracy { accuracy }.";
      return { status: "wrong", why, detail: `Not right yet: ${wrong.join(", ")}.` };
    },
  },
  {
    id: "02.1",
    kind: "blank",
    level: "medium",
    source: "written for this workbook (notebook 02): the temperature's place in the KD loss",
    prompt: "Put the temperature T in its three places of the KD term T²·KL(softmax(teacher/T) ‖ softmax(student/T)), batchmean.",
    context: "(student, teacher, T) => {\n  const logQ = tf.logSoftmax(tf.div(student, BLANK));\n  const logP = tf.logSoftmax(tf.div(teacher, BLANK));\n  const kl = tf.div(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ))), student.shape[0]);\n  return tf.mul(kl, BLANK);\n}",
    template:
      "(student: tf.Tensor2D, teacher: tf.Tensor2D, T: number) => tf.tidy(() => {\n  const logQ = tf.logSoftmax(tf.div(student, BLANK));\n  const logP = tf.logSoftmax(tf.div(teacher, BLANK));\n  const kl = tf.div(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ))), student.shape[0]);\n  return tf.mul(kl, BLANK);\n})",
    blanks: [
      { name: "student's", options: ["T", "T * T", "1", "1 / T"] },
      { name: "teacher's", options: ["T", "T * T", "1", "1 / T"] },
      { name: "scale", options: ["T", "T * T", "1", "1 / T"] },
    ],
    fill: { right: ["T", "T", "T * T"], wrong: ["T", "T", "1"] },
    hint: "Both distributions are softened the same way; then the gradient scale, which shrank like 1/T², is restored.",
    mistakes: ["Softening only the teacher (the student must be compared at the same temperature)", "Forgetting the T² factor", "Multiplying the logits by T instead of dividing"],
    solution: [
      "Step 1: the student's and the teacher's logits are both divided by T before the (log-)softmax.",
      "Step 2: KL(p ‖ q) = Σ p·(log p − log q), summed over classes and averaged over rows (batchmean).",
      "Step 3: the result is multiplied by T² (Hinton et al.): the soft term's gradients scale like 1/T².",
      "Final answer: T, T, T * T — which is kdLoss(student, teacher, T)",
    ],
    evaluate(answer) {
      if (typeof answer !== "function") return { status: "malformed", expected: `a function (student, teacher, T) => loss, got ${show(answer)}` };
      const { student, teacher, labels } = fixedLogits();
      try {
        const rows: { T: number; got: number; want: number }[] = [];
        for (const T of TEMPERATURES) {
          const want = tf.tidy(() => kdLoss(student, teacher, T).dataSync()[0]);
          let got: number;
          try {
            got = tf.tidy(() => scalarValue(answer(student, teacher, T), "Your KD loss"));
          } catch (err) {
            return { status: "wrong", detail: `Your KD loss failed at T = ${T}: ${message(err)}` };
          }
          rows.push({ T, got, want });
        }
        if (rows.every((r) => near(r.got, r.want))) return { status: "right", note: `Equal to kdLoss at T = ${TEMPERATURES.join(" and ")}: ${rows.map((r) => r.want.toFixed(4)).join(", ")}.` };
        const why = rows.every((r) => near(r.got * r.T * r.T, r.want))
          ? "The T² factor is missing: without it the soft term fades as T grows."
          : rows.every((r) => near(r.got, r.want * r.T * r.T))
            ? "Multiplied by T² twice (or by T⁴): the scale factor is T * T, once."
            : undefined;
        return { status: "wrong", why, detail: rows.map((r) => `T = ${r.T}: yours ${r.got.toFixed(4)}, kdLoss ${r.want.toFixed(4)}`).join("; ") };
      } finally {
        tf.dispose([student, teacher, labels]);
      }
    },
  },
  {
    id: "03.1",
    kind: "blank",
    level: "medium",
    source: "written for this workbook (notebook 03)",
    prompt: "The objective returns an accuracy. Fill the study's direction so study.bestValue is the best accuracy.",
    context: "const study = await createStudy({ direction: BLANK, sampler: new RandomSampler({ seed: 0 }) });\nawait study.optimize(objective, { nTrials: 12 });",
    template: "{ direction: BLANK }",
    blanks: [{ name: "direction", options: ['"maximize"', '"minimize"', '"max"', '"descending"'] }],
    fill: { right: ['"maximize"'], wrong: ['"minimize"'] },
    hint: "An accuracy is better when it is higher; the default direction is Optuna's.",
    mistakes: ['Leaving the default "minimize" for an accuracy', 'Abbreviating the direction ("max")'],
    solution: [
      'Step 1: createStudy\'s direction is "minimize" or "maximize"; the default is "minimize".',
      "Step 2: a higher accuracy is better, so the study must maximize.",
      'Final answer: createStudy({ direction: "maximize" })',
    ],
    async evaluate(answer) {
      const f = fields(answer, ["direction"]);
      if (isVerdict(f)) return f;
      // A toy objective with a known optimum: the "accuracy" peaks at 0.9 for learningRate = 3e-4.
      const accuracy = (lr: number) => 0.9 - 0.2 * Math.abs(Math.log10(lr) - Math.log10(3e-4));
      try {
        const result = await quietly(async () => {
          const study = await createStudy({ direction: f.direction as "maximize", sampler: new RandomSampler({ seed: 0 }) });
          await study.optimize((trial) => accuracy(trial.suggestFloat("learningRate", 1e-5, 1e-2, { log: true })), { nTrials: 12 });
          const values = study.trials.map((t) => t.value!);
          return { best: study.bestValue, max: Math.max(...values), min: Math.min(...values) };
        });
        const detail = `12 trials: accuracies from ${result.min.toFixed(3)} to ${result.max.toFixed(3)}, study.bestValue = ${result.best.toFixed(3)}`;
        if (result.best === result.max) return { status: "right", note: `${detail}, the best accuracy.` };
        return { status: "wrong", why: "Minimizing an accuracy makes the worst trial the \"best\".", detail: `${detail}: the worst one.` };
      } catch (err) {
        return { status: "wrong", detail: `createStudy said: ${message(err)}` };
      }
    },
  },
  {
    id: "04.1",
    kind: "blank",
    level: "medium",
    source: "written for this workbook (notebook 04)",
    prompt: "Dynamic quantization with one scale per output row of each weight (torch's per_channel_dynamic_qconfig): fill the options.",
    context: 'const quantized = quantizeDynamicModel(model, ["Linear"], "qint8", BLANK);',
    template: "{ options: BLANK }",
    blanks: [{ name: "the 4th argument", options: ["{ perChannel: true }", "{ perChannel: false }", '{ qscheme: "per_channel" }', "{ axis: 0 }"] }],
    fill: { right: ["{ perChannel: true }"], wrong: ['{ qscheme: "per_channel" }'] },
    hint: "Look at QuantizeDynamicModelOptions: it has one field.",
    mistakes: ["Leaving perChannel false (the default, one scale per tensor)", "Passing observer settings (qscheme, axis) that quantizeDynamicModel does not take"],
    solution: [
      "Step 1: by default quantizeDynamicModel uses one scale per weight tensor (MinMaxObserver, symmetric).",
      "Step 2: perChannel: true gives each output row its own scale (PerChannelMinMaxObserver), which tracks rows of very different ranges better.",
      'Final answer: quantizeDynamicModel(model, ["Linear"], "qint8", { perChannel: true })',
    ],
    evaluate(answer) {
      const f = fields(answer, ["options"]);
      if (isVerdict(f)) return f;
      if (f.options === null || typeof f.options !== "object") return { status: "malformed", expected: `options: an object such as { … }, got ${show(f.options)}` };
      const model = tinyTeacher();
      try {
        const q = quantizeDynamicModel(model, ["Linear"], "qint8", f.options as { perChannel?: boolean });
        try {
          const scales = q.perChannel ? q.linears.get("classifier")!.weight.qPerChannelScales().length : 1;
          if (q.perChannel) return { status: "right", note: `The classifier's int8 weight now has ${scales} scales, one per output row.` };
          return { status: "wrong", why: "perChannel false is the default: one scale for the whole tensor.", detail: `The classifier's int8 weight has ${scales} scale.` };
        } finally {
          q.dispose();
        }
      } catch (err) {
        return { status: "wrong", why: "quantizeDynamicModel takes only { perChannel }; the observer is chosen from it.", detail: `quantizeDynamicModel said: ${message(err)}` };
      } finally {
        model.dispose();
      }
    },
  },
  {
    id: "05.1",
    kind: "blank",
    level: "medium",
    source: "written for this workbook (notebook 05)",
    prompt: "ONNX Runtime's quantize_dynamic(model_input, model_output, weight_type=QuantType.QInt8): which weightType gives signed, symmetric int8 weights?",
    context: 'quantizeDynamic("onnx/model.onnx", "onnx/model.quant.onnx", { weightType: BLANK });',
    template: "{ weightType: BLANK }",
    blanks: [{ name: "weightType", options: ['"QInt8"', '"QUInt8"', '"float16"', '"int8"'] }],
    fill: { right: ['"QInt8"'], wrong: ['"QUInt8"'] },
    hint: "ONNX Runtime names its types QuantType.QInt8 and QuantType.QUInt8: which one is signed?",
    mistakes: ["Choosing QUInt8 (unsigned, asymmetric with a zero point: the activations' type)", "Using torch's or numpy's dtype names instead of ONNX Runtime's QuantType"],
    solution: [
      "Step 1: quantizeDynamic works on the .onnx file: MatMul and Gather weights become 8-bit initializers with a scale (and zero point).",
      "Step 2: \"QInt8\" is signed int8, symmetric (zero point 0), the book's choice; \"QUInt8\" is unsigned with a zero point.",
      'Final answer: quantizeDynamic(input, output, { weightType: "QInt8" })',
    ],
    evaluate(answer) {
      const f = fields(answer, ["weightType"]);
      if (isVerdict(f)) return f;
      const model = tinyTeacher();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "practice-onnx-"));
      try {
        const input = path.join(dir, "model.onnx");
        const output = path.join(dir, "model.quant.onnx");
        exportToOnnx(model, input);
        let quantizedNodes: string[];
        try {
          ({ quantizedNodes } = quantizeDynamic(input, output, { weightType: f.weightType as "QInt8" }));
        } catch (err) {
          return { status: "wrong", why: "ONNX Runtime's weight types are QuantType names: \"QInt8\" or \"QUInt8\".", detail: `quantizeDynamic said: ${message(err)}` };
        }
        const types = new Set(decodeModel(new Uint8Array(fs.readFileSync(output))).graph!.initializer!.filter((t) => t.name!.endsWith("_quantized")).map((t) => t.dataType));
        const ratio = fs.statSync(input).size / fs.statSync(output).size;
        const made = `quantizeDynamic quantized ${quantizedNodes.length} nodes; the file is ${ratio.toFixed(1)}× smaller`;
        if (types.size === 1 && types.has(3)) return { status: "right", note: `${made}, its weights are INT8.` };
        return { status: "wrong", why: "QUInt8 stores unsigned 8-bit weights with a zero point (asymmetric): that is the activations' type.", detail: `${made}, but its weights are UINT8.` };
      } finally {
        model.dispose();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    id: "06.1",
    kind: "blank",
    level: "easy",
    source: "written for this workbook (notebook 06)",
    prompt: "Prune 40% of a Linear(10, 5)'s 50 weights, the smallest in magnitude.",
    context: 'const lin = new Linear(10, 5);\nl1Unstructured(lin, "weight", BLANK);',
    template: "{ amount: BLANK }",
    blanks: [{ name: "amount", options: ["0.4", "40", "0.6", "4"] }],
    fill: { right: ["0.4"], wrong: ["0.6"] },
    hint: "A number in [0, 1] is a fraction of the weights to prune; an integer above 1 is a count.",
    mistakes: ["Giving a percentage (40) where a fraction is expected (an integer is a count: 40 weights)", "Giving the share to keep (0.6) instead of the share to prune"],
    solution: [
      "Step 1: PyTorch's amount (and ours) is a fraction in [0, 1] of the weights to prune, or an integer count.",
      "Step 2: 40% of 50 weights is 20: amount 0.4 (or the count 20).",
      'Final answer: l1Unstructured(lin, "weight", 0.4)',
    ],
    evaluate(answer) {
      const f = fields(answer, ["amount"]);
      if (isVerdict(f)) return f;
      const lin = new Linear(10, 5, { seed: 1 });
      try {
        try {
          l1Unstructured(lin, "weight", f.amount as number);
        } catch (err) {
          return { status: "malformed", expected: `an amount l1Unstructured accepts: ${message(err)}` };
        }
        const w = tf.tidy(() => lin.effective("weight").dataSync());
        const zeros = w.filter((v) => v === 0).length;
        const detail = `l1Unstructured zeroed ${zeros} of the 50 weights`;
        if (zeros === 20) return { status: "right", note: `${detail}.` };
        const why = f.amount === 0.6 ? "0.6 prunes 60% (30 weights): amount is the share pruned, not kept." : f.amount === 40 ? "40 is an integer above 1, so it is a count: 40 weights, not 40%." : f.amount === 4 ? "4 is a count: 4 weights." : undefined;
        return { status: "wrong", why, detail: `${detail}, not 20.` };
      } finally {
        lin.dispose();
      }
    },
  },
];

/**
 * Which exercises each notebook holds, in order (the key is the notebook's number).
 *
 * @example
 * PRACTICE_NOTEBOOKS["07"].length; // 15: the five tasks and the ten questions
 */
export const PRACTICE_NOTEBOOKS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  "01": ["01.1", "Q9"],
  "02": ["T3", "02.1", "Q1", "Q10"],
  "03": ["03.1", "Q8"],
  "04": ["T2", "04.1", "Q2", "Q4"],
  "05": ["05.1", "Q7"],
  "06": ["06.1", "Q6", "Q5"],
  "07": ["Q1", "Q2", "T1", "Q3", "Q4", "Q6", "Q7", "Q9", "T2", "Q5", "Q8", "Q10", "T3", "T4", "T5"],
});
