import { describe, expect, test } from 'vitest';
import { maskTokens, MlmMasker, MLM_MASKING_STREAM } from '../../src/models/bert/masking.js';
import type { MaskTokensOptions } from '../../src/models/bert/masking.js';
import { Philox } from '../../src/core/rng.js';
import { fnv1a32 } from '../../src/nn/module.js';
import { ArgumentError, ShapeError, VocabError } from '../../src/core/errors.js';

// BERT-like specials: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4.
const PAD = 0,
  UNK = 1,
  CLS = 2,
  SEP = 3,
  MASK = 4;
const SPECIALS = [PAD, UNK, CLS, SEP, MASK];
// A BERT-size vocabulary: a random replacement equals the original id with chance 1/30517, so counting
// "random" as (input != label) misses about 0.1 of ~20k random replacements: negligible against 1 pp.
const V = 30522;
const base = { maskId: MASK, vocabSize: V, specialIds: SPECIALS } as const;

/**
 * B sequences of length S: [CLS] w... [SEP] [PAD]..., with n content tokens in [minLen, S - 2] and
 * an occasional [UNK] among them. Test data from Philox (seed 7, stream 99), independent of the masking stream.
 */
function makeBatch(B: number, S: number, minLen: number) {
  const g = new Philox(7, 99);
  const ids = new Int32Array(B * S);
  const attention = new Uint8Array(B * S);
  let eligible = 0;
  for (let b = 0; b < B; b++) {
    const n = minLen + g.nextInt(S - 2 - minLen + 1);
    const o = b * S;
    ids[o] = CLS;
    for (let i = 1; i <= n; i++) {
      ids[o + i] = g.nextInt(50) === 0 ? UNK : 5 + g.nextInt(V - 5);
      if (ids[o + i] !== UNK) eligible++;
    }
    ids[o + n + 1] = SEP;
    for (let i = 0; i < n + 2; i++) attention[o + i] = 1;
  }
  return { ids, attention, eligible };
}

/** Decisions inferred from the output: chosen, [MASK], random (input != original), unchanged; bad = positions breaking the label rules. */
function count(ids: Int32Array, out: { inputIds: Int32Array; labels: Int32Array }, ignore = -100) {
  let chosen = 0,
    mask = 0,
    random = 0,
    same = 0,
    bad = 0;
  for (let t = 0; t < ids.length; t++) {
    if (out.labels[t] === ignore) {
      if (out.inputIds[t] !== ids[t]) bad++;
      continue;
    }
    chosen++;
    if (out.labels[t] !== ids[t]) bad++;
    if (out.inputIds[t] === MASK) mask++;
    else if (out.inputIds[t] !== ids[t]) random++;
    else same++;
  }
  return { chosen, mask, random, same, bad };
}

/** Element-wise equality of two Int32Arrays (toEqual is slow on 200k elements). */
function same(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

describe('maskTokens: BERT 15% and 80/10/10 on a large batch', () => {
  const S = 128;
  const B = 1850;
  const { ids, attention, eligible } = makeBatch(B, S, 100);
  const out = maskTokens(ids, { ...base, seqLen: S, attentionMask: attention, seed: 42, counter: 1000 });

  test('chosen fraction within 1 pp of 15%; 80/10/10 within 1 pp', () => {
    expect(eligible).toBeGreaterThan(200_000);
    const c = count(ids, out);
    expect(c.bad).toBe(0);
    expect(Math.abs(c.chosen / eligible - 0.15)).toBeLessThan(0.01);
    expect(Math.abs(c.mask / c.chosen - 0.8)).toBeLessThan(0.01);
    expect(Math.abs(c.random / c.chosen - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(c.same / c.chosen - 0.1)).toBeLessThan(0.01);
    expect(out.nextCounter).toBe(1000 + B * S + B);
  });

  test('specials and padding are never chosen; random replacements are never special', () => {
    let specialOrPad = 0,
      chosenThere = 0,
      drawnSpecial = 0;
    for (let t = 0; t < ids.length; t++) {
      if (ids[t]! < 5 || attention[t] === 0) {
        specialOrPad++;
        if (out.labels[t] !== -100 || out.inputIds[t] !== ids[t]) chosenThere++;
      } else if (out.labels[t] !== -100 && out.inputIds[t] !== MASK && !(out.inputIds[t]! >= 5 && out.inputIds[t]! < V))
        drawnSpecial++;
    }
    expect(specialOrPad).toBeGreaterThan(30_000);
    expect(chosenThere).toBe(0);
    expect(drawnSpecial).toBe(0);
  });

  test('padId alone (no attention mask) gives the same masking', () => {
    const again = maskTokens(ids, { ...base, seqLen: S, padId: PAD, seed: 42, counter: 1000 });
    expect(same(again.inputIds, out.inputIds)).toBe(true);
    expect(same(again.labels, out.labels)).toBe(true);
  });
});

describe('maskTokens: the random replacement', () => {
  test('uniform over the non-special ids (vocab 10, specials {0, 4, 7})', () => {
    const n = 70_000;
    const ids = new Int32Array(n).fill(1);
    const out = maskTokens(ids, {
      maskId: 4,
      vocabSize: 10,
      specialIds: [0, 7],
      probability: 1,
      maskFraction: 0,
      randomFraction: 1,
      seed: 3,
    });
    const hist = new Array<number>(10).fill(0);
    for (const id of out.inputIds) hist[id]!++;
    for (const s of [0, 4, 7]) expect(hist[s]).toBe(0);
    for (const id of [1, 2, 3, 5, 6, 8, 9]) expect(Math.abs(hist[id]! / n - 1 / 7)).toBeLessThan(0.01);
    expect(Array.from(out.labels).every((l) => l === 1)).toBe(true);
  });

  test('maskId and padId are special even when not listed', () => {
    const ids = new Int32Array(5000);
    for (let i = 0; i < ids.length; i++) ids[i] = i % 2 === 0 ? 2 : 3;
    const out = maskTokens(ids, {
      maskId: 2,
      padId: 3,
      vocabSize: 6,
      specialIds: [],
      probability: 1,
      maskFraction: 0,
      randomFraction: 1,
    });
    for (let t = 0; t < ids.length; t++) {
      expect(out.labels[t]).toBe(-100);
      expect(out.inputIds[t]).toBe(ids[t]);
    }
    const other = new Int32Array(5000).fill(5);
    const o2 = maskTokens(other, {
      maskId: 2,
      padId: 3,
      vocabSize: 6,
      specialIds: [],
      probability: 1,
      maskFraction: 0,
      randomFraction: 1,
    });
    const seen = new Set(o2.inputIds);
    expect([...seen].sort()).toEqual([0, 1, 4, 5]);
  });
});

describe('maskTokens: at least one per sequence', () => {
  test('short sequences: every sequence with an eligible token has a label', () => {
    const B = 2000;
    const S = 4;
    const ids = new Int32Array(B * S);
    const g = new Philox(1, 2);
    for (let b = 0; b < B; b++) ids.set([CLS, 5 + g.nextInt(100), SEP, PAD], b * S);
    // Every 10th sequence has nothing eligible.
    for (let b = 0; b < B; b += 10) ids[b * S + 1] = UNK;
    const out = maskTokens(ids, { ...base, seqLen: S, padId: PAD, seed: 5 });
    let withLabel = 0;
    for (let b = 0; b < B; b++) {
      const chosen = out.labels[b * S + 1] !== -100;
      expect(chosen).toBe(b % 10 !== 0);
      for (const k of [0, 2, 3]) expect(out.labels[b * S + k]).toBe(-100);
      if (chosen) withLabel++;
    }
    expect(withLabel).toBe(B - B / 10);
  });

  test('the fallback picks uniformly among the eligible tokens', () => {
    const B = 8000;
    const S = 6;
    const ids = new Int32Array(B * S);
    for (let b = 0; b < B; b++) ids.set([CLS, 10, 11, 12, 13, SEP], b * S);
    const out = maskTokens(ids, { ...base, seqLen: S, probability: 1e-12, seed: 9 });
    const hist = [0, 0, 0, 0];
    for (let b = 0; b < B; b++) {
      let k = 0;
      for (let i = 1; i <= 4; i++)
        if (out.labels[b * S + i] !== -100) {
          hist[i - 1]!++;
          k++;
        }
      expect(k).toBe(1);
    }
    for (const h of hist) expect(Math.abs(h / B - 0.25)).toBeLessThan(0.02);
  });

  test('probability 0 chooses nothing', () => {
    const { ids, attention } = makeBatch(20, 32, 5);
    const out = maskTokens(ids, { ...base, seqLen: 32, attentionMask: attention, probability: 0 });
    expect(out.labels.every((l) => l === -100)).toBe(true);
    expect(out.inputIds).toEqual(ids);
  });
});

describe('maskTokens: determinism and the Philox layout', () => {
  const { ids, attention } = makeBatch(64, 64, 10);
  const opts: MaskTokensOptions = { ...base, seqLen: 64, attentionMask: attention, seed: 11, counter: 5 };

  test('same seed and counter: same output; another counter or seed: different', () => {
    const a = maskTokens(ids, opts);
    const b = maskTokens(ids, opts);
    expect(b.inputIds).toEqual(a.inputIds);
    expect(b.labels).toEqual(a.labels);
    expect(a.nextCounter).toBe(5 + 64 * 64 + 64);
    const c = maskTokens(ids, { ...opts, counter: 6 });
    expect(c.labels).not.toEqual(a.labels);
    const d = maskTokens(ids, { ...opts, seed: 12 });
    expect(d.labels).not.toEqual(a.labels);
    const e = maskTokens(ids, { ...opts, stream: 1 });
    expect(e.labels).not.toEqual(a.labels);
    expect(ids.some((x, t) => x !== a.inputIds[t])).toBe(true);
    expect(maskTokens(ids, opts).inputIds).toEqual(a.inputIds); // input not modified
  });

  test('token t uses block counter + t of (seed, stream): lane 0 decides the choice', () => {
    const x = new Int32Array(200);
    for (let t = 0; t < x.length; t++) x[t] = 100 + t;
    const out = maskTokens(x, { ...base, probability: 0.5, seed: 3, stream: 17, counter: 40 });
    for (let t = 0; t < x.length; t++) {
      const lane0 = new Philox(3, 17, 40 + t).nextU32();
      expect(out.labels[t] !== -100).toBe(lane0 < 0.5 * 2 ** 32);
    }
    expect(MLM_MASKING_STREAM).toBe(fnv1a32('mlm-masking'));
  });

  test('matches a direct reading of the documented layout (decision lanes, random id, fallback block)', () => {
    const vocab = 50,
      S = 8,
      B = 40,
      seed = 5,
      stream = 6,
      c0 = 77;
    const g = new Philox(1, 1);
    const x = new Int32Array(B * S);
    for (let t = 0; t < x.length; t++) x[t] = g.nextInt(8) === 0 ? g.nextInt(5) : 5 + g.nextInt(vocab - 5);
    const p = 0.1;
    const out = maskTokens(x, {
      maskId: MASK,
      vocabSize: vocab,
      specialIds: SPECIALS,
      seqLen: S,
      probability: p,
      seed,
      stream,
      counter: c0,
    });
    const words = (c: number) => {
      const r = new Philox(seed, stream, c);
      return [r.nextU32(), r.nextU32(), r.nextU32(), r.nextU32()] as const;
    };
    const pick = (hi: number, lo: number, n: number) => Math.floor(((hi * 2 ** 21 + (lo >>> 11)) / 2 ** 53) * n);
    const expIds = x.slice();
    const expLabels = new Int32Array(x.length).fill(-100);
    const choose = (t: number) => {
      const [, u, r2, r3] = words(c0 + t);
      expLabels[t] = x[t]!;
      if (u < 0.8 * 2 ** 32) expIds[t] = MASK;
      else if (u < 0.9 * 2 ** 32) expIds[t] = 5 + pick(r2, r3, vocab - 5); // specials are 0..4: the k-th non-special is 5 + k
    };
    let fallbacks = 0;
    for (let b = 0; b < B; b++) {
      const eligible: number[] = [];
      let any = false;
      for (let t = b * S; t < (b + 1) * S; t++) {
        if (x[t]! < 5) continue;
        eligible.push(t);
        if (words(c0 + t)[0] < p * 2 ** 32) {
          choose(t);
          any = true;
        }
      }
      if (!any && eligible.length > 0) {
        const [w0, w1] = words(c0 + B * S + b);
        choose(eligible[pick(w0, w1, eligible.length)]!);
        fallbacks++;
      }
    }
    expect(fallbacks).toBeGreaterThan(5);
    expect(out.inputIds).toEqual(expIds);
    expect(out.labels).toEqual(expLabels);
  });

  test('MlmMasker carries the counter; state() and loadState() replay', () => {
    const m = new MlmMasker({ ...base, seqLen: 64, seed: 11, counter: 5 });
    const first = m.next(ids, { attentionMask: attention });
    expect(first.labels).toEqual(maskTokens(ids, opts).labels);
    const saved = m.state();
    expect(saved).toEqual({ seed: 11, stream: MLM_MASKING_STREAM, counter: 5 + 64 * 64 + 64 });
    const second = m.next(ids, { attentionMask: attention });
    expect(second.inputIds).toEqual(maskTokens(ids, { ...opts, counter: saved.counter }).inputIds);
    expect(second.labels).not.toEqual(first.labels);
    const fresh = new MlmMasker({ ...base, seqLen: 64 });
    fresh.loadState(saved);
    const replay = fresh.next(ids, { attentionMask: attention });
    expect(replay.inputIds).toEqual(second.inputIds);
    expect(replay.labels).toEqual(second.labels);
  });

  test('labels use ignoreIndex', () => {
    const a = maskTokens(ids, opts);
    const b = maskTokens(ids, { ...opts, ignoreIndex: -1 });
    for (let t = 0; t < ids.length; t++) expect(b.labels[t]).toBe(a.labels[t] === -100 ? -1 : a.labels[t]);
    expect(b.inputIds).toEqual(a.inputIds);
  });
});

describe('maskTokens: whole-word mode', () => {
  // Words of 1–4 pieces; wordStarts 1 at a word's first piece (specials and padding too).
  function makeWords(B: number, S: number) {
    const g = new Philox(21, 22);
    const ids = new Int32Array(B * S);
    const starts = new Uint8Array(B * S);
    const wordOf = new Int32Array(B * S).fill(-1);
    let words = 0;
    for (let b = 0; b < B; b++) {
      const o = b * S;
      ids[o] = CLS;
      starts[o] = 1;
      let t = 1;
      const limit = S - 1 - g.nextInt(8); // some padding
      while (t < limit) {
        const pieces = Math.min(1 + g.nextInt(4), limit - t);
        for (let p = 0; p < pieces; p++) {
          ids[o + t] = 5 + g.nextInt(V - 5);
          starts[o + t] = p === 0 ? 1 : 0;
          wordOf[o + t] = words;
          t++;
        }
        words++;
      }
      ids[o + t] = SEP;
      starts[o + t] = 1;
      for (let u = t + 1; u < S; u++) {
        ids[o + u] = PAD;
        starts[o + u] = 1;
      }
    }
    return { ids, starts, wordOf, words };
  }

  test('pieces of a word are chosen together; word fraction within 1 pp of 15%; 80/10/10 per piece', () => {
    const S = 128;
    const B = 700;
    const { ids, starts, wordOf, words } = makeWords(B, S);
    const out = maskTokens(ids, { ...base, seqLen: S, padId: PAD, wholeWord: true, wordStarts: starts, seed: 8 });
    const state = new Int8Array(words).fill(-1);
    let split = 0,
      outside = 0;
    for (let t = 0; t < ids.length; t++) {
      const w = wordOf[t]!;
      const chosen = out.labels[t] !== -100 ? 1 : 0;
      if (w < 0) {
        outside += chosen;
        continue;
      }
      if (state[w] === -1) state[w] = chosen;
      else if (chosen !== state[w]) split++;
    }
    expect(split).toBe(0);
    expect(outside).toBe(0);
    let chosenWords = 0;
    for (const s of state) chosenWords += s;
    expect(words).toBeGreaterThan(30_000);
    expect(Math.abs(chosenWords / words - 0.15)).toBeLessThan(0.01);
    const c = count(ids, out);
    expect(c.bad).toBe(0);
    expect(c.chosen).toBeGreaterThan(chosenWords);
    expect(Math.abs(c.mask / c.chosen - 0.8)).toBeLessThan(0.01);
    expect(Math.abs(c.random / c.chosen - 0.1)).toBeLessThan(0.01);
    expect(Math.abs(c.same / c.chosen - 0.1)).toBeLessThan(0.01);
  });

  test('a piece after a special starts its own word; the fallback takes a whole word', () => {
    // [CLS] a ##b [SEP] ##c [SEP]: words {a ##b} and {##c}.
    const ids = Int32Array.from([CLS, 10, 11, SEP, 12, SEP]);
    const starts = Uint8Array.from([1, 1, 0, 1, 0, 1]);
    const seen = new Set<string>();
    for (let c = 0; c < 400; c += 7) {
      const out = maskTokens(ids, { ...base, wholeWord: true, wordStarts: starts, probability: 1e-12, counter: c });
      const key = Array.from(out.labels, (l) => (l === -100 ? 0 : 1)).join('');
      seen.add(key);
    }
    expect([...seen].sort()).toEqual(['000010', '011000']);
  });
});

describe('maskTokens: typed errors', () => {
  const ids = Int32Array.from([CLS, 10, 11, SEP]);
  test.each([
    ['probability', { probability: 1.5 }, ArgumentError, /options\.probability must be a number in \[0, 1\], got 1\.5/],
    [
      'fractions',
      { maskFraction: 0.9, randomFraction: 0.2 },
      ArgumentError,
      /maskFraction \+ options\.randomFraction must be <= 1/,
    ],
    ['maskId', { maskId: V }, ArgumentError, /options\.maskId must be an integer in \[0, 30521\], got 30522/],
    ['specialIds', { specialIds: [1, -1] }, ArgumentError, /options\.specialIds\[1\] must be an integer/],
    ['counter', { counter: -1 }, ArgumentError, /options\.counter must be an integer/],
    ['seqLen', { seqLen: 3 }, ShapeError, /ids\.length must be a multiple of options\.seqLen 3, got 4/],
    [
      'attentionMask',
      { attentionMask: new Uint8Array(3) },
      ShapeError,
      /attentionMask\.length must be ids\.length 4, got 3/,
    ],
    ['wholeWord', { wholeWord: true }, ArgumentError, /wordStarts must be given when wholeWord is true/],
    [
      'wordStarts',
      { wholeWord: true, wordStarts: new Uint8Array(5) },
      ShapeError,
      /wordStarts\.length must be ids\.length 4, got 5/,
    ],
    ['all special', { vocabSize: 5 }, ArgumentError, /specialIds must leave a non-special id/],
  ] as const)('%s', (_name, extra, Err, msg) => {
    expect(() => maskTokens(ids, { ...base, ...(extra as object) } as MaskTokensOptions)).toThrow(Err);
    expect(() => maskTokens(ids, { ...base, ...(extra as object) } as MaskTokensOptions)).toThrow(msg);
  });

  test('ids: Int32Array of ids in [0, vocabSize)', () => {
    expect(() => maskTokens([2, 10] as unknown as Int32Array, base)).toThrow(
      /maskTokens: ids must be an Int32Array, got Array/,
    );
    expect(() => maskTokens(Int32Array.from([2, V]), base)).toThrow(VocabError);
    expect(() => maskTokens(Int32Array.from([2, V]), base)).toThrow(
      /ids\[1\] must be an id in \[0, 30522\), got 30522/,
    );
  });

  test('MlmMasker checks its options and loadState its state', () => {
    expect(() => new MlmMasker({ ...base, randomFraction: -0.1 })).toThrow(
      /MlmMasker: options\.randomFraction must be a number in \[0, 1\]/,
    );
    const m = new MlmMasker(base);
    expect(() => m.loadState({ seed: 1, stream: 2 ** 32, counter: 0 })).toThrow(
      /MlmMasker\.loadState: state\.stream must be an integer/,
    );
    expect(() => m.loadState(null as never)).toThrow(ArgumentError);
    expect(m.state().counter).toBe(0);
  });
});
