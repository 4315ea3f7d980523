// text: word tokenization, vocabularies, fastText sub-word hashing, BERT's WordPiece, byte-level BPE.
export { EOS, tokenize, tokenizeBatches, tokenizeString, TokenSplitter } from './tokenize.js';
export type { TextChunk, TextSource } from './tokenize.js';
export { Vocab, encode, encodeLine } from './vocab.js';
export type { VocabEntry, VocabOptions, EntryType, EncodeOptions, EncodedLine } from './vocab.js';
export { fastTextHash, computeSubwords, ngramStrings, addWordNgrams, BOW, EOW } from './subwords.js';
export { WordPiece, basicTokenize, isBertPunctuation, isChineseChar, stripAccents } from './wordpiece.js';
export type {
  WordPieceOptions,
  BasicTokenizeOptions,
  WordPieceEncodeOptions,
  Encoding,
  WordPieceDecodeOptions,
  WordPieceTruncation,
  WordPieceTrainOptions,
} from './wordpiece.js';
export { ByteLevelBPE } from './bpe.js';
export type {
  BPEEncoding,
  ByteLevelBPETrainOptions,
  ByteLevelBPEVocabMergesOptions,
  ByteLevelBPEDecodeOptions,
} from './bpe.js';
