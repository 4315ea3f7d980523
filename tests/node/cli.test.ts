// The command line as users run it: the built dist/wasm-nlp.cli.js in a child
// process, against native fastText's printed output for the same model files.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/wasm-nlp.cli.js', import.meta.url));
const FIX = fileURLToPath(new URL('../fixtures/fasttext/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Rows of "token v1 v2 ..." as [token, numbers]. */
const rows = (s: string) =>
  s
    .trim()
    .split('\n')
    .map((l) => {
      const t = l.trim().split(' ');
      return [t[0]!, t.slice(1).map(Number)] as const;
    });

describe('wasm-nlp CLI', () => {
  test('help, per-command help with defaults, and bad command lines (one line, exit 2)', () => {
    const h = cli([]);
    expect(h.code).toBe(0);
    expect(h.out).toContain('supervised');
    const s = cli(['supervised', '-help']);
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/-lr .*\[0\.1\]/);
    for (const bad of [
      ['supervised', '-input', 'a', '-output', 'b', '-bogus', '1'],
      ['frobnicate'],
      ['supervised', '-input', 'a', '-output', 'b', '-dim', 'x'],
    ]) {
      const r = cli(bad);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
    const missing = cli(['test', join(dir, 'nope.bin'), 'x.txt']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.bin/);
  });

  test('supervised → .bin and .vec; test and predict-prob agree with native fastText on our model', () => {
    const lines: string[] = [];
    const words = { pos: ['great', 'love', 'wonderful', 'best'], neg: ['awful', 'boring', 'worst', 'hate'] };
    for (let i = 0; i < 400; i++) {
      const y = i % 2 ? 'pos' : 'neg';
      lines.push(`__label__${y} the film was ${words[y][i % 4]} and ${words[y][(i >> 2) % 4]} really`);
    }
    writeFileSync(join(dir, 'train.txt'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'test.txt'), lines.slice(0, 50).join('\n') + '\n');
    const t = cli([
      'supervised',
      '-input',
      'train.txt',
      '-output',
      'm',
      '-dim',
      '10',
      '-epoch',
      '5',
      '-lr',
      '0.5',
      '-wordNgrams',
      '2',
      '-bucket',
      '1000',
      '-thread',
      '1',
      '-verbose',
      '2',
    ]);
    expect(t.code, t.err).toBe(0);
    expect(t.err).toMatch(/Progress: 100\.0%/);
    expect(existsSync(join(dir, 'm.bin')) && existsSync(join(dir, 'm.vec'))).toBe(true);
    const ours = cli(['test', 'm.bin', 'test.txt']);
    const native = execFileSync('fasttext', ['test', 'm.bin', 'test.txt'], { cwd: dir, encoding: 'utf8' });
    expect(ours.out).toBe(native);
    expect(ours.out).toMatch(/^N\t50\nP@1\t1\nR@1\t1\n$/);
    const q = 'what a wonderful film\nboring and awful\n';
    const p = cli(['predict-prob', 'm.bin', '-', '2'], q);
    const np = execFileSync('fasttext', ['predict-prob', 'm.bin', '-', '2'], { cwd: dir, input: q, encoding: 'utf8' });
    const a = p.out
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const b = np
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(a.map((l) => [l[0], l[2]])).toEqual(b.map((l) => [l[0], l[2]]));
    for (let i = 0; i < a.length; i++) expect(Math.abs(Number(a[i]![1]) - Number(b[i]![1]))).toBeLessThan(2e-4);
  });

  test('print-word-vectors, print-sentence-vectors and print-ngrams print what native fastText printed (fixtures)', () => {
    const words = readFileSync(join(FIX, 'words.txt'), 'utf8');
    const wv = cli(['print-word-vectors', join(FIX, 'sg.bin')], words);
    expect(wv.code, wv.err).toBe(0);
    const want = rows(readFileSync(join(FIX, 'sg.word-vectors.txt'), 'utf8'));
    const got = rows(wv.out);
    expect(got.map((r) => r[0])).toEqual(want.map((r) => r[0]));
    for (let i = 0; i < want.length; i++) {
      for (let j = 0; j < want[i]![1].length; j++)
        expect(Math.abs(got[i]![1][j]! - want[i]![1][j]!)).toBeLessThanOrEqual(1e-4 * Math.abs(want[i]![1][j]!) + 1e-9);
    }
    const sv = cli(['print-sentence-vectors', join(FIX, 'sg.bin')], readFileSync(join(FIX, 'sentences.txt'), 'utf8'));
    const swant = readFileSync(join(FIX, 'sg.sentence-vectors.txt'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.trim().split(' ').map(Number));
    const sgot = sv.out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(' ').map(Number));
    expect(sgot.length).toBe(swant.length);
    for (let i = 0; i < swant.length; i++)
      for (let j = 0; j < swant[i]!.length; j++)
        expect(Math.abs(sgot[i]![j]! - swant[i]![j]!)).toBeLessThanOrEqual(1e-4 * Math.abs(swant[i]![j]!) + 1e-9);
    const ng = cli(['print-ngrams', join(FIX, 'sg.bin'), 'café']);
    const native = execFileSync('fasttext', ['print-ngrams', join(FIX, 'sg.bin'), 'café'], { encoding: 'utf8' });
    expect(rows(ng.out).map((r) => r[0])).toEqual(rows(native).map((r) => r[0]));
    const nrows = rows(native);
    rows(ng.out).forEach((r, i) =>
      r[1].forEach((v, j) =>
        expect(Math.abs(v - nrows[i]![1][j]!)).toBeLessThanOrEqual(1e-4 * Math.abs(nrows[i]![1][j]!) + 1e-9),
      ),
    );
  });

  test('nn and analogies print k neighbours', () => {
    const nn = cli(['nn', join(FIX, 'sg.bin'), '3'], 'the\n');
    expect(nn.code, nn.err).toBe(0);
    const lines = nn.out.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^\S+ -?[0-9.e+-]+$/);
    expect(lines.some((l) => l.startsWith('the '))).toBe(false);
    const an = cli(['analogies', join(FIX, 'sg.bin'), '2'], 'the café a\n');
    expect(an.out.trim().split('\n')).toHaveLength(2);
  });
});
