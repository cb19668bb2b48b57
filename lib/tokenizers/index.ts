export { BertTokenizer, SPECIAL_TOKENS } from "./bertTokenizer";
export type { Encoding, BatchEncoding, EncodeOptions, BatchEncodeOptions, BertTokenizerOptions } from "./bertTokenizer";
export { bertNormalize, bertPreTokenize } from "./normalize";
export { TOKENIZER_FINGERPRINT_FIELD, vocabularyFingerprint, vocabularyOfTokenizerJson, recordedTokenizerFingerprint, checkTokenizerFingerprint, checkFolderTokenizer, recordTokenizerFingerprint, folderTokenizerFingerprint } from "./fingerprint";
export type { TokenizerFingerprint } from "./fingerprint";
