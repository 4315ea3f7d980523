import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { Tensor } from '../../src/core/tensor.js';
import { ArgumentError, ShapeError } from '../../src/core/errors.js';
import { SgnsTrainer, type SgnsOptions } from '../../src/models/vectors/sgns-trainer.js';
import { aliasTable, huffmanTree, keepProbabilities } from '../../src/ops/tables.js';
import { refSgnsTrain, type RefSgnsConfig, type RefSgnsState } from '../reference/sgns.js';

beforeAll(async () => {
  await initForTests();
});

/** A Zipf-ish corpus of V - 1 words plus EOS (id V - 1), sentences of 1..12 words. */
function corpus(n: number, V: number, seed: number): Int32Array {
  const rng = new Philox(seed, 3);
  const ids = new Int32Array(n);
  let left = 0;
  for (let i = 0; i < n; i++) {
    if (left === 0) {
      left = 1 + rng.nextInt(12);
      if (i > 0) {
        ids[i] = V - 1;
        continue;
      }
    }
    // P(w) ∝ 1 / (w + 1)
    const u = rng.nextFloat();
    ids[i] = Math.min(V - 2, Math.floor(Math.exp(u * Math.log(V)) - 1));
    left--;
  }
  return ids;
}

function countsOf(ids: Int32Array, V: number): number[] {
  const c = new Array<number>(V).fill(0);
  for (const id of ids) c[id]!++;
  return c;
}

function initWeights(rows: number, dim: number, seed: number): Float32Array {
  const rng = new Philox(seed, 9);
  return Float32Array.from({ length: rows * dim }, () => (rng.nextFloat() - 0.5) / dim);
}

interface Case {
  name: string;
  model: 'skipgram' | 'cbow';
  loss: 'ns' | 'hs';
  subwords?: boolean;
  sample: number;
  dim: number;
  fasttext?: boolean;
}

const CASES: Case[] = [
  { name: 'skip-gram NS', model: 'skipgram', loss: 'ns', sample: 1e-2, dim: 13 },
  { name: 'CBOW NS', model: 'cbow', loss: 'ns', sample: 1e-2, dim: 6 },
  { name: 'skip-gram HS', model: 'skipgram', loss: 'hs', sample: 0, dim: 9 },
  { name: 'CBOW HS', model: 'cbow', loss: 'hs', sample: 1e-2, dim: 4 },
  { name: 'skip-gram NS subwords', model: 'skipgram', loss: 'ns', subwords: true, sample: 1e-2, dim: 11 },
  { name: 'CBOW NS subwords', model: 'cbow', loss: 'ns', subwords: true, sample: 0, dim: 3 },
  { name: 'skip-gram NS dim 1', model: 'skipgram', loss: 'ns', sample: 0, dim: 1 },
  {
    name: 'fastText flavor: skip-gram NS subwords',
    model: 'skipgram',
    loss: 'ns',
    subwords: true,
    sample: 1e-2,
    dim: 7,
    fasttext: true,
  },
  { name: 'fastText flavor: CBOW NS', model: 'cbow', loss: 'ns', sample: 1e-2, dim: 5, fasttext: true },
  { name: 'fastText flavor: skip-gram HS', model: 'skipgram', loss: 'hs', sample: 0, dim: 5, fasttext: true },
];

describe('sgns_train = plain-JS reference (same RNG stream, two chunks)', () => {
  for (const k of CASES) {
    test(k.name, () => {
      const V = 15,
        n = 600,
        eos = V - 1;
      const ids = corpus(n, V, 5);
      const counts = countsOf(ids, V);
      const rowsIn = k.subwords ? V + 7 : V;
      let subwords: { offsets: Int32Array; rows: Int32Array } | undefined;
      if (k.subwords) {
        // Word w: its own row plus 0..2 "n-gram" rows among V..V+6.
        const offs = [0],
          rows: number[] = [];
        for (let w = 0; w < V; w++) {
          rows.push(w);
          for (let j = 0; j < w % 3; j++) rows.push(V + ((w * 5 + j * 3) % 7));
          offs.push(rows.length);
        }
        subwords = { offsets: Int32Array.from(offs), rows: Int32Array.from(rows) };
      }
      const rowsOut = k.loss === 'hs' ? V - 1 : V;
      const w0 = initWeights(rowsIn, k.dim, 1),
        o0 = initWeights(rowsOut, k.dim, 2);
      const win = Tensor.fromArray(w0, [rowsIn, k.dim]),
        wout = Tensor.fromArray(o0, [rowsOut, k.dim]);
      const opts: SgnsOptions = {
        window: 3,
        negative: 4,
        model: k.model,
        loss: k.loss,
        sample: k.sample,
        lr: 0.2,
        totalWords: 2 * n,
        seed: 77,
        eosId: eos,
        counts,
        subwords,
        ...(k.fasttext ? { flavor: 'fasttext', sampleTotal: n + 40 } : {}),
      };
      const tr = new SgnsTrainer(win, wout, opts);
      const cut = ids.indexOf(eos, 300) + 1;
      tr.train(ids.subarray(0, cut));
      tr.train(ids.subarray(cut));
      const s = tr.stats;

      const tree = k.loss === 'hs' ? huffmanTree(counts) : undefined;
      const at = k.loss === 'ns' ? aliasTable(counts, 0.75, k.fasttext ? -1 : eos) : undefined;
      const cfg: RefSgnsConfig = {
        V,
        dim: k.dim,
        window: 3,
        negative: 4,
        cbow: k.model === 'cbow',
        hs: k.loss === 'hs',
        eos,
        lr0: 0.2,
        total: 2 * n,
        seed: 77,
        keep:
          k.sample > 0
            ? k.fasttext
              ? keepProbabilities(counts, k.sample, -1, n + 40)
              : keepProbabilities(counts, k.sample, eos)
            : undefined,
        fasttext: k.fasttext,
        prob: at?.prob,
        alias: at?.alias,
        hsOff: tree?.offsets,
        hsCodes: tree?.codes,
        hsPoints: tree?.points,
        subOff: subwords?.offsets,
        subRows: subwords?.rows,
      };
      const rw = Float64Array.from(w0),
        ro = Float64Array.from(o0);
      const st: RefSgnsState = { processed: 0, lossSum: 0, lossCount: 0, lr: 0, rngWord: 0 };
      refSgnsTrain(ids.subarray(0, cut), rw, ro, cfg, st);
      refSgnsTrain(ids.subarray(cut), rw, ro, cfg, st);

      expect(s.processed).toBe(st.processed);
      expect(s.lossCount).toBe(st.lossCount);
      expect(s.rngWord).toBe(st.rngWord);
      expect(s.lr).toBe(st.lr);
      expect(s.lossSum).toBeCloseTo(st.lossSum, 3);
      const gw = win.toArray(),
        go = wout.toArray();
      let maxErr = 0,
        moved = 0;
      for (let i = 0; i < gw.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(gw[i]! - rw[i]!));
        moved = Math.max(moved, Math.abs(rw[i]! - w0[i]!));
      }
      for (let i = 0; i < go.length; i++) maxErr = Math.max(maxErr, Math.abs(go[i]! - ro[i]!));
      expect(moved).toBeGreaterThan(1e-2);
      expect(maxErr).toBeLessThan(2e-5);
      tr.dispose();
      win.dispose();
      wout.dispose();
    });
  }
});

function trainer(
  V: number,
  dim: number,
  extra: Partial<SgnsOptions> = {},
  winInit?: Float32Array,
): { tr: SgnsTrainer; win: Tensor; wout: Tensor } {
  const o: SgnsOptions = {
    window: 5,
    negative: 5,
    model: 'skipgram',
    loss: 'ns',
    sample: 0,
    lr: 0.05,
    totalWords: 1e6,
    seed: 1,
    eosId: -1,
    counts: new Array<number>(V).fill(1),
    ...extra,
  };
  const rowsOut = o.loss === 'hs' ? V - 1 : V;
  const win = Tensor.fromArray(winInit ?? initWeights(V, dim, 3), [V, dim]);
  const wout = Tensor.zeros([rowsOut, dim]);
  return { tr: new SgnsTrainer(win, wout, o), win, wout };
}

describe('statistics', () => {
  test('subsampling keeps word w with probability keep[w] (binomial, 6 sigma)', () => {
    const counts = [60_000, 3_000, 200, 50];
    const keep = keepProbabilities(counts, 1e-3);
    const n = 40_000;
    for (const w of [0, 1]) {
      const p = keep[w]!;
      expect(p).toBeLessThan(1);
      // negative = 0: the kernel draws one word per token and one per kept token.
      const { tr, win, wout } = trainer(4, 4, { counts, sample: 1e-3, negative: 0 });
      tr.train(new Int32Array(n).fill(w));
      const kept = tr.stats.rngWord - n;
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(kept - n * p)).toBeLessThan(6 * sd);
      tr.dispose();
      win.dispose();
      wout.dispose();
    }
    expect(keep[3]).toBeGreaterThanOrEqual(1);
    // word2vec's formula, T = 63 250
    expect(keep[0]).toBeCloseTo(((Math.sqrt(60_000 / 63.25) + 1) * 63.25) / 60_000, 6);
  });

  test('negatives follow counts^0.75, EOS never drawn (chi-square, 19 df)', () => {
    const V = 21;
    const counts = Array.from({ length: V }, (_, i) => (i === 7 ? 500 : 1 + ((i * 37) % 50) * (i % 3 === 0 ? 20 : 1)));
    const { tr, win, wout } = trainer(V, 4, { counts, eosId: 7 });
    const n = 200_000;
    const draws = tr.drawNegatives(n);
    const obs = new Array<number>(V).fill(0);
    for (const d of draws) obs[d]!++;
    expect(obs[7]).toBe(0);
    let z = 0;
    for (let i = 0; i < V; i++) if (i !== 7) z += counts[i]! ** 0.75;
    let chi2 = 0;
    for (let i = 0; i < V; i++) {
      if (i === 7) continue;
      const e = (n * counts[i]! ** 0.75) / z;
      chi2 += (obs[i]! - e) ** 2 / e;
    }
    // P(chi2_19 > 50) ≈ 1e-4
    expect(chi2).toBeLessThan(50);
    // and a wrong distribution (plain counts) is rejected by the same test
    let zc = 0;
    for (let i = 0; i < V; i++) if (i !== 7) zc += counts[i]!;
    let chiWrong = 0;
    for (let i = 0; i < V; i++)
      if (i !== 7) chiWrong += (obs[i]! - (n * counts[i]!) / zc) ** 2 / ((n * counts[i]!) / zc);
    expect(chiWrong).toBeGreaterThan(1000);
    tr.dispose();
    win.dispose();
    wout.dispose();
  });

  test('alias table is exact: acceptance mass per word = V * P(word)', () => {
    const counts = [5, 1, 0, 9, 3, 3];
    const { prob, alias } = aliasTable(counts, 0.75);
    const mass = new Float64Array(6);
    for (let i = 0; i < 6; i++) {
      mass[i] = mass[i]! + prob[i]! / 2 ** 32;
      mass[alias[i]!] = mass[alias[i]!]! + 1 - prob[i]! / 2 ** 32;
    }
    const z = counts.reduce((a, c) => a + c ** 0.75, 0);
    for (let i = 0; i < 6; i++) expect(mass[i]).toBeCloseTo((6 * counts[i]! ** 0.75) / z, 6);
  });

  test('Huffman tree: prefix-free codes, frequent words get short codes, inner rows in [0, V-1)', () => {
    const counts = [100, 1, 50, 2, 30, 7, 7];
    const t = huffmanTree(counts);
    const codes = counts.map((_, w) => Array.from(t.codes.subarray(t.offsets[w]!, t.offsets[w + 1]!)).join(''));
    for (const a of codes) for (const b of codes) if (a !== b) expect(b.startsWith(a)).toBe(false);
    expect(codes[0]!.length).toBeLessThanOrEqual(codes[1]!.length);
    for (const p of t.points) expect(p >= 0 && p < 6).toBe(true);
    for (let w = 0; w < 7; w++) expect(t.points[t.offsets[w]!]).toBe(5);
    // Kraft equality for a full binary tree
    expect(codes.reduce((s, c) => s + 2 ** -c.length, 0)).toBeCloseTo(1, 12);
  });
});

describe('schedule, sentences, determinism', () => {
  test('windows never cross EOS: rows of one sentence group never touch the other group', () => {
    // Words 0-2 only in sentences A, 3-5 only in B, EOS 6; win = identity rows.
    const V = 7,
      dim = 7;
    const eye = new Float32Array(V * dim);
    for (let i = 0; i < V; i++) eye[i * dim + i] = 1;
    const ids: number[] = [];
    for (let s = 0; s < 200; s++) ids.push(...(s % 2 === 0 ? [0, 1, 2, 1, 0] : [3, 5, 4, 4]), 6);
    // Subwords off, negative 0: each update keeps win/wout rows inside the span of their sentence's basis vectors.
    const { tr, win, wout } = trainer(V, dim, { negative: 0, eosId: 6, window: 5 }, eye);
    tr.train(Int32Array.from(ids));
    const wi = win.toArray(),
      wo = wout.toArray();
    for (let w = 0; w < 6; w++) {
      const other = w < 3 ? [3, 4, 5] : [0, 1, 2];
      for (const c of other) {
        expect(wi[w * dim + c]).toBe(0);
        expect(wo[w * dim + c]).toBe(0);
      }
    }
    expect(wo[0 * dim + 1]).not.toBe(0);
    expect(wo[3 * dim + 4]).not.toBe(0);
    tr.dispose();
    win.dispose();
    wout.dispose();
  });

  test("flavor 'fasttext': EOS is its sentence's last word (trained, counted); 'word2vec': EOS only separates", () => {
    const V = 7,
      dim = 7;
    const eye = new Float32Array(V * dim);
    for (let i = 0; i < V; i++) eye[i * dim + i] = 1;
    const ids: number[] = [];
    for (let s = 0; s < 50; s++) ids.push(...(s % 2 === 0 ? [0, 1, 2, 1, 0] : [3, 5, 4, 4]), 6);
    const run = (flavor: 'word2vec' | 'fasttext') => {
      const { tr, win, wout } = trainer(V, dim, { negative: 0, eosId: 6, window: 5, flavor }, eye);
      const processed = tr.train(Int32Array.from(ids));
      const out = {
        processed,
        eosIn: win.toArray().slice(6 * dim, 7 * dim),
        eosOut: wout.toArray().slice(6 * dim, 7 * dim),
      };
      tr.dispose();
      win.dispose();
      wout.dispose();
      return out;
    };
    const w2v = run('word2vec'),
      ft = run('fasttext');
    expect(w2v.processed).toBe(ids.length - 50);
    expect(ft.processed).toBe(ids.length);
    // word2vec: the EOS rows never move (no pair touches them).
    expect(Array.from(w2v.eosIn)).toEqual(Array.from(eye.subarray(6 * dim, 7 * dim)));
    expect(w2v.eosOut.every((x) => x === 0)).toBe(true);
    // fastText: EOS is a context of the words of both sentence kinds, and their rows move its rows.
    expect(ft.eosOut.some((x) => x !== 0)).toBe(true);
    expect(ft.eosIn[6]).not.toBe(1);
  });

  test('lr decays linearly across calls: two chunks = one chunk, bit for bit', () => {
    const V = 12;
    const ids = corpus(3000, V, 8);
    const counts = countsOf(ids, V);
    const run = (pieces: Int32Array[]) => {
      const { tr, win, wout } = trainer(V, 10, { counts, eosId: V - 1, sample: 1e-2, lr: 0.1, totalWords: 3000 });
      const lrs: number[] = [];
      for (const p of pieces) {
        tr.train(p);
        lrs.push(tr.stats.lr);
      }
      const out = { w: win.toArray(), o: wout.toArray(), s: tr.stats, lrs };
      tr.dispose();
      win.dispose();
      wout.dispose();
      return out;
    };
    const cut = ids.indexOf(V - 1, 1500) + 1;
    const one = run([ids]);
    const two = run([ids.subarray(0, cut), ids.subarray(cut)]);
    expect(two.w).toEqual(one.w);
    expect(two.o).toEqual(one.o);
    expect(two.s).toEqual(one.s);
    const raw = (a: Int32Array) => a.reduce((n, x) => n + (x !== V - 1 ? 1 : 0), 0);
    // After the first chunk the lr is that of its last sentence: below 0.1 (1 - done/total) for done before it.
    const done1 = raw(ids.subarray(0, cut));
    expect(two.lrs[0]).toBeLessThan(0.1 * (1 - (done1 - 13) / 3000) + 1e-7);
    expect(two.lrs[0]).toBeGreaterThanOrEqual(0.1 * (1 - done1 / 3000) - 1e-7);
    expect(two.lrs[1]).toBeLessThan(0.1 * (1 - (raw(ids) - 13) / 3000) + 1e-7);
    expect(one.s.processed).toBe(raw(ids));
  });

  test('same seed twice: identical vectors; another seed differs', () => {
    const V = 10;
    const ids = corpus(2000, V, 2);
    const counts = countsOf(ids, V);
    const run = (seed: number) => {
      const { tr, win, wout } = trainer(V, 8, { counts, eosId: V - 1, seed, sample: 1e-2 });
      tr.train(ids);
      const w = win.toArray();
      tr.dispose();
      win.dispose();
      wout.dispose();
      return w;
    };
    const a = run(4),
      b = run(4),
      c = run(5);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  test('bad input: typed errors', () => {
    const V = 5;
    const win = Tensor.zeros([V, 4]),
      wout = Tensor.zeros([V, 4]),
      wout3 = Tensor.zeros([V, 3]);
    const base: SgnsOptions = {
      window: 5,
      negative: 5,
      model: 'skipgram',
      loss: 'ns',
      sample: 0,
      lr: 0.05,
      totalWords: 100,
      seed: 1,
      eosId: 4,
      counts: [3, 2, 1, 1, 1],
    };
    expect(() => new SgnsTrainer(win, wout3, base)).toThrow(ShapeError);
    expect(() => new SgnsTrainer(win, win, base)).toThrow(ArgumentError);
    expect(() => new SgnsTrainer(win, wout, { ...base, window: 0 })).toThrow(/window must be an integer/);
    expect(() => new SgnsTrainer(win, wout, { ...base, negative: -1 })).toThrow(ArgumentError);
    expect(() => new SgnsTrainer(win, wout, { ...base, model: 'glove' as never })).toThrow(ArgumentError);
    expect(() => new SgnsTrainer(win, wout, { ...base, loss: 'hs' })).toThrow(/wout must have 4 rows/);
    expect(() => new SgnsTrainer(win, wout, { ...base, lr: 0 })).toThrow(ArgumentError);
    expect(() => new SgnsTrainer(win, wout, { ...base, eosId: 5 })).toThrow(ArgumentError);
    expect(() => new SgnsTrainer(win, wout, { ...base, counts: [1, 2, NaN, 1, 1] })).toThrow(/counts\[2\]/);
    expect(
      () =>
        new SgnsTrainer(win, wout, {
          ...base,
          subwords: { offsets: Int32Array.from([0, 1, 2, 3, 4, 5]), rows: Int32Array.from([0, 1, 2, 3, 9]) },
        }),
    ).toThrow(/subwords.rows\[4\] must be in \[0, 5\)/);
    const tr = new SgnsTrainer(win, wout, base);
    expect(() => tr.train(Int32Array.from([0, 1, 5]))).toThrow(/ids\[2\] must be in \[0, 5\), got 5/);
    expect(() => tr.train([0, 1] as never)).toThrow(ArgumentError);
    tr.dispose();
    expect(() => tr.train(Int32Array.from([0]))).toThrow(/disposed/);
    win.dispose();
    wout.dispose();
    wout3.dispose();
  });
});

// Bit-identity across runtimes: tests/helpers/kernel-digests.ts trains skip-gram/NS and
// CBOW/HS in the page and in Node and compares the digests (tests/browser).
