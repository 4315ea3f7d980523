import { describe, expect, test } from 'vitest';
import { CliError, defaultsFor, helpText, parseArgs } from '../../src/cli/args.js';
import { WasmNlpError } from '../../src/core/errors.js';

describe('per-command defaults (fastText 0.9)', () => {
  test('skipgram and cbow share the unsupervised defaults', () => {
    for (const c of ['skipgram', 'cbow'] as const) {
      const p = parseArgs([c, '-input', 'a.txt', '-output', 'm']);
      if (p.command !== c) throw new Error('wrong command');
      expect(p.args).toMatchObject({
        lr: 0.05,
        dim: 100,
        ws: 5,
        epoch: 5,
        minCount: 5,
        minCountLabel: 0,
        neg: 5,
        wordNgrams: 1,
        loss: 'ns',
        bucket: 2_000_000,
        minn: 3,
        maxn: 6,
        thread: 12,
        lrUpdateRate: 100,
        t: 1e-4,
        label: '__label__',
        verbose: 2,
        seed: 0,
      });
    }
  });
  test('supervised: lr 0.1, minCount 1, no char n-grams, softmax, and bucket 0 without n-grams', () => {
    const p = parseArgs(['supervised', '-input', 'a.txt', '-output', 'm']);
    if (p.command !== 'supervised') throw new Error('wrong command');
    expect(p.args).toMatchObject({
      lr: 0.1,
      minCount: 1,
      minn: 0,
      maxn: 0,
      loss: 'softmax',
      bucket: 0,
      epoch: 5,
      dim: 100,
    });
    const q = parseArgs(['supervised', '-input', 'a.txt', '-output', 'm', '-wordNgrams', '2']);
    if (q.command !== 'supervised') throw new Error('wrong command');
    expect(q.args.bucket).toBe(2_000_000);
    expect(defaultsFor('supervised').lr).toBe(0.1);
    expect(defaultsFor('skipgram').lr).toBe(0.05);
  });
  test('flags override defaults; one-vs-all is ova', () => {
    const p = parseArgs([
      'supervised',
      '-input',
      'i',
      '-output',
      'o',
      '-lr',
      '0.5',
      '-epoch',
      '25',
      '-loss',
      'one-vs-all',
      '-thread',
      '1',
      '-bucket',
      '1000',
      '-wordNgrams',
      '2',
      '-label',
      '__l__',
      '-seed',
      '7',
      '-saveOutput',
      'true',
    ]);
    if (p.command !== 'supervised') throw new Error('wrong command');
    expect(p.args).toMatchObject({
      lr: 0.5,
      epoch: 25,
      loss: 'ova',
      thread: 1,
      bucket: 1000,
      wordNgrams: 2,
      label: '__l__',
      seed: 7,
      saveOutput: true,
    });
  });
});

describe('query commands', () => {
  test('positional arguments and their defaults', () => {
    expect(parseArgs(['test', 'm.bin', 't.txt'])).toEqual({
      command: 'test',
      model: 'm.bin',
      input: 't.txt',
      k: 1,
      threshold: 0,
      verbose: 2,
    });
    expect(parseArgs(['predict-prob', 'm.bin', '-', '3', '0.5'])).toMatchObject({
      command: 'predict-prob',
      input: '-',
      k: 3,
      threshold: 0.5,
    });
    expect(parseArgs(['nn', 'm.bin'])).toEqual({ command: 'nn', model: 'm.bin', k: 10 });
    expect(parseArgs(['analogies', 'm.bin', '5'])).toEqual({ command: 'analogies', model: 'm.bin', k: 5 });
    expect(parseArgs(['print-ngrams', 'm.bin', 'où'])).toEqual({ command: 'print-ngrams', model: 'm.bin', word: 'où' });
    expect(parseArgs(['print-word-vectors', 'm.bin'])).toEqual({ command: 'print-word-vectors', model: 'm.bin' });
  });
});

describe('help', () => {
  test('no command, -help, and per-command -help', () => {
    expect(parseArgs([])).toEqual({ command: 'help', topic: undefined });
    expect(parseArgs(['-help'])).toEqual({ command: 'help', topic: undefined });
    expect(parseArgs(['supervised', '-help'])).toEqual({ command: 'help', topic: 'supervised' });
    expect(parseArgs(['nn', '-help'])).toEqual({ command: 'help', topic: 'nn' });
    expect(helpText()).toContain('skipgram');
    expect(helpText('supervised')).toMatch(/-lr .*\[0\.1\]/);
    expect(helpText('skipgram')).toMatch(/-lr .*\[0\.05\]/);
    expect(helpText('skipgram')).toMatch(/-minn .*\[3\]/);
    expect(helpText('predict')).toContain('predict <model> <test-data> [<k>] [<th>]');
  });
});

describe('bad command lines: one-line CliError, exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [['train'], /command must be one of .*got "train"/],
    [['skipgram', '-input', 'a', '-output', 'm', '-dimension', '3'], /unknown flag "-dimension"/],
    [['skipgram', '-input', 'a', '-output', 'm', '-dim'], /-dim must be followed by a value/],
    [['skipgram', '-input', 'a', '-output', 'm', '-dim', '0'], /-dim must be an integer >= 1, got "0"/],
    [['skipgram', '-input', 'a', '-output', 'm', '-dim', '1.5'], /-dim must be an integer/],
    [['skipgram', '-input', 'a', '-output', 'm', '-lr', 'fast'], /-lr must be a non-negative number, got "fast"/],
    [['skipgram', '-input', 'a', '-output', 'm', '-lr', '0'], /-lr must be > 0/],
    [['skipgram', '-input', 'a', '-output', 'm', '-loss', 'hinge'], /-loss must be one of ns, hs, softmax, one-vs-all/],
    [['skipgram', '-input', 'a', '-output', 'm', '-minn', '5', '-maxn', '3'], /-minn must be <= -maxn/],
    [['skipgram', '-output', 'm'], /-input must be given/],
    [['cbow', '-input', 'a'], /-output must be given/],
    [['test', 'm.bin'], /usage: wasm-nlp test <model> <test-data>/],
    [['nn', 'm.bin', 'ten'], /<k> must be an integer >= 1/],
    [['predict', 'm.bin', 't', '1', '2'], /<th> must be a number in \[0, 1\]/],
  ];
  for (const [argv, re] of cases) {
    test(argv.join(' '), () => {
      let err: unknown;
      try {
        parseArgs(argv);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CliError);
      expect(err).toBeInstanceOf(WasmNlpError);
      expect((err as CliError).exitCode).toBe(2);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    });
  }
});
