// The readers on Node Buffers, the most natural input (readFileSync): a Buffer is a view into a
// larger ArrayBuffer (an 8 KiB pool for small files, byteOffset != 0), and its `slice` is a view
// too. Every tensor must hold exactly its own bytes. Other runtimes: tests/io/readers-robust.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { noGrad, tape } from '../../src/autograd/tape.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { readVec, writeVec } from '../../src/io/vec.js';
import { readWord2VecBin, writeWord2VecBin } from '../../src/io/word2vec-bin.js';
import { BertForMaskedLM } from '../../src/models/bert/index.js';
import { TextClassifier } from '../../src/models/encoder/classifier.js';

const BERT = fileURLToPath(new URL('../fixtures/bert/', import.meta.url));
let dir: string;

beforeAll(async () => {
  await initForTests();
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-readers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Buffer holding `bytes` at a non-zero offset of a larger, garbage-filled ArrayBuffer. */
function pooled(bytes: Uint8Array, at = 40): Buffer {
  const pool = Buffer.alloc(8192, 0xab);
  const b = pool.subarray(at, at + bytes.length);
  b.set(bytes);
  return b;
}

const small = encodeSafetensors(
  {
    w: { shape: [2, 3], data: Float32Array.of(1, -2, 3, 0.5, 5, 6) },
    ids: { shape: [3], data: Int32Array.of(1, 2, 3) },
  },
  { format: 'pt' },
);

test('decodeSafetensors of a Buffer view: the right values, each array exactly its tensor', () => {
  for (const b of [
    pooled(small),
    pooled(small, 3),
    Buffer.from(small),
    Buffer.concat([Buffer.from('junk'), Buffer.from(small)]).subarray(4),
  ]) {
    expect(b.buffer.byteLength).toBeGreaterThan(b.length);
    const { tensors, metadata } = decodeSafetensors(b);
    expect(metadata).toEqual({ format: 'pt' });
    expect(Array.from(tensors.w!.data)).toEqual([1, -2, 3, 0.5, 5, 6]);
    expect(Array.from(tensors.ids!.data)).toEqual([1, 2, 3]);
    for (const t of Object.values(tensors)) {
      expect(t.data.byteOffset).toBe(0);
      expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
    }
  }
});

test('decodeSafetensors(readFileSync(path)) for a small (pooled) and a large file', () => {
  const big = encodeSafetensors({ x: { shape: [5000], data: Float32Array.from({ length: 5000 }, (_, i) => i / 7) } });
  for (const [name, bytes] of [
    ['small.safetensors', small],
    ['big.safetensors', big],
  ] as const) {
    writeFileSync(join(dir, name), bytes);
    const got = decodeSafetensors(readFileSync(join(dir, name)));
    const want = decodeSafetensors(bytes);
    for (const [k, t] of Object.entries(want.tensors)) {
      expect(got.tensors[k]!.data.length, `${name} ${k}`).toBe(t.data.length);
      expect(Array.from(got.tensors[k]!.data)).toEqual(Array.from(t.data));
    }
  }
});

test('a saved model loads from readFileSync (TextClassifier: small file; BERT fixture: large file)', () => {
  const m = new TextClassifier({
    vocabSize: 11,
    numClasses: 3,
    dim: 8,
    heads: 2,
    layers: 1,
    ffn: 16,
    maxLen: 8,
    seed: 5,
  });
  const path = join(dir, 'clf.safetensors');
  writeFileSync(path, m.toSafetensors());
  const m2 = TextClassifier.fromSafetensors(readFileSync(path));
  expect(Array.from(m2.predict([1, 2, 3]))).toEqual(Array.from(m.eval().predict([1, 2, 3])));
  m.dispose();
  m2.dispose();

  const ex = JSON.parse(readFileSync(join(BERT, 'expected.json'), 'utf8')) as {
    inputIds: number[];
    tokenTypeIds: number[];
    attentionMask: number[];
    logits: number[];
  };
  const bert = BertForMaskedLM.fromPretrained({
    config: readFileSync(join(BERT, 'config.json'), 'utf8'),
    weights: readFileSync(join(BERT, 'model.safetensors')),
  });
  const t = (a: number[]) => Tensor.fromArray(Int32Array.from(a), [2, 8], 'int32');
  const x = { inputIds: t(ex.inputIds), tokenTypeIds: t(ex.tokenTypeIds), attentionMask: t(ex.attentionMask) };
  const got = noGrad(() => bert.forward(x).toArray());
  tape.release();
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - ex.logits[i]!));
  expect(d).toBeLessThan(1e-4);
  for (const v of Object.values(x)) v.dispose();
  bert.dispose();
});

test('readVec and readWord2VecBin of Buffer views and readFileSync: Latin-1 words, bit-exact values', () => {
  const wv = { words: ['caf\udce9', 'caf\udce8', 'x'], dim: 2, data: Float32Array.of(1, 2, 3, 4, 5, 6) };
  for (const [write, read, name] of [
    [writeVec, readVec, 'v.vec'],
    [writeWord2VecBin, readWord2VecBin, 'v.bin'],
  ] as const) {
    const bytes = write(wv);
    writeFileSync(join(dir, name), bytes);
    for (const b of [pooled(bytes, 1), pooled(bytes, 6), readFileSync(join(dir, name))]) {
      const got = read(b);
      expect(got.words).toEqual(wv.words);
      expect(Array.from(got.data)).toEqual(Array.from(wv.data));
      expect(Array.from(write(got))).toEqual(Array.from(bytes));
    }
  }
  // The file's bytes for the Latin-1 word are the one byte 0xE9, as word2vec and fastText keep it.
  expect(readFileSync(join(dir, 'v.vec')).includes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20]))).toBe(true);
});
