// fastText .bin robustness against native fastText 0.9.2 (/usr/bin/fasttext): a model trained on
// Latin-1 (not UTF-8) text keeps its words' bytes (the file re-serialises byte for byte, distinct
// words stay distinct, our word vectors equal print-word-vectors, which proves the n-gram hashes
// of the raw bytes), a supervised one predicts what predict-prob prints, and the odd arguments
// native writes without complaint (ws 0, neg 0, t -1, minn > maxn, hs ...) still load.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { wordBytes, wordFromBytes } from '../../src/text/word-bytes.js';
import { readFastTextBin, writeFastTextBin } from '../../src/io/fasttext-bin.js';
import { FastTextClassifier } from '../../src/models/fasttext/classifier.js';
import { fastTextWordId, fastTextWordVector } from '../../src/models/fasttext/model.js';
import { FastText } from '../../src/models/vectors/fasttext.js';
import { expectPrinted } from '../io/printf.js';

const FT = '/usr/bin/fasttext';
/** Latin-1 bytes of a string of code points < 256. */
const latin1 = (s: string) => Buffer.from(s, 'latin1');

describe.skipIf(!existsSync(FT))('native fastText models of Latin-1 text', () => {
  let dir = '';
  const ft = (args: string[], input?: Uint8Array): Buffer =>
    execFileSync(FT, args, { cwd: dir, input, maxBuffer: 1 << 26, stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = [
    'le café est noir et le thé est vert',
    'un café au lait et un cafè serré',
    'la crème brûlée est très bonne',
    'le cafe et le café et le cafè',
    'ÿ þ ð æ å ß ç ñ',
  ];
  const corpus = latin1(lines.join('\n') + '\n');

  beforeAll(async () => {
    await initForTests();
    dir = mkdtempSync(join(tmpdir(), 'ft-robust-'));
    writeFileSync(join(dir, 'latin1.txt'), corpus);
    const sup = lines.map((l, i) => `__label__${i % 2 ? 'é' : 'e'} ${l}`);
    writeFileSync(join(dir, 'sup.txt'), latin1(sup.join('\n') + '\n'));
    ft(
      ['skipgram', '-input', 'latin1.txt', '-output', 'sg', '-dim', '5', '-epoch', '1', '-minCount', '1'].concat([
        '-minn',
        '2',
        '-maxn',
        '4',
        '-bucket',
        '1000',
        '-thread',
        '1',
        '-verbose',
        '0',
      ]),
    );
    ft(
      ['supervised', '-input', 'sup.txt', '-output', 'sup', '-dim', '4', '-epoch', '5', '-minCount', '1'].concat([
        '-wordNgrams',
        '2',
        '-bucket',
        '300',
        '-minn',
        '2',
        '-maxn',
        '3',
        '-thread',
        '1',
        '-verbose',
        '0',
      ]),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('skipgram: the .bin re-serialises byte for byte; distinct invalid-UTF-8 words stay distinct', () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'sg.bin')));
    const m = readFastTextBin(bytes);
    expect(writeFastTextBin(m)).toEqual(bytes);
    const words = m.words.map((e) => e.word);
    expect(new Set(words).size).toBe(words.length);
    for (const w of ['café', 'cafè', 'cafe', 'thé', 'ÿ', 'ß']) {
      expect(words, w).toContain(wordFromBytes(latin1(w)));
      expect(fastTextWordId(m, wordFromBytes(latin1(w)))).toBeGreaterThanOrEqual(0);
    }
    expect(wordFromBytes(latin1('café'))).not.toBe(wordFromBytes(latin1('cafè')));
    const f = FastText.fromBytes(bytes);
    try {
      expect(f.toBytes()).toEqual(bytes);
    } finally {
      f.dispose();
    }
  });

  test('skipgram: our word vectors equal print-word-vectors, in and out of vocabulary (the n-gram hashes of the bytes)', () => {
    const m = readFastTextBin(new Uint8Array(readFileSync(join(dir, 'sg.bin'))));
    const query = ['café', 'cafè', 'crème', 'brûlée', 'ÿ', 'cafés', 'thés', 'çà', 'éèê', 'noir'];
    const out = ft(['print-word-vectors', 'sg.bin'], latin1(query.join('\n') + '\n'));
    const rows = out
      .toString('latin1')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => r[0])).toEqual(query);
    let oov = 0;
    for (const [w, ...printed] of rows) {
      const ours = wordFromBytes(latin1(w!));
      if (fastTextWordId(m, ours) < 0) oov++;
      expectPrinted(fastTextWordVector(m, ours), printed, w!);
      // the lossy decoding (U+FFFD) hashes other bytes: the vector would differ
      expect(wordBytes(ours)).toEqual(new Uint8Array(latin1(w!)));
    }
    expect(oov).toBeGreaterThanOrEqual(4);
  });

  test('supervised: re-serialised byte for byte; predictions on Latin-1 bytes = predict-prob', () => {
    const bytes = new Uint8Array(readFileSync(join(dir, 'sup.bin')));
    expect(writeFastTextBin(readFastTextBin(bytes))).toEqual(bytes);
    const c = FastTextClassifier.fromBytes(bytes);
    try {
      expect(c.toBytes()).toEqual(bytes);
      expect(c.labels).toEqual(expect.arrayContaining([wordFromBytes(latin1('__label__é')), '__label__e']));
      const test = ['le cafè est noir', 'un café serré', 'crème ÿ þ', 'cafés thés'];
      const printed = ft(['predict-prob', 'sup.bin', '-', '2'], latin1(test.join('\n') + '\n'))
        .toString('latin1')
        .split('\n')
        .filter((l) => l !== '');
      const text = wordFromBytes(latin1(test.join('\n')));
      text.split('\n').forEach((line, i) => {
        const toks = printed[i]!.trim().split(' ');
        const ours = c.predict(line, 2);
        // the labels (Latin-1 bytes) and the probabilities (native prints exp(log(p + 1e-5)) to 5 digits)
        expect(
          ours.map((p) => Buffer.from(wordBytes(p.label)).toString('latin1')),
          test[i],
        ).toEqual([toks[0], toks[2]]);
        ours.forEach((p, k) => expect(Math.abs(Number(toks[2 * k + 1]) - p.prob)).toBeLessThan(2e-5 + 1e-4 * p.prob));
      });
    } finally {
      c.dispose();
    }
  });
});

describe.skipIf(!existsSync(FT))('native files with the arguments native fastText never checks', () => {
  let dir = '';
  const ft = (args: string[]) => execFileSync(FT, args, { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] });
  beforeAll(async () => {
    await initForTests();
    dir = mkdtempSync(join(tmpdir(), 'ft-robust-args-'));
    const sup = Array.from({ length: 20 }, (_, i) => `__label__${i % 3} word${i % 5} common x${i % 2}`);
    writeFileSync(join(dir, 'sup.txt'), sup.join('\n') + '\n');
    writeFileSync(join(dir, 'un.txt'), Array.from({ length: 30 }, (_, i) => `a${i % 7} b${i % 3} c`).join('\n') + '\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const odd: string[][] = [
    ['-ws', '0', '-neg', '0', '-lrUpdateRate', '0'],
    ['-ws', '-3', '-neg', '-2', '-epoch', '0', '-t', '-1'],
    ['-wordNgrams', '0'],
    ['-wordNgrams', '3', '-bucket', '50', '-minn', '5', '-maxn', '3'],
    ['-minn', '-1', '-maxn', '3', '-bucket', '40'],
    ['-loss', 'hs'],
    ['-loss', 'ns', '-minCountLabel', '7'],
    ['-loss', 'ova', '-dim', '0'],
  ];

  test.each(odd)('supervised %s ...: loads, predicts, re-saves byte for byte', (...flags) => {
    ft(['supervised', '-input', 'sup.txt', '-output', 's', '-dim', '4', '-epoch', '1', '-thread', '1', ...flags]);
    const bytes = new Uint8Array(readFileSync(join(dir, 's.bin')));
    const m = readFastTextBin(bytes);
    expect(writeFastTextBin(m)).toEqual(bytes);
    const c = FastTextClassifier.fromBytes(bytes);
    try {
      for (const line of ['word1 common x0', 'unknown', '']) {
        const p = c.predict(line, 3);
        expect(p.length).toBeGreaterThan(0);
        for (const q of p) expect(Number.isFinite(q.prob)).toBe(true);
      }
      expect(c.toBytes()).toEqual(bytes);
    } finally {
      c.dispose();
    }
  });

  const unsup: string[][] = [
    ['skipgram', '-loss', 'hs'],
    ['cbow', '-loss', 'softmax', '-ws', '0', '-neg', '0'],
    ['skipgram', '-minn', '4', '-maxn', '2', '-t', '-1'],
    ['skipgram', '-maxn', '0', '-bucket', '0'],
    ['cbow', '-minn', '-2', '-maxn', '2', '-bucket', '60'],
  ];

  test.each(unsup)('%s %s ...: loads, gives vectors, re-saves byte for byte', (cmd, ...flags) => {
    ft(
      [cmd!, '-input', 'un.txt', '-output', 'u', '-dim', '4', '-epoch', '1', '-minCount', '1', '-thread', '1'].concat(
        flags.includes('-bucket') ? flags : [...flags, '-bucket', '100'],
      ),
    );
    const bytes = new Uint8Array(readFileSync(join(dir, 'u.bin')));
    const m = readFastTextBin(bytes);
    expect(writeFastTextBin(m)).toEqual(bytes);
    const f = FastText.fromBytes(bytes);
    try {
      expect(f.vector('a1').length).toBe(4);
      expect(f.vector('zzz').length).toBe(4);
      expect(f.mostSimilar('a1', 2).length).toBe(2);
      expect(f.toBytes()).toEqual(bytes);
    } finally {
      f.dispose();
    }
  });
});
