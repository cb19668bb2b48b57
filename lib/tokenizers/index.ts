export { BertTokenizer, SPECIAL_TOKENS } from "./bertTokenizer";
export type { Encoding, BatchEncoding, EncodeOptions, BatchEncodeOptions, BertTokenizerOptions } from "./bertTokenizer";
export { bertNormalize, bertPreTokenize } from "./normalize";
