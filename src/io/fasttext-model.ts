// The fastText model as its `.bin` file stores it: arguments, dictionary and the two matrices.

/** The loss a fastText model was trained with. */
export type FastTextLoss = 'hs' | 'ns' | 'softmax' | 'ova';
/** The model a fastText `.bin` holds: 'cbow', 'sg' (skip-gram) or 'sup' (supervised). */
export type FastTextModelName = 'cbow' | 'sg' | 'sup';

/** The training arguments a fastText `.bin` stores, in its order. */
export interface FastTextArgs {
  dim: number;
  ws: number;
  epoch: number;
  minCount: number;
  neg: number;
  wordNgrams: number;
  loss: FastTextLoss;
  model: FastTextModelName;
  bucket: number;
  minn: number;
  maxn: number;
  lrUpdateRate: number;
  /** Sampling threshold (a double in the file). */
  t: number;
}

/** A row-major float32 matrix. */
export interface FastTextMatrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

/** One dictionary entry of a fastText model: a word or a label, and its count. */
export interface FastTextEntry {
  /**
   * The word's bytes as `wordFromBytes` (src/io/bytes.ts) decodes them: bytes of invalid UTF-8
   * are U+DC80..U+DCFF escapes, and `wordBytes` gives the exact bytes back. Never empty, never
   * with a space, \t, \n, \v, \f, \r or NUL (fastText splits words there).
   */
  word: string;
  count: number;
  type: 'word' | 'label';
}

/**
 * The model data. `words` lists the words (type 'word') first, then the labels,
 * as fastText's dictionary does; `input` has `nwords + bucket` rows (words, then
 * hashed n-grams); `output` has one row per label (supervised) or per word.
 */
export interface FastTextModelData {
  args: FastTextArgs;
  words: FastTextEntry[];
  ntokens: number;
  /** -1 when the dictionary is not pruned (every non-quantized model). */
  pruneIdxSize: number;
  input: FastTextMatrix;
  output: FastTextMatrix;
}
