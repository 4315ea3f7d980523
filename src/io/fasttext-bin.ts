/**
 * Native fastText `.bin` models (format version 12, also reads 11), non-quantized.
 *
 * Layout, all little-endian:
 *   int32 magic 793712314, int32 version 12
 *   args: int32 dim, ws, epoch, minCount, neg, wordNgrams, loss (hs=1 ns=2
 *     softmax=3 ova=4), model (cbow=1 sg=2 sup=3), bucket, minn, maxn,
 *     lrUpdateRate; float64 t
 *   dictionary: int32 size, nwords, nlabels; int64 ntokens, pruneidx_size;
 *     size × (NUL-terminated UTF-8 word, int64 count, int8 type: 0 word, 1 label);
 *     max(pruneidx_size, 0) × (int32, int32)
 *   uint8 quant_input; input matrix: int64 rows, int64 cols, rows·cols float32
 *   uint8 qout; output matrix, the same way
 * A quantized model (`.ftz`) is rejected with a FormatError.
 */
import { ArgumentError } from '../core/errors.js';
import type {
  FastTextArgs,
  FastTextEntry,
  FastTextLoss,
  FastTextMatrix,
  FastTextModelData,
  FastTextModelName,
} from './fasttext-model.js';
import { ByteReader, ByteWriter, fromUtf8, utf8 } from './bytes.js';

/** The magic number that starts a fastText `.bin` file. */
export const FASTTEXT_MAGIC = 793712314;
/** The fastText `.bin` version we write (12). */
export const FASTTEXT_VERSION = 12;

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
  return { rows, cols, data: r.f32s(n, `the ${name} matrix data`) };
}

/** Parse a native fastText `.bin` model (non-quantized). */
export function readFastTextBin(bytes: Uint8Array): FastTextModelData {
  const r = new ByteReader(bytes, 'readFastTextBin');
  const magic = r.i32('the fastText magic number 793712314 (int32)');
  if (magic !== FASTTEXT_MAGIC) throw r.error('the fastText magic number 793712314', String(magic), 0);
  const version = r.i32('the format version (int32)');
  if (version !== 12 && version !== 11) throw r.error('format version 12 (or 11)', String(version), 4);
  const argAt = r.offset;
  const ints = [
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
  ].map((name) => r.i32(`args.${name} (int32)`));
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
  for (let i = 0; i < size; i++) {
    const word = fromUtf8(r.until(0, `dictionary entry ${i}: a NUL-terminated word`));
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
  if (pruneIdxSize > 0)
    throw r.error(
      'a dictionary that is not pruned (pruneidx_size <= 0) in a non-quantized model',
      String(pruneIdxSize),
      dictAt,
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
  return { args, words, ntokens, pruneIdxSize, input, output };
}

function checkMatrix(m: FastTextMatrix, name: string): void {
  if (m.data.length !== m.rows * m.cols) {
    throw new ArgumentError(
      `writeFastTextBin: ${name}.data must have rows*cols = ${m.rows * m.cols} values, got ${m.data.length}`,
    );
  }
}

/** Serialise a model as a native fastText `.bin` (version 12, non-quantized; pruneidx_size written as -1). */
export function writeFastTextBin(model: FastTextModelData): Uint8Array {
  const { args, words, input, output } = model;
  checkMatrix(input, 'input');
  checkMatrix(output, 'output');
  if (!LOSSES.includes(args.loss))
    throw new ArgumentError(`writeFastTextBin: args.loss must be one of ${LOSSES.join(', ')}, got ${args.loss}`);
  if (!MODELS.includes(args.model))
    throw new ArgumentError(`writeFastTextBin: args.model must be one of ${MODELS.join(', ')}, got ${args.model}`);
  const firstLabel = words.findIndex((e) => e.type === 'label');
  if (firstLabel >= 0 && words.slice(firstLabel).some((e) => e.type !== 'label')) {
    throw new ArgumentError('writeFastTextBin: words must list every word before the labels, got a word after a label');
  }
  const encoded = words.map((e) => utf8(e.word));
  const dictBytes = encoded.reduce((s, b) => s + b.length + 10, 0);
  const w = new ByteWriter(100 + dictBytes + 4 * (input.data.length + output.data.length) + 40);
  w.i32(FASTTEXT_MAGIC);
  w.i32(FASTTEXT_VERSION);
  for (const v of [args.dim, args.ws, args.epoch, args.minCount, args.neg, args.wordNgrams]) w.i32(v);
  w.i32(LOSSES.indexOf(args.loss) + 1);
  w.i32(MODELS.indexOf(args.model) + 1);
  for (const v of [args.bucket, args.minn, args.maxn, args.lrUpdateRate]) w.i32(v);
  w.f64(args.t);
  const nwords = words.filter((e) => e.type === 'word').length;
  w.i32(words.length);
  w.i32(nwords);
  w.i32(words.length - nwords);
  w.i64(model.ntokens);
  w.i64(-1);
  words.forEach((e, i) => {
    if (encoded[i]!.includes(0))
      throw new ArgumentError(`writeFastTextBin: words[${i}] must not contain NUL, got ${JSON.stringify(e.word)}`);
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
