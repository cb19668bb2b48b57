// The bag-of-words baseline's training: a sparse AdamW and the training loop (the model itself is in models/bagOfWords; its recipe in workbook).
export { SparseAdamW } from "./sparseAdam";
export { BOW_TRAINING_DEFAULTS, resolveBagOfWordsTrainingArgs, trainBagOfWordsClassifier, predictBagOfWords, predictFeatureRows } from "./trainer";
export type { BagOfWordsTrainingArgs, BagOfWordsExample, BagOfWordsEpochLog, BagOfWordsTrainOutput } from "./trainer";
