// The `signal` option with threads > 1 (hogwild on the Node worker pool): word2vec and fastText word
// vectors train in groups of threads × 65,536 ids, the signal checked between groups. A never-aborted
// signal trains every token once per epoch (and as well as without one); an abort from onProgress or
// from a timer ends training early with usable vectors.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { init, shutdown } from '../../src/core/runtime.js';
import { Word2Vec } from '../../src/models/vectors/word2vec.js';
import { FastText } from '../../src/models/vectors/fasttext.js';
import { SgnsTrainer } from '../../src/models/vectors/sgns-trainer.js';
import { installPlatform } from '../helpers/runtime.js';
import { topics } from '../helpers/topics.js';

const SENTENCES = 40000; // 360,000 ids: three groups of 2 × 65,536 an epoch
const { ids, vocab } = topics(SENTENCES);
const opts = { dim: 16, window: 3, minCount: 1, sample: 0, seed: 3 } as const;

beforeAll(async () => {
  installPlatform();
  await init({ threads: 2 });
});
afterAll(() => shutdown());

describe('signal with threads: 2', () => {
  test('word2vec, never aborted: every token once per epoch, in several trainParallel groups, topics learnt', async () => {
    const calls: number[] = [];
    const orig = SgnsTrainer.prototype.trainParallel;
    SgnsTrainer.prototype.trainParallel = function (this: SgnsTrainer, chunks, threads, after) {
      calls.push((chunks as Int32Array[]).reduce((n, c) => n + c.length, 0));
      return orig.call(this, chunks, threads, after);
    };
    try {
      const m = new Word2Vec({ ...opts, epochs: 2 });
      const r = await m.trainIds(ids, vocab, { threads: 2, signal: new AbortController().signal });
      expect(r).toMatchObject({ words: 2 * SENTENCES * 8, aborted: false, threads: 2 });
      expect(calls.length).toBe(2 * 3);
      expect(calls.reduce((a, b) => a + b, 0)).toBe(2 * ids.length);
      for (const c of calls) expect(c).toBeLessThanOrEqual(2 * 65536);
      for (const n of m.mostSimilar('a3', 5)) expect(n.word[0]).toBe('a');
    } finally {
      SgnsTrainer.prototype.trainParallel = orig;
    }
  });

  test('word2vec: abort from onProgress and from a timer end early with usable vectors', async () => {
    const c = new AbortController();
    const m = new Word2Vec({ ...opts, epochs: 5 });
    const r = await m.trainIds(ids, vocab, { threads: 2, signal: c.signal, onProgress: () => c.abort() });
    expect(r.aborted).toBe(true);
    expect(r.words).toBeGreaterThan(0);
    expect(r.words).toBeLessThan(5 * SENTENCES * 8);
    expect(m.mostSimilar('a3', 5).map((n) => n.word)).not.toContain('</s>');

    const t = new AbortController();
    let armed = false;
    const m2 = new Word2Vec({ ...opts, epochs: 200 });
    const r2 = await m2.trainIds(ids, vocab, {
      threads: 2,
      signal: t.signal,
      onProgress: () => {
        if (!armed) {
          armed = true;
          setTimeout(() => t.abort(), 20);
        }
      },
    });
    expect(r2.aborted).toBe(true);
    expect(r2.words).toBeLessThan(200 * SENTENCES * 8);
  });

  test('fastText: abort from a timer ends early; the model answers queries', async () => {
    const text = Array.from({ length: 20000 }, (_, s) =>
      Array.from({ length: 8 }, (_, j) => `${s % 2 ? 'apple' : 'zebra'}${(s * 7 + j * 3) % 10}`).join(' '),
    ).join('\n');
    const t = new AbortController();
    let armed = false;
    const reports: number[] = [];
    const m = await FastText.train(text, {
      model: 'skipgram',
      dim: 8,
      ws: 3,
      epoch: 200,
      minCount: 1,
      bucket: 2000,
      t: 0,
      seed: 4,
      threads: 2,
      signal: t.signal,
      onProgress: (p) => {
        reports.push(p.progress);
        if (!armed) {
          armed = true;
          setTimeout(() => t.abort(), 20);
        }
      },
    });
    try {
      expect(reports.at(-1)).toBeGreaterThan(0);
      expect(reports.at(-1)).toBeLessThan(1);
      expect(m.mostSimilar('apple1', 3).map((n) => n.word)).not.toContain('</s>');
    } finally {
      m.dispose();
    }
  });
});
