// fastText interop against Debian's native fastText 0.9.2: the committed
// fixtures (made by scripts/make-fasttext-fixtures.sh) and live runs of
// /usr/bin/fasttext in a temp dir. Native prints floats as C's %.5g
// (print-word-vectors, print-ngrams, print-sentence-vectors, .vec) or %.6g
// (dump), so our float32 values are compared after the same formatting.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFastTextBin, writeFastTextBin } from '../../src/io/fasttext-bin.js';
import { loadFastTextBin, saveFastTextBin } from '../../src/io/node.js';
import { readVec } from '../../src/io/vec.js';
import {
  type FastTextModelData,
  fastTextNumWords,
  fastTextSentenceVector,
  fastTextWordId,
  fastTextWordSubwords,
  fastTextWordVector,
} from '../../src/models/fasttext/model.js';
import { ngramStrings } from '../../src/text/subwords.js';
import { cfmt, expectPrinted, parseRows } from '../io/printf.js';

const FT = '/usr/bin/fasttext';
const FIX = fileURLToPath(new URL('../fixtures/fasttext/', import.meta.url));
const fixture = (name: string) => readFileSync(join(FIX, name));
const fixtureText = (name: string) => readFileSync(join(FIX, name), 'utf8');

function row(m: FastTextModelData, r: number): Float32Array {
  return m.input.data.subarray(r * m.input.cols, (r + 1) * m.input.cols);
}

describe('committed native fixtures', () => {
  const sgBytes = new Uint8Array(fixture('sg.bin'));
  const sg = readFastTextBin(sgBytes);
  const supBytes = new Uint8Array(fixture('sup.bin'));
  const sup = readFastTextBin(supBytes);

  test('sg.bin: args, dictionary, matrices; re-serialised byte for byte', () => {
    expect(sg.args).toMatchObject({
      dim: 8,
      minn: 3,
      maxn: 6,
      bucket: 2000,
      model: 'sg',
      loss: 'ns',
      epoch: 1,
      minCount: 1,
      wordNgrams: 1,
    });
    expect(sg.words[0]!.word).toBe('the');
    expect(sg.words.map((e) => e.word)).toEqual(
      expect.arrayContaining(['café', 'straße', '日本', '😀', 'naïve', '</s>']),
    );
    expect(sg.input.rows).toBe(fastTextNumWords(sg) + 2000);
    expect(sg.output.rows).toBe(fastTextNumWords(sg));
    expect(sg.pruneIdxSize).toBe(-1);
    expect(writeFastTextBin(sg)).toEqual(sgBytes);
  });

  test('sg.bin: fastTextWordVector equals print-word-vectors, in and out of vocabulary', () => {
    const rows = parseRows(fixtureText('sg.word-vectors.txt'));
    expect(rows.map((r) => r[0])).toEqual([
      'the',
      'café',
      'straße',
      '日本',
      '😀',
      'naïve',
      'cafés',
      '東京',
      'a',
      'zzz',
    ]);
    expect(fastTextWordId(sg, 'cafés')).toBe(-1);
    for (const [w, printed] of rows) expectPrinted(fastTextWordVector(sg, w), printed, w);
  });

  test('sg.bin: n-gram strings and rows equal print-ngrams (é, ß, ï, 日本, 😀)', () => {
    const blocks = fixtureText('sg.print-ngrams.txt')
      .split(/^== /m)
      .filter((b) => b.trim() !== '');
    expect(blocks.length).toBe(8);
    for (const block of blocks) {
      const [word, ...lines] = block.split('\n');
      const printed = parseRows(lines.join('\n'));
      const inVocab = fastTextWordId(sg, word!) >= 0;
      const strings = [...(inVocab ? [word!] : []), ...ngramStrings(word!, 3, 6)];
      expect(
        printed.map((r) => r[0]),
        word,
      ).toEqual(strings);
      const ids = fastTextWordSubwords(sg, word!);
      expect(ids.length).toBe(strings.length);
      ids.forEach((id, i) => expectPrinted(row(sg, id), printed[i]![1], `${word} ${strings[i]}`));
    }
  });

  test('sg.bin and sup.bin: fastTextSentenceVector equals print-sentence-vectors', () => {
    const lines = fixtureText('sentences.txt').trim().split('\n');
    const printed = parseRows(fixtureText('sg.sentence-vectors.txt').replace(/^/gm, 'x '));
    lines.forEach((l, i) => expectPrinted(fastTextSentenceVector(sg, l), printed[i]![1], l));
    const supLines = fixtureText('sup.sentences.txt').trim().split('\n');
    const supPrinted = parseRows(fixtureText('sup.sentence-vectors.txt').replace(/^/gm, 'x '));
    supLines.forEach((l, i) => expectPrinted(fastTextSentenceVector(sup, l), supPrinted[i]![1], l));
  });

  test('sup.bin: labels, word bigram buckets, word vectors; re-serialised byte for byte', () => {
    expect(sup.args).toMatchObject({ model: 'sup', loss: 'softmax', wordNgrams: 2, bucket: 1000, minn: 0, maxn: 0 });
    const labels = sup.words.filter((e) => e.type === 'label').map((e) => e.word);
    expect(labels.sort()).toEqual(['__label__great', '__label__neg', '__label__pos']);
    expect(sup.output.rows).toBe(3);
    expect(sup.input.rows).toBe(fastTextNumWords(sup) + 1000);
    expect(writeFastTextBin(sup)).toEqual(supBytes);
    for (const [w, printed] of parseRows(fixtureText('sup.word-vectors.txt')))
      expectPrinted(fastTextWordVector(sup, w), printed, w);
  });

  test('sg.vec (written by native) is read to its printed precision', () => {
    const vec = readVec(new Uint8Array(fixture('sg.vec')));
    expect(vec.dim).toBe(8);
    expect(vec.words).toEqual(sg.words.map((e) => e.word));
    const printed = parseRows(fixtureText('sg.vec').split('\n').slice(1).join('\n'));
    vec.words.forEach((w, i) => {
      const ours = vec.data.subarray(i * 8, i * 8 + 8);
      expectPrinted(ours, printed[i]![1], w);
      expectPrinted(fastTextWordVector(sg, w), printed[i]![1], w);
    });
  });
});

describe.skipIf(!existsSync(FT))('live native fastText', () => {
  let dir = '';
  const ft = (args: string[], input?: string) =>
    execFileSync(FT, args, { cwd: dir, input, encoding: 'utf8', maxBuffer: 1 << 26 });
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ft-native-'));
    writeFileSync(join(dir, 'tiny.txt'), fixture('tiny.txt'));
    writeFileSync(join(dir, 'sup.txt'), fixture('sup.txt'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('(a) a fresh skipgram .bin: fastTextWordVector = print-word-vectors, OOV included; .vec to its precision', () => {
    ft([
      'skipgram',
      '-input',
      'tiny.txt',
      '-output',
      'm',
      '-minn',
      '2',
      '-maxn',
      '5',
      '-bucket',
      '3000',
      '-dim',
      '12',
      '-epoch',
      '1',
      '-minCount',
      '1',
      '-thread',
      '1',
      '-seed',
      '7',
      '-verbose',
      '0',
    ]);
    const m = readFastTextBin(new Uint8Array(readFileSync(join(dir, 'm.bin'))));
    expect(m.args).toMatchObject({ dim: 12, minn: 2, maxn: 5, bucket: 3000 });
    const words = ['the', 'café', '日本', '😀', 'straßen', 'Café', 'x', 'ß', '日本語', '🙂🙂', 'zzzz'];
    const printed = parseRows(ft(['print-word-vectors', 'm.bin'], words.join('\n') + '\n'));
    expect(printed.map((r) => r[0])).toEqual(words);
    for (const [w, p] of printed) expectPrinted(fastTextWordVector(m, w), p, w);
    // (d) the .vec native wrote alongside
    const vec = readVec(new Uint8Array(readFileSync(join(dir, 'm.vec'))));
    const vecRows = parseRows(readFileSync(join(dir, 'm.vec'), 'utf8').split('\n').slice(1).join('\n'));
    expect(vec.words).toEqual(m.words.map((e) => e.word));
    vec.words.forEach((w, i) => expectPrinted(vec.data.subarray(i * 12, i * 12 + 12), vecRows[i]![1], w));
  });

  test('(b) a fresh supervised .bin (-wordNgrams 2): the same dictionary, labels and matrices as `fasttext dump`', () => {
    ft([
      'supervised',
      '-input',
      'sup.txt',
      '-output',
      's',
      '-wordNgrams',
      '2',
      '-bucket',
      '500',
      '-dim',
      '6',
      '-epoch',
      '1',
      '-minCount',
      '1',
      '-thread',
      '1',
      '-verbose',
      '0',
    ]);
    const s = readFastTextBin(new Uint8Array(readFileSync(join(dir, 's.bin'))));
    const args = Object.fromEntries(
      ft(['dump', 's.bin', 'args'])
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string]),
    );
    expect(args).toMatchObject({
      dim: '6',
      wordNgrams: '2',
      loss: 'softmax',
      model: 'sup',
      bucket: '500',
      minn: '0',
      maxn: '0',
    });
    const dict = ft(['dump', 's.bin', 'dict']).trim().split('\n');
    expect(Number(dict[0])).toBe(s.words.length);
    expect(dict.slice(1)).toEqual(s.words.map((e) => `${e.word} ${e.count} ${e.type}`));
    for (const [name, mat] of [
      ['input', s.input],
      ['output', s.output],
    ] as const) {
      const lines = ft(['dump', 's.bin', name]).trim().split('\n');
      expect(lines[0]).toBe(`${mat.rows} ${mat.cols}`);
      for (let r = 0; r < mat.rows; r++) {
        expect(
          Array.from(mat.data.subarray(r * mat.cols, (r + 1) * mat.cols), (v) => cfmt(v, 6)).join(' '),
          `${name} row ${r}`,
        ).toBe(lines[r + 1]!.trim());
      }
    }
    expect(s.words.filter((e) => e.type === 'label').length).toBe(3);
  });

  test('(c) native reads a .bin we built: n-gram ids, exact word vectors, supervised sentence vectors', async () => {
    // Row r of the input holds (r, j/8): print-ngrams then shows which row each n-gram hit.
    const words = ['the', 'café', 'straße', '日本', '😀', '</s>'];
    const nwords = words.length;
    const bucket = 2000;
    const dim = 4;
    const rows = nwords + bucket;
    const input = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) input[r * dim + j] = j === 0 ? r : j / 8;
    const model: FastTextModelData = {
      args: {
        dim,
        ws: 5,
        epoch: 1,
        minCount: 1,
        neg: 5,
        wordNgrams: 1,
        loss: 'ns',
        model: 'sg',
        bucket,
        minn: 3,
        maxn: 6,
        lrUpdateRate: 100,
        t: 1e-4,
      },
      words: words.map((word, i) => ({ word, count: 10 - i, type: 'word' as const })),
      ntokens: 100,
      pruneIdxSize: -1,
      input: { rows, cols: dim, data: input },
      output: { rows: nwords, cols: dim, data: new Float32Array(nwords * dim) },
    };
    writeFileSync(join(dir, 'ours.bin'), writeFastTextBin(model));
    for (const w of ['café', 'straße', '日本', '😀', 'naïve', 'Zürich', '東京都', '👍🏽x', 'ab']) {
      const printed = parseRows(ft(['print-ngrams', 'ours.bin', w]));
      const ids = fastTextWordSubwords(model, w);
      expect(
        printed.map((p) => Number(p[1][0])),
        w,
      ).toEqual(ids);
      expect(
        printed.map((p) => p[0]),
        w,
      ).toEqual([...(fastTextWordId(model, w) >= 0 ? [w] : []), ...ngramStrings(w, 3, 6)]);
    }
    // dyadic rows make the printed word vectors exact when the n-gram count is a power of two
    const pv = parseRows(ft(['print-word-vectors', 'ours.bin'], 'the\ncafé\nzz\nabcdefgh\n'));
    for (const [w, p] of pv) expectPrinted(fastTextWordVector(model, w), p, w);

    // re-serialise a native supervised model after perturbing one vector
    const s = readFastTextBin(new Uint8Array(fixture('sup.bin')));
    const id = fastTextWordId(s, 'film');
    s.input.data.set([0.5, -0.25, 0.125, 1, 2, -4, 0.0625, 3], id * 8);
    await saveFastTextBin(join(dir, 'sup2.bin'), s);
    expect(await loadFastTextBin(join(dir, 'sup2.bin'))).toEqual(s);
    const [[, film]] = parseRows(ft(['print-word-vectors', 'sup2.bin'], 'film\n')) as [[string, string[]]];
    expect(film).toEqual(['0.5', '-0.25', '0.125', '1', '2', '-4', '0.0625', '3']);
    const lines = ['i love this great film', 'the film is bad', 'unknown words only'];
    const printed = parseRows(ft(['print-sentence-vectors', 'sup2.bin'], lines.join('\n') + '\n').replace(/^/gm, 'x '));
    lines.forEach((l, i) => expectPrinted(fastTextSentenceVector(s, l), printed[i]![1], l));
  });
});
