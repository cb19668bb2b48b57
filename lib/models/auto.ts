import { BertForSequenceClassification } from "./bert";
import { DistilBertForSequenceClassification } from "./distilbert";
import { LoadWeightsOptions, readConfig, PreTrainedModel } from "./modeling";
import { ModelConfig, isMaskedLm } from "./config";
import { BertForMaskedLM } from "./bertForMaskedLM";

/** A freshly initialised model of the class that `config.model_type` names. */
export function createModelFromConfig(config: ModelConfig, options: { seed?: number } = {}): PreTrainedModel {
  switch (config.model_type) {
    case "bert":
      return isMaskedLm(config) ? new BertForMaskedLM(config, options) : new BertForSequenceClassification(config, options);
    case "distilbert":
      return new DistilBertForSequenceClassification(config, options);
    default:
      throw new Error(`Unsupported model_type "${(config as ModelConfig).model_type}" (supported: bert, distilbert)`);
  }
}

/**
 * Loads any of our sequence classifiers from a Hugging Face-layout folder,
 * choosing the class from config.json's `model_type`.
 *
 * @example
 * const model = AutoModelForSequenceClassification.fromPretrained("data/models/bert-base-uncased-finetuned-clinc");
 */
export const AutoModelForSequenceClassification = {
  fromPretrained(dir: string, options: LoadWeightsOptions = {}): PreTrainedModel {
    const config = readConfig(dir);
    switch (config.model_type) {
      case "bert":
        return BertForSequenceClassification.fromPretrained(dir, options);
      case "distilbert":
        return DistilBertForSequenceClassification.fromPretrained(dir, options);
    }
  },
};
