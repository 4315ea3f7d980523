// GptLM and the GPT-2 decoding session: per-token losses of the sliding windows against
// the full forward of each token's window; the KV-cached session against the uncached one
// and the full forward (learned and rotary positions, chunked feeds, sliding); a training
// run on the grammar stream whose perplexity falls; bit-identical resume from mid-epoch and
// epoch-end checkpoints; the word API, save/load, typed errors and a flat heap.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { memoryStats } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { matmul } from '../../src/ops/matmul.js';
import { ArgumentError } from '../../src/core/errors.js';
import { step, noGrad } from '../../src/autograd/tape.js';
import { GptLM, resolveGptLMConfig, type GptLMConfig } from '../../src/models/gpt/lm.js';
import { GPT2Model } from '../../src/models/gpt/modeling.js';
import { GPT2Session } from '../../src/models/gpt/session.js';
import { generate } from '../../src/models/gpt/generate.js';
import { WORDS, grammarStream, randomStream, weightBits as bits } from '../helpers/lm-fixtures.js';

beforeAll(async () => {
  await initForTests();
  const a = Tensor.zeros([2, 2]);
  matmul(a, a).dispose();
  a.dispose();
});

const small: GptLMConfig = { vocabSize: WORDS.length, nPositions: 16, nEmbd: 16, nLayer: 2, nHead: 2, seed: 3 };

/** −ln softmax(logits of `ids` [1, S])[t][target t] for every t, in float64 from the model's logits. */
function windowLosses(m: GptLM, ids: Int32Array, targets: Int32Array): Float64Array {
  const V = m.config.vocabSize;
  const logits = step(() =>
    noGrad(() => {
      const t = Tensor.fromArray(ids, [1, ids.length], 'int32');
      try {
        return m.forward(t).value.toArray() as Float32Array;
      } finally {
        t.dispose();
      }
    }),
  );
  const out = new Float64Array(ids.length);
  for (let t = 0; t < ids.length; t++) {
    let mx = -Infinity;
    for (let j = 0; j < V; j++) mx = Math.max(mx, logits[t * V + j]!);
    let s = 0;
    for (let j = 0; j < V; j++) s += Math.exp(logits[t * V + j]! - mx);
    out[t] = mx + Math.log(s) - logits[t * V + targets[t]!]!;
  }
  return out;
}

/** Logits of the last position of `ids` [1, S] by the full forward. */
function lastLogits(m: GPT2Model, ids: Int32Array): Float32Array {
  return step(() =>
    noGrad(() => {
      const t = Tensor.fromArray(ids, [1, ids.length], 'int32');
      try {
        const h = m.forward(t).value.view() as Float32Array;
        const D = m.config.nEmbd;
        const W = m.wte.weight.value.view() as Float32Array;
        const row = h.slice((ids.length - 1) * D, ids.length * D);
        const out = new Float32Array(m.config.vocabSize);
        for (let v = 0; v < out.length; v++) {
          let s = 0;
          for (let d = 0; d < D; d++) s += row[d]! * W[v * D + d]!;
          out[v] = s;
        }
        return out;
      } finally {
        t.dispose();
      }
    }),
  );
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

describe('GptLM scoring', () => {
  test.each([
    [40, 16, 8, 3],
    [16, 16, 8, 2],
    [7, 16, 8, 4],
    [53, 11, 5, 1],
    [30, 10, 10, 2],
  ])('N %i, context %i, stride %i, batch %i: each token from its window', (N, ctx, stride, B) => {
    const m = new GptLM(small).eval();
    const stream = randomStream(N, N, WORDS.length);
    const got = m.tokenLosses(stream, { context: ctx, stride, batchSize: B });
    const src = Int32Array.from([1, ...stream]);
    const S = Math.min(ctx, N);
    // token i (target src[i + 1]) is scored by the first window a_j = min(j·stride, N − S) that reaches it
    for (let i = 0; i < N; i++) {
      let j = 0;
      while (Math.min(j * stride, N - S) + S <= i) j++;
      const a = Math.min(j * stride, N - S);
      const want = windowLosses(m, src.slice(a, a + S), src.slice(a + 1, a + S + 1))[i - a]!;
      expect(Math.abs(got[i]! - want)).toBeLessThan(2e-5);
      // scored with at least context − stride tokens before it, unless near the start
      expect(i - a >= Math.min(i, S - stride)).toBe(true);
    }
    // every token once: the mean is evaluate()'s loss
    const e = m.evaluate(stream, { context: ctx, stride, batchSize: B });
    expect(e.n).toBe(N);
    m.dispose();
  });
});

describe('GPT-2 decoding session', () => {
  test.each([
    ['absolute', [5, 1, 1, 3, 1, 2, 3]],
    ['rotary', [1, 1, 4, 1, 6, 1, 2]],
  ] as const)('%s positions: the cached session equals the uncached one and the full forward', (pos, chunks) => {
    const g = new GPT2Model({
      vocabSize: 23,
      nPositions: 16,
      nEmbd: 12,
      nLayer: 2,
      nHead: 3,
      positionEmbeddingType: pos,
    });
    g.resetParameters(5).eval();
    const ids = randomStream(9, 16, 23);
    const cached = new GPT2Session(g),
      plain = new GPT2Session(g, { useCache: false });
    let at = 0;
    for (const n of chunks) {
      const part = ids.slice(at, at + n);
      at += n;
      const a = cached.feed(part),
        b = plain.feed(part),
        full = lastLogits(g, ids.slice(0, at));
      expect(maxDiff(a, full)).toBeLessThan(1e-5);
      expect(maxDiff(b, full)).toBeLessThan(1e-5);
      expect(cached.length).toBe(at);
    }
    expect(() => cached.feed(Int32Array.of(1))).toThrow(/must fit in config.nPositions \(16\), got 16 \+ 1/);
    cached.dispose();
    plain.dispose();
    expect(() => cached.feed(Int32Array.of(1))).toThrow(/must not be disposed/);
    g.dispose();
  });

  test('a sliding session restarts from the last nPositions / 2 tokens', () => {
    const g = new GPT2Model({ vocabSize: 23, nPositions: 8, nEmbd: 8, nLayer: 1, nHead: 2 });
    g.resetParameters(2).eval();
    const ids = randomStream(4, 12, 23);
    const s = new GPT2Session(g, { slide: true });
    s.feed(ids.slice(0, 8));
    const after = s.feed(ids.slice(8, 9)); // 9 > 8: keep the last 4 of the 9
    expect(s.length).toBe(4);
    expect(maxDiff(after, lastLogits(g, ids.slice(5, 9)))).toBeLessThan(1e-5);
    s.dispose();
    g.dispose();
  });

  test('bad ids and options are typed errors', () => {
    const g = new GPT2Model({ vocabSize: 5, nPositions: 4, nEmbd: 4, nLayer: 1, nHead: 1 });
    const s = new GPT2Session(g);
    expect(() => s.feed(Int32Array.of(5))).toThrow(ArgumentError);
    expect(() => s.feed(Int32Array.of(5))).toThrow(/ids\[0\] must be a token id in \[0, 5\), got 5/);
    expect(() => s.feed(new Int32Array(0))).toThrow(/ids must be a non-empty/);
    expect(() => new GPT2Session(g, { useCache: 1 as never })).toThrow(/options.useCache must be a boolean/);
    s.dispose();
    g.dispose();
  });
});

describe('GptLM training', () => {
  test('training lowers the validation perplexity of the grammar stream and it learns the grammar', async () => {
    const m = new GptLM({ ...small, residPdrop: 0, embdPdrop: 0, attnPdrop: 0 }, WORDS);
    const train = grammarStream(1, 300),
      valid = grammarStream(2, 40);
    const before = m.evaluate(valid).perplexity;
    const r = await m.fit(train, { epochs: 8, batchSize: 8, lr: 1e-2, valid, warmupSteps: 10 });
    expect(r.history.length).toBe(8);
    expect(r.steps).toBe(8 * Math.floor(Math.floor((2100 - 16 + 1) / 16) / 8));
    const after = m.evaluate(valid).perplexity;
    expect(before).toBeGreaterThan(8);
    // 2 choices at 5 of 7 positions: the ideal perplexity is 2^(5/7) ≈ 1.64
    expect(after).toBeLessThan(1.9);
    expect(after).toBe(r.bestValidPerplexity);
    expect(
      m
        .topNext('the cat sat on the', 2)
        .map((n) => n.word)
        .sort(),
    ).toEqual(['log', 'mat']);
    // generation goes past the window (the session slides)
    expect(m.generate('the', { length: 40, seed: 1 }).length).toBe(40);
    m.dispose();
  });

  test('resuming from a checkpoint (mid-epoch and at an epoch end) continues bit-identically', async () => {
    const train = grammarStream(3, 60),
      valid = grammarStream(4, 10);
    const cfg: GptLMConfig = { ...small, nPositions: 8, nEmbd: 8, seed: 7 };
    // 420 tokens: 52 windows of 8; batch 4: 13 steps per epoch
    const opts = { epochs: 3, batchSize: 4, lr: 5e-3, valid, checkpointEvery: 5, patience: 1, warmupSteps: 6 };
    const whole = new GptLM(cfg);
    const saved: { bytes: Uint8Array; info: { step: number; epoch: number; epochEnd: boolean } }[] = [];
    const rw = await whole.fit(train, { ...opts, onCheckpoint: (bytes, info) => void saved.push({ bytes, info }) });
    const mid = saved.find((s) => !s.info.epochEnd && s.info.epoch === 2)!;
    const end = saved.find((s) => s.info.epochEnd && s.info.epoch === 1)!;
    expect(mid).toBeDefined();
    expect(end).toBeDefined();
    for (const pick of [mid, end]) {
      const resumed = new GptLM(cfg);
      const r = await resumed.fit(train, { ...opts, resumeFrom: pick.bytes });
      expect(r.steps).toBe(rw.steps);
      expect(bits(resumed)).toEqual(bits(whole));
      resumed.dispose();
    }
    const other = new GptLM(cfg);
    await expect(other.fit(train, { ...opts, context: 4, resumeFrom: mid.bytes })).rejects.toThrow(/context/);
    other.dispose();
    whole.dispose();
  });
});

describe('GptLM generation', () => {
  test('generate goes past the window (sessions slide) and never emits suppressed tokens', () => {
    const m = new GptLM(small);
    const prompt = randomStream(2, 10, WORDS.length);
    const opts = { maxNewTokens: 30, doSample: true, topK: 0, seed: 4, suppressTokens: [0, 1, 5] };
    const a = generate(m, prompt, opts);
    expect(a.length).toBe(30);
    expect([...a].some((x) => x === 0 || x === 1 || x === 5)).toBe(false);
    // the same draw without suppression does emit some of them (the check can fail)
    const b = [2, 3, 4, 6].flatMap((seed) => [...generate(m, prompt, { ...opts, seed, suppressTokens: [] })]);
    expect(b.some((x) => x === 0 || x === 1 || x === 5)).toBe(true);
    expect(() => generate(m, prompt, { suppressTokens: [12] })).toThrow(
      /options.suppressTokens\[0\] must be an integer in \[0, 11\]/,
    );
    m.dispose();
  });
});

describe('GptLM API', () => {
  test('save and load give the same scores; config errors are typed; the heap is flat', async () => {
    const before = memoryStats().bytesInUse;
    const m = new GptLM({ ...small, positionEmbeddingType: 'rotary' }, WORDS);
    const s = randomStream(1, 30, WORDS.length);
    const l0 = m.tokenLosses(s);
    const back = GptLM.fromSafetensors(m.toSafetensors());
    expect(Array.from(back.tokenLosses(s))).toEqual(Array.from(l0));
    expect(back.vocab).toEqual(WORDS);
    expect(back.config).toEqual(m.config);
    expect(bits(back)).toEqual(bits(m));
    back.dispose();
    m.dispose();
    expect(memoryStats().bytesInUse).toBe(before);
    expect(() => resolveGptLMConfig({ vocabSize: 1 })).toThrow(/config.vocabSize must be an integer in \[2/);
    expect(() => resolveGptLMConfig({ vocabSize: 10, nEmbd: 10, nHead: 4 })).toThrow(
      /config.nEmbd must be a multiple of config.nHead \(4\), got 10/,
    );
    expect(() => resolveGptLMConfig({ vocabSize: 10, unk: 1, bos: 1 })).toThrow(/config.bos must differ/);
    expect(() => resolveGptLMConfig({ vocabSize: 10, layers: 2 } as never)).toThrow(/config.layers must be one of/);
    const t = new GptLM(small);
    expect(() => t.tokenLosses(Int32Array.of(99))).toThrow(/stream\[0\] must be a word id in \[0, 12\), got 99/);
    expect(() => t.tokenLosses(Int32Array.of(2), { context: 17 })).toThrow(
      /options.context must be an integer in \[1, 16\]/,
    );
    await expect(t.fit(Int32Array.of(2, 3), { batchSize: 2 })).rejects.toThrow(
      /must hold at least options.batchSize \(2\) windows/,
    );
    t.dispose();
  });
});
