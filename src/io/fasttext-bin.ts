/**
 * Native fastText `.bin` models (format version 12, also reads 11), non-quantized.
 *
 * Layout, all little-endian:
 *   int32 magic 793712314, int32 version 12
 *   args: int32 dim, ws, epoch, minCount, neg, wordNgrams, loss (hs=1 ns=2
 *     softmax=3 ova=4), model (cbow=1 sg=2 sup=3), bucket, minn, maxn,
 *     lrUpdateRate; float64 t
 *   dictionary: int32 size, nwords, nlabels; int64 ntokens, pruneidx_size;
 *     size × (NUL-terminated word bytes, int64 count, int8 type: 0 word, 1 label);
 *     max(pruneidx_size, 0) × (int32, int32)
 *   uint8 quant_input; input matrix: int64 rows, int64 cols, rows·cols float32
 *   uint8 qout; output matrix, the same way
 * A quantized model (`.ftz`) is rejected with a FormatError.
 *
 * Words are bytes (fastText never decodes them): they are read with `wordFromBytes` and
 * written with `wordBytes`, so a word that is not valid UTF-8 (Latin-1, say) keeps its
 * bytes, stays distinct from other words and hashes to the n-gram rows native fastText uses.
 *
 * Beyond the layout, both the reader and the writer check what the lookups rely on and
 * what native fastText always writes (`checkModel`): input rows = nwords + bucket, output
 * rows = nlabels (sup; a cbow/sg output matrix is only kept, never read), at least one
 * label (sup) or word (cbow, sg; labels at most bucket, as their vectors are input rows), words that
 * are non-empty, distinct and free of the bytes fastText splits on, counts and ntokens
 * >= 0, bucket >= 0 (> 0 where n-grams are hashed), t not NaN, pruneidx_size -1. Native
 * fastText writes any value of the arguments that only training reads (ws, epoch, neg,
 * minCount, lrUpdateRate, wordNgrams < 2, minn > maxn ...), so those are accepted.
 */
import { checkBytes } from '../core/check.js';
import { ArgumentError, FormatError } from '../core/errors.js';
import type {
  FastTextArgs,
  FastTextEntry,
  FastTextLoss,
  FastTextMatrix,
  FastTextModelData,
  FastTextModelName,
} from './fasttext-model.js';
import { ByteReader, ByteWriter, wordBytes, wordFromBytes } from './bytes.js';

/** The magic number that starts a fastText `.bin` file. */
export const FASTTEXT_MAGIC = 793712314;
/** The fastText `.bin` version we write (12). */
export const FASTTEXT_VERSION = 12;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LOSSES: readonly FastTextLoss[] = ['hs', 'ns', 'softmax', 'ova'];
const MODELS: readonly FastTextModelName[] = ['cbow', 'sg', 'sup'];

function readMatrix(r: ByteReader, name: string): FastTextMatrix {
  const at = r.offset;
  const rows = r.i64(`the ${name} matrix row count (int64)`);
  const cols = r.i64(`the ${name} matrix column count (int64)`);
  if (rows < 0 || cols < 0) throw r.error(`a non-negative ${name} matrix shape`, `${rows} x ${cols}`, at);
  const n = rows * cols;
  if (n * 4 > r.remaining) {
    throw r.error(
      `${rows} x ${cols} float32 values of the ${name} matrix (${n * 4} bytes)`,
      `end of data (${r.remaining} bytes left)`,
    );
  }
  if (!LITTLE_ENDIAN) return { rows, cols, data: r.f32s(n, `the ${name} matrix data`) };
  // A byte copy, not float by float: every value keeps its bits (a NaN's payload too), so the file round-trips.
  // (a new array, not bytes.slice: a Node Buffer's slice is a view into its pool)
  const copy = new Uint8Array(n * 4);
  copy.set(r.bytes.subarray(r.offset, r.offset + n * 4));
  r.offset += n * 4;
  return { rows, cols, data: new Float32Array(copy.buffer) };
}

/** The characters fastText splits words at (its readWord): no word contains one. */
const SPLIT_CHAR = /[ \t\n\v\f\r\0]/;

/** A field that breaks the model: `<field> must <must>, got <got>`. */
interface Problem {
  field: string;
  must: string;
  got: string;
}

const describeWord = (w: string): string => JSON.stringify(w);

function isInt32(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;
}

const INT_ARGS = [
  'dim',
  'ws',
  'epoch',
  'minCount',
  'neg',
  'wordNgrams',
  'loss',
  'model',
  'bucket',
  'minn',
  'maxn',
  'lrUpdateRate',
] as const;

/**
 * The first problem of a model that the lookups (predict, word vectors, n-grams) could not
 * use, or that native fastText never writes; undefined when there is none.
 */
function checkModel(m: FastTextModelData, nwords: number, nlabels: number): Problem | undefined {
  const { args, words, input, output } = m;
  const { dim, bucket, maxn, model } = args;
  if (!(dim >= 0)) return { field: 'args.dim', must: 'be an integer >= 0', got: String(dim) };
  if (!(bucket >= 0)) return { field: 'args.bucket', must: 'be an integer >= 0', got: String(bucket) };
  if (bucket === 0 && maxn > 0) {
    return {
      field: 'args.bucket',
      must: `be > 0 when args.maxn (${maxn}) > 0 (n-grams are hashed into buckets)`,
      got: '0',
    };
  }
  if (bucket === 0 && model === 'sup' && args.wordNgrams > 1) {
    return {
      field: 'args.bucket',
      must: `be > 0 when args.wordNgrams (${args.wordNgrams}) > 1 (word n-grams are hashed into buckets)`,
      got: '0',
    };
  }
  if (typeof args.t !== 'number' || Number.isNaN(args.t))
    return { field: 'args.t', must: 'be a number (not NaN)', got: String(args.t) };
  if (!(Number.isSafeInteger(m.ntokens) && m.ntokens >= 0))
    return { field: 'ntokens', must: 'be an integer >= 0', got: String(m.ntokens) };
  const seen = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const e = words[i]!;
    if (e.type !== 'word' && e.type !== 'label')
      return { field: `words[${i}].type`, must: "be 'word' or 'label'", got: String(e.type) };
    if (typeof e.word !== 'string' || e.word === '')
      return { field: `words[${i}].word`, must: 'be a non-empty word', got: describeWord(String(e.word)) };
    if (SPLIT_CHAR.test(e.word)) {
      const c = SPLIT_CHAR.exec(e.word)![0];
      return {
        field: `words[${i}].word`,
        must: `not contain ${c === '\0' ? 'NUL' : JSON.stringify(c)} (fastText splits words at space, \\t, \\n, \\v, \\f, \\r and NUL)`,
        got: describeWord(e.word),
      };
    }
    if (seen.has(e.word))
      return {
        field: `words[${i}].word`,
        must: `differ from every other word (fastText's words are distinct)`,
        got: describeWord(e.word),
      };
    seen.add(e.word);
    if (!(Number.isSafeInteger(e.count) && e.count >= 0))
      return { field: `words[${i}].count`, must: 'be an integer >= 0', got: String(e.count) };
  }
  if (model === 'sup' && nlabels < 1)
    return { field: 'the dictionary', must: 'be at least 1 label for a supervised model', got: '0 labels' };
  if (model !== 'sup' && nwords < 1)
    return { field: 'the dictionary', must: `be at least 1 word for a ${model} model`, got: '0 words' };
  if (model !== 'sup' && nlabels > bucket) {
    return {
      field: 'the dictionary',
      must: `be at most args.bucket (${bucket}) labels in a ${model} model (a label's vector is input row nwords + k)`,
      got: `${nlabels} labels`,
    };
  }
  if (input.rows !== nwords + bucket) {
    return {
      field: 'the input matrix rows',
      must: `be nwords + args.bucket = ${nwords} + ${bucket} = ${nwords + bucket}`,
      got: String(input.rows),
    };
  }
  if (input.cols !== dim)
    return { field: 'the input matrix columns', must: `be args.dim = ${dim}`, got: String(input.cols) };
  if (output.cols !== dim)
    return { field: 'the output matrix columns', must: `be args.dim = ${dim}`, got: String(output.cols) };
  // Only a supervised model's output rows are read (one per label); cbow/sg keep theirs for training.
  if (model === 'sup' && output.rows !== nlabels)
    return {
      field: 'the output matrix rows',
      must: `be nlabels = ${nlabels} (one per label)`,
      got: String(output.rows),
    };
  return undefined;
}

/** Parse a native fastText `.bin` model (non-quantized). */
export function readFastTextBin(bytes: Uint8Array | ArrayBuffer): FastTextModelData {
  const r = new ByteReader(checkBytes('readFastTextBin', 'bytes', bytes), 'readFastTextBin');
  const magic = r.i32('the fastText magic number 793712314 (int32)');
  if (magic !== FASTTEXT_MAGIC) throw r.error('the fastText magic number 793712314', String(magic), 0);
  const version = r.i32('the format version (int32)');
  if (version !== 12 && version !== 11) throw r.error('format version 12 (or 11)', String(version), 4);
  const argAt = r.offset;
  const ints = INT_ARGS.map((name) => r.i32(`args.${name} (int32)`));
  const [dim, ws, epoch, minCount, neg, wordNgrams, lossCode, modelCode, bucket, minn, maxn, lrUpdateRate] = ints as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const t = r.f64('args.t (float64)');
  const loss = LOSSES[lossCode - 1];
  if (!loss) throw r.error('args.loss in 1..4 (hs, ns, softmax, ova)', String(lossCode), argAt + 24);
  const model = MODELS[modelCode - 1];
  if (!model) throw r.error('args.model in 1..3 (cbow, sg, sup)', String(modelCode), argAt + 28);
  const args: FastTextArgs = {
    dim,
    ws,
    epoch,
    minCount,
    neg,
    wordNgrams,
    loss,
    model,
    bucket,
    minn,
    maxn,
    lrUpdateRate,
    t,
  };
  // fastText 0.9: version-11 supervised models had no character n-grams
  if (version === 11 && model === 'sup') args.maxn = 0;

  const dictAt = r.offset;
  const size = r.i32('the dictionary size (int32)');
  const nwords = r.i32('the dictionary word count (int32)');
  const nlabels = r.i32('the dictionary label count (int32)');
  if (size < 0 || nwords < 0 || nlabels < 0 || nwords + nlabels !== size) {
    throw r.error(
      'dictionary counts with size = nwords + nlabels',
      `size ${size}, nwords ${nwords}, nlabels ${nlabels}`,
      dictAt,
    );
  }
  const ntokens = r.i64('the token count (int64)');
  const pruneIdxSize = r.i64('the prune index size (int64)');
  const words: FastTextEntry[] = new Array(size);
  const entryAt: number[] = new Array(size);
  for (let i = 0; i < size; i++) {
    entryAt[i] = r.offset;
    const word = wordFromBytes(r.until(0, `dictionary entry ${i}: a NUL-terminated word`));
    const count = r.i64(`dictionary entry ${i}: the count (int64)`);
    const typeAt = r.offset;
    const type = r.i8(`dictionary entry ${i}: the type (int8)`);
    if (type !== 0 && type !== 1)
      throw r.error(`dictionary entry ${i}: type 0 (word) or 1 (label)`, String(type), typeAt);
    words[i] = { word, count, type: type === 0 ? 'word' : 'label' };
  }
  const typesOk = words.every((e, i) => (e.type === 'word') === i < nwords);
  if (!typesOk)
    throw r.error(`a dictionary of ${nwords} words then ${nlabels} labels`, 'entries in another order', dictAt);
  for (let i = 0; i < pruneIdxSize; i++) {
    r.i32(`prune index pair ${i} (int32)`);
    r.i32(`prune index pair ${i} (int32)`);
  }
  const quantAt = r.offset;
  const quantInput = r.u8('the quant_input flag (uint8)');
  if (quantInput !== 0) {
    throw r.error('quant_input 0: quantized models (.ftz) are not supported yet', String(quantInput), quantAt);
  }
  if (pruneIdxSize !== -1)
    throw r.error(
      'pruneidx_size -1 (a dictionary that is not pruned, as every non-quantized model has)',
      String(pruneIdxSize),
      dictAt + 20,
    );
  const inputAt = r.offset;
  const input = readMatrix(r, 'input');
  if (input.cols !== dim)
    throw r.error(`an input matrix with ${dim} (args.dim) columns`, String(input.cols), inputAt + 8);
  if (input.rows < nwords) throw r.error(`an input matrix with at least ${nwords} rows`, String(input.rows), inputAt);
  const qoutAt = r.offset;
  const qout = r.u8('the qout flag (uint8)');
  if (qout !== 0) throw r.error('qout 0: quantized output matrices are not supported yet', String(qout), qoutAt);
  const outputAt = r.offset;
  const output = readMatrix(r, 'output');
  if (output.cols !== dim)
    throw r.error(`an output matrix with ${dim} (args.dim) columns`, String(output.cols), outputAt + 8);
  if (r.remaining !== 0) throw r.error('the end of the file', `${r.remaining} more bytes`);
  const data: FastTextModelData = { args, words, ntokens, pruneIdxSize, input, output };
  const p = checkModel(data, nwords, nlabels);
  if (p) {
    const argIndex = INT_ARGS.findIndex((a) => p.field === `args.${a}`);
    const entry = /^words\[(\d+)\]/.exec(p.field);
    const at =
      argIndex >= 0
        ? argAt + 4 * argIndex
        : p.field === 'args.t'
          ? argAt + 48
          : p.field === 'ntokens'
            ? dictAt + 12
            : entry
              ? entryAt[Number(entry[1])]!
              : p.field.startsWith('the input')
                ? inputAt
                : p.field.startsWith('the output')
                  ? outputAt
                  : dictAt;
    throw new FormatError(`readFastTextBin: bytes at offset ${at} (${p.field}) must ${p.must}, got ${p.got}`);
  }
  return data;
}

function checkMatrix(m: FastTextMatrix, name: string): void {
  if (m === null || typeof m !== 'object' || !(m.data instanceof Float32Array))
    throw new ArgumentError(
      `writeFastTextBin: ${name} must be a matrix { rows, cols, data: Float32Array }, got ${typeof m}`,
    );
  if (!(Number.isSafeInteger(m.rows) && m.rows >= 0 && Number.isSafeInteger(m.cols) && m.cols >= 0))
    throw new ArgumentError(`writeFastTextBin: ${name} must have integer rows, cols >= 0, got ${m.rows} x ${m.cols}`);
  if (m.data.length !== m.rows * m.cols) {
    throw new ArgumentError(
      `writeFastTextBin: ${name}.data must have rows*cols = ${m.rows * m.cols} values, got ${m.data.length}`,
    );
  }
}

/**
 * Serialise a model as a native fastText `.bin` (version 12, non-quantized; pruneidx_size written as -1).
 * Refuses (ArgumentError) what `readFastTextBin` refuses, so every file it writes reads back.
 */
export function writeFastTextBin(model: FastTextModelData): Uint8Array {
  const fn = 'writeFastTextBin';
  const { args, words, input, output } = model;
  checkMatrix(input, 'input');
  checkMatrix(output, 'output');
  if (!LOSSES.includes(args.loss))
    throw new ArgumentError(`${fn}: args.loss must be one of ${LOSSES.join(', ')}, got ${args.loss}`);
  if (!MODELS.includes(args.model))
    throw new ArgumentError(`${fn}: args.model must be one of ${MODELS.join(', ')}, got ${args.model}`);
  for (const a of INT_ARGS) {
    if (a !== 'loss' && a !== 'model' && !isInt32(args[a]))
      throw new ArgumentError(`${fn}: args.${a} must be an int32, got ${String(args[a])}`);
  }
  if (!Array.isArray(words)) throw new ArgumentError(`${fn}: words must be an array, got ${typeof words}`);
  const notEntry = words.findIndex((e) => e === null || typeof e !== 'object');
  if (notEntry >= 0)
    throw new ArgumentError(
      `${fn}: words[${notEntry}] must be an entry { word, count, type }, got ${String(words[notEntry])}`,
    );
  const firstLabel = words.findIndex((e) => e.type === 'label');
  if (firstLabel >= 0 && words.slice(firstLabel).some((e) => e.type !== 'label')) {
    throw new ArgumentError(`${fn}: words must list every word before the labels, got a word after a label`);
  }
  const nwords = firstLabel >= 0 ? firstLabel : words.length;
  const p = checkModel(model, nwords, words.length - nwords);
  if (p) throw new ArgumentError(`${fn}: ${p.field} must ${p.must}, got ${p.got}`);
  const encoded = words.map((e) => wordBytes(e.word));
  const dictBytes = encoded.reduce((s, b) => s + b.length + 10, 0);
  const w = new ByteWriter(100 + dictBytes + 4 * (input.data.length + output.data.length) + 40);
  w.i32(FASTTEXT_MAGIC);
  w.i32(FASTTEXT_VERSION);
  for (const v of [args.dim, args.ws, args.epoch, args.minCount, args.neg, args.wordNgrams]) w.i32(v);
  w.i32(LOSSES.indexOf(args.loss) + 1);
  w.i32(MODELS.indexOf(args.model) + 1);
  for (const v of [args.bucket, args.minn, args.maxn, args.lrUpdateRate]) w.i32(v);
  w.f64(args.t);
  w.i32(words.length);
  w.i32(nwords);
  w.i32(words.length - nwords);
  w.i64(model.ntokens);
  w.i64(-1);
  words.forEach((e, i) => {
    w.bytes(encoded[i]!);
    w.u8(0);
    w.i64(e.count);
    w.u8(e.type === 'word' ? 0 : 1);
  });
  w.u8(0);
  w.i64(input.rows);
  w.i64(input.cols);
  w.f32s(input.data);
  w.u8(0);
  w.i64(output.rows);
  w.i64(output.cols);
  w.f32s(output.data);
  return w.finish();
}
