/**
 * A fastText model in memory, as its `.bin` file stores it (non-quantized), and
 * the vector lookups of native fastText in the same float32 arithmetic:
 * `fastTextWordVector` (getWordVector), `fastTextSentenceVector` (getSentenceVector),
 * `fastTextWordSubwords` (getSubwords) and `fastTextLineIds` (the supervised getLine).
 */
import { ArgumentError, VocabError } from '../../core/errors.js';
import { EOS, addWordNgrams, computeSubwords, fastTextHash } from '../../text/subwords.js';
import { Tensor, type RandomOptions } from '../../core/tensor.js';
import type { FastTextModelData } from '../../io/fasttext-model.js';
export type {
  FastTextArgs,
  FastTextEntry,
  FastTextLoss,
  FastTextMatrix,
  FastTextModelData,
  FastTextModelName,
} from '../../io/fasttext-model.js';

/** Options of the lookups that tokenize. */
export interface FastTextLookupOptions {
  /** Label prefix (fastText's `-label`; not stored in the `.bin`). Default `__label__`. */
  label?: string;
}

interface ModelIndex {
  ids: Map<string, number>;
  nwords: number;
  subwords: Map<number, number[]>;
}

const INDEX = new WeakMap<FastTextModelData, ModelIndex>();

/**
 * Word → id map, built on first use and cached per model object (do not mutate
 * `words` afterwards).
 */
function indexOf(model: FastTextModelData): ModelIndex {
  let ix = INDEX.get(model);
  if (!ix) {
    const ids = new Map<string, number>();
    let nwords = 0;
    model.words.forEach((e, i) => {
      if (!ids.has(e.word)) ids.set(e.word, i);
      if (e.type === 'word') nwords++;
    });
    ix = { ids, nwords, subwords: new Map() };
    INDEX.set(model, ix);
  }
  return ix;
}

/** Number of words (not labels) in the dictionary. */
export function fastTextNumWords(model: FastTextModelData): number {
  return indexOf(model).nwords;
}

/** Id of `word` in the dictionary, or -1. */
export function fastTextWordId(model: FastTextModelData, word: string): number {
  return indexOf(model).ids.get(word) ?? -1;
}

function ngramsOf(model: FastTextModelData, word: string, nwords: number): number[] {
  const { minn, maxn, bucket } = model.args;
  if (word === EOS || !(maxn > 0)) return [];
  // native fastText writes any minn (its loop takes n >= minn): minn <= 1 is the same as 1
  return computeSubwords(word, Math.max(1, minn), maxn, bucket, nwords);
}

/**
 * Input rows that make up `word` (fastText's getSubwords): its own id when in
 * the vocabulary, then its character n-gram rows; `</s>` has no n-grams.
 */
export function fastTextWordSubwords(model: FastTextModelData, word: string): number[] {
  const ix = indexOf(model);
  const id = ix.ids.get(word);
  if (id === undefined) return ngramsOf(model, word, ix.nwords);
  let rows = ix.subwords.get(id);
  if (!rows) {
    rows = [id, ...ngramsOf(model, word, ix.nwords)];
    ix.subwords.set(id, rows);
  }
  return rows;
}

/** acc += input row `row`, float32 element by element. */
function addRow(model: FastTextModelData, acc: Float32Array, row: number): void {
  const { rows, cols, data } = model.input;
  if (row < 0 || row >= rows) {
    throw new VocabError(`fastText: input row must be in [0, ${rows}), got ${row}`);
  }
  const base = row * cols;
  for (let j = 0; j < cols; j++) acc[j]! += data[base + j]!;
}

/** v *= float32(1 / n). */
function scaleBy(v: Float32Array, inv: number): void {
  const s = Math.fround(inv);
  for (let j = 0; j < v.length; j++) v[j]! *= s;
}

function meanOfRows(model: FastTextModelData, rows: readonly number[], out: Float32Array): Float32Array {
  out.fill(0);
  for (const r of rows) addRow(model, out, r);
  if (rows.length > 0) scaleBy(out, 1 / rows.length);
  return out;
}

/**
 * The vector of `word` (fastText's getWordVector): the float32 mean of its
 * input rows (`fastTextWordSubwords`); out-of-vocabulary words use their n-grams only;
 * zeros when there are none.
 */
export function fastTextWordVector(model: FastTextModelData, word: string, out?: Float32Array): Float32Array {
  const dim = model.input.cols;
  const v = out ?? new Float32Array(dim);
  if (v.length !== dim) throw new ArgumentError(`fastTextWordVector: out must have length ${dim}, got ${v.length}`);
  return meanOfRows(model, fastTextWordSubwords(model, word), v);
}

const READWORD_SPACE = /[ \t\v\f\r\0]+/;
const CPP_SPACE = /[ \t\n\v\f\r]+/;

/**
 * Input rows and label ids of one line of a supervised model (fastText's
 * getLine): tokens split at ` \t\v\f\r\0`, reading stops at the first `\n`; the
 * line is taken as newline-terminated, so `</s>` ends it (set `eos: false` for
 * a last line without a newline). In-vocabulary words give their id (or their
 * subword rows when maxn > 0), unknown words their n-grams; then the word
 * n-gram rows of the word hashes (`wordNgrams`). Labels (ids among the labels,
 * 0-based) are only those in the dictionary.
 */
export function fastTextLineIds(
  model: FastTextModelData,
  line: string,
  options: FastTextLookupOptions & { eos?: boolean } = {},
): { ids: number[]; labels: number[] } {
  const prefix = options.label ?? '__label__';
  const ix = indexOf(model);
  const nl = line.indexOf('\n');
  const text = nl >= 0 ? line.slice(0, nl) : line;
  const tokens = text.split(READWORD_SPACE).filter((t) => t.length > 0);
  if (nl >= 0 || options.eos !== false) tokens.push(EOS);
  const ids: number[] = [];
  const labels: number[] = [];
  const hashes: number[] = [];
  for (const token of tokens) {
    const id = ix.ids.get(token);
    const isLabel = id !== undefined ? model.words[id]!.type === 'label' : token.startsWith(prefix);
    if (!isLabel) {
      if (id === undefined) ids.push(...ngramsOf(model, token, ix.nwords));
      else if (model.args.maxn <= 0) ids.push(id);
      else ids.push(...fastTextWordSubwords(model, token));
      hashes.push(fastTextHash(token));
    } else if (id !== undefined) {
      labels.push(id - ix.nwords);
    }
  }
  addWordNgrams(ids, hashes, model.args.wordNgrams, model.args.bucket, ix.nwords);
  return { ids, labels };
}

/**
 * fastText's sentence vector (print-sentence-vectors). Supervised models: the
 * mean of the input rows of `fastTextLineIds(line)` (so `</s>` and word n-grams count).
 * Unsupervised: split at C whitespace; the mean of the word vectors, each
 * scaled to unit L2 norm first (zero vectors are skipped).
 */
export function fastTextSentenceVector(
  model: FastTextModelData,
  line: string,
  options: FastTextLookupOptions = {},
): Float32Array {
  const dim = model.input.cols;
  const out = new Float32Array(dim);
  if (model.args.model === 'sup') return meanOfRows(model, fastTextLineIds(model, line, options).ids, out);
  const v = new Float32Array(dim);
  let count = 0;
  for (const word of line.split(CPP_SPACE)) {
    if (word.length === 0) continue;
    fastTextWordVector(model, word, v);
    let sum = 0;
    for (let j = 0; j < dim; j++) sum = Math.fround(sum + Math.fround(v[j]! * v[j]!));
    const norm = Math.fround(Math.sqrt(sum));
    if (norm > 0) {
      scaleBy(v, 1 / norm);
      for (let j = 0; j < dim; j++) out[j]! += v[j]!;
      count++;
    }
  }
  if (count > 0) scaleBy(out, 1 / count);
  return out;
}

/**
 * fastText's initial input matrix (rows, dim): uniform in [-1/dim, 1/dim] over
 * the first `blocks` tenths and 0 after, from Philox (seed, stream). fastText
 * 0.9.2 initialises the matrix in ten blocks of floor(rows·dim / 10) floats, one
 * per training thread, so with `-thread T` only min(T, 10) blocks are random and
 * the rest (most hashed n-gram rows when T = 1) starts at zero; its default
 * -thread 12 covers all ten blocks (every float but the last rows·dim mod 10).
 * Only the random part is drawn.
 */
export function fastTextInputMatrix(
  rows: number,
  dim: number,
  blocks: number,
  random: RandomOptions,
): Tensor<'float32'> {
  const n = rows * dim;
  const end = Math.floor(n / 10) * Math.min(10, Math.max(0, Math.floor(blocks)));
  const t = Tensor.rand([rows, dim], { ...random, count: end });
  const v = t.view();
  const span = 2 / dim,
    lo = 1 / dim;
  for (let i = 0; i < end; i++) v[i] = v[i]! * span - lo;
  return t;
}
