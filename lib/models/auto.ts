import { BertForSequenceClassification } from "./bert";
import { DistilBertForSequenceClassification } from "./distilbert";
import { readConfig, PreTrainedModel } from "./modeling";

/**
 * Loads any of our sequence classifiers from a Hugging Face-layout folder,
 * choosing the class from config.json's `model_type`.
 *
 * @example
 * const model = AutoModelForSequenceClassification.fromPretrained("data/models/bert-base-uncased-finetuned-clinc");
 */
export const AutoModelForSequenceClassification = {
  fromPretrained(dir: string, options: { quiet?: boolean } = {}): PreTrainedModel {
    const config = readConfig(dir);
    switch (config.model_type) {
      case "bert":
        return BertForSequenceClassification.fromPretrained(dir, options);
      case "distilbert":
        return DistilBertForSequenceClassification.fromPretrained(dir, options);
    }
  },
};
