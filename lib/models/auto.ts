// The transformer kinds (BERT, DistilBERT, BERT for masked LM) in the model
// registry, and Hugging Face's AutoModel entry points, which ask the registry.
import { BertForSequenceClassification } from "./bert";
import { DistilBertForSequenceClassification } from "./distilbert";
import { LoadWeightsOptions, PreTrainedModel } from "./modeling";
import { BertConfig, DistilBertConfig, ModelConfig, isMaskedLm } from "./config";
import { BertForMaskedLM } from "./bertForMaskedLM";
import { folderKind, kindForModelType, registerModelKind, RegistryLoadOptions } from "./registry";
// The other kinds of this layer register when their modules load.
import "./bagOfWords/model";
import "./ensemble";

/** A loader's options as the model class takes them (keys left undefined dropped: the class checks every key it gets). */
function classOptions(o: RegistryLoadOptions): LoadWeightsOptions {
  const { dtype: _dtype, ...rest } = o;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as LoadWeightsOptions;
}

registerModelKind({
  name: "bert",
  modelTypes: ["bert"],
  load: (dir, o) => BertForSequenceClassification.fromPretrained(dir, classOptions(o)),
  create: (config, o) => (isMaskedLm(config) ? new BertForMaskedLM(config as BertConfig, o) : new BertForSequenceClassification(config as BertConfig, o)),
});
registerModelKind({
  name: "distilbert",
  modelTypes: ["distilbert"],
  load: (dir, o) => DistilBertForSequenceClassification.fromPretrained(dir, classOptions(o)),
  create: (config, o) => new DistilBertForSequenceClassification(config as DistilBertConfig, o),
});

/**
 * A freshly initialised model of the class that `config.model_type` names.
 *
 * @example const student = createModelFromConfig(distilbertConfig, { seed: 42 });
 */
export function createModelFromConfig(config: ModelConfig, options: { seed?: number } = {}): PreTrainedModel {
  return kindForModelType((config as ModelConfig).model_type).create(config, options);
}

/**
 * Loads any of our transformer sequence classifiers from a Hugging Face-layout
 * folder, choosing the class from config.json's `model_type` through the
 * model registry. Other kinds (bag of words, ensembles, ONNX folders) load
 * with `loadSequenceClassifier` or `pipeline()`.
 *
 * @example
 * const model = AutoModelForSequenceClassification.fromPretrained("data/models/bert-clinc-teacher");
 */
export const AutoModelForSequenceClassification = {
  fromPretrained(dir: string, options: LoadWeightsOptions = {}): PreTrainedModel {
    const kind = folderKind(dir);
    if (!kind.create) throw new Error(`AutoModelForSequenceClassification: ${dir} is a "${kind.name}" folder, not a transformer; load it with loadSequenceClassifier(dir) or pipeline("text-classification", dir)`);
    return kind.load(dir, options as RegistryLoadOptions) as PreTrainedModel;
  },
};
