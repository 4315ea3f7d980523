// GPT-2 (src/models/gpt) against an independent PyTorch 1.13 build of the same
// architecture with Hugging Face GPT2LMHeadModel's names and Conv1D layouts
// (scripts/gpt2-fixture.py, committed fixture in tests/fixtures/gpt2/<case>: the
// page fetches it from the dev server, Node reads it from disk). Two cases: tiny
// (gelu_new, n_inner null, F32 keys with `transformer.` and the causal-mask buffers)
// and inner (erf GELU, n_inner 40, 3 heads, F32 keys without the prefix). Per case:
// logits of the F32 and the F16 file, a right-padded batch, 20 greedy tokens
// (generate, and sessions fed one token at a time with and without the KV cache),
// the toPretrained round trip, strict and non-strict loading, GPT2Model = the
// head's hidden state.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { readFixture } from '../helpers/fixtures.js';
import { Tensor } from '../../src/core/tensor.js';
import { noGrad, tape } from '../../src/autograd/tape.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from '../../src/io/safetensors.js';
import { StateDictError } from '../../src/nn/module.js';
import { GPT2LMHeadModel } from '../../src/models/gpt/pretrained.js';
import { GPT2Model } from '../../src/models/gpt/modeling.js';
import { gpt2Config } from '../../src/models/gpt/config.js';

const FILES: Record<string, URL> = {
  'tiny/config.json': new URL('../fixtures/gpt2/tiny/config.json', import.meta.url),
  'tiny/model.safetensors': new URL('../fixtures/gpt2/tiny/model.safetensors', import.meta.url),
  'tiny/model-f16.safetensors': new URL('../fixtures/gpt2/tiny/model-f16.safetensors', import.meta.url),
  'tiny/case.json': new URL('../fixtures/gpt2/tiny/case.json', import.meta.url),
  'tiny/logits.safetensors': new URL('../fixtures/gpt2/tiny/logits.safetensors', import.meta.url),
  'inner/config.json': new URL('../fixtures/gpt2/inner/config.json', import.meta.url),
  'inner/model.safetensors': new URL('../fixtures/gpt2/inner/model.safetensors', import.meta.url),
  'inner/model-f16.safetensors': new URL('../fixtures/gpt2/inner/model-f16.safetensors', import.meta.url),
  'inner/case.json': new URL('../fixtures/gpt2/inner/case.json', import.meta.url),
  'inner/logits.safetensors': new URL('../fixtures/gpt2/inner/logits.safetensors', import.meta.url),
};
const get = (name: string): Promise<Uint8Array> => readFixture(FILES[name]!, name);

interface Case {
  batch: number;
  seq: number;
  inputIds: number[];
  paddedInputIds: number[];
  attentionMask: number[];
  prompt: number[];
  greedy: number[];
  greedyF16: number[];
}

interface Fixture {
  config: Record<string, unknown>;
  weights: Uint8Array;
  weightsF16: Uint8Array;
  ex: Case;
  expected: Record<string, SafetensorsTensor>;
}

const CASES = ['tiny', 'inner'] as const;
const fixtures: Record<string, Fixture> = {};

beforeAll(async () => {
  await initForTests();
  const text = async (n: string) => JSON.parse(new TextDecoder().decode(await get(n))) as Record<string, unknown>;
  for (const name of CASES) {
    fixtures[name] = {
      config: await text(`${name}/config.json`),
      weights: await get(`${name}/model.safetensors`),
      weightsF16: await get(`${name}/model-f16.safetensors`),
      ex: (await text(`${name}/case.json`)) as unknown as Case,
      expected: decodeSafetensors(await get(`${name}/logits.safetensors`)).tensors,
    };
  }
});

/** Max |a − b| and where, over the elements `keep` selects (all by default). */
function maxAbsDiff(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  keep: (i: number) => boolean = () => true,
): { max: number; at: number } {
  expect(a.length).toBe(b.length);
  let max = 0,
    at = -1;
  for (let i = 0; i < a.length; i++) {
    if (!keep(i)) continue;
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= max)) [max, at] = [d, i]; // NaN counts as the worst
  }
  return { max, at };
}

function expectClose(
  what: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  tol: number,
  keep?: (i: number) => boolean,
) {
  const { max, at } = maxAbsDiff(got, want, keep);
  console.log(`gpt2 fixture ${what}: max |ours − torch| ${max.toExponential(2)} at ${at}`);
  expect(max, `${what}: max |ours − torch| ${max} at ${at}`).toBeLessThan(tol);
}

const ids2d = (ex: Case, ids: number[]) => Tensor.fromArray(Int32Array.from(ids), [ex.batch, ex.seq], 'int32');

/** Logits and last hidden state of ids [B, S] (and a mask) as plain arrays. */
function run(m: GPT2LMHeadModel, ids: Tensor, attentionMask?: Tensor): { logits: Float32Array; hidden: Float32Array } {
  const out = noGrad(() => {
    const o = m.forward(ids, { attentionMask });
    return { logits: o.logits.toArray() as Float32Array, hidden: o.lastHiddenState.toArray() as Float32Array };
  });
  tape.release();
  return out;
}

/** Argmax, ties to the lowest id (torch.argmax's first maximal index). */
function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

/** Greedy tokens through a session: the prompt at once or one token at a time, then one token per feed; stops after eos. */
function sessionGreedy(
  m: GPT2LMHeadModel,
  prompt: number[],
  n: number,
  useCache: boolean,
  oneByOne: boolean,
): number[] {
  const s = m.startSession({ useCache });
  let logits: Float32Array;
  if (oneByOne) {
    logits = new Float32Array(0);
    for (const t of prompt) logits = s.feed([t]);
  } else logits = s.feed(prompt);
  const out: number[] = [];
  for (;;) {
    const t = argmax(logits);
    out.push(t);
    if (out.length === n || t === m.config.eosTokenId) break;
    logits = s.feed([t]);
  }
  expect(s.length).toBe(prompt.length + out.length - 1);
  s.dispose();
  return out;
}

describe.each(CASES)('PyTorch fixture %s (scripts/gpt2-fixture.py)', (name) => {
  test('F32 weights: logits and last hidden state within 1e-4; the mask buffers are ignored by name', () => {
    const { config, weights, ex, expected } = fixtures[name]!;
    const m = GPT2LMHeadModel.fromPretrained({ config, weights });
    expect(m.training).toBe(false);
    const ids = ids2d(ex, ex.inputIds);
    const { logits, hidden } = run(m, ids);
    expect(expected.logits!.shape).toEqual([ex.batch, ex.seq, m.config.vocabSize]);
    expectClose(`${name} F32 logits`, logits, expected.logits!.data, 1e-4);
    expectClose(`${name} F32 last hidden state`, hidden, expected.last_hidden_state!.data, 1e-4);
    // the same file, loaded again: nothing missing or unexpected, the buffers set aside
    const r = m.loadStateDict(decodeSafetensors(weights).tensors);
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual([]);
    const nLayer = m.config.nLayer;
    const buffers =
      name === 'tiny'
        ? Array.from({ length: nLayer }, (_, i) => [
            `transformer.h.${i}.attn.bias`,
            `transformer.h.${i}.attn.masked_bias`,
          ]).flat()
        : [];
    expect(r.ignored.sort()).toEqual(buffers.sort());
    ids.dispose();
    m.dispose();
  });

  test('F16 weights (the other key prefix): logits within 1e-4 of torch on the F16-rounded weights', () => {
    const { config, weightsF16, ex, expected } = fixtures[name]!;
    const st = decodeSafetensors(weightsF16);
    expect(Object.values(st.tensors).every((t) => t.stored === 'F16')).toBe(true);
    const prefixed = Object.keys(st.tensors).every((k) => k.startsWith('transformer.'));
    expect(prefixed).toBe(name === 'inner');
    const m = GPT2LMHeadModel.fromPretrained({ config, weights: weightsF16 });
    const ids = ids2d(ex, ex.inputIds);
    const { logits } = run(m, ids);
    expectClose(`${name} F16 logits`, logits, expected.logits_f16!.data, 1e-4);
    // F16 rounding moves the logits by more than the tolerance: the comparison tells the two files apart
    expect(maxAbsDiff(logits, expected.logits!.data).max).toBeGreaterThan(1e-3);
    ids.dispose();
    m.dispose();
  });

  test('right-padded batch with an attention mask: every real position within 1e-4', () => {
    const { config, weights, ex, expected } = fixtures[name]!;
    const m = GPT2LMHeadModel.fromPretrained({ config, weights });
    const ids = ids2d(ex, ex.paddedInputIds);
    const mask = ids2d(ex, ex.attentionMask);
    const V = m.config.vocabSize;
    const real = (i: number) => ex.attentionMask[Math.floor(i / V)] === 1;
    expect(ex.attentionMask.filter((x) => x === 0).length).toBeGreaterThan(0);
    const { logits } = run(m, ids, mask);
    expectClose(`${name} padded logits`, logits, expected.padded_logits!.data, 1e-4, real);
    ids.dispose();
    mask.dispose();
    m.dispose();
  });

  test('20 greedy tokens equal torch: generate, and sessions fed one token at a time with and without the cache', () => {
    const { config, weights, weightsF16, ex } = fixtures[name]!;
    for (const [w, want] of [
      [weights, ex.greedy],
      [weightsF16, ex.greedyF16],
    ] as const) {
      const m = GPT2LMHeadModel.fromPretrained({ config, weights: w });
      expect(Array.from(m.generate(ex.prompt, { maxNewTokens: 20 }))).toEqual(want);
      expect(Array.from(m.generate(Int32Array.from(ex.prompt), { maxNewTokens: 20, useCache: false }))).toEqual(want);
      for (const useCache of [true, false])
        for (const oneByOne of [true, false])
          expect(
            sessionGreedy(m, ex.prompt, 20, useCache, oneByOne),
            `useCache ${useCache}, oneByOne ${oneByOne}`,
          ).toEqual(want);
      m.dispose();
    }
  });

  test('a cached session returns the last row of the full forward, within 1e-5, at every length', () => {
    const { config, weights, ex } = fixtures[name]!;
    const m = GPT2LMHeadModel.fromPretrained({ config, weights });
    const seq = [...ex.prompt, ...ex.greedy];
    const V = m.config.vocabSize;
    const full = run(m, Tensor.fromArray(Int32Array.from(seq), [1, seq.length], 'int32')).logits;
    const s = m.startSession();
    let worst = 0;
    for (let t = 0; t < seq.length; t++) {
      const got = s.feed([seq[t]!]);
      worst = Math.max(worst, maxAbsDiff(got, full.subarray(t * V, (t + 1) * V)).max);
    }
    s.dispose();
    expect(worst).toBeLessThan(1e-5);
    m.dispose();
  });

  test('toPretrained round trip: Hugging Face names and Conv1D layout, the same logits bit for bit', () => {
    const { config, weights, ex } = fixtures[name]!;
    const m = GPT2LMHeadModel.fromPretrained({ config, weights });
    const files = m.toPretrained();
    const saved = decodeSafetensors(files['model.safetensors']).tensors;
    const original = decodeSafetensors(weights).tensors;
    const D = m.config.nEmbd,
      inner = m.config.nInner;
    expect(saved['transformer.h.0.attn.c_attn.weight']!.shape).toEqual([D, 3 * D]);
    expect(saved['transformer.h.0.attn.c_proj.weight']!.shape).toEqual([D, D]);
    expect(saved['transformer.h.0.mlp.c_fc.weight']!.shape).toEqual([D, inner]);
    expect(saved['transformer.h.0.mlp.c_proj.weight']!.shape).toEqual([inner, D]);
    // every saved tensor is the original's, element for element (the buffers are not parameters: not saved)
    const bare = (k: string) => k.replace(/^transformer\./, '');
    const byBare = new Map(Object.entries(original).map(([k, v]) => [bare(k), v]));
    for (const [k, v] of Object.entries(saved)) {
      expect(k.startsWith('transformer.'), k).toBe(true);
      const o = byBare.get(bare(k));
      expect(o, k).toBeDefined();
      expect(v.shape, k).toEqual(o!.shape);
      expect(v.data, k).toEqual(o!.data);
    }
    expect(Object.keys(saved).length).toBe(m.namedParameters().length);
    expect(gpt2Config(files['config.json'])).toEqual(gpt2Config(config));
    const back = GPT2LMHeadModel.fromPretrained({ config: files['config.json'], weights: files['model.safetensors'] });
    const ids = ids2d(ex, ex.inputIds);
    expect(run(back, ids).logits).toEqual(run(m, ids).logits);
    ids.dispose();
    back.dispose();
    m.dispose();
  });

  test('strict: true refuses a missing weight with StateDictError naming it; by default (as Hugging Face) missing and unexpected keys are listed', () => {
    const { config, weights, ex, expected } = fixtures[name]!;
    const tensors = decodeSafetensors(weights).tensors;
    const key = Object.keys(tensors).find((k) => k.endsWith('h.1.attn.c_attn.weight'))!;
    const without = Object.fromEntries(Object.entries(tensors).filter(([k]) => k !== key));
    const lenient = GPT2LMHeadModel.fromPretrained({ config, weights: encodeLike(without) });
    expect(lenient.loadingInfo!.missing).toEqual(['transformer.h.1.attn.c_attn.weight']);
    lenient.dispose();
    let err: unknown;
    try {
      GPT2LMHeadModel.fromPretrained({ config, weights: encodeLike(without), strict: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect((err as StateDictError).missing).toEqual(['transformer.h.1.attn.c_attn.weight']);
    expect((err as Error).message).toContain('transformer.h.1.attn.c_attn.weight');
    // an extra tensor: strict refuses, non-strict loads the rest and lists it
    const extra = {
      ...tensors,
      'score.weight': { dtype: 'F32', stored: 'F32', shape: [2], data: new Float32Array(2) },
    };
    expect(() => GPT2LMHeadModel.fromPretrained({ config, weights: encodeLike(extra as never), strict: true })).toThrow(
      StateDictError,
    );
    const m = GPT2LMHeadModel.fromPretrained({ config, weights: encodeLike(extra as never) });
    expect(m.loadingInfo!.unexpected).toEqual(['transformer.score.weight']);
    const r = m.loadStateDict(extra as never, { strict: false });
    expect(r.missing).toEqual([]);
    expect(r.unexpected).toEqual(['transformer.score.weight']);
    const ids = ids2d(ex, ex.inputIds);
    expectClose(`${name} non-strict logits`, run(m, ids).logits, expected.logits!.data, 1e-4);
    // non-strict with a missing weight: it keeps its initial value and is listed
    const r2 = m.loadStateDict(without, { strict: false });
    expect(r2.missing).toEqual(['transformer.h.1.attn.c_attn.weight']);
    // fromPretrained (not strict): missing weights get GPT-2's initialisation, as Hugging Face (ln_f 1, 0.02 normals)
    const noLn = Object.fromEntries(Object.entries(tensors).filter(([k]) => k !== key && !k.endsWith('ln_f.weight')));
    const m3 = GPT2LMHeadModel.fromPretrained({ config, weights: encodeLike(noLn), strict: false });
    const p = Object.fromEntries(m3.namedParameters().map(([k, v]) => [k, v.value.toArray() as Float32Array]));
    expect(Array.from(p['transformer.ln_f.weight']!).every((x) => x === 1)).toBe(true);
    const w = p['transformer.h.1.attn.c_attn.weight']!;
    const sd = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(sd).toBeGreaterThan(0.5 * m3.config.initializerRange);
    expect(sd).toBeLessThan(1.5 * m3.config.initializerRange);
    m3.dispose();
    ids.dispose();
    m.dispose();
  });

  test('the weights load alike from an ArrayBuffer and from a view at an odd offset of a larger buffer (as a Node Buffer)', () => {
    const { config, weights, ex } = fixtures[name]!;
    const ids = ids2d(ex, ex.inputIds);
    const m = GPT2LMHeadModel.fromPretrained({ config, weights });
    const want = run(m, ids).logits;
    const whole = weights.slice().buffer;
    const big = new Uint8Array(weights.length + 7);
    big.set(weights, 3);
    for (const w of [whole, big.subarray(3, 3 + weights.length)]) {
      const m2 = GPT2LMHeadModel.fromPretrained({ config, weights: w });
      expect(run(m2, ids).logits).toEqual(want);
      m2.dispose();
    }
    expect(() => GPT2LMHeadModel.fromPretrained({ config, weights: [1, 2] as never })).toThrow(
      /files.weights must be a Uint8Array or an ArrayBuffer, got/,
    );
    ids.dispose();
    m.dispose();
  });

  test('GPT2Model.forward equals the head model’s last hidden state, bit for bit', () => {
    const { config, weights, ex } = fixtures[name]!;
    const m = GPT2LMHeadModel.fromPretrained({ config, weights });
    const g = new GPT2Model(config).eval();
    // the Hugging Face checkpoint itself (Conv1D layout, with or without `transformer.`) loads into GPT2Model
    const r = g.loadStateDict(decodeSafetensors(weights).tensors);
    expect([r.missing, r.unexpected]).toEqual([[], []]);
    const ids = ids2d(ex, ex.inputIds);
    const h = noGrad(() => g.forward(ids).toArray());
    tape.release();
    expect(h).toEqual(run(m, ids).hidden);
    ids.dispose();
    g.dispose();
    m.dispose();
  });
});

/** Tensors read back → safetensors bytes (F32). */
function encodeLike(tensors: Record<string, SafetensorsTensor>): Uint8Array {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, v] of Object.entries(tensors)) out[k] = { shape: v.shape, data: v.data as Float32Array };
  return encodeSafetensors(out);
}
