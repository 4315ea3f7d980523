/**
 * The `.vec` text format of word2vec and fastText: a header line `n dim`, then
 * n lines `word v1 ... vdim` (fastText leaves a space before each newline).
 * `writeVec` prints each float32 with the fewest digits that read back to the
 * same float32, so a round trip is exact; native files are read to the
 * precision they were printed with (fastText: 5 significant digits).
 */
import { ArgumentError, FormatError } from '../core/errors.js';
import { fromUtf8, utf8 } from './bytes.js';

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

/** Parse a C-style float token (also `inf`, `nan`, `infinity`); NaN-free failure returns undefined. */
export function parseCFloat(tok: string): number | undefined {
  const v = Number(tok);
  if (!Number.isNaN(v) && tok.length > 0 && !/^[+-]?0[xob]/i.test(tok)) return v;
  const t = tok.toLowerCase().replace(/^\+/, '');
  if (t === 'nan' || t === '-nan') return NaN;
  if (t === 'inf' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return undefined;
}

/** A short token as a string, byte by byte (numbers are ASCII; anything else fails to parse). */
function ascii(bytes: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(bytes[i]!);
  return out;
}

const isBlank = (b: number) => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0b || b === 0x0c;

/** Read a `.vec` text file (bytes or a string). */
export function readVec(input: Uint8Array | string): WordVectorTable {
  const fn = 'readVec';
  const bytes = typeof input === 'string' ? utf8(input) : input;
  let pos = 0;
  const err = (at: number, what: string, got: string) =>
    new FormatError(`${fn}: bytes at offset ${at} must be ${what}, got ${got}`);
  /** Tokens of the line at `pos` with their byte offsets; advances past the newline. */
  const line = (what: string): { toks: string[]; at: number[]; start: number } => {
    if (pos >= bytes.length) throw err(pos, what, 'end of data');
    const start = pos;
    let end = bytes.indexOf(0x0a, pos);
    if (end < 0) end = bytes.length;
    const toks: string[] = [];
    const at: number[] = [];
    let i = pos;
    while (i < end) {
      while (i < end && isBlank(bytes[i]!)) i++;
      if (i >= end) break;
      const s = i;
      while (i < end && !isBlank(bytes[i]!)) i++;
      toks.push(toks.length === 0 ? fromUtf8(bytes.subarray(s, i)) : ascii(bytes, s, i));
      at.push(s);
    }
    pos = end + 1;
    return { toks, at, start };
  };
  const header = line('a header line "<count> <dim>"');
  const [n, dim] = header.toks.map((t) => (/^\d+$/.test(t) ? Number(t) : NaN));
  if (header.toks.length !== 2 || !Number.isSafeInteger(n) || !Number.isSafeInteger(dim)) {
    throw err(header.start, 'a header line "<count> <dim>"', JSON.stringify(header.toks.join(' ').slice(0, 80)));
  }
  const words: string[] = new Array(n!);
  const data = new Float32Array(n! * dim!);
  for (let r = 0; r < n!; r++) {
    const { toks, at, start } = line(`line ${r + 2}: a word and ${dim} numbers`);
    if (toks.length !== dim! + 1) {
      throw err(start, `line ${r + 2}: a word and ${dim} numbers`, `${Math.max(0, toks.length - 1)} numbers`);
    }
    words[r] = toks[0]!;
    for (let j = 0; j < dim!; j++) {
      const v = parseCFloat(toks[j + 1]!);
      if (v === undefined) throw err(at[j + 1]!, `line ${r + 2}: a number`, JSON.stringify(toks[j + 1]));
      data[r * dim! + j] = v;
    }
  }
  while (pos < bytes.length && (isBlank(bytes[pos]!) || bytes[pos] === 0x0a)) pos++;
  if (pos < bytes.length) throw err(pos, `the end of the file after ${n} vectors`, 'more data');
  return { words, dim: dim!, data };
}

/** Check a WordVectors value before writing; `fn` names the writer. */
export function checkWordVectorTable(fn: string, wv: WordVectorTable, forbidden: RegExp): void {
  if (!Number.isInteger(wv.dim) || wv.dim < 0)
    throw new ArgumentError(`${fn}: dim must be an integer >= 0, got ${wv.dim}`);
  if (wv.data.length !== wv.words.length * wv.dim) {
    throw new ArgumentError(
      `${fn}: data must have words.length * dim = ${wv.words.length * wv.dim} values, got ${wv.data.length}`,
    );
  }
  wv.words.forEach((w, i) => {
    if (w.length === 0 || forbidden.test(w)) {
      throw new ArgumentError(`${fn}: words[${i}] must be non-empty without whitespace, got ${JSON.stringify(w)}`);
    }
  });
}

/** Write a `.vec` text file: header `n dim`, then `word v1 ... vdim` per line, float32-exact. */
export function writeVec(wv: WordVectorTable): Uint8Array {
  checkWordVectorTable('writeVec', wv, /[\s\0]/);
  const parts: string[] = [`${wv.words.length} ${wv.dim}\n`];
  const row: string[] = new Array(wv.dim + 1);
  for (let i = 0; i < wv.words.length; i++) {
    row[0] = wv.words[i]!;
    for (let j = 0; j < wv.dim; j++) row[j + 1] = formatFloat32(wv.data[i * wv.dim + j]!);
    parts.push(row.join(' ') + '\n');
  }
  return utf8(parts.join(''));
}
