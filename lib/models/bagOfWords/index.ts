// The bag-of-words baseline model: TF-IDF features of token ids (unigrams and hashed bigrams) and a linear or MLP classifier.
export { murmurHash3, murmurHash3Pair } from "./hash";
export { BagOfWordsFeaturizer, bigramBucket, compactRows, validateFeatureSettings } from "./features";
export type { FeatureSettings, SparseRow, CompactBatch } from "./features";
export { bagOfWordsConfig, validateBagOfWordsConfig, featureSettings } from "./config";
export type { BagOfWordsConfig, BagOfWordsConfigInput } from "./config";
export { BagOfWordsClassifier } from "./model";
export type { BagOfWordsForwardOptions } from "./model";
