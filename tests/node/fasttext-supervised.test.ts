// Our supervised fastText against the native binary on the canonical spam split
// (small settings so the test is quick; the full-size comparison is in
// docs/fasttext.md): quality within 1 point of native, and
// native `predict-prob` reads a .bin we wrote and prints our probabilities.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { loadSpam } from '../../src/data/node.js';
import { spamSplit, toLines } from '../../src/data/spam.js';
import { FastTextClassifier } from '../../src/models/fasttext/classifier.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-ft-'));
let train = '';
let testText = '';

beforeAll(async () => {
  await initForTests();
  const split = spamSplit(loadSpam());
  train = toLines(split.train);
  testText = toLines(split.test);
  writeFileSync(join(dir, 'train.txt'), train);
  writeFileSync(join(dir, 'test.txt'), testText);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const native = (...args: string[]) =>
  execFileSync('fasttext', args, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 28 });

describe('supervised spam classifier vs native fastText', () => {
  test('P@1 within 1 point of native with the same settings (dim 20, epoch 5, wordNgrams 2, bucket 100000)', async () => {
    native(
      'supervised',
      '-input',
      'train.txt',
      '-output',
      'native',
      '-dim',
      '20',
      '-epoch',
      '5',
      '-wordNgrams',
      '2',
      '-bucket',
      '100000',
      '-thread',
      '1',
      '-verbose',
      '0',
    );
    const nativeP = Number(/P@1\s+([0-9.]+)/.exec(native('test', 'native.bin', 'test.txt'))![1]);
    const m = await FastTextClassifier.train(train, { dim: 20, epoch: 5, wordNgrams: 2, bucket: 100_000 });
    const ours = m.test(testText);
    expect(ours.n).toBe(testText.split('\n').filter((l) => l.length > 0).length);
    expect(nativeP).toBeGreaterThan(0.9);
    expect(ours.precision).toBeGreaterThanOrEqual(nativeP - 0.01);
    // native reads our model and predicts what we predict
    writeFileSync(join(dir, 'ours.bin'), m.toBytes());
    const lines = testText.split('\n').slice(0, 200);
    writeFileSync(join(dir, 'some.txt'), lines.join('\n') + '\n');
    const printed = native('predict-prob', 'ours.bin', 'some.txt', '2').trim().split('\n');
    const mine = m.predictLines(lines, 2);
    expect(printed).toHaveLength(200);
    for (let i = 0; i < 200; i++) {
      const toks = printed[i]!.split(' ');
      expect(toks[0]).toBe(mine[i]![0]!.label);
      // fastText prints probabilities with about 5 significant digits
      expect(Math.abs(Number(toks[1]) - mine[i]![0]!.prob)).toBeLessThan(1e-4 + 1e-4 * mine[i]![0]!.prob);
    }
    m.dispose();
  }, 120_000);

  test('we read a native supervised .bin and reproduce its P@1', () => {
    const out = native('test', 'native.bin', 'test.txt');
    const nativeP = Number(/P@1\s+([0-9.]+)/.exec(out)![1]);
    const m = FastTextClassifier.fromBytes(new Uint8Array(readFileSync(join(dir, 'native.bin'))));
    expect(m.test(testText).precision).toBeCloseTo(nativeP, 3);
    m.dispose();
  }, 60_000);
});
