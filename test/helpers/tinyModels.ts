// Tiny models over a 25-token vocabulary, shared by the tests that need one
// of each kind (the ensemble's members, the registry's folder kinds).
import { BertTokenizer } from "../../lib/tokenizers";
import { BagOfWordsClassifier, BagOfWordsFeaturizer, BertForSequenceClassification, DistilBertForSequenceClassification, labelMaps } from "../../lib/models";

export const tokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrst".split("")], { modelMaxLength: 16 });
export const LABELS = ["no", "maybe", "yes"];

export const bert = (seed = 3, labels = LABELS) =>
  BertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, ...labelMaps(labels) }, { seed });
export const distilbert = (seed = 4) =>
  DistilBertForSequenceClassification.fromConfig({ vocab_size: tokenizer.vocabSize, dim: 16, n_layers: 1, n_heads: 2, hidden_dim: 32, max_position_embeddings: 12, ...labelMaps(LABELS) }, { seed });

/** A bag-of-words model fitted on 12 fixed documents, with a wide init so its logits are far from zero and differ from the transformers'. */
export function bow(seed = 5): BagOfWordsClassifier {
  const docs = Array.from({ length: 12 }, (_, i) => [2, 5 + (i % 7), 6 + (i % 5), 3]);
  const f = BagOfWordsFeaturizer.fit(docs, { vocabSize: tokenizer.vocabSize, numBuckets: 16, ignoredTokenIds: [0, 2, 3, 4], sublinearTf: true });
  return BagOfWordsClassifier.fromConfig({ vocab_size: tokenizer.vocabSize, ignored_token_ids: [0, 2, 3, 4], num_buckets: 16, hidden_size: 8, initializer_range: 1, max_length: 16, ...labelMaps(LABELS) }, f.idf, { seed });
}
