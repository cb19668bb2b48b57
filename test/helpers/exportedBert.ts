// A tiny BERT over letters and their ##-suffixes, exported to ONNX in a temp
// folder: what the quantization tests start from.
import * as path from "node:path";
import { ready, tmpDir } from "./setup";
import { BertTokenizer } from "../../lib/tokenizers";
import { BertForSequenceClassification, labelMaps } from "../../lib/models";
import { exportToOnnx } from "../../lib/onnx";

export const letterTokenizer = new BertTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ..."abcdefghijklmnopqrstuvwxyz".split(""), ..."abcdefghijklmnopqrstuvwxyz".split("").map((c) => `##${c}`)]);

/** The model, its temp folder and its fp32 model.onnx there. */
export async function exportedTinyBert() {
  await ready;
  const model = BertForSequenceClassification.fromConfig({ vocab_size: letterTokenizer.vocabSize, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64, initializer_range: 0.1, ...labelMaps(["a", "b", "c", "d", "e"]) }, { seed: 11 });
  const dir = tmpDir();
  const fp32 = path.join(dir, "model.onnx");
  exportToOnnx(model, fp32);
  return { model, dir, fp32 };
}
