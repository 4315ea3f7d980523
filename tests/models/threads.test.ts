// fit({ threads: 2 }) in both runtimes: GEMM and attention split over the main
// thread and a worker (setThreads for the run) give the parameters of the
// 1-thread run bit for bit, and the setting is restored afterwards.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { shutdown } from '../../src/core/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { getThreads } from '../../src/core/threads.js';
import { TextClassifier, type ClassificationExample } from '../../src/models/encoder/classifier.js';
import { SequenceTagger, type TaggingExample } from '../../src/models/encoder/tagger.js';

beforeAll(async () => {
  await initForTests({ threads: 2 });
});
afterAll(() => shutdown());

const VOCAB = 50;

function sequences(seed: number, n: number, len: number): number[][] {
  const rng = new Philox(seed, 4);
  return Array.from({ length: n }, () =>
    Array.from({ length: len - rng.nextInt(4) }, () => 1 + rng.nextInt(VOCAB - 1)),
  );
}

const bits = (m: TextClassifier | SequenceTagger) =>
  m.namedParameters().map(([, p]) => new Uint32Array((p.value.toArray() as Float32Array).buffer));

// dim 128, batches of 8 × ~32 tokens: the projections are 256 × 128 × 128 multiply-adds (> 2^20, the split threshold).
const CFG = { vocabSize: VOCAB, dim: 128, heads: 4, layers: 1, ffn: 256, maxLen: 32, seed: 3 };

test('TextClassifier.fit threads: 2 = threads: 1, bit for bit (dropout on)', async () => {
  const data: ClassificationExample[] = sequences(1, 24, 32).map((ids) => ({ ids, label: ids[0]! % 2 }));
  const a = new TextClassifier({ ...CFG, numClasses: 2 }),
    b = new TextClassifier({ ...CFG, numClasses: 2 });
  await a.fit(data, { epochs: 1, batchSize: 8 });
  await b.fit(data, { epochs: 1, batchSize: 8, threads: 2 });
  expect(getThreads()).toBe(1);
  expect(bits(b)).toEqual(bits(a));
  a.dispose();
  b.dispose();
});

test('SequenceTagger.fit threads: 2 = threads: 1, bit for bit', async () => {
  const data: TaggingExample[] = sequences(2, 16, 32).map((ids) => ({ ids, tags: ids.map((x) => x % 3) }));
  const a = new SequenceTagger({ ...CFG, numTags: 3 }),
    b = new SequenceTagger({ ...CFG, numTags: 3 });
  await a.fit(data, { epochs: 1, batchSize: 8 });
  await b.fit(data, { epochs: 1, batchSize: 8, threads: 2 });
  expect(bits(b)).toEqual(bits(a));
  a.dispose();
  b.dispose();
});
