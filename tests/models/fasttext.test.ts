import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { ArgumentError } from '../../src/core/errors.js';
import { memoryInUse } from '../../src/core/runtime.js';
import { FastTextClassifier } from '../../src/models/fasttext/classifier.js';
import { readFastTextBin } from '../../src/io/fasttext-bin.js';

beforeAll(async () => {
  await initForTests();
});

/** Lines of a 3-topic toy corpus: each label has its own words, plus shared noise words. */
function corpus(n: number, seed: number, multi = false): string {
  const rng = new Philox(seed, 3);
  const topics: Record<string, string[]> = {
    sport: ['goal', 'match', 'team', 'score', 'league', 'coach'],
    food: ['pasta', 'sauce', 'bake', 'flour', 'oven', 'salt'],
    tech: ['code', 'chip', 'server', 'cloud', 'app', 'data'],
  };
  const noise = ['the', 'a', 'is', 'of', 'and', 'today'];
  const names = Object.keys(topics);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = names[rng.nextInt(3)]!;
    const words = Array.from({ length: 6 }, (_, j) => (j % 2 ? noise[rng.nextInt(6)]! : topics[y]![rng.nextInt(6)]!));
    let labels = `__label__${y}`;
    if (multi && rng.nextFloat() < 0.3) {
      const z = names[(names.indexOf(y) + 1) % 3]!;
      labels += ` __label__${z}`;
      words.push(topics[z]![rng.nextInt(6)]!);
    }
    lines.push(`${labels} ${words.join(' ')}`);
  }
  return lines.join('\n') + '\n';
}

describe('FastTextClassifier', () => {
  for (const loss of ['softmax', 'ns', 'hs', 'ova'] as const) {
    test(`${loss}: learns a separable toy corpus (P@1 = 1 on held-out lines), loss falls`, async () => {
      const progress: number[] = [];
      const losses: number[] = [];
      const m = await FastTextClassifier.train(corpus(600, 1), {
        dim: 16,
        epoch: 5,
        lr: 0.5,
        wordNgrams: 2,
        bucket: 1000,
        loss,
        seed: 2,
        onProgress: (p) => {
          progress.push(p.progress);
          losses.push(p.loss);
        },
      });
      const r = m.test(corpus(200, 99));
      expect(r.n).toBe(200);
      expect(r.precision).toBe(1);
      expect(progress.at(-1)).toBeCloseTo(1, 2);
      expect(m.labels.sort()).toEqual(['__label__food', '__label__sport', '__label__tech']);
      expect(m.predict('__label__x pasta sauce oven', 1)[0]!.label).toBe('__label__food');
      m.dispose();
    });
  }

  test('a line of 300,000 tokens trains and predicts (ids gathered without a spread, which overflows the stack)', async () => {
    const long = Array.from({ length: 300_000 }, (_, i) => ['goal', 'match', 'pasta', 'code'][i % 4]).join(' ');
    const m = await FastTextClassifier.train(corpus(300, 4) + `__label__sport ${long}\n`, {
      dim: 8,
      epoch: 1,
      seed: 7,
      wordNgrams: 2,
      bucket: 1000,
    });
    const p = m.predict(long, 3);
    expect(p).toHaveLength(3);
    expect(p.reduce((s, x) => s + x.prob, 0)).toBeCloseTo(1, 5);
    expect(m.probabilities([long, 'goal'])[0]).toHaveLength(3);
    m.dispose();
  });

  test('same seed, same model bytes; k and threshold', async () => {
    const a = await FastTextClassifier.train(corpus(300, 4), { dim: 8, epoch: 2, seed: 7 });
    const b = await FastTextClassifier.train(corpus(300, 4), { dim: 8, epoch: 2, seed: 7 });
    expect(a.toBytes()).toEqual(b.toBytes());
    const p = a.predict('goal match team', 3);
    expect(p).toHaveLength(3);
    expect(p[0]!.prob).toBeGreaterThanOrEqual(p[1]!.prob);
    expect(p.reduce((s, x) => s + x.prob, 0)).toBeCloseTo(1, 5);
    expect(a.predict('goal match team', 3, 0.999).length).toBeLessThanOrEqual(1);
    expect(() => a.predict('x', 0)).toThrow(ArgumentError);
    a.dispose();
    b.dispose();
  });

  test('.bin round trip: the bytes read back predict the same; the file is a native supervised model', async () => {
    const m = await FastTextClassifier.train(corpus(300, 5), {
      dim: 12,
      epoch: 3,
      wordNgrams: 2,
      bucket: 500,
      seed: 1,
    });
    const bytes = m.toBytes();
    const data = readFastTextBin(bytes);
    expect(data.args.model).toBe('sup');
    expect(data.input.rows).toBe(data.words.filter((w) => w.type === 'word').length + 500);
    const back = FastTextClassifier.fromBytes(bytes);
    const lines = ['goal pasta', 'server data cloud', 'oven'];
    expect(back.predictLines(lines, 3)).toEqual(m.predictLines(lines, 3));
    m.dispose();
    back.dispose();
  });

  test('multi-label with ova: both labels of a two-topic line rank first', async () => {
    const m = await FastTextClassifier.train(corpus(1500, 6, true), {
      dim: 16,
      epoch: 10,
      lr: 0.5,
      loss: 'ova',
      seed: 3,
    });
    const p = m
      .predict('goal match pasta sauce', 2)
      .map((x) => x.label)
      .sort();
    expect(p).toEqual(['__label__food', '__label__sport']);
    m.dispose();
  });

  test('memory is returned by dispose(); bad options are typed errors', async () => {
    const before = memoryInUse();
    const m = await FastTextClassifier.train(corpus(100, 8), { dim: 8, epoch: 1 });
    m.dispose();
    expect(memoryInUse()).toBe(before);
    await expect(FastTextClassifier.train(corpus(10, 1), { dim: 0 })).rejects.toThrow(/dim must be an integer >= 1/);
    await expect(FastTextClassifier.train(corpus(10, 1), { loss: 'x' as never })).rejects.toThrow(
      /loss must be one of/,
    );
    await expect(FastTextClassifier.train('no labels here\n', {})).rejects.toThrow(/must contain labels/);
    await expect(FastTextClassifier.train(corpus(10, 1), { wordNgrams: 2, bucket: 0 })).rejects.toThrow(
      /bucket must be > 0/,
    );
  });
});
