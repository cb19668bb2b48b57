// A toy task a tiny BERT learns in a few full-batch steps, for tests that
// assert learning (QAT moves the weights, movement scores follow them).
import { ClassLabel, Dataset } from "../../lib/data";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import type { EncodedRow } from "../../lib/training";
import { Random } from "../../lib/utils/random";

/** 32 rows: the label says whether the first token after [CLS] is one of 5–9 (else 10–14). */
export function learnableToyData(): Dataset<EncodedRow> {
  const rng = new Random(3);
  const rows: EncodedRow[] = [];
  for (let i = 0; i < 32; i++) {
    const label = i % 2;
    rows.push({ input_ids: [2, label ? 5 + rng.int(5) : 10 + rng.int(5), 6 + rng.int(19), 6 + rng.int(19), 3], label });
  }
  return new Dataset(rows, { intent: new ClassLabel(["no", "yes"]) });
}

/** A 2-layer BERT without dropout (so full-batch training is deterministic), weights large enough to learn quickly. */
export const learnableTinyBert = (vocabSize: number) =>
  BertForSequenceClassification.fromConfig(
    { vocab_size: vocabSize, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 16, initializer_range: 0.2, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, ...labelMaps(["no", "yes"]) },
    { seed: 3 },
  );
