import { describe, expect, test } from 'vitest';
import { KneserNey, modifiedKnDiscounts } from '../../src/models/lm/ngram.js';
import { fitMixtureWeight, mixtureProbs, perplexityOf } from '../../src/models/lm/mix.js';
import { encodeStream, lmVocab } from '../../src/models/lm/data.js';
import { ArgumentError } from '../../src/core/errors.js';

// Toy ids: 0 = <s> (bos), 1 = a, 2 = b, 3 = c; predicted set {a, b, c}, uniform 1/3.
const ids = (s: string) => Array.from(s, (ch) => ' abc'.indexOf(ch));

/** Deterministic test data (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf-like ids in [lo, hi). */
function randomStream(n: number, lo: number, hi: number, seed: number): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(lo + Math.min(hi - lo - 1, Math.floor((hi - lo) * r() * r())));
  return out;
}

describe('KneserNey: hand-computed probabilities', () => {
  test('order 2 on "ababababcbc"', () => {
    // Padded bigrams: (s,a)(a,b)(b,a)(a,b)(b,a)(a,b)(b,a)(a,b)(b,c)(c,b)(b,c)
    // raw counts: (s,a)=1 (a,b)=4 (b,a)=3 (b,c)=2 (c,b)=1 → n1=2 n2=1 n3=1 n4=1
    //   Y = 2/(2+2·1) = 1/2; D1 = 1/2; D2 = 2 − 3·(1/2)·1/1 = 1/2; D3+ = 3 − 4·(1/2)·1/1 = 1
    // unigram continuation counts (distinct left words): a {s,b} = 2, b {a,c} = 2, c {b} = 1; total 5
    //   n1=1 n2=2 n3=0 n4=0 → Y = 1/(1+4) = 1/5; D1 = 1/5; D2 = 2 − 3·(1/5)·0/2 = 2; D3+ = D2 = 2 (n3 = 0)
    //   γ() = (1/5·1 + 2·2)/5 = 21/25
    //   P1(a) = (2−2)/5 + 21/25·1/3 = 7/25; P1(b) = 7/25; P1(c) = (1−1/5)/5 + 7/25 = 11/25
    // context s: c=1, {a:1}: γ = (1/2)/1 = 1/2
    //   P(a|s) = (1−1/2)/1 + 1/2·7/25 = 16/25; P(b|s) = 7/50; P(c|s) = 11/50
    // context a: c=4, {b:4}: γ = 1·1/4 = 1/4
    //   P(b|a) = (4−1)/4 + 1/4·7/25 = 41/50; P(a|a) = 7/100; P(c|a) = 11/100
    // context b: c=5, {a:3, c:2}: γ = (D3+·1 + D2·1)/5 = (1 + 1/2)/5 = 3/10
    //   P(a|b) = (3−1)/5 + 3/10·7/25 = 121/250; P(c|b) = (2−1/2)/5 + 3/10·11/25 = 108/250; P(b|b) = 21/250
    // context c: c=1, {b:1}: γ = 1/2 → P(b|c) = 1/2 + 1/2·7/25 = 16/25; P(c|c) = 11/50
    const m = KneserNey.fit(ids('ababababcbc'), { order: 2, vocabSize: 4, bos: 0 });
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-12);
    expect(m.discounts.length).toBe(2);
    m.discounts[0]!.forEach((d, i) => close(d, [1 / 5, 2, 2][i]!));
    m.discounts[1]!.forEach((d, i) => close(d, [1 / 2, 1 / 2, 1][i]!));
    const P = (ctx: string, w: string) => m.prob(ids(ctx), ids(w)[0]!);
    close(P('', 'a'), 16 / 25); // empty context = BOS-padded: context s
    close(P('', 'b'), 7 / 50);
    close(P('', 'c'), 11 / 50);
    close(P('a', 'b'), 41 / 50);
    close(P('ba', 'a'), 7 / 100); // only the last id counts at order 2
    close(P('a', 'c'), 11 / 100);
    close(P('b', 'a'), 121 / 250);
    close(P('b', 'c'), 108 / 250);
    close(P('b', 'b'), 21 / 250);
    close(P('c', 'b'), 16 / 25);
    close(P('c', 'c'), 11 / 50);
    expect(P('a', ' ')).toBe(0); // bos is never predicted
    expect(m.size(2)).toBe(5);
    expect(m.size(1)).toBe(3);
  });

  test('order 3 on "ccabcccabcabcabaa" (degenerate count-of-counts: clamps and fallbacks)', () => {
    // Padded trigrams, raw counts: (s,s,c)=1 (s,c,c)=1 (c,c,a)=2 (c,a,b)=4 (a,b,c)=3 (b,c,c)=1 (c,c,c)=1
    //   (b,c,a)=2 (a,b,a)=1 (b,a,a)=1 → n1=6 n2=2 n3=1 n4=1
    //   Y = 6/(6+4) = 3/5; D1 = 3/5; D2 = 2 − 3·(3/5)·1/2 = 11/10; D3+ = 3 − 4·(3/5)·1/1 = 3/5
    // bigram continuation counts (distinct left ids of each bigram among the trigrams):
    //   (s,c)=1 {s}, (c,c)=3 {s,b,c}, (c,a)=2 {c,b}, (a,b)=1 {c}, (b,c)=1 {a}, (b,a)=1 {a}, (a,a)=1 {b}
    //   n1=5 n2=1 n3=1 n4=0 → Y = 5/7; D1 = 5/7; D2 = 2 − 3·(5/7)·1/1 = −1/7 → clamped to 0; D3+ = 3 − 0 = 3
    // unigram continuation counts (distinct left ids among the bigram types): a {c,b,a} = 3, b {a} = 1,
    //   c {s,c,b} = 3; total 7; n1=1 n2=0 n3=2 → Y = 1; D1 = 1; D2 = D1 = 1 (n2 = 0); D3+ = 3 − 4·1·0/2 = 3
    //   every unigram count is discounted to 0 and γ() = (1·1 + 3·2)/7 = 1: P1 = uniform 1/3
    // P2(·|a): {b:1, a:1}, c=2, γ = (5/7 + 5/7)/2 = 5/7: P2(b|a) = (1−5/7)/2 + 5/7·1/3 = 1/7 + 5/21 = 8/21
    //   P2(c|a) = 5/7·1/3 = 5/21
    // P2(·|s): {c:1}, γ = 5/7: P2(c|s) = 2/7 + 5/21 = 11/21
    // P2(·|c): {c:3, a:2}, c=5, γ = (3 + 0)/5 = 3/5: P2(a|c) = (2−0)/5 + 3/5·1/3 = 3/5
    // P3(·|c a): {b:4}, c=4, γ = (3/5)/4 = 3/20: P3(b|c a) = (4−3/5)/4 + 3/20·8/21 = 17/20 + 2/35 = 127/140
    //   P3(c|c a) = 3/20·5/21 = 1/28
    // P3(·|s s): {c:1}, γ = 3/5: P3(c|s s) = (1−3/5)/1 + 3/5·11/21 = 2/5 + 11/35 = 5/7
    // P3(·|b a): {a:1}, γ = 3/5: P3(b|b a) = 3/5·8/21 = 8/35
    // P3(·|s c): {c:1}, γ = 3/5: P3(a|s c) = 3/5·P2(a|c) = 9/25
    // context "a a" never occurs (it ends the stream): full back-off, P(c|a a) = P2(c|a) = 5/21
    const m = KneserNey.fit(ids('ccabcccabcabcabaa'), { order: 3, vocabSize: 4, bos: 0 });
    const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThan(1e-12);
    m.discounts[0]!.forEach((d, i) => close(d, [1, 1, 3][i]!));
    m.discounts[1]!.forEach((d, i) => close(d, [5 / 7, 0, 3][i]!));
    m.discounts[2]!.forEach((d, i) => close(d, [3 / 5, 11 / 10, 3 / 5][i]!));
    const P = (ctx: string, w: string) => m.prob(ids(ctx), ids(w)[0]!);
    close(P('ca', 'b'), 127 / 140);
    close(P('bbca', 'b'), 127 / 140);
    close(P('ca', 'c'), 1 / 28);
    close(P('', 'c'), 5 / 7);
    close(P('  ', 'c'), 5 / 7); // explicit bos ids = padding
    close(P('ba', 'b'), 8 / 35);
    close(P('c', 'a'), 9 / 25); // one id: padded to "s c"
    close(P('aa', 'c'), 5 / 21);
    expect(m.size(3)).toBe(10);
    expect(m.size(2)).toBe(7);
  });

  test('a context with γ = 0 (every successor count discounted by a clamped D2 = 0)', () => {
    // "abbbbcaadca", ids ' abcd': bigrams (s,a)=1 (a,b)=1 (b,b)=3 (b,c)=1 (c,a)=2 (a,a)=1 (a,d)=1 (d,c)=1
    //   n1=6 n2=1 n3=1 → Y = 6/8; D2 = 2 − 3·(3/4)·1/1 = −1/4 → 0. Context c: {a:2}, γ = 0·1/2 = 0:
    //   P(a|c) = (2 − 0)/2 = 1 and every other id 0.
    const m = KneserNey.fit(
      Array.from('abbbbcaadca', (ch) => ' abcd'.indexOf(ch)),
      { order: 2, vocabSize: 5, bos: 0 },
    );
    expect(m.discounts[1]![1]).toBe(0);
    expect(Array.from(m.probs([3]))).toEqual([0, 1, 0, 0, 0]);
    expect(m.prob([3], 1)).toBe(1);
    expect(m.prob([3], 2)).toBe(0);
  });

  test('modifiedKnDiscounts: regular case and guards', () => {
    const [d1, d2, d3] = modifiedKnDiscounts(100, 40, 20, 10);
    const y = 100 / 180;
    expect(d1).toBeCloseTo(1 - (2 * y * 40) / 100, 14);
    expect(d2).toBeCloseTo(2 - (3 * y * 20) / 40, 14);
    expect(d3).toBeCloseTo(3 - (4 * y * 10) / 20, 14);
    expect(modifiedKnDiscounts(0, 0, 0, 0)).toEqual([0.5, 0.5, 0.5]);
    expect(modifiedKnDiscounts(3, 0, 0, 0)).toEqual([1, 1, 1]);
    expect(modifiedKnDiscounts(1, 1, 5, 0)).toEqual([1 / 3, 0, 3]);
  });
});

/** Straightforward reference: string keys, explicit sets of left extensions, recursion over orders. */
class RefKN {
  raw = new Map<string, number>(); // top-order n-gram → count
  cont: Map<string, number>[] = []; // [k] for k < order: k-gram → number of distinct left ids
  disc: [number, number, number][] = [];
  constructor(
    readonly train: number[],
    readonly order: number,
    readonly V: number,
    readonly bos: number | undefined,
  ) {
    const pad = bos ?? V;
    const padded = [...Array<number>(order - 1).fill(pad), ...train];
    const lefts = new Map<string, Set<number>>();
    for (let t = order - 1; t < padded.length; t++) {
      const g = padded.slice(t - order + 1, t + 1);
      this.raw.set(g.join(','), (this.raw.get(g.join(',')) ?? 0) + 1);
    }
    // continuation counts from the distinct (k+1)-grams, k = order−1 .. 1
    let types = [...this.raw.keys()].map((k) => k.split(',').map(Number));
    for (let k = order - 1; k >= 1; k--) {
      const cm = new Map<string, number>();
      lefts.clear();
      for (const g of types) {
        const key = g.slice(1).join(',');
        if (!lefts.has(key)) lefts.set(key, new Set());
        lefts.get(key)!.add(g[0]!);
      }
      for (const [key, s] of lefts) cm.set(key, s.size);
      this.cont[k] = cm;
      types = [...cm.keys()].map((x) => x.split(',').map(Number));
    }
    for (let k = 1; k <= order; k++) {
      const vals = [...this.table(k).values()];
      const n = [1, 2, 3, 4].map((c) => vals.filter((v) => v === c).length);
      this.disc[k] = modifiedKnDiscounts(n[0]!, n[1]!, n[2]!, n[3]!);
    }
  }
  index: Map<string, [number, number][]>[] = [];
  /** Context string → [(last id, count)] of the k-grams (lazily). */
  byContext(k: number): Map<string, [number, number][]> {
    if (!this.index[k]) {
      const m = new Map<string, [number, number][]>();
      for (const [key, c] of this.table(k)) {
        const parts = key.split(',');
        const prefix = parts.slice(0, -1).join(',');
        if (!m.has(prefix)) m.set(prefix, []);
        m.get(prefix)!.push([Number(parts[parts.length - 1]), c]);
      }
      this.index[k] = m;
    }
    return this.index[k]!;
  }
  table(k: number): Map<string, number> {
    return k === this.order ? this.raw : this.cont[k]!;
  }
  p(h: number[], w: number): number {
    if (w === this.bos) return 0;
    const k = h.length + 1;
    const lower = k === 1 ? 1 / (this.V - (this.bos === undefined ? 0 : 1)) : this.p(h.slice(1), w);
    const prefix = h.join(',');
    let total = 0;
    const N = [0, 0, 0];
    let cw = 0;
    for (const [last, c] of this.byContext(k).get(prefix) ?? []) {
      total += c;
      N[Math.min(c, 3) - 1]!++;
      if (last === w) cw = c;
    }
    if (total === 0) return lower;
    const [d1, d2, d3] = this.disc[k]!;
    const gamma = (d1 * N[0]! + d2 * N[1]! + d3 * N[2]!) / total;
    const d = cw === 0 ? 0 : cw === 1 ? d1 : cw === 2 ? d2 : d3;
    return Math.max(cw - d, 0) / total + gamma * lower;
  }
  prob(context: number[], w: number): number {
    const pad = this.bos ?? this.V;
    const h = [...Array<number>(this.order - 1).fill(pad), ...context].slice(context.length);
    return this.p(h, w);
  }
}

describe('KneserNey: normalisation, consistency and the reference', () => {
  const V = 9; // 0 = bos, 8 never in train (unseen contexts in the test stream)
  const train = randomStream(300, 1, 8, 7);
  const stream = randomStream(120, 1, 9, 11);
  stream[5] = 8;
  stream[40] = 8;

  for (let order = 1; order <= 5; order++) {
    test(`order ${order}: probs sums to 1, matches prob and the reference on every context of a stream`, () => {
      const m = KneserNey.fit(train, { order, vocabSize: V, bos: 0 });
      const ref = new RefKN(train, order, V, 0);
      for (let k = 1; k <= order; k++) m.discounts[k - 1]!.forEach((d, i) => expect(d).toBe(ref.disc[k]![i]));
      const tp = m.tokenProbs(stream);
      const out = new Float64Array(V);
      // contexts: every prefix of the stream (BOS-padded at the start), plus explicit bos contexts
      const contexts: number[][] = [];
      for (let t = 0; t <= stream.length; t++) contexts.push(stream.slice(0, t));
      contexts.push([0, 0, 0, 0], [0, 3], [8, 8], [0, 8, 1]);
      let worst = 0;
      for (const ctx of contexts) {
        const p = m.probs(ctx, out);
        let s = 0;
        for (let w = 0; w < V; w++) {
          s += p[w]!;
          const pw = m.prob(ctx, w);
          worst = Math.max(worst, Math.abs(pw - p[w]!), Math.abs(pw - ref.prob(ctx, w)));
        }
        expect(p[0]).toBe(0);
        expect(Math.abs(s - 1)).toBeLessThan(1e-9);
      }
      expect(worst).toBeLessThan(1e-12);
      let lnSum = 0;
      for (let t = 0; t < stream.length; t++) {
        expect(tp[t]).toBe(m.prob(stream.slice(0, t), stream[t]!));
        lnSum += Math.log(ref.prob(stream.slice(0, t), stream[t]!));
      }
      expect(Math.abs(m.perplexity(stream) - Math.exp(-lnSum / stream.length))).toBeLessThan(1e-9);
      expect(perplexityOf(tp)).toBe(m.perplexity(stream));
    });
  }

  test('a corpus large enough to grow the hash tables: tokenProbs equal the reference', () => {
    const big = randomStream(6000, 1, 400, 21);
    const probe = randomStream(300, 1, 400, 22);
    for (const order of [2, 4]) {
      const m = KneserNey.fit(big, { order, vocabSize: 400, bos: 0 });
      expect(m.size(order)).toBeGreaterThan(2000);
      const ref = new RefKN(big, order, 400, 0);
      const tp = m.tokenProbs(probe);
      let worst = 0;
      for (let t = 0; t < probe.length; t++)
        worst = Math.max(worst, Math.abs(tp[t]! - ref.prob(probe.slice(0, t), probe[t]!)));
      expect(worst).toBeLessThan(1e-12);
      const out = m.probs(probe.slice(0, 50));
      expect(Math.abs(out.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
    }
  });

  test('without bos: an internal pad id, every id predicted; empty training stream = uniform', () => {
    const m = KneserNey.fit(train, { order: 3, vocabSize: V });
    const ref = new RefKN(train, 3, V, undefined);
    expect(m.bos).toBeUndefined();
    for (const ctx of [[], [1], [2, 3], [0, 0], [8, 1, 2]]) {
      const p = m.probs(ctx);
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);
      for (let w = 0; w < V; w++) expect(Math.abs(p[w]! - ref.prob(ctx, w))).toBeLessThan(1e-12);
    }
    const e = KneserNey.fit([], { order: 2, vocabSize: 5, bos: 4 });
    expect(Array.from(e.probs([1]))).toEqual([0.25, 0.25, 0.25, 0.25, 0]);
  });

  test('typed errors', () => {
    const err = (f: () => unknown, msg: string) => {
      expect(f).toThrow(ArgumentError);
      expect(f).toThrow(msg);
    };
    err(
      () => KneserNey.fit([1], { order: 0, vocabSize: 3 }),
      'KneserNey.fit: options.order must be an integer >= 1, got 0',
    );
    err(() => KneserNey.fit([1], { order: 2.5, vocabSize: 3 }), 'options.order must be an integer >= 1, got 2.5');
    err(
      () => KneserNey.fit([1], { order: 2, vocabSize: 0 }),
      'options.vocabSize must be an integer in [1, 2^24], got 0',
    );
    err(
      () => KneserNey.fit([1], { order: 2, vocabSize: 3, bos: 3 }),
      'options.bos must be an integer in [0, 3) or undefined, got 3',
    );
    err(
      () => KneserNey.fit([1, 2, 7], { order: 2, vocabSize: 3 }),
      'KneserNey.fit: train[2] must be an integer id in [0, 3), got 7',
    );
    err(() => KneserNey.fit([1, -1], { order: 2, vocabSize: 3 }), 'train[1] must be an integer id in [0, 3), got -1');
    err(() => KneserNey.fit([1, 0], { order: 2, vocabSize: 3, bos: 0 }), 'train[1] must not be the bos id 0');
    const m = KneserNey.fit([1, 2, 1], { order: 3, vocabSize: 3, bos: 0 });
    err(() => m.prob([1, 5], 1), 'KneserNey.prob: context[1] must be an integer id in [0, 3), got 5');
    err(() => m.prob([1], 3), 'KneserNey.prob: word must be an integer id in [0, 3), got 3');
    err(
      () => m.probs([1], new Float64Array(2)),
      'KneserNey.probs: out must be a Float64Array of length 3, got length 2',
    );
    err(() => m.tokenProbs([1, 2, 9]), 'KneserNey.tokenProbs: stream[2] must be an integer id in [0, 3), got 9');
    err(() => m.perplexity([]), 'KneserNey.perplexity: stream must be non-empty, got length 0');
    err(() => m.size(4), 'KneserNey.size: k must be an integer in [1, 3], got 4');
  });
});

describe('mixture and perplexity', () => {
  const r = rng(3);
  const p = Float64Array.from({ length: 400 }, () => 0.001 + 0.5 * r());
  const q = Float64Array.from({ length: 400 }, () => 0.001 + 0.5 * r());

  test('perplexityOf and mixtureProbs', () => {
    expect(perplexityOf([0.5, 0.5])).toBeCloseTo(2, 14);
    expect(perplexityOf([0.25, 1])).toBeCloseTo(2, 14);
    const m = mixtureProbs(p, q, 0.3);
    for (let i = 0; i < p.length; i++) expect(m[i]).toBeCloseTo(0.3 * p[i]! + 0.7 * q[i]!, 15);
  });

  test('fitMixtureWeight finds the minimum (fine grid) and the bounds', () => {
    const { lambda, perplexity } = fitMixtureWeight(p, q);
    let best = Infinity;
    let bestL = -1;
    for (let i = 0; i <= 10000; i++) {
      const v = perplexityOf(mixtureProbs(p, q, i / 10000));
      if (v < best) [best, bestL] = [v, i / 10000];
    }
    expect(lambda).toBeGreaterThan(0);
    expect(lambda).toBeLessThan(1);
    expect(Math.abs(lambda - bestL)).toBeLessThan(2e-4);
    expect(perplexity).toBeLessThanOrEqual(best + 1e-12);
    expect(perplexity).toBeCloseTo(perplexityOf(mixtureProbs(p, q, lambda)), 12);
    // p uniformly better than q → lambda = 1; the reverse → 0
    const better = p.map((x) => Math.min(1, x * 2));
    expect(fitMixtureWeight(better, p).lambda).toBe(1);
    expect(fitMixtureWeight(p, better)).toEqual({ lambda: 0, perplexity: perplexityOf(better) });
  });

  test('typed errors', () => {
    expect(() => fitMixtureWeight(p, q.subarray(1))).toThrow(
      'fitMixtureWeight: q must have the length of p (400), got 399',
    );
    expect(() => fitMixtureWeight(p, Float64Array.of(...q.subarray(1), 0))).toThrow(
      'fitMixtureWeight: q[399] must be a probability in (0, 1], got 0',
    );
    expect(() => perplexityOf([0.5, Number.NaN])).toThrow(ArgumentError);
    expect(() => perplexityOf([])).toThrow('perplexityOf: probs must be non-empty, got length 0');
    expect(() => mixtureProbs(p, q, 1.5)).toThrow('mixtureProbs: lambda must be a number in [0, 1], got 1.5');
  });
});

describe('lmVocab and encodeStream', () => {
  test('ids: <unk>, <s>, then by descending frequency, ties in code-unit order', () => {
    const train = [
      ['the', 'cat', 'The', 'the'],
      ['cat', 'dog', '.'],
      ['the', 'dog', '.', 'cat', 'x'],
    ];
    const { words, index } = lmVocab(train, { minCount: 2 });
    expect(words).toEqual(['<unk>', '<s>', 'cat', 'the', '.', 'dog']);
    expect(index.get('the')).toBe(3);
    expect(lmVocab(train).words).toEqual(['<unk>', '<s>']);
    expect(
      Array.from(
        encodeStream(
          [
            ['the', 'The'],
            ['dog', 'cat', '.'],
          ],
          index,
        ),
      ),
    ).toEqual([3, 0, 5, 2, 4]);
    expect(() => lmVocab(train, { minCount: 0 })).toThrow('lmVocab: options.minCount must be an integer >= 1, got 0');
  });
});
