// Text generation (src/models/gpt/generate.ts) over toy CausalLMs written here, whose
// logits are a seeded function of the last id and the length: greedy = the argmax of
// each step (ties to the lowest id); each logits processor against a plain
// formulation written here (repetition penalty, n-gram blocking, top-k, top-p,
// inverse-CDF sampling); sampled frequencies against the analytic softmax at a
// temperature; stop tokens and minNewTokens; seeds replay and differ; stream = generate;
// sessions freed on completion, break and throw; the signal; typed errors naming the option.
// Over a small random GPT2LMHeadModel: greedy ids = the argmax of a full forward at each step,
// and the KV cache gives the same ids as recomputing the prefix.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { noGrad, step } from '../../src/autograd/tape.js';
import { GPT2LMHeadModel } from '../../src/models/gpt/pretrained.js';
import { Philox } from '../../src/core/rng.js';
import { ArgumentError, ShapeError } from '../../src/core/errors.js';
import {
  applyRepetitionPenalty,
  applyTemperature,
  argmax,
  banRepeatedNgrams,
  generate,
  sampleIndex,
  stream,
  topKFilter,
  topPFilter,
  type CausalLM,
  type CausalLMSession,
  type GenerationOptions,
} from '../../src/models/gpt/generate.js';

beforeAll(async () => {
  await initForTests();
});

/** Logits [V] as a function of the sequence so far. */
type LogitsOf = (seq: readonly number[]) => ArrayLike<number>;

/** Seeded logits in [-2, 2) from (last id, length): a different distribution at every step. */
const seeded =
  (V: number, scale = 4): LogitsOf =>
  (seq) => {
    const rng = new Philox(seq[seq.length - 1]! * 1009 + seq.length, 11);
    return Array.from({ length: V }, () => (rng.nextFloat() - 0.5) * scale);
  };

/** A CausalLM over `logitsOf` that records sessions, feeds and disposals. */
class ToyLM implements CausalLM {
  started = 0;
  disposed = 0;
  feeds: number[][] = [];
  caches: (boolean | undefined)[] = [];
  constructor(
    readonly vocabSize: number,
    readonly maxLength: number,
    private readonly logitsOf: LogitsOf,
    private readonly failAt = -1,
  ) {}
  startSession(options?: { useCache?: boolean }): CausalLMSession {
    this.started++;
    this.caches.push(options?.useCache);
    const seq: number[] = [];
    let live = true;
    const feed = (ids: Int32Array): Float32Array => {
      if (!live) throw new Error('feed after dispose');
      this.feeds.push(Array.from(ids));
      seq.push(...ids);
      if (seq.length === this.failAt) throw new Error('model failure');
      return Float32Array.from(this.logitsOf(seq));
    };
    const dispose = () => {
      if (live) this.disposed++;
      live = false;
    };
    return {
      feed,
      dispose,
      get length() {
        return seq.length;
      },
    };
  }
}

/** Greedy by hand: argmax (lowest id on ties) of the model's logits at each step. */
function greedyByHand(logitsOf: LogitsOf, prompt: number[], n: number, eos: number[] = []): number[] {
  const seq = [...prompt];
  const out: number[] = [];
  for (let t = 0; t < n; t++) {
    const l = Float32Array.from(logitsOf(seq));
    let best = 0;
    for (let i = 1; i < l.length; i++) if (l[i]! > l[best]!) best = i;
    out.push(best);
    seq.push(best);
    if (eos.includes(best)) break;
  }
  return out;
}

function softmax(x: ArrayLike<number>): number[] {
  const m = Math.max(...Array.from(x));
  const e = Array.from(x, (v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

async function collect(it: AsyncIterable<number>): Promise<number[]> {
  const out: number[] = [];
  for await (const id of it) out.push(id);
  return out;
}

describe('greedy', () => {
  for (const [V, plen, n] of [
    [1, 1, 5],
    [7, 3, 11],
    [13, 1, 20],
    [97, 5, 17],
  ] as const) {
    test(`V=${V}, prompt ${plen}, ${n} tokens: each id is the argmax of the step's logits; cache flag and feeds`, () => {
      const f = seeded(V);
      const prompt = Array.from({ length: plen }, (_, i) => (i * 5) % V);
      const lm = new ToyLM(V, 64, f);
      const got = generate(lm, prompt, { maxNewTokens: n });
      expect(got).toBeInstanceOf(Int32Array);
      expect(Array.from(got)).toEqual(greedyByHand(f, prompt, n));
      // the prompt fed once, then each new id but the last; one session, freed
      expect(lm.feeds).toEqual([prompt, ...Array.from(got.subarray(0, n - 1), (x) => [x])]);
      expect([lm.started, lm.disposed]).toEqual([1, 1]);
      expect(lm.caches).toEqual([true]);
      generate(lm, Int32Array.from(prompt), { maxNewTokens: 2, useCache: false });
      expect(lm.caches).toEqual([true, false]);
    });
  }

  test('ties go to the lowest id; all −∞ gives 0', () => {
    expect(argmax(Float64Array.of(1, 3, 3, 2, 3))).toBe(1);
    expect(argmax(Float64Array.of(-Infinity, -Infinity))).toBe(0);
    const lm = new ToyLM(5, 10, () => [0, 2, 1, 2, 2]);
    expect(Array.from(generate(lm, [0], { maxNewTokens: 3 }))).toEqual([1, 1, 1]);
  });

  test('sampling options are ignored without doSample (as Hugging Face)', () => {
    const f = seeded(11);
    const a = generate(new ToyLM(11, 40, f), [3], { maxNewTokens: 9 });
    const b = generate(new ToyLM(11, 40, f), [3], { maxNewTokens: 9, temperature: 0.1, topK: 2, topP: 0.2, seed: 9 });
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  test('maxNewTokens 0: no session; default 20', () => {
    const lm = new ToyLM(5, 30, seeded(5));
    expect(generate(lm, [1], { maxNewTokens: 0 }).length).toBe(0);
    expect(lm.started).toBe(0);
    expect(generate(lm, [1]).length).toBe(20);
  });
});

describe('logits processors', () => {
  test("repetition penalty: Hugging Face's rule, each distinct id once, and it changes the argmax", () => {
    const s = Float64Array.of(2, 1.5, -0.5, -0.6, 0, 3);
    applyRepetitionPenalty(s, [0, 2, 0, 2, 4], 2);
    expect(Array.from(s)).toEqual([1, 1.5, -1, -0.6, 0, 3]);
    // penalised, 0 (logit 2 → 1) loses to 1 (1.5), then 1 (→ 0.75) to 4 (1.2), then 4 (→ 0.6) to 0
    const lm = new ToyLM(5, 20, () => [2, 1.5, -0.5, -0.6, 1.2]);
    expect(Array.from(generate(lm, [0], { maxNewTokens: 1 }))).toEqual([0]);
    expect(Array.from(generate(lm, [0], { maxNewTokens: 3, repetitionPenalty: 2 }))).toEqual([1, 4, 0]);
    // all negative: the repeated one is pushed further down
    const neg = new ToyLM(2, 20, () => [-1, -1.2]);
    expect(Array.from(generate(neg, [0], { maxNewTokens: 1, repetitionPenalty: 1.5 }))).toEqual([1]);
    // penalty < 1 encourages repeats
    const s2 = Float64Array.of(1, -1);
    applyRepetitionPenalty(s2, [0, 1], 0.5);
    expect(Array.from(s2)).toEqual([2, -0.5]);
  });

  test('n-gram blocking = banning every token that would complete an n-gram already present', () => {
    const rng = new Philox(4, 1);
    for (let trial = 0; trial < 200; trial++) {
      const V = 2 + rng.nextInt(5);
      const n = 1 + rng.nextInt(4);
      const ids = Array.from({ length: rng.nextInt(14) }, () => rng.nextInt(V));
      const s = new Float64Array(V);
      banRepeatedNgrams(s, ids, n);
      const key = (a: number[]) => a.join(',');
      const seen = new Set<string>();
      for (let i = 0; i + n <= ids.length; i++) seen.add(key(ids.slice(i, i + n)));
      for (let t = 0; t < V; t++) {
        const all = [...ids, t];
        const banned = all.length >= n && seen.has(key(all.slice(all.length - n)));
        expect(s[t], `ids ${key(ids)} n ${n} token ${t}`).toBe(banned ? -Infinity : 0);
      }
    }
    // end to end: a model that cycles 1 2 3 never repeats a bigram with noRepeatNgramSize 2
    const cyc = new ToyLM(6, 40, (seq) => Array.from({ length: 6 }, (_, j) => (j === (seq.at(-1)! % 3) + 1 ? 5 : j)));
    const out = [1, ...generate(cyc, [1], { maxNewTokens: 12, noRepeatNgramSize: 2 })];
    const bigrams = out.slice(1).map((x, i) => `${out[i]},${x}`);
    expect(new Set(bigrams).size).toBe(bigrams.length);
    expect(Array.from(generate(cyc, [1], { maxNewTokens: 4 }))).toEqual([2, 3, 1, 2]);
  });

  test('temperature divides; top-k keeps the scores >= the k-th largest (ties kept)', () => {
    const t = Float64Array.of(1, -2, 4);
    applyTemperature(t, 0.5);
    expect(Array.from(t)).toEqual([2, -4, 8]);
    const rng = new Philox(6, 2);
    for (const V of [1, 3, 7, 50, 401]) {
      for (const k of [1, 2, 5, 49, 400, 1000]) {
        const s = Float64Array.from({ length: V }, () => Math.round(rng.nextFloat() * 20) / 4); // ties
        const kth = [...s].sort((a, b) => b - a)[Math.min(k, V) - 1]!;
        const want = Array.from(s, (x) => (x >= kth ? x : -Infinity));
        topKFilter(s, k);
        expect(Array.from(s), `V ${V} k ${k}`).toEqual(want);
      }
    }
    const off = Float64Array.of(3, 1, 2);
    topKFilter(off, 0);
    expect(Array.from(off)).toEqual([3, 1, 2]);
  });

  test('top-p keeps the smallest set of most probable tokens with probability >= p (crafted distributions)', () => {
    const p = [0.1, 0.5, 0.15, 0.25];
    const kept = (topP: number): number[] => {
      const s = Float64Array.from(p, Math.log);
      topPFilter(s, topP);
      return [...s.keys()].filter((i) => s[i]! > -Infinity);
    };
    expect(kept(0.6)).toEqual([1, 3]); // 0.5 + 0.25 = 0.75 >= 0.6; 0.5 alone < 0.6
    expect(kept(0.3)).toEqual([1]);
    expect(kept(0.85)).toEqual([1, 2, 3]); // 0.9
    expect(kept(0.95)).toEqual([0, 1, 2, 3]);
    expect(kept(0)).toEqual([1]); // at least one
    expect(kept(1)).toEqual([0, 1, 2, 3]);
    // ties at the boundary: the lower ids stay (ascending order puts the higher id first)
    const tied = Float64Array.from([0.3, 0.3, 0.3, 0.1], Math.log);
    topPFilter(tied, 0.5);
    expect(Array.from(tied, (x) => x > -Infinity)).toEqual([true, true, false, false]);
    // random distributions away from the boundaries: against the descending formulation
    const rng = new Philox(8, 3);
    for (let trial = 0; trial < 300; trial++) {
      const V = 1 + rng.nextInt(30);
      const logits = Array.from({ length: V }, () => (rng.nextFloat() - 0.5) * 8);
      const topP = rng.nextFloat();
      const probs = softmax(logits);
      const order = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]! || a - b);
      const want: number[] = [];
      let cum = 0;
      let margin = Infinity;
      for (const i of order) {
        want.push(i);
        cum += probs[i]!;
        margin = Math.min(margin, Math.abs(cum - topP));
        if (cum >= topP) break;
      }
      if (margin < 1e-9) continue;
      const s = Float64Array.from(logits);
      topPFilter(s, topP);
      expect([...s.keys()].filter((i) => s[i]! > -Infinity)).toEqual(want.sort((a, b) => a - b));
    }
  });

  test('sampleIndex is the inverse CDF of the softmax, ids ascending; −∞ never drawn', () => {
    const s = Float64Array.of(0.5, -Infinity, 1.5, -1, 0.25);
    const probs = softmax(Array.from(s, (x) => (x === -Infinity ? -1e300 : x)));
    for (let k = 0; k < 1000; k++) {
      const u = k / 1000;
      let cum = 0;
      let want = -1;
      for (let i = 0; i < probs.length && want < 0; i++) {
        cum += probs[i]!;
        if (u < cum - 1e-12) want = i;
      }
      if (Math.abs(u - cum) < 1e-9) continue;
      expect(sampleIndex(s, u), `u ${u}`).toBe(want);
    }
    expect(sampleIndex(s, 0.999999999)).toBe(4);
    expect(sampleIndex(Float64Array.of(-Infinity, -Infinity), 0.5)).toBe(0);
  });
});

describe('sampling', () => {
  test('frequencies over 4000 seeds = softmax(logits / temperature) (within 4.5 sigma)', () => {
    const logits = [1, 0.2, -0.5, 2, 0, -3, 1.1];
    for (const temperature of [1, 0.7, 2.5]) {
      const lm = new ToyLM(logits.length, 8, () => logits);
      const N = 4000;
      const counts = new Array<number>(logits.length).fill(0);
      for (let seed = 0; seed < N; seed++)
        counts[generate(lm, [0], { maxNewTokens: 1, doSample: true, topK: 0, temperature, seed })[0]!]!++;
      const want = softmax(logits.map((x) => Math.fround(x) / temperature));
      want.forEach((p, i) => {
        const sigma = Math.sqrt((p * (1 - p)) / N);
        expect(Math.abs(counts[i]! / N - p), `T ${temperature} id ${i}`).toBeLessThanOrEqual(4.5 * sigma + 1e-3);
      });
    }
  });

  test('top-k never emits outside the k best, and every one of them appears', () => {
    const f = seeded(23);
    const lm = new ToyLM(23, 8, f);
    const best = [...Float32Array.from(f([5]))].map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    const allowed = new Set(best.slice(0, 4).map(([, i]) => i));
    const seen = new Set<number>();
    for (let seed = 0; seed < 400; seed++) {
      const id = generate(lm, [5], { maxNewTokens: 1, doSample: true, topK: 4, temperature: 3, seed })[0]!;
      expect(allowed.has(id)).toBe(true);
      seen.add(id);
    }
    expect(seen).toEqual(allowed);
  });

  test('top-p never emits outside the nucleus', () => {
    const logits = Array.from([0.1, 0.5, 0.15, 0.25], Math.log);
    const lm = new ToyLM(4, 8, () => logits);
    const seen = new Set<number>();
    for (let seed = 0; seed < 300; seed++)
      seen.add(generate(lm, [0], { maxNewTokens: 1, doSample: true, topP: 0.6, seed })[0]!);
    expect([...seen].sort()).toEqual([1, 3]);
  });

  test('a seed replays; different seeds differ; the default seed is 0', () => {
    const f = seeded(10, 1);
    const o: GenerationOptions = { maxNewTokens: 20, doSample: true };
    const run = (seed?: number) => Array.from(generate(new ToyLM(10, 30, f), [1, 2], { ...o, seed }));
    expect(run(7)).toEqual(run(7));
    expect(run()).toEqual(run(0));
    const runs = [0, 1, 2, 3, 4, 2 ** 40].map((s) => run(s).join(','));
    expect(new Set(runs).size).toBe(runs.length);
  });
});

describe('stop tokens', () => {
  // the argmax walks 0 → 1 → 2 → ... → V-1 → 0
  const walk = (V: number) =>
    new ToyLM(V, 40, (seq) => Array.from({ length: V }, (_, j) => (j === (seq.at(-1)! + 1) % V ? 1 : 0)));

  test('generation stops after emitting a stop token, which is included', () => {
    expect(Array.from(generate(walk(6), [0], { maxNewTokens: 10, eosTokenId: 3 }))).toEqual([1, 2, 3]);
    expect(Array.from(generate(walk(6), [0], { maxNewTokens: 10, eosTokenId: [5, 2] }))).toEqual([1, 2]);
    expect(Array.from(generate(walk(6), [0], { maxNewTokens: 4, eosTokenId: null }))).toEqual([1, 2, 3, 4]);
    expect(Array.from(generate(walk(6), [0], { maxNewTokens: 4, eosTokenId: [] }))).toEqual([1, 2, 3, 4]);
    // a stop token in the prompt does not stop
    expect(Array.from(generate(walk(6), [3], { maxNewTokens: 2, eosTokenId: 3 }))).toEqual([4, 5]);
    const f = seeded(9);
    const ref = greedyByHand(f, [4], 30, [2]);
    expect(Array.from(generate(new ToyLM(9, 40, f), [4], { maxNewTokens: 30, eosTokenId: 2 }))).toEqual(ref);
  });

  test('minNewTokens bans the stop tokens until that many new tokens exist', () => {
    // the stop token 1 is always the argmax; banned for the first 3 tokens, the runner-up 4 wins
    const lm = new ToyLM(5, 40, () => [0, 3, 0, 0, 2]);
    expect(Array.from(generate(lm, [0], { maxNewTokens: 10, eosTokenId: 1, minNewTokens: 3 }))).toEqual([4, 4, 4, 1]);
    expect(Array.from(generate(lm, [0], { maxNewTokens: 10, eosTokenId: 1 }))).toEqual([1]);
    expect(
      Array.from(generate(lm, [0], { maxNewTokens: 10, eosTokenId: 1, minNewTokens: 2, doSample: true, topK: 1 })),
    ).toEqual([4, 4, 1]);
  });
});

describe('stream', () => {
  const cases: GenerationOptions[] = [
    { maxNewTokens: 15 },
    { maxNewTokens: 25, doSample: true, seed: 3, temperature: 1.3, topK: 7, topP: 0.9, repetitionPenalty: 1.2 },
    { maxNewTokens: 30, eosTokenId: [4], minNewTokens: 2, noRepeatNgramSize: 3, doSample: true, seed: 5 },
  ];
  cases.forEach((o, c) => {
    test(`yields the same ids as generate (case ${c}); the session is freed at the end`, async () => {
      const f = seeded(17, 2);
      const want = Array.from(generate(new ToyLM(17, 40, f), [2, 9], o));
      const lm = new ToyLM(17, 40, f);
      expect(await collect(stream(lm, Int32Array.of(2, 9), o))).toEqual(want);
      expect([lm.started, lm.disposed]).toEqual([1, 1]);
    });
  });

  test('break in for-await frees the session; a never-iterated stream starts none', async () => {
    const lm = new ToyLM(7, 100, seeded(7));
    let n = 0;
    for await (const id of stream(lm, [1], { maxNewTokens: 50 })) {
      expect(id).toBeGreaterThanOrEqual(0);
      if (++n === 3) break;
    }
    expect([lm.started, lm.disposed]).toEqual([1, 1]);
    stream(lm, [1]);
    expect(lm.started).toBe(1);
  });

  test('a model failure mid-stream propagates and frees the session (generate too)', async () => {
    const lm = new ToyLM(7, 100, seeded(7), 5);
    await expect(collect(stream(lm, [1, 2], { maxNewTokens: 10 }))).rejects.toThrow('model failure');
    expect([lm.started, lm.disposed]).toEqual([1, 1]);
    expect(() => generate(lm, [1, 2], { maxNewTokens: 10 })).toThrow('model failure');
    expect([lm.started, lm.disposed]).toEqual([2, 2]);
  });

  test('yields to the host between tokens: a timer runs, and its abort ends the stream', async () => {
    const lm = new ToyLM(7, 200_000, seeded(7));
    const c = new AbortController();
    let ticks = 0;
    const timer = setTimeout(() => {
      ticks++;
      c.abort();
    }, 5);
    const got = await collect(stream(lm, [1], { maxNewTokens: 199_000, signal: c.signal }));
    clearTimeout(timer);
    expect(ticks).toBe(1);
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(199_000);
    expect(got).toEqual(Array.from(generate(new ToyLM(7, 200_000, seeded(7)), [1], { maxNewTokens: got.length })));
    expect([lm.started, lm.disposed]).toEqual([1, 1]);
  });
});

describe('signal', () => {
  test('aborted from the consumer: the stream ends after the tokens so far', async () => {
    const lm = new ToyLM(7, 100, seeded(7));
    const c = new AbortController();
    const got: number[] = [];
    for await (const id of stream(lm, [1], { maxNewTokens: 50, signal: c.signal })) {
      got.push(id);
      if (got.length === 4) c.abort();
    }
    expect(got.length).toBe(4);
    expect([lm.started, lm.disposed]).toEqual([1, 1]);
  });

  test('already aborted: nothing generated, no session', async () => {
    const c = new AbortController();
    c.abort();
    const lm = new ToyLM(7, 100, seeded(7));
    expect(generate(lm, [1], { signal: c.signal }).length).toBe(0);
    expect(await collect(stream(lm, [1], { signal: c.signal }))).toEqual([]);
    expect(lm.started).toBe(0);
  });
});

describe('errors', () => {
  const lm = new ToyLM(10, 12, seeded(10));
  const bad: [GenerationOptions | Record<string, unknown>, string][] = [
    [{ maxNewTokens: -1 }, 'generate: options.maxNewTokens must be an integer >= 0, got -1'],
    [{ maxNewTokens: 2.5 }, 'options.maxNewTokens must be an integer >= 0, got 2.5'],
    [{ minNewTokens: '3' }, 'options.minNewTokens must be an integer >= 0, got "3"'],
    [{ doSample: 1 }, 'options.doSample must be a boolean, got number 1'],
    [{ temperature: 0 }, 'options.temperature must be a finite number > 0, got 0'],
    [{ temperature: Infinity }, 'options.temperature must be a finite number > 0, got Infinity'],
    [{ topK: -2 }, 'options.topK must be an integer >= 0, got -2'],
    [{ topP: 1.5 }, 'options.topP must be a finite number in [0, 1], got 1.5'],
    [{ topP: NaN }, 'options.topP must be a finite number in [0, 1], got NaN'],
    [{ repetitionPenalty: -1 }, 'options.repetitionPenalty must be a finite number > 0, got -1'],
    [{ noRepeatNgramSize: 0.5 }, 'options.noRepeatNgramSize must be an integer >= 0, got 0.5'],
    [{ eosTokenId: 10 }, 'options.eosTokenId must be an integer in [0, 9], got 10'],
    [{ eosTokenId: [1, -1] }, 'options.eosTokenId[1] must be an integer in [0, 9], got -1'],
    [{ eosTokenId: '1' }, 'options.eosTokenId must be a token id, an array of them or null, got "1"'],
    [{ seed: -1 }, 'options.seed must be an integer in [0, 2^53), got -1'],
    [{ signal: {} }, 'options.signal must be an AbortSignal'],
    [{ useCache: 'yes' }, 'options.useCache must be a boolean, got "yes"'],
    [{ max_new_tokens: 3 }, 'options must have only the keys maxNewTokens, '],
    [{ topk: 3 }, "got 'topk'; did you mean 'topK'?"],
  ];
  for (const [o, msg] of bad) {
    test(`${JSON.stringify(o)} → ArgumentError`, async () => {
      expect(() => generate(lm, [1], o as GenerationOptions)).toThrow(ArgumentError);
      expect(() => generate(lm, [1], o as GenerationOptions)).toThrow(msg);
      expect(() => stream(lm, [1], o as GenerationOptions)).toThrow(msg.replace('generate:', 'stream:'));
    });
  }

  test('prompt, length and model errors', () => {
    expect(() => generate(lm, [])).toThrow('generate: prompt must hold at least one token id, got none');
    expect(() => generate(lm, [1, 10])).toThrow('generate: prompt[1] must be a token id in [0, 10), got number 10');
    expect(() => generate(lm, [1.5])).toThrow('prompt[0] must be a token id in [0, 10), got number 1.5');
    expect(() => generate(lm, 'abc' as never)).toThrow(
      'prompt must be an Int32Array or an array of token ids, got "abc"',
    );
    expect(() => generate(lm, Float32Array.of(1) as never)).toThrow(ArgumentError);
    expect(() => generate(lm, [1, 2, 3], { maxNewTokens: 10 })).toThrow(
      "generate: prompt length + maxNewTokens must be at most the model's maxLength 12, got 3 + 10. Hint: lower maxNewTokens to at most 9 or keep the last 2 ids of the prompt",
    );
    expect(() => generate({} as CausalLM, [1])).toThrow(
      'generate: model must be a CausalLM (with startSession, vocabSize, maxLength), got Object {}',
    );
    expect(() => generate({ startSession() {}, vocabSize: 0, maxLength: 4 } as never, [1])).toThrow(
      'generate: model.vocabSize must be an integer >= 1, got 0',
    );
    expect(() => generate(lm, [1], null as never)).toThrow('generate: options must be an object, got null');
    expect(lm.started).toBe(0);
    expect(generate(lm, [1, 2], { maxNewTokens: 10 }).length).toBe(10);
    expect(() => generate(lm, [1], { maxNewTokens: 12 })).toThrow('got 1 + 12. Hint: lower maxNewTokens to at most 11');
    expect(() => generate(lm, new Array<number>(13).fill(1), { maxNewTokens: 12 })).toThrow(
      'got 13 + 12. Hint: lower maxNewTokens below 12 and truncate the prompt',
    );
    const wrong = new ToyLM(10, 12, () => [1, 2, 3]);
    expect(() => generate(wrong, [1], { maxNewTokens: 3 })).toThrow(ShapeError);
    expect(() => generate(wrong, [1], { maxNewTokens: 3 })).toThrow(
      "generate: the logits of model's session.feed must be a Float32Array of 10 (vocabSize), got Float32Array(3)",
    );
    expect(wrong.disposed).toBe(wrong.started);
  });
});

describe('GPT2LMHeadModel', () => {
  const config = { vocabSize: 61, nPositions: 40, nEmbd: 16, nLayer: 2, nHead: 2, initializerRange: 0.2 };

  /** Greedy by hand over the full forward: the argmax (lowest id on ties) of the last row, step by step. */
  function greedyByForward(m: GPT2LMHeadModel, prompt: number[], n: number): number[] {
    const seq = [...prompt];
    for (let t = 0; t < n; t++) {
      const V = m.vocabSize;
      const last = step(() =>
        noGrad(() => {
          const ids = Tensor.fromArray(Int32Array.from(seq), [1, seq.length], 'int32');
          try {
            const l = m.forward(ids).logits.value.toArray() as Float32Array;
            return l.slice((seq.length - 1) * V);
          } finally {
            ids.dispose();
          }
        }),
      );
      let best = 0;
      for (let i = 1; i < V; i++) if (last[i]! > last[best]!) best = i;
      seq.push(best);
    }
    return seq.slice(prompt.length);
  }

  test('greedy ids = argmax of the full forward; KV cache = no cache (greedy and sampled)', () => {
    const m = new GPT2LMHeadModel(config, { seed: 3 }).eval();
    try {
      for (const prompt of [[5], [1, 2, 3], [60, 0, 17, 17, 42, 8, 9]]) {
        const n = 40 - prompt.length - 13; // awkward lengths; stays inside nPositions
        const cached = Array.from(generate(m, prompt, { maxNewTokens: n }));
        expect(cached).toEqual(Array.from(generate(m, prompt, { maxNewTokens: n, useCache: false })));
        expect(cached).toEqual(greedyByForward(m, prompt, n));
        // a random model soon repeats one id: the penalty makes the greedy path varied
        const p: GenerationOptions = { maxNewTokens: n, repetitionPenalty: 3 };
        const varied = Array.from(generate(m, prompt, p));
        expect(new Set(varied).size).toBeGreaterThan(10);
        expect(varied).toEqual(Array.from(generate(m, prompt, { ...p, useCache: false })));
        const o: GenerationOptions = { maxNewTokens: n, doSample: true, seed: 11, topK: 20, topP: 0.95 };
        expect(Array.from(generate(m, prompt, o))).toEqual(Array.from(generate(m, prompt, { ...o, useCache: false })));
      }
      expect(() => generate(m, [1, 2], { maxNewTokens: 39 })).toThrow(
        "generate: prompt length + maxNewTokens must be at most the model's maxLength 40, got 2 + 39",
      );
    } finally {
      m.dispose();
    }
  });

  test("a config's eos outside the vocabulary (GPT-2's 50256 kept by a small model) stops nothing; an explicit one is refused", async () => {
    const m = new GPT2LMHeadModel(config, { seed: 5 }).eval();
    try {
      expect(m.config.eosTokenId).toBe(50256);
      const want = Array.from(generate(m, [3, 4], { maxNewTokens: 9, eosTokenId: null }));
      expect(Array.from(m.generate([3, 4], { maxNewTokens: 9 }))).toEqual(want);
      expect(await collect(m.stream([3, 4], { maxNewTokens: 9 }))).toEqual(want);
      expect(() => m.generate([3, 4], { maxNewTokens: 9, eosTokenId: 50256 })).toThrow(ArgumentError);
    } finally {
      m.dispose();
    }
  });

  test('a model of 0 layers: positions go on with the cache too (cache = no cache = full forward)', () => {
    const m = new GPT2LMHeadModel({ ...config, nLayer: 0 }, { seed: 6 }).eval();
    try {
      const cached = Array.from(generate(m, [1, 2, 3], { maxNewTokens: 8, repetitionPenalty: 2 }));
      expect(cached).toEqual(
        Array.from(generate(m, [1, 2, 3], { maxNewTokens: 8, repetitionPenalty: 2, useCache: false })),
      );
      expect(new Set(cached).size).toBeGreaterThan(1);
    } finally {
      m.dispose();
    }
  });

  test('stream over the model = generate', async () => {
    const m = new GPT2LMHeadModel(config, { seed: 4 }).eval();
    try {
      const o: GenerationOptions = { maxNewTokens: 12, doSample: true, seed: 2, repetitionPenalty: 1.3 };
      expect(await collect(stream(m, [7, 8], o))).toEqual(Array.from(generate(m, [7, 8], o)));
    } finally {
      m.dispose();
    }
  });
});
