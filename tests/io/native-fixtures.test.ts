// Real native fastText files (committed fixtures) read in every runtime: the
// page fetches them from the dev server, Node reads them from disk.
// tests/node/fasttext-native.test.ts also makes fresh ones with the binary.
import { describe, expect, test } from 'vitest';
import { readFastTextBin } from '../../src/io/fasttext-bin.js';
import { readVec } from '../../src/io/vec.js';
import { fastTextSentenceVector, fastTextWordVector } from '../../src/models/fasttext/model.js';
import { expectPrinted, parseRows } from './printf.js';
import { readFixture } from '../helpers/fixtures.js';

// One literal `new URL(..., import.meta.url)` per file: Vite rewrites those to served asset URLs.
const FILES: Record<string, URL> = {
  'sg.bin': new URL('../fixtures/fasttext/sg.bin', import.meta.url),
  'sup.bin': new URL('../fixtures/fasttext/sup.bin', import.meta.url),
  'sg.vec': new URL('../fixtures/fasttext/sg.vec', import.meta.url),
  'sg.word-vectors.txt': new URL('../fixtures/fasttext/sg.word-vectors.txt', import.meta.url),
  'sentences.txt': new URL('../fixtures/fasttext/sentences.txt', import.meta.url),
  'sg.sentence-vectors.txt': new URL('../fixtures/fasttext/sg.sentence-vectors.txt', import.meta.url),
  'sup.sentences.txt': new URL('../fixtures/fasttext/sup.sentences.txt', import.meta.url),
  'sup.sentence-vectors.txt': new URL('../fixtures/fasttext/sup.sentence-vectors.txt', import.meta.url),
};
const get = (name: string): Promise<Uint8Array> => readFixture(FILES[name]!, name);
const getText = async (name: string) => new TextDecoder().decode(await get(name));

describe('native fastText fixtures', () => {
  test('sg.bin: word vectors (OOV included) and sentence vectors equal what native printed', async () => {
    const sg = readFastTextBin(await get('sg.bin'));
    expect(sg.args.bucket).toBe(2000);
    const rows = parseRows(await getText('sg.word-vectors.txt'));
    expect(rows.length).toBe(10);
    for (const [w, printed] of rows) expectPrinted(fastTextWordVector(sg, w), printed, w);
    const lines = (await getText('sentences.txt')).trim().split('\n');
    const printed = parseRows((await getText('sg.sentence-vectors.txt')).replace(/^/gm, 'x '));
    lines.forEach((l, i) => expectPrinted(fastTextSentenceVector(sg, l), printed[i]![1], l));
  });

  test('sup.bin and sg.vec', async () => {
    const sup = readFastTextBin(await get('sup.bin'));
    const lines = (await getText('sup.sentences.txt')).trim().split('\n');
    const printed = parseRows((await getText('sup.sentence-vectors.txt')).replace(/^/gm, 'x '));
    lines.forEach((l, i) => expectPrinted(fastTextSentenceVector(sup, l), printed[i]![1], l));
    const vecText = await getText('sg.vec');
    const vec = readVec(await get('sg.vec'));
    const vecRows = parseRows(vecText.split('\n').slice(1).join('\n'));
    vec.words.forEach((w, i) => expectPrinted(vec.data.subarray(i * 8, i * 8 + 8), vecRows[i]![1], w));
  });
});
