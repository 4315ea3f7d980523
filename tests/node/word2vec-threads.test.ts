// Hogwild word2vec on the worker pool (Node worker_threads): quality equal to
// one thread, every token once per epoch, the global lr schedule, one shared
// copy of the matrices, worker errors as typed errors, progress per thread,
// and a process that exits after shutdown().
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ArgumentError, WasmNlpError } from '../../src/core/errors.js';
import { init, rt, shutdown } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { Word2Vec } from '../../src/models/vectors/word2vec.js';
import type { Progress } from '../../src/train/progress.js';
import { SgnsTrainer } from '../../src/models/vectors/sgns-trainer.js';
import { installPlatform } from '../helpers/runtime.js';
import { runNode } from '../helpers/node-process.js';
import { topics } from '../helpers/topics.js';

/** WorkerPool.call without its per-kernel argument types, for the spies below. */
type RawCall = (this: unknown, worker: number, fn: string, args: number[]) => Promise<number | undefined>;

const NODE_BUNDLE = fileURLToPath(new URL('../../dist/wasm-nlp.node.js', import.meta.url));

const { ids, vocab } = topics(3000);
const TOKENS = 3000 * 8;

beforeAll(async () => {
  installPlatform();
  await init({ threads: 2 });
});
afterAll(() => shutdown());

/** A trainer over fresh matrices for the topics vocabulary. */
function trainer(epochs: number): { tr: SgnsTrainer; win: Tensor; wout: Tensor; dispose: () => void } {
  const V = vocab.words.length;
  const win = Tensor.rand([V, 16], { seed: 1, stream: 1 });
  const v = win.view();
  for (let i = 0; i < v.length; i++) v[i] = (v[i]! - 0.5) / 16;
  const wout = Tensor.zeros([V, 16]);
  const tr = new SgnsTrainer(win, wout, {
    window: 3,
    negative: 5,
    model: 'skipgram',
    loss: 'ns',
    sample: 0,
    lr: 0.025,
    totalWords: TOKENS * epochs,
    seed: 5,
    eosId: 0,
    counts: vocab.counts,
  });
  return {
    tr,
    win,
    wout,
    dispose: () => {
      tr.dispose();
      win.dispose();
      wout.dispose();
    },
  };
}

describe('Word2Vec threads: 2', () => {
  test('trains the two topics as well as threads: 1 (related words nearest), the same token count', async () => {
    for (const threads of [1, 2]) {
      const m = new Word2Vec({ dim: 16, window: 3, minCount: 3, epochs: 3, sample: 0, seed: 3 });
      const seen: Progress[] = [];
      const res = await m.trainIds(ids, vocab, { threads, onProgress: (p) => seen.push(p) });
      expect(res.words).toBe(3 * TOKENS);
      expect(Number.isFinite(res.loss)).toBe(true);
      for (const w of ['a0', 'a7', 'b3', 'b9']) {
        for (const n of m.mostSimilar(w, 5)) expect(n.word[0], `${threads} threads, ${w}`).toBe(w[0]);
      }
      const last = seen.at(-1)!;
      expect(last.progress).toBe(1);
      expect(last.threads).toBe(threads);
      expect(last.threads).toBe(threads);
      expect(last.unit).toBe('words');
      const perThread = last.threadItemsPerSec!;
      expect(perThread).toHaveLength(threads);
      for (const x of perThread) expect(x).toBeGreaterThan(0);
      expect(perThread.reduce((a, b) => a + b, 0)).toBeCloseTo(last.itemsPerSec, 0);
      expect(last.lr).toBeLessThan(0.025 * 0.01);
    }
  });

  test('threads: 1 with a pool stays on the main thread and deterministic', async () => {
    const a = new Word2Vec({ dim: 8, minCount: 3, epochs: 1, seed: 9 });
    const b = new Word2Vec({ dim: 8, minCount: 3, epochs: 1, seed: 9 });
    const pool = rt('t').pool!;
    const call = pool.call;
    let calls = 0;
    pool.call = ((...args: Parameters<typeof call>) => {
      calls++;
      return call.apply(pool, args);
    }) as typeof call;
    try {
      await a.trainIds(ids, vocab, { threads: 1 });
      await b.trainIds(ids, vocab);
    } finally {
      pool.call = call;
    }
    expect(calls).toBe(0);
    expect(b.vectors).toEqual(a.vectors);
  });

  test('every token once per epoch: per-thread counts add up, whole sentences; lr decays with the global progress to ~0', async () => {
    const epochs = 4;
    const { tr, dispose } = trainer(epochs);
    try {
      const lrs: number[] = [];
      for (let e = 0; e < epochs; e++) {
        const n = await tr.trainParallel([ids.subarray(0, 10_000), ids.subarray(10_000)], 2, () =>
          lrs.push(tr.stats.lr),
        );
        expect(n).toBe(TOKENS);
        const t = tr.threadStats;
        expect(t).toHaveLength(2);
        expect(t[0]!.processed + t[1]!.processed).toBe((e + 1) * TOKENS);
        // Pieces of whole sentences (8 tokens each), shared between both workers.
        for (const x of t) {
          expect(x.processed % 8).toBe(0);
          expect(x.processed).toBeGreaterThan(0);
        }
        expect(tr.stats.processed).toBe((e + 1) * TOKENS);
        // Halfway through the run the lr is about half of lr0 (the global schedule, not each thread's own).
        if (e === 1) {
          expect(tr.stats.lr / 0.025).toBeGreaterThan(0.4);
          expect(tr.stats.lr / 0.025).toBeLessThan(0.6);
        }
      }
      expect(tr.stats.lr).toBeLessThan(0.025 * 0.01);
      for (const t of tr.threadStats) expect(t.lr).toBeLessThan(0.025 * 0.15);
      expect(tr.stats.lossCount).toBeGreaterThan(0);
      expect(tr.threadStats[0]!.rngWord).toBeGreaterThan(0);
    } finally {
      dispose();
    }
  });

  test('the matrices are shared: every worker call gets the same win/wout pointers, its own state/scratch/ids on separate cache lines', async () => {
    const r = rt('t');
    expect(r.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const { tr, win, wout, dispose } = trainer(1);
    const pool = r.pool!;
    const call = pool.call;
    const seen: { worker: number; args: number[] }[] = [];
    pool.call = ((worker: number, fn: string, args: number[]) => {
      seen.push({ worker, args: [...args] });
      return (call as unknown as RawCall).call(pool, worker, fn, args);
    }) as typeof call;
    const before = win.toArray() as Float32Array;
    const heapBefore = r.heap.bytesInUse;
    try {
      await tr.trainParallel(ids, 2);
    } finally {
      pool.call = call;
    }
    try {
      expect(new Set(seen.map((s) => s.worker))).toEqual(new Set([0, 1]));
      for (const s of seen) {
        expect(s.args[9]).toBe(win.offset);
        expect(s.args[10]).toBe(wout.offset);
      }
      const own = (w: number) => seen.find((s) => s.worker === w)!.args;
      const [a, b] = [own(0), own(1)];
      for (const i of [0, 11, 12]) expect(a[i]).not.toBe(b[i]); // ids, state, scratch
      expect(Math.floor(a[11]! / 64)).not.toBe(Math.floor(b[11]! / 64));
      expect(a[11]! % 64).toBe(0);
      // The workers' updates are in the main thread's tensors (no copy back), and no matrix was copied per worker.
      expect(win.toArray()).not.toEqual(before);
      expect(Array.from(wout.view()).some((x) => x !== 0)).toBe(true);
      const perThread = r.heap.bytesInUse - heapBefore;
      expect(perThread).toBeLessThan(2 * (1 << 16) * 4 + 2 * 64 * 1024);
    } finally {
      dispose();
    }
  });

  test('a worker that traps rejects with a WasmNlpError naming it; the trainer stays usable', async () => {
    const r = rt('t');
    const { tr, dispose } = trainer(2);
    const pool = r.pool!;
    const call = pool.call;
    pool.call = ((worker: number, fn: string, args: number[]) => {
      const a = [...args];
      if (worker === 1) a[0] = 0xfffff000; // ids pointer out of bounds: a real trap in the worker
      return (call as unknown as RawCall).call(pool, worker, fn, a);
    }) as typeof call;
    try {
      const p = tr.trainParallel(ids, 2);
      await expect(p).rejects.toThrow(WasmNlpError);
      await expect(p).rejects.toThrow(
        /SgnsTrainer\.trainParallel: worker 1 must finish its kernel call, got .*out of bounds/,
      );
    } finally {
      pool.call = call;
    }
    try {
      expect(await tr.trainParallel(ids, 2)).toBe(TOKENS);
    } finally {
      dispose();
    }
  });

  test('threads above the pool size or invalid: ArgumentError naming init({ threads })', async () => {
    const m = new Word2Vec({ dim: 8, minCount: 3, epochs: 1 });
    await expect(m.trainIds(ids, vocab, { threads: 3 })).rejects.toThrow(ArgumentError);
    await expect(m.trainIds(ids, vocab, { threads: 3 })).rejects.toThrow(
      /threads must be at most the worker pool size, got 3 with a pool of 2.*init\(\{ threads: 3 \}\)/,
    );
    await expect(m.trainIds(ids, vocab, { threads: 0 })).rejects.toThrow(
      /threads must be an integer in \[1, 64\], got 0/,
    );
    const { tr, dispose } = trainer(1);
    try {
      await expect(tr.trainParallel(ids, 4)).rejects.toThrow(/a pool of 2/);
      await expect(tr.trainParallel(Int32Array.of(1, 99), 2)).rejects.toThrow(/ids\[1\] must be in \[0, 21\), got 99/);
    } finally {
      dispose();
    }
  });
});

describe('process exit', () => {
  test('a script that trains with threads: 2 and calls shutdown() exits by itself', async () => {
    const code = `
      import(${JSON.stringify(new URL(`file://${NODE_BUNDLE}`).href)}).then(async (w) => {
        await w.init({ threads: 2 });
        const line = (i) => (i % 2 ? 'a b c d e f' : 'u v w x y z');
        const text = Array.from({ length: 4000 }, (_, i) => line(i)).join('\\n');
        const m = new w.Word2Vec({ dim: 8, minCount: 1, epochs: 2, sample: 0 });
        const r = await m.train(text, { threads: 2 });
        console.log(r.words, m.mostSimilar('a', 1)[0].word.length);
        w.shutdown();
      });`;
    const r = await runNode(['--input-type=commonjs', '-e', code], { timeoutMs: 20_000 });
    expect(r.timedOut, `the process hung; stderr: ${r.stderr}`).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('48000 1');
  });
});
