// LstmLM: the config and its typed errors; per-token losses against a plain
// float64 JavaScript LSTM computed from the weights (state carried over the
// whole of each part, on awkward lengths and batch sizes) and against the
// module stepped one token at a time; the training loss of truncated BPTT
// against the same reference (the state carried across segments); a tiny
// training run whose perplexity falls; bit-identical resume from mid-epoch and
// epoch-end checkpoints (the carried state is in the checkpoint and is used);
// the word API, save/load, typed errors and a flat heap.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { memoryStats } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { matmul } from '../../src/ops/matmul.js';
import { ArgumentError, FormatError, ShapeError, VocabError } from '../../src/core/errors.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/io/checkpoint.js';
import { step, noGrad } from '../../src/autograd/tape.js';
import * as sm from '../../src/ops/softmax.js';
import { LstmLM, resolveLstmLMConfig, type LstmLMConfig } from '../../src/models/lm/rnn-lm.js';
import type { Progress } from '../../src/train/progress.js';
import { WORDS, checkedDiagnostics, grammarStream, randomStream, weightBits as bits } from '../helpers/lm-fixtures.js';

beforeAll(async () => {
  await initForTests();
  // the first GEMM allocates the runtime's workspace, kept for the process: allocate it before any heap measurement
  const a = Tensor.zeros([2, 2]);
  matmul(a, a).dispose();
  a.dispose();
});

/** The model's weights as float64 arrays by name. */
function weightsOf(m: LstmLM): Map<string, Float64Array> {
  return new Map(m.namedParameters().map(([n, p]) => [n, Float64Array.from(p.value.toArray() as Float32Array)]));
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * −ln P of every token of `part`, in float64 from the weights: the LSTM (gates
 * i, f, g, o; c' = σ(f)c + σ(i)tanh(g), h' = σ(o)tanh(c')) run over the whole
 * part from the zero state, `bos` as the first input, token t predicted from
 * the inputs up to it.
 */
function referencePartLosses(m: LstmLM, w: Map<string, Float64Array>, part: ArrayLike<number>): Float64Array {
  const { vocabSize: V, embeddingDim: E, hidden: H, layers, tied, bos } = m.config;
  const emb = w.get('embedding.weight')!;
  const dec = tied ? emb : w.get('decoder.weight')!;
  const db = w.get('decoder.bias')!;
  const h = Array.from({ length: layers }, () => new Float64Array(H));
  const c = Array.from({ length: layers }, () => new Float64Array(H));
  const out = new Float64Array(part.length);
  for (let t = 0; t < part.length; t++) {
    const id = t === 0 ? bos : part[t - 1]!;
    let x: Float64Array = emb.slice(id * E, (id + 1) * E);
    for (let l = 0; l < layers; l++) {
      const wih = w.get(`lstm.weight_ih_l${l}`)!,
        whh = w.get(`lstm.weight_hh_l${l}`)!;
      const bih = w.get(`lstm.bias_ih_l${l}`)!,
        bhh = w.get(`lstm.bias_hh_l${l}`)!;
      const I = x.length;
      const g = new Float64Array(4 * H);
      for (let r = 0; r < 4 * H; r++) {
        let s = bih[r]! + bhh[r]!;
        for (let k = 0; k < I; k++) s += wih[r * I + k]! * x[k]!;
        for (let k = 0; k < H; k++) s += whh[r * H + k]! * h[l]![k]!;
        g[r] = s;
      }
      for (let j = 0; j < H; j++) {
        const ig = sigmoid(g[j]!),
          fg = sigmoid(g[H + j]!),
          gg = Math.tanh(g[2 * H + j]!),
          og = sigmoid(g[3 * H + j]!);
        c[l]![j] = fg * c[l]![j]! + ig * gg;
        h[l]![j] = og * Math.tanh(c[l]![j]!);
      }
      x = h[l]!.slice();
    }
    const logits = new Float64Array(V);
    let mx = -Infinity;
    for (let v = 0; v < V; v++) {
      let s = db[v]!;
      for (let k = 0; k < H; k++) s += dec[v * H + k]! * x[k]!;
      logits[v] = s;
      mx = Math.max(mx, s);
    }
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[v]! - mx);
    out[t] = mx + Math.log(z) - logits[part[t]!]!;
  }
  return out;
}

/** The parts `tokenLosses` cuts a stream of N tokens into for batch B: contiguous, the first N mod B one longer. */
function evalParts(N: number, B: number): [number, number][] {
  const b = Math.min(B, N);
  const parts: [number, number][] = [];
  for (let r = 0, s = 0; r < b; r++) {
    const len = Math.floor(N / b) + (r < N % b ? 1 : 0);
    parts.push([s, len]);
    s += len;
  }
  return parts;
}

/** Random decoder bias, so the check does not rest on the zero initialisation. */
function shakeBias(m: LstmLM): void {
  const v = m.decoderBias.value.view() as Float32Array;
  for (let i = 0; i < v.length; i++) v[i] = Math.sin(i) * 0.3;
}

const heap = () => {
  const s = memoryStats();
  return { bytesInUse: s.bytesInUse, blocks: s.blocks };
};

describe('LstmLM config', () => {
  test('defaults, parameter names and count (untied and tied)', () => {
    expect(resolveLstmLMConfig({ vocabSize: 50 })).toEqual({
      vocabSize: 50,
      embeddingDim: 200,
      hidden: 200,
      layers: 2,
      dropout: 0.3,
      tied: false,
      unk: 0,
      bos: 1,
      seed: 0,
    });
    const m = new LstmLM({ vocabSize: 13, embeddingDim: 5, hidden: 7, layers: 2 });
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['embedding.weight', [13, 5]],
      ['lstm.weight_ih_l0', [28, 5]],
      ['lstm.weight_hh_l0', [28, 7]],
      ['lstm.bias_ih_l0', [28]],
      ['lstm.bias_hh_l0', [28]],
      ['lstm.weight_ih_l1', [28, 7]],
      ['lstm.weight_hh_l1', [28, 7]],
      ['lstm.bias_ih_l1', [28]],
      ['lstm.bias_hh_l1', [28]],
      ['decoder.weight', [13, 7]],
      ['decoder.bias', [13]],
    ]);
    expect(m.parameterCount()).toBe(13 * 5 + 28 * (5 + 7 + 2) + 28 * (7 + 7 + 2) + 13 * 7 + 13);
    // initialisation: embeddings and decoder U(−0.1, 0.1), decoder bias 0, the LSTM U(±1/√H)
    const w = weightsOf(m);
    expect(Math.max(...w.get('embedding.weight')!.map(Math.abs))).toBeLessThanOrEqual(0.1);
    expect(Math.max(...w.get('decoder.weight')!.map(Math.abs))).toBeLessThanOrEqual(0.1);
    expect(Math.max(...w.get('lstm.weight_hh_l1')!.map(Math.abs))).toBeGreaterThan(0.1);
    expect(Math.max(...w.get('lstm.weight_hh_l1')!.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(7));
    expect(w.get('decoder.bias')!.every((x) => x === 0)).toBe(true);
    m.dispose();
    const t = new LstmLM({ vocabSize: 13, embeddingDim: 6, hidden: 6, layers: 1, tied: true });
    const names = t.namedParameters().map(([n]) => n);
    expect(names).toEqual([
      'embedding.weight',
      'lstm.weight_ih_l0',
      'lstm.weight_hh_l0',
      'lstm.bias_ih_l0',
      'lstm.bias_hh_l0',
      'decoder.bias',
    ]);
    expect(t.parameterCount()).toBe(13 * 6 + 24 * (6 + 6 + 2) + 13);
    t.dispose();
  });

  test('typed errors name the field', () => {
    const bad: [unknown, RegExp][] = [
      [null, /LstmLM: config must be an object, got null/],
      [{ vocabSize: 1 }, /config.vocabSize must be an integer in \[2, 2\^53\], got 1/],
      [{ vocabSize: 10, hidden: 0 }, /config.hidden must be an integer in \[1, 2\^53\], got 0/],
      [{ vocabSize: 10, layers: 0 }, /config.layers must be an integer in \[1, 64\], got 0/],
      [{ vocabSize: 10, dropout: 1 }, /config.dropout must be a number in \[0, 1\), got 1/],
      [{ vocabSize: 10, tied: 1 }, /config.tied must be a boolean, got 1/],
      [{ vocabSize: 10, hidden: 5, embeddingDim: 4, tied: true }, /config.hidden must equal config.embeddingDim \(4\)/],
      [{ vocabSize: 10, bos: 0 }, /config.bos must differ from config.unk \(0\), got 0/],
      [{ vocabSize: 10, unk: 10 }, /config.unk must be an integer in \[0, 9\], got 10/],
      [{ vocabSize: 10, bptt: 3 }, /config must have only the keys .*, got 'bptt'/],
      [{ vocabSize: 1_000_000, embeddingDim: 600, hidden: 600 }, /at most 1073741824 float32 parameters/],
    ];
    for (const [cfg, re] of bad) {
      expect(() => new LstmLM(cfg as LstmLMConfig)).toThrow(ArgumentError);
      expect(() => new LstmLM(cfg as LstmLMConfig)).toThrow(re);
    }
    expect(() => new LstmLM({ vocabSize: 3 }, ['a', 'b'])).toThrow(/vocab must be an array of 3 words/);
    expect(() => new LstmLM({ vocabSize: 2 }, ['a', 'a'])).toThrow(/vocab must not repeat a word/);
  });
});

describe('LstmLM losses', () => {
  const VARIANTS: [string, Partial<LstmLMConfig>][] = [
    ['1 layer', { embeddingDim: 5, hidden: 7, layers: 1 }],
    ['2 layers', { embeddingDim: 3, hidden: 6, layers: 2 }],
    ['3 layers, tied', { embeddingDim: 5, hidden: 5, layers: 3, tied: true }],
  ];
  for (const [name, cfg] of VARIANTS) {
    test(`${name}: per-token losses = a float64 LSTM over each part, for batch sizes 1, 3, 7, 131`, () => {
      const V = 37;
      const m = new LstmLM({ vocabSize: V, seed: 3, ...cfg });
      shakeBias(m);
      m.train(); // tokenLosses switches to eval mode (no dropout) and back
      const s = randomStream(5, 131, V); // 131 > 64: batch 1 runs in more than one chunk
      const w = weightsOf(m);
      for (const B of [1, 3, 7, 131]) {
        const got = m.tokenLosses(s, { batchSize: B });
        let worst = 0,
          at = -1;
        for (const [start, len] of evalParts(s.length, B)) {
          const ref = referencePartLosses(m, w, s.subarray(start, start + len));
          for (let t = 0; t < len; t++) {
            const e = Math.abs(got[start + t]! - ref[t]!);
            if (e > worst) [worst, at] = [e, start + t];
          }
        }
        expect(worst, `batch ${B}: max |error| ${worst} at token ${at}`).toBeLessThan(2e-5);
        const ev = m.evaluate(s, { batchSize: B });
        expect(ev.n).toBe(131);
        expect(ev.perplexity).toBeCloseTo(Math.exp(got.reduce((a, b) => a + b, 0) / got.length), 8);
      }
      expect(m.training).toBe(true);
      const p = m.tokenProbs(s, { batchSize: 1 });
      const l = m.tokenLosses(s, { batchSize: 1 });
      for (let i = 0; i < s.length; i++) expect(p[i]).toBeCloseTo(Math.exp(-l[i]!), 12);
      expect(m.perplexity(s)).toBeCloseTo(m.evaluate(s, { batchSize: 1 }).perplexity, 10);
      m.dispose();
    });
  }

  test('the module stepped one token at a time, the state carried by hand, gives the same losses as one pass', () => {
    const V = 23;
    const m = new LstmLM({ vocabSize: V, embeddingDim: 4, hidden: 6, layers: 2, seed: 8 });
    shakeBias(m);
    m.eval();
    const s = randomStream(2, 29, V);
    const onePass = m.tokenLosses(s, { batchSize: 1 });
    let state = m.zeroState(1);
    for (let t = 0; t < s.length; t++) {
      const ids = Tensor.fromArray([t === 0 ? m.config.bos : s[t - 1]!], [1, 1], 'int32');
      const tg = Tensor.fromArray([s[t]!], [1], 'int32');
      const prev = state;
      const loss = step(() =>
        noGrad(() => {
          const f = m.forward(ids, prev);
          state = f.state; // caller-owned: survives the step
          const r = sm.softmaxXent(f.logits.value, tg);
          r.rowLoss.dispose();
          r.lse.dispose();
          return r.loss;
        }),
      );
      prev.h.dispose();
      prev.c.dispose();
      ids.dispose();
      tg.dispose();
      expect(Math.abs(loss - onePass[t]!), `token ${t}`).toBeLessThan(1e-5);
    }
    state.h.dispose();
    state.c.dispose();
    const ids2 = Tensor.zeros([1, 2], 'int32'),
      wrong = m.zeroState(2);
    expect(() => m.forward(ids2, wrong)).toThrow(
      /state.h must be a float32 Tensor \[2, 1, 6\], got float32 \[2, 2, 6\]/,
    );
    expect(() => m.forward(ids2, wrong)).toThrow(ShapeError);
    for (const t of [ids2, wrong.h, wrong.c]) t.dispose();
    m.dispose();
  });

  test('the training loss of truncated BPTT is that of each part read whole (the state carried across segments)', async () => {
    const V = 19;
    const m = new LstmLM({ vocabSize: V, embeddingDim: 4, hidden: 5, layers: 2, dropout: 0, seed: 4 });
    shakeBias(m);
    const w = weightsOf(m);
    const train = randomStream(3, 101, V); // batch 4: parts of 25 tokens, 1 dropped; bptt 7: segments 7, 7, 7, 4
    const B = 4,
      bptt = 7,
      L = 25;
    const ref = Array.from({ length: B }, (_, r) => referencePartLosses(m, w, train.subarray(r * L, r * L + L)));
    const stepMeans: number[] = [];
    for (let t0 = 0; t0 < L; t0 += bptt) {
      let s = 0,
        n = 0;
      for (let r = 0; r < B; r++)
        for (let t = t0; t < Math.min(L, t0 + bptt); t++) {
          s += ref[r]![t]!;
          n++;
        }
      stepMeans.push(s / n);
    }
    // lr 1e-12: the updates are below the weights' float32 resolution, so every step sees the initial weights
    const r = await m.fit(train, { epochs: 1, batchSize: B, bptt, lr: 1e-12, clip: 0 });
    expect(r.steps).toBe(4);
    expect(r.tokensPerEpoch).toBe(100);
    const want = stepMeans.reduce((a, b) => a + b, 0) / stepMeans.length;
    expect(Math.abs(r.history[0]!.loss - want)).toBeLessThan(1e-5);
    // the state reset at every segment would give another loss: the check can tell
    const resetMeans: number[] = [];
    for (let t0 = 0; t0 < L; t0 += bptt) {
      let s = 0,
        n = 0;
      for (let q = 0; q < B; q++) {
        const seg = train.subarray(q * L + t0, q * L + Math.min(L, t0 + bptt));
        // a fresh state from the token before the segment: reference over [prev, ...seg] without its first loss
        const withPrev = t0 === 0 ? seg : train.subarray(q * L + t0 - 1, q * L + Math.min(L, t0 + bptt));
        const l = referencePartLosses(m, w, withPrev);
        for (let t = t0 === 0 ? 0 : 1; t < l.length; t++) {
          s += l[t]!;
          n++;
        }
      }
      resetMeans.push(s / n);
    }
    const reset = resetMeans.reduce((a, b) => a + b, 0) / resetMeans.length;
    expect(Math.abs(reset - want)).toBeGreaterThan(1e-4);
    m.dispose();
  });
});

describe('LstmLM training', () => {
  test('a tiny model on a grammar stream: training and validation perplexity fall, and it learns the grammar', async () => {
    const V = WORDS.length;
    const train = grammarStream(1, 300),
      valid = grammarStream(2, 40);
    const m = new LstmLM({ vocabSize: V, embeddingDim: 8, hidden: 16, layers: 1, dropout: 0, seed: 1 }, WORDS);
    const before = m.evaluate(valid).perplexity;
    const reports: Progress[] = [];
    const r = await m.fit(train, {
      epochs: 4,
      batchSize: 10,
      bptt: 10,
      lr: 2e-2,
      valid,
      onProgress: (p) => reports.push(p),
    });
    expect(r.epochs).toBe(4);
    expect(r.steps).toBe(4 * 21); // 10 parts of 210 tokens, segments of 10
    expect(r.tokensPerEpoch).toBe(2100);
    expect(reports.filter((p) => p.epochEnd).map((p) => p.validPerplexity)).toEqual(
      r.history.map((h) => h.validPerplexity),
    );
    expect(reports.every((p) => p.unit === 'tokens')).toBe(true);
    const vp = r.history.map((h) => h.validPerplexity!);
    expect(vp[3]!).toBeLessThan(vp[0]!);
    expect(r.history[3]!.loss).toBeLessThan(r.history[0]!.loss);
    const after = m.evaluate(valid).perplexity;
    expect(after).toBe(r.bestValidPerplexity);
    expect(before).toBeGreaterThan(8);
    // The grammar allows 2 choices at 5 of 7 positions: the perplexity floor is 2^(5/7) ≈ 1.64.
    expect(after).toBeLessThan(2.2);
    expect(m.topNext('the cat sat', 1)[0]!.word).toBe('on');
    expect(
      m
        .topNext('the cat sat on the', 2)
        .map((n) => n.word)
        .sort(),
    ).toEqual(['log', 'mat']);
    m.dispose();
  });

  test('resuming from a checkpoint (mid-epoch and at an epoch end) continues bit-identically; the carried state is in it', async () => {
    const V = WORDS.length;
    const train = grammarStream(3, 60),
      valid = grammarStream(4, 10);
    const cfg: LstmLMConfig = { vocabSize: V, embeddingDim: 6, hidden: 8, layers: 2, dropout: 0.25, seed: 7 };
    // batch 3 of 420 tokens: parts of 140; bptt 9: 16 steps per epoch
    const opts = { epochs: 3, batchSize: 3, bptt: 9, lr: 5e-3, valid, checkpointEvery: 5, patience: 1 };
    const whole = new LstmLM(cfg);
    const saved: { bytes: Uint8Array; info: { step: number; epoch: number; epochEnd: boolean } }[] = [];
    const rw = await whole.fit(train, { ...opts, onCheckpoint: (bytes, info) => void saved.push({ bytes, info }) });
    expect(rw.steps).toBeGreaterThan(16);
    const mid = saved.find((s) => !s.info.epochEnd && s.info.epoch === 2)!;
    const end = saved.find((s) => s.info.epochEnd && s.info.epoch === 1)!;
    expect(mid).toBeDefined();
    expect(end).toBeDefined();
    for (const pick of [mid, end]) {
      const resumed = new LstmLM(cfg);
      const r = await resumed.fit(train, { ...opts, resumeFrom: pick.bytes });
      expect(r.steps).toBe(rw.steps);
      expect(bits(resumed)).toEqual(bits(whole));
      resumed.dispose();
    }
    // The mid-epoch checkpoint's carried state is used: zeroing it changes the result.
    const ck = decodeCheckpoint(mid.bytes);
    const target = ck.meta.target as { h: string; c: string };
    const zeros = btoa(String.fromCharCode(...new Uint8Array(atob(target.h).length)));
    expect(target.h).not.toBe(zeros);
    const reencode = (t: unknown) =>
      encodeCheckpoint({
        weights: ck.weights as never,
        optimizer: ck.optimizer!,
        meta: { ...ck.meta, target: t },
      });
    const zeroed = new LstmLM(cfg);
    await zeroed.fit(train, { ...opts, resumeFrom: reencode({ h: zeros, c: zeros }) });
    expect(bits(zeroed)).not.toEqual(bits(whole));
    zeroed.dispose();
    // A damaged state, other options or data are refused with typed errors, and nothing leaks.
    const other = new LstmLM(cfg);
    const h0 = heap();
    await expect(other.fit(train, { ...opts, resumeFrom: reencode({ h: 'AAAA', c: zeros }) })).rejects.toThrow(
      /options.resumeFrom target.h must be base64 of 48 float32 values \(layers × batchSize × hidden\), got 4 characters/,
    );
    await expect(other.fit(train, { ...opts, resumeFrom: reencode(7) })).rejects.toThrow(
      /options.resumeFrom target must be the carried LSTM state/,
    );
    await expect(other.fit(train, { ...opts, bptt: 10, resumeFrom: mid.bytes })).rejects.toThrow(
      /options.bptt must equal the checkpoint's 9, got 10/,
    );
    await expect(other.fit(grammarStream(9, 60), { ...opts, resumeFrom: mid.bytes })).rejects.toThrow(
      /train \(the hash of its ids\)/,
    );
    expect(heap()).toEqual(h0);
    other.dispose();
    whole.dispose();
  });

  test('diagnostics: every 4th step reports the gradient norms of embedding, each LSTM layer and decoder; the weights are the same', async () => {
    const cfg: LstmLMConfig = { vocabSize: WORDS.length, embeddingDim: 6, hidden: 8, layers: 2, dropout: 0.2, seed: 7 };
    const train = grammarStream(3, 60); // batch 3 of 420 tokens: parts of 140; bptt 9: 16 steps
    const opts = { epochs: 1, batchSize: 3, bptt: 9, clip: 0.5 };
    const plain = new LstmLM(cfg);
    await plain.fit(train, opts);
    const m = new LstmLM(cfg);
    const reports: Progress[] = [];
    await m.fit(train, { ...opts, diagnostics: { every: 4 }, onProgress: (p) => reports.push(p) });
    const groups = ['embedding', 'lstm.l0', 'lstm.l1', 'decoder'];
    const modules = ['embedding', 'input_dropout', 'lstm', 'output_dropout', 'decoder'];
    const ds = checkedDiagnostics(reports, [4, 8, 12, 16], groups, modules);
    // the top layer's outputs [B, T, H]; the last segment is 140 − 15·9 = 5 steps long
    expect(ds.map((d) => d.activations!['lstm']!.count)).toEqual([3 * 9 * 8, 3 * 9 * 8, 3 * 9 * 8, 3 * 5 * 8]);
    // only groupBy and activations chosen by hand
    const one: Progress[] = [];
    const m2 = new LstmLM(cfg);
    await m2.fit(train, {
      ...opts,
      diagnostics: { every: 16, groupBy: (n) => n, activations: ['lstm'] },
      onProgress: (p) => one.push(p),
    });
    const d2 = one.find((p) => p.diagnostics !== undefined)!.diagnostics!;
    expect(Object.keys(d2.gradNorms)).toEqual(m2.namedParameters().map(([n]) => n));
    expect(Object.keys(d2.activations!)).toEqual(['lstm']);
    // measuring changes nothing: bit-identical to the run without diagnostics
    expect(bits(m)).toEqual(bits(plain));
    expect(bits(m2)).toEqual(bits(plain));
    await expect(m.fit(train, { ...opts, diagnostics: { every: 1, activations: ['rnn'] } })).rejects.toThrow(
      /LstmLM\.fit: options\.diagnostics\.activations\[0\] must be the path of a module of the model/,
    );
    for (const x of [plain, m, m2]) x.dispose();
  });
});

describe('LstmLM words and files', () => {
  test('nextWordProbs sums to 1 and reads the whole context; generate is seeded and follows it greedily; save/load round trip', () => {
    const m = new LstmLM({ vocabSize: WORDS.length, embeddingDim: 4, hidden: 8, layers: 2, seed: 2 }, WORDS);
    shakeBias(m);
    const p = m.nextWordProbs('the cat');
    expect(p.length).toBe(WORDS.length);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(Math.max(...m.nextWordProbs('the cat', { temperature: 0.1 }))).toBeGreaterThan(Math.max(...p));
    expect(Array.from(m.nextWordProbs([2, 3]))).toEqual(Array.from(p));
    // unlimited history: a word far back changes the distribution
    const far = Array.from(m.nextWordProbs('a log . the cat'));
    expect(far).not.toEqual(Array.from(p));
    // nextWordProbs of a context = exp(−loss) of the next token in one pass over it
    const s = m.encode('the cat sat on');
    const l = m.tokenLosses(s, { batchSize: 1 });
    expect(m.nextWordProbs('the cat sat')[s[3]!]).toBeCloseTo(Math.exp(-l[3]!), 6);
    const g1 = m.generate('the', { length: 12, seed: 4 }),
      g2 = m.generate('the', { length: 12, seed: 4 }),
      g3 = m.generate('the', { length: 12, seed: 5 });
    expect(g1).toEqual(g2);
    expect(g1).not.toEqual(g3);
    expect(g1.length).toBe(12);
    expect(g1.every((w) => w !== '<s>' && w !== '<unk>')).toBe(true);
    const greedy = m.generate('the cat', { length: 5, topK: 1, allowUnk: true });
    const hist = ['the', 'cat'];
    for (const w of greedy) {
      const q = m.nextWordProbs(hist);
      q[1] = 0;
      let best = 0;
      for (let i = 1; i < q.length; i++) if (q[i]! > q[best]!) best = i;
      expect(w).toBe(WORDS[best]);
      hist.push(w);
    }
    const back = LstmLM.fromSafetensors(m.toSafetensors());
    expect(back.vocab).toEqual(WORDS);
    expect(back.config).toEqual(m.config);
    expect(bits(back)).toEqual(bits(m));
    expect(Array.from(back.nextWordProbs('the cat'))).toEqual(Array.from(p));
    expect(back.perplexity('the cat sat on the mat .')).toBe(m.perplexity('the cat sat on the mat .'));
    expect(Array.from(m.encode('the zebra'))).toEqual([2, 0]);
    back.dispose();
    const tied = new LstmLM({ vocabSize: WORDS.length, embeddingDim: 5, hidden: 5, tied: true, seed: 1 });
    const t2 = LstmLM.fromSafetensors(tied.toSafetensors());
    expect(bits(t2)).toEqual(bits(tied));
    expect(t2.vocab).toBe(null);
    t2.dispose();
    tied.dispose();
    m.dispose();
  });

  test('typed errors name the argument; failing calls leave the heap as it was', async () => {
    const m = new LstmLM({ vocabSize: 10, embeddingDim: 2, hidden: 3, layers: 1 });
    const h0 = heap();
    expect(() => m.encode('a')).toThrow(VocabError);
    expect(() => m.generate('a')).toThrow(VocabError);
    expect(() => m.evaluate(Int32Array.from([1, 10]))).toThrow(/stream\[1\] must be a word id in \[0, 10\), got 10/);
    expect(() => m.evaluate([1, 2] as never)).toThrow(/stream must be an Int32Array of word ids/);
    expect(() => m.evaluate(Int32Array.from([1, 2]), { batchSize: 0 })).toThrow(/options.batchSize must be an integer/);
    expect(() => m.perplexity(new Int32Array(0))).toThrow(/text must hold at least one word/);
    expect(() => m.nextWordProbs([1, 99])).toThrow(/context\[1\] must be a word id in \[0, 10\), got 99/);
    expect(() => m.nextWordProbs([1], { temperature: 0 })).toThrow(/options.temperature must be a finite number > 0/);
    const f32 = Tensor.zeros([3]);
    expect(() => m.forward(f32)).toThrow(/ids must be an int32 Tensor \[B, T\], got float32 \[3\]/);
    f32.dispose();
    await expect(m.fit(Int32Array.from([2, 3]), { batchSize: 3 })).rejects.toThrow(
      /train must hold at least options.batchSize \(3\) tokens/,
    );
    await expect(m.fit(Int32Array.from([2, 3]), { batch: 3 } as never)).rejects.toThrow(/got 'batch'/);
    await expect(m.fit(Int32Array.from([2, 3]), { bptt: 0 })).rejects.toThrow(/options.bptt must be an integer in \[1/);
    await expect(m.fit(Int32Array.from([2, 3]), { clip: -1 })).rejects.toThrow(/options.clip must be a finite number/);
    await expect(m.fit(Int32Array.from([2, 3]), { valid: new Int32Array(0) })).rejects.toThrow(
      /options.valid must hold at least one token, got 0/,
    );
    await expect(m.fit(Int32Array.from([2, 3]), { batchSize: 1, resumeFrom: new Uint8Array(8) })).rejects.toThrow(
      FormatError,
    );
    expect(heap()).toEqual(h0);
    expect(() => LstmLM.fromSafetensors(new Uint8Array(4))).toThrow(FormatError);
    m.dispose();
  });

  test('fit, evaluation and generation leave the heap as it was', async () => {
    const V = WORDS.length;
    const m = new LstmLM({ vocabSize: V, embeddingDim: 4, hidden: 6, layers: 2, dropout: 0.2, seed: 3 }, WORDS);
    const train = grammarStream(5, 30),
      valid = grammarStream(6, 5);
    // warm-up: any lazily made runtime buffers exist before the measurement
    await m.fit(train, { epochs: 1, batchSize: 4, bptt: 8, valid, maxSteps: 2 });
    const h0 = heap();
    const ctl = new AbortController();
    await m.fit(train, { epochs: 2, batchSize: 4, bptt: 8, valid, checkpointEvery: 3, onCheckpoint: () => undefined });
    await m.fit(train, {
      epochs: 2,
      batchSize: 5,
      bptt: 6,
      onProgress: (p) => {
        if (p.step >= 3) ctl.abort();
      },
      signal: ctl.signal,
    });
    m.evaluate(valid, { batchSize: 3 });
    m.generate('the', { length: 5, seed: 1 });
    m.topNext('the cat', 3);
    expect(heap()).toEqual(h0);
    m.dispose();
  });
});
