/**
 * The word2vec C binary format (word2vec.c `-binary 1`): an ASCII header
 * `n dim\n`, then per word its bytes, one space, dim little-endian float32 and
 * a `\n`. Like word2vec's own reader, newlines (and CRs) before a word are skipped.
 * Words are bytes (`wordFromBytes` / `wordBytes`), so a word that is not valid
 * UTF-8 round-trips byte for byte. The reader refuses an empty word, a word with
 * a newline, CR or NUL and a word given twice; the writer refuses the same and a
 * word with a space, so what one accepts the other writes back. Values are copied
 * bit for bit (NaN payloads included).
 */
import { checkBytes } from '../core/check.js';
import { ByteReader, ByteWriter, utf8, wordBytes, wordFromBytes } from './bytes.js';
import { type WordVectorTable, checkWordVectorTable } from './vec.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Read a word2vec binary file (any Uint8Array, Node Buffers included). */
export function readWord2VecBin(input: Uint8Array | ArrayBuffer): WordVectorTable {
  const fn = 'readWord2VecBin';
  const bytes = checkBytes(fn, 'bytes', input);
  const r = new ByteReader(bytes, fn);
  const headerBytes = r.until(0x0a, 'a header line "<count> <dim>" ending in a newline');
  const headerText = String.fromCharCode(...headerBytes.subarray(0, 80));
  if (headerBytes.length > 80)
    throw r.error('a header line "<count> <dim>" of at most 80 bytes', `${headerBytes.length} bytes`, 0);
  const header = headerText.replace(/^[ \t\v\f\r]+|[ \t\v\f\r]+$/g, '').split(/[ \t\v\f\r]+/);
  const [n, dim] = header.map(Number) as [number, number];
  if (
    header.length !== 2 ||
    !header.every((t) => /^[0-9]+$/.test(t)) ||
    !Number.isSafeInteger(n) ||
    !Number.isSafeInteger(dim)
  ) {
    throw r.error('a header line "<count> <dim>"', JSON.stringify(header.join(' ')), 0);
  }
  // Counts the file cannot hold are refused before anything is allocated: the vectors take
  // n * dim * 4 bytes, and each word at least two more (a byte and the space).
  if (n * dim * 4 > bytes.length || 2 * n > r.remaining)
    throw r.error(`${n} vectors of ${dim} float32`, `a file of only ${bytes.length} bytes`, 0);
  const words: string[] = new Array<string>(n);
  const rowOf = new Map<string, number>();
  const data = new Float32Array(n * dim);
  const dataBytes = new Uint8Array(data.buffer);
  for (let i = 0; i < n; i++) {
    while (r.remaining > 0 && (bytes[r.offset] === 0x0a || bytes[r.offset] === 0x0d)) r.offset++;
    const at = r.offset;
    const w = r.until(0x20, `word ${i}: its bytes followed by a space`);
    if (w.length === 0) throw r.error(`word ${i}: a non-empty word`, 'an empty word', at);
    const bad = w.findIndex((b) => b === 0x0a || b === 0x0d || b === 0);
    if (bad >= 0) throw r.error(`word ${i}: a word without newline, CR or NUL bytes`, `the byte ${w[bad]}`, at + bad);
    const word = wordFromBytes(w);
    const seen = rowOf.get(word);
    if (seen !== undefined)
      throw r.error(`word ${i}: a word not given before`, `${JSON.stringify(word)}, word ${seen} again`, at);
    rowOf.set(word, i);
    words[i] = word;
    const what = `word ${i} (${JSON.stringify(word)}): ${dim} float32 values`;
    if (LITTLE_ENDIAN) {
      r.need(4 * dim, what);
      dataBytes.set(bytes.subarray(r.offset, r.offset + 4 * dim), 4 * i * dim);
      r.offset += 4 * dim;
    } else {
      data.set(r.f32s(dim, what), i * dim);
    }
  }
  while (r.remaining > 0 && (bytes[r.offset] === 0x0a || bytes[r.offset] === 0x0d)) r.offset++;
  if (r.remaining !== 0) throw r.error(`the end of the file after ${n} vectors`, `${r.remaining} more bytes`);
  return { words, dim, data };
}

/** Write a word2vec binary file, exactly as word2vec.c does. */
export function writeWord2VecBin(wv: WordVectorTable): Uint8Array {
  checkWordVectorTable('writeWord2VecBin', wv, /[ \n\r\0]/, 'space, newline, CR or NUL');
  const w = new ByteWriter(32 + wv.data.length * 4 + wv.words.length * 16);
  w.bytes(utf8(`${wv.words.length} ${wv.dim}\n`));
  for (let i = 0; i < wv.words.length; i++) {
    w.bytes(wordBytes(wv.words[i]!));
    w.u8(0x20);
    w.f32s(wv.data.subarray(i * wv.dim, (i + 1) * wv.dim));
    w.u8(0x0a);
  }
  return w.finish();
}
