/**
 * The `.vec` text format of word2vec and fastText: a header line `n dim`, then
 * n lines `word v1 ... vdim` (fastText leaves a space before each newline).
 * `writeVec` prints each float32 with the fewest digits that read back to the
 * same float32, so a round trip is exact; native files are read to the
 * precision they were printed with (fastText: 5 significant digits).
 *
 * Words are bytes, as in word2vec and fastText: the reader decodes them with
 * `wordFromBytes` and the writer encodes them with `wordBytes`, so a word that is
 * not valid UTF-8 (Latin-1, say) survives a round trip byte for byte. A word is
 * what lies between the separators (ASCII space, \t, \n, \v, \f, \r, the
 * whitespace of C's isspace); the reader refuses a word with a NUL byte and a
 * word given twice, the writer refuses the same and any word with a separator.
 * Values: decimal numbers as strtof reads them, and `inf`, `-inf`, `nan` (what
 * word2vec's printf and fastText's ostream print for those), read as such and
 * written back as such; a finite number beyond the float32 range is refused.
 */
import { ArgumentError, FormatError } from '../core/errors.js';
import { ByteWriter, utf8, wordBytes, wordFromBytes } from './bytes.js';
import { checkBytes, describe } from '../core/check.js';

/** Words and their vectors: row i of `data` (row-major, `dim` columns) is `words[i]`. */
export interface WordVectorTable {
  words: string[];
  dim: number;
  data: Float32Array;
}

/** The shortest decimal that reads back (as float32) to the float32 `v`. */
export function formatFloat32(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // 9 significant digits always round-trip a float32, and round-tripping is
  // monotone in the digit count. Most values need 8 or 9, so try 8 and 7 first.
  const ok = (p: number) => Math.fround(Number(v.toPrecision(p))) === v;
  if (!ok(8)) return trimZeros(v.toPrecision(9));
  if (!ok(7)) return trimZeros(v.toPrecision(8));
  let lo = 1;
  let hi = 7;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) hi = mid;
    else lo = mid + 1;
  }
  return trimZeros(v.toPrecision(lo));
}

function trimZeros(s: string): string {
  const e = s.indexOf('e');
  let m = e < 0 ? s : s.slice(0, e);
  const x = e < 0 ? '' : s.slice(e);
  if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
  return m + x;
}

const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
const SPECIAL = /^[+-]?(inf|infinity|nan)$/i;

/**
 * Parse a C-style float token: a decimal number, or `inf`, `infinity`, `nan` (any case, with a
 * sign); anything else (hex, `1_0`, other bytes) returns undefined.
 */
export function parseCFloat(tok: string): number | undefined {
  if (DECIMAL.test(tok)) return Number(tok);
  if (!SPECIAL.test(tok)) return undefined;
  const t = tok.toLowerCase();
  if (t.endsWith('nan')) return NaN;
  return t.startsWith('-') ? -Infinity : Infinity;
}

/** A short token as a string, byte by byte (numbers are ASCII; anything else fails to parse). */
function ascii(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

const isBlank = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c;

/** What the `.vec` writer refuses in a word: the reader's separators, and NUL. */
const VEC_FORBIDDEN = /[ \t\n\v\f\r\0]/;

/**
 * Read a `.vec` text file (bytes, or a string: encoded with `wordBytes`, so the text of
 * `wordFromBytes` words gives their bytes back). FormatError naming the byte offset for a bad
 * header, counts the rest of the file cannot hold, a row without a word and `dim` numbers, a
 * word with a NUL byte or given twice, a number beyond float32, and data after the last row.
 */
export function readVec(input: Uint8Array | ArrayBuffer | string): WordVectorTable {
  const fn = 'readVec';
  const bytes = typeof input === 'string' ? wordBytes(input) : checkBytes(fn, 'input', input);
  let pos = 0;
  const err = (at: number, what: string, got: string) =>
    new FormatError(`${fn}: bytes at offset ${at} must be ${what}, got ${got}`);
  /** Tokens of the line at `pos` as [start, end) byte ranges; advances past the newline. */
  const line = (what: string): { toks: number[]; start: number } => {
    if (pos >= bytes.length) throw err(pos, what, 'end of data');
    const start = pos;
    let end = bytes.indexOf(0x0a, pos);
    if (end < 0) end = bytes.length;
    const toks: number[] = [];
    let i = pos;
    while (i < end) {
      while (i < end && isBlank(bytes[i]!)) i++;
      if (i >= end) break;
      const s = i;
      while (i < end && !isBlank(bytes[i]!)) i++;
      toks.push(s, i);
    }
    pos = end + 1;
    return { toks, start };
  };
  const headerWhat = 'a header line "<count> <dim>"';
  const header = line(headerWhat);
  const headerText = (): string => JSON.stringify(ascii(bytes, header.start, Math.min(pos - 1, header.start + 80)));
  const counts: number[] = [];
  for (let k = 0; k < header.toks.length; k += 2) {
    const t = ascii(bytes, header.toks[k]!, header.toks[k + 1]!);
    counts.push(/^[0-9]+$/.test(t) ? Number(t) : NaN);
  }
  const [n, dim] = counts as [number, number];
  if (counts.length !== 2 || !Number.isSafeInteger(n) || !Number.isSafeInteger(dim))
    throw err(header.start, headerWhat, headerText());
  // Every row has dim + 1 tokens of at least one byte each: counts the file cannot hold are
  // refused before anything is allocated.
  const rest = Math.max(0, bytes.length - pos);
  if (n * (dim + 1) > rest) {
    throw err(
      header.start,
      `${headerWhat} whose ${n} rows of a word and ${dim} numbers fit in the ${rest} bytes after it`,
      headerText(),
    );
  }
  const words: string[] = new Array<string>(n);
  const rowOf = new Map<string, number>();
  const data = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    const what = `line ${r + 2}: a word and ${dim} numbers`;
    const { toks, start } = line(what);
    if (toks.length !== 2 * (dim + 1)) throw err(start, what, `${Math.max(0, toks.length / 2 - 1)} numbers`);
    const wb = bytes.subarray(toks[0]!, toks[1]!);
    if (wb.includes(0)) throw err(toks[0]! + wb.indexOf(0), `line ${r + 2}: a word without NUL bytes`, 'a NUL byte');
    const word = wordFromBytes(wb);
    const seen = rowOf.get(word);
    if (seen !== undefined)
      throw err(
        toks[0]!,
        `line ${r + 2}: a word not given before`,
        `${JSON.stringify(word)}, the word of line ${seen + 2}`,
      );
    rowOf.set(word, r);
    words[r] = word;
    for (let j = 0; j < dim; j++) {
      const s = toks[2 * j + 2]!;
      const tok = ascii(bytes, s, toks[2 * j + 3]!);
      const v = parseCFloat(tok);
      if (v === undefined) throw err(s, `line ${r + 2}: a number`, JSON.stringify(tok.slice(0, 40)));
      const f = Math.fround(v);
      if (Number.isFinite(v) && !Number.isFinite(f))
        throw err(s, `line ${r + 2}: a number within the float32 range (or inf)`, tok.slice(0, 40));
      data[r * dim + j] = f;
    }
  }
  while (pos < bytes.length && (isBlank(bytes[pos]!) || bytes[pos] === 0x0a)) pos++;
  if (pos < bytes.length) throw err(pos, `the end of the file after ${n} vectors`, 'more data');
  return { words, dim, data };
}

const PRINTABLE_ASCII = /^[ -~]*$/; // always reads back

/**
 * Check a WordVectorTable before writing; `fn` names the writer, `forbidden` the bytes its reader
 * splits on (`what` describes them). Words must be distinct, non-empty strings whose bytes
 * (`wordBytes`) read back as the same string.
 */
export function checkWordVectorTable(fn: string, wv: WordVectorTable, forbidden: RegExp, what: string): void {
  if (wv === null || typeof wv !== 'object')
    throw new ArgumentError(`${fn}: vectors must be { words, dim, data }, got ${describe(wv)}`);
  if (!Number.isSafeInteger(wv.dim) || wv.dim < 0)
    throw new ArgumentError(`${fn}: dim must be an integer >= 0, got ${describe(wv.dim)}`);
  if (!Array.isArray(wv.words)) throw new ArgumentError(`${fn}: words must be an array, got ${describe(wv.words)}`);
  if (!(wv.data instanceof Float32Array))
    throw new ArgumentError(`${fn}: data must be a Float32Array, got ${describe(wv.data)}`);
  if (wv.data.length !== wv.words.length * wv.dim) {
    throw new ArgumentError(
      `${fn}: data must have words.length * dim = ${wv.words.length * wv.dim} values, got ${wv.data.length}`,
    );
  }
  const seen = new Map<string, number>();
  wv.words.forEach((w, i) => {
    if (typeof w !== 'string' || w.length === 0 || forbidden.test(w)) {
      throw new ArgumentError(`${fn}: words[${i}] must be non-empty without ${what}, got ${describe(w)}`);
    }
    if (!PRINTABLE_ASCII.test(w) && wordFromBytes(wordBytes(w)) !== w) {
      throw new ArgumentError(
        `${fn}: words[${i}] must be a string whose bytes read back the same (well-formed UTF-16 and U+DC80..U+DCFF byte escapes as wordFromBytes makes them), got ${JSON.stringify(w)}`,
      );
    }
    const j = seen.get(w);
    if (j !== undefined)
      throw new ArgumentError(`${fn}: words must be distinct, got ${JSON.stringify(w)} at ${j} and ${i}`);
    seen.set(w, i);
  });
}

/** Write a `.vec` text file: header `n dim`, then `word v1 ... vdim` per line, float32-exact. */
export function writeVec(wv: WordVectorTable): Uint8Array {
  checkWordVectorTable('writeVec', wv, VEC_FORBIDDEN, 'ASCII whitespace or NUL');
  const w = new ByteWriter(64 + wv.words.length * (16 + wv.dim * 10));
  w.bytes(utf8(`${wv.words.length} ${wv.dim}\n`));
  const row: string[] = new Array<string>(wv.dim + 1);
  row[0] = '';
  for (let i = 0; i < wv.words.length; i++) {
    w.bytes(wordBytes(wv.words[i]!));
    for (let j = 0; j < wv.dim; j++) row[j + 1] = formatFloat32(wv.data[i * wv.dim + j]!);
    w.bytes(utf8(row.join(' ') + '\n'));
  }
  return w.finish();
}
