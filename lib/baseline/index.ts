// The bag-of-words baseline: TF-IDF features of token ids, a linear or MLP classifier, its training loop and recipe.
export { murmurHash3, murmurHash3Pair } from "./hash";
export { BagOfWordsFeaturizer, bigramBucket, compactRows, validateFeatureSettings } from "./features";
export type { FeatureSettings, SparseRow, CompactBatch } from "./features";
export { bagOfWordsConfig, validateBagOfWordsConfig, featureSettings } from "./config";
export type { BagOfWordsConfig, BagOfWordsConfigInput } from "./config";
export { BagOfWordsClassifier } from "./bagOfWords";
export type { BagOfWordsForwardOptions } from "./bagOfWords";
export { SparseAdamW } from "./sparseAdam";
export { BOW_TRAINING_DEFAULTS, resolveBagOfWordsTrainingArgs, trainBagOfWordsClassifier, predictBagOfWords, predictFeatureRows } from "./trainer";
export type { BagOfWordsTrainingArgs, BagOfWordsExample, BagOfWordsEpochLog, BagOfWordsTrainOutput } from "./trainer";
export { BOW_RECIPE, trainBagOfWords } from "./recipe";
export type { BagOfWordsRecipe, TrainBagOfWordsOptions, BagOfWordsResult } from "./recipe";
