/**
 * The word2vec C binary format (word2vec.c `-binary 1`): an ASCII header
 * `n dim\n`, then per word its bytes, one space, dim little-endian float32 and
 * a `\n`. Like word2vec's own reader, newlines before a word are skipped.
 */
import { ByteReader, ByteWriter, fromUtf8, utf8 } from './bytes.js';
import { type WordVectorTable, checkWordVectorTable } from './vec.js';

/** Read a word2vec binary file. */
export function readWord2VecBin(bytes: Uint8Array): WordVectorTable {
  const r = new ByteReader(bytes, 'readWord2VecBin');
  const headerBytes = r.until(0x0a, 'a header line "<count> <dim>" ending in a newline');
  const header = String.fromCharCode(...headerBytes.subarray(0, 80))
    .trim()
    .split(/\s+/);
  if (header.length !== 2 || !header.every((t) => /^\d+$/.test(t))) {
    throw r.error('a header line "<count> <dim>"', JSON.stringify(header.join(' ')), 0);
  }
  const [n, dim] = header.map(Number) as [number, number];
  if (n * dim * 4 > bytes.length)
    throw r.error(`${n} vectors of ${dim} float32`, `a file of only ${bytes.length} bytes`, 0);
  const words: string[] = new Array(n);
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    while (r.remaining > 0 && (bytes[r.offset] === 0x0a || bytes[r.offset] === 0x0d)) r.offset++;
    const at = r.offset;
    const w = r.until(0x20, `word ${i}: its bytes followed by a space`);
    if (w.length === 0) throw r.error(`word ${i}: a non-empty word`, 'an empty word', at);
    words[i] = fromUtf8(w);
    data.set(r.f32s(dim, `word ${i} (${JSON.stringify(words[i])}): ${dim} float32 values`), i * dim);
  }
  while (r.remaining > 0 && (bytes[r.offset] === 0x0a || bytes[r.offset] === 0x0d)) r.offset++;
  if (r.remaining !== 0) throw r.error(`the end of the file after ${n} vectors`, `${r.remaining} more bytes`);
  return { words, dim, data };
}

/** Write a word2vec binary file, exactly as word2vec.c does. */
export function writeWord2VecBin(wv: WordVectorTable): Uint8Array {
  checkWordVectorTable('writeWord2VecBin', wv, /[ \n\0]/);
  const w = new ByteWriter(32 + wv.data.length * 4 + wv.words.length * 16);
  w.bytes(utf8(`${wv.words.length} ${wv.dim}\n`));
  for (let i = 0; i < wv.words.length; i++) {
    w.bytes(utf8(wv.words[i]!));
    w.u8(0x20);
    w.f32s(wv.data.subarray(i * wv.dim, (i + 1) * wv.dim));
    w.u8(0x0a);
  }
  return w.finish();
}
