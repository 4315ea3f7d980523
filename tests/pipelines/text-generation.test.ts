// pipeline('text-generation') (src/pipelines.ts) over toy causal LMs written here and a
// byte tokenizer (ids 0..255 are bytes, 256 is <|endoftext|>, decoded by TextDecoder, so an
// incomplete UTF-8 sequence decodes to U+FFFD): generated_text = the prompt + the decoded
// continuation that `generate` gives by hand; snake_case and camelCase options alike; the
// tokenizer's stop token by default; streamed pieces join into the continuation, never
// split a character, and free the session on break; typed errors naming the option as spelled.
// Then over a small random GPT2LMHeadModel with a ByteLevelBPE trained here.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { ByteLevelBPE } from '../../src/text/bpe.js';
import { GPT2LMHeadModel } from '../../src/models/gpt/pretrained.js';
import { Philox } from '../../src/core/rng.js';
import { ArgumentError } from '../../src/core/errors.js';
import { generate, type CausalLM, type CausalLMSession } from '../../src/models/gpt/generate.js';
import {
  pipeline,
  type GenerationTokenizer,
  type TextGenerationModel,
  type TextGenerationResult,
} from '../../src/pipelines.js';

const EOS = 256;

beforeAll(async () => {
  await initForTests();
});

/** Bytes as ids, <|endoftext|> as 256. */
class ByteTokenizer implements GenerationTokenizer {
  readonly size = 257;
  readonly eosTokenId = EOS;
  encode(text: string): { ids: Int32Array } {
    return { ids: Int32Array.from(new TextEncoder().encode(text)) };
  }
  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    let out = '';
    let bytes: number[] = [];
    const flush = () => {
      out += new TextDecoder().decode(Uint8Array.from(bytes));
      bytes = [];
    };
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] !== EOS) bytes.push(ids[i]!);
      else if (!options.skipSpecialTokens) {
        flush();
        out += '<|endoftext|>';
      }
    }
    flush();
    return out;
  }
}

/** A CausalLM over `logitsOf(seq)` with a tokenizer; counts sessions and disposals. */
class ToyGen implements TextGenerationModel {
  readonly vocabSize = 257;
  started = 0;
  closed = 0;
  disposedModel = 0;
  tokenizer: GenerationTokenizer | null = new ByteTokenizer();
  constructor(
    private readonly logitsOf: (seq: readonly number[], promptLength: number) => Float32Array,
    readonly maxLength = 512,
  ) {}
  startSession(): CausalLMSession {
    this.started++;
    const seq: number[] = [];
    let promptLength = 0;
    const feed = (ids: Int32Array) => {
      if (seq.length === 0) promptLength = ids.length;
      seq.push(...ids);
      return this.logitsOf(seq, promptLength);
    };
    const dispose = () => void this.closed++;
    return {
      feed,
      dispose,
      get length() {
        return seq.length;
      },
    };
  }
  dispose(): void {
    this.disposedModel++;
  }
}

/** Greedy spells `script` (ids) after the prompt, one id per step, then repeats it. */
const spelling = (script: readonly number[]) => (seq: readonly number[], promptLength: number) => {
  const l = new Float32Array(257);
  l[script[(seq.length - promptLength) % script.length]!] = 5;
  return l;
};
const bytes = (s: string) => Array.from(new TextEncoder().encode(s));

/** Seeded logits over the lower-case letters and space (sampling spreads over them). */
const letters = (seq: readonly number[]) => {
  const rng = new Philox(seq.at(-1)! * 131 + seq.length, 5);
  const l = new Float32Array(257).fill(-1e9);
  for (const c of bytes(' abcdefghijklmnopqrstuvwxyz')) l[c] = rng.nextFloat() * 3;
  return l;
};

const decodeNew = (m: ToyGen, prompt: string, options: Parameters<typeof generate>[2]) =>
  new ByteTokenizer().decode(generate(m as CausalLM, m.tokenizer!.encode(prompt).ids, options), {
    skipSpecialTokens: true,
  });

describe("pipeline('text-generation')", () => {
  test('generated_text = prompt + the decoded continuation of generate; return_full_text; arrays', async () => {
    const m = new ToyGen(spelling(bytes(' upon a time')));
    const pipe = pipeline('text-generation', m);
    expect(pipe.task).toBe('text-generation');
    expect(pipe.model).toBe(m);
    expect(pipe.tokenizer).toBe(m.tokenizer);
    const out = await pipe('Once', { max_new_tokens: 12 });
    expect(out).toEqual([{ generated_text: 'Once upon a time' }]);
    expect(Object.keys(out[0]!)).toEqual(['generated_text']);
    expect(await pipe('Once', { max_new_tokens: 5, return_full_text: false })).toEqual([{ generated_text: ' upon' }]);
    expect(await pipe('Once', { maxNewTokens: 5, returnFullText: false })).toEqual([{ generated_text: ' upon' }]);
    const both = (await pipe(['Once', 'Twice'], { max_new_tokens: 3 })) as TextGenerationResult[][];
    expect(both).toEqual([[{ generated_text: 'Once up' }], [{ generated_text: 'Twice up' }]]);
    // default max_new_tokens 20
    expect((await pipe('x'))[0]!.generated_text).toBe('x' + ' upon a time upon a time'.slice(0, 20));
    expect([m.started, m.closed]).toEqual([6, 6]);
  });

  test('snake_case and camelCase options give the same text, that of generate', async () => {
    const m = new ToyGen(letters);
    const pipe = pipeline('text-generation', m);
    const snake = await pipe('the cat', {
      max_new_tokens: 30,
      do_sample: true,
      top_k: 5,
      top_p: 0.9,
      temperature: 0.8,
      repetition_penalty: 1.3,
      no_repeat_ngram_size: 3,
      seed: 4,
      return_full_text: false,
    });
    const o = {
      maxNewTokens: 30,
      doSample: true,
      topK: 5,
      topP: 0.9,
      temperature: 0.8,
      repetitionPenalty: 1.3,
      noRepeatNgramSize: 3,
      seed: 4,
    };
    const camel = await pipe('the cat', { ...o, returnFullText: false });
    expect(camel).toEqual(snake);
    expect(snake[0]!.generated_text).toBe(decodeNew(m, 'the cat', { ...o, eosTokenId: EOS }));
    expect(snake[0]!.generated_text).toHaveLength(30);
    const other = await pipe('the cat', { ...o, seed: 5, returnFullText: false });
    expect(other).not.toEqual(snake);
  });

  test("stops at the tokenizer's eos (not shown), unless eos_token_id says otherwise", async () => {
    const script = [...bytes(' the end'), EOS, ...bytes(' more')];
    const pipe = pipeline('text-generation', new ToyGen(spelling(script)));
    expect(await pipe('This is', { max_new_tokens: 30 })).toEqual([{ generated_text: 'This is the end' }]);
    expect(await pipe('This is', { max_new_tokens: 14, eos_token_id: null })).toEqual([
      { generated_text: 'This is the end more' },
    ]);
    expect(await pipe('This is', { max_new_tokens: 30, eosTokenId: bytes('n')[0] })).toEqual([
      { generated_text: 'This is the en' },
    ]);
    expect(await pipe('This is', { max_new_tokens: 30, min_new_tokens: 10 })).toEqual([
      // the stop token banned for 10 tokens: the runner-up at the 9th is id 0 (all logits 0 but the stop's)
      { generated_text: 'This is the end\u0000 more the end' },
    ]);
  });

  test('an empty prompt starts from the eos token, as Hugging Face', async () => {
    const m = new ToyGen(spelling(bytes('hello')));
    const pipe = pipeline('text-generation', m);
    expect(await pipe('', { max_new_tokens: 5 })).toEqual([{ generated_text: 'hello' }]);
  });

  test('signal: an abort ends the generation with the text so far', async () => {
    const c = new AbortController();
    c.abort();
    const pipe = pipeline('text-generation', new ToyGen(spelling(bytes('abc'))));
    expect(await pipe('x', { signal: c.signal })).toEqual([{ generated_text: 'x' }]);
  });

  test('dispose frees the model', () => {
    const m = new ToyGen(letters);
    pipeline('text-generation', m).dispose();
    expect(m.disposedModel).toBe(1);
  });
});

describe('stream', () => {
  const TEXT = ' héllo wörld — €5 😀👍🏽 ok';

  test('pieces arrive as tokens do, never split a character, and join into the continuation', async () => {
    const script = bytes(TEXT);
    const m = new ToyGen(spelling(script));
    const pipe = pipeline('text-generation', m);
    const pieces: string[] = [];
    for await (const piece of pipe.stream('Say', { max_new_tokens: script.length })) pieces.push(piece);
    expect(pieces.join('')).toBe(TEXT);
    const [whole] = await pipe('Say', { max_new_tokens: script.length, return_full_text: false });
    expect(pieces.join('')).toBe(whole!.generated_text);
    for (const p of pieces) {
      expect(p).not.toContain('\uFFFD');
      expect(p.length).toBeGreaterThan(0);
    }
    // one piece per complete character: the multi-byte ones were held back until whole
    expect(pieces).toEqual(Array.from(TEXT));
    expect(m.closed).toBe(m.started);
  });

  test('an invalid byte sequence is shown (U+FFFD) once the text goes on, and at the end', async () => {
    const script = [0xe2, 0x82, ...bytes('a'), 0xf0];
    const pipe = pipeline('text-generation', new ToyGen(spelling(script)));
    const pieces: string[] = [];
    for await (const piece of pipe.stream('>', { max_new_tokens: 4 })) pieces.push(piece);
    expect(pieces).toEqual(['\uFFFDa', '\uFFFD']);
    expect(await pipe('>', { max_new_tokens: 4, return_full_text: false })).toEqual([
      { generated_text: '\uFFFDa\uFFFD' },
    ]);
  });

  test('break frees the session; sampled streams equal the call', async () => {
    const m = new ToyGen(letters);
    const pipe = pipeline('text-generation', m);
    let n = 0;
    for await (const piece of pipe.stream('go', { max_new_tokens: 40 })) {
      expect(typeof piece).toBe('string');
      if (++n === 3) break;
    }
    expect([m.started, m.closed]).toEqual([1, 1]);
    const o = { max_new_tokens: 25, do_sample: true, seed: 9 };
    const pieces: string[] = [];
    for await (const piece of pipe.stream('go', o)) pieces.push(piece);
    expect(pieces.join('')).toBe((await pipe('go', { ...o, return_full_text: false }))[0]!.generated_text);
  });
});

describe('errors', () => {
  const m = new ToyGen(letters, 16);
  const pipe = pipeline('text-generation', m);
  const bad: [Record<string, unknown>, RegExp | string][] = [
    [{ max_new_tokens: -1 }, "pipeline('text-generation'): options.max_new_tokens must be an integer >= 0, got -1"],
    [{ maxNewTokens: 1.5 }, 'options.maxNewTokens must be an integer >= 0, got 1.5'],
    [{ top_p: 2 }, 'options.top_p must be a finite number in [0, 1], got 2'],
    [{ do_sample: 'yes' }, 'options.do_sample must be a boolean, got "yes"'],
    [{ eos_token_id: 300 }, 'options.eos_token_id must be an integer in [0, 256], got 300'],
    [{ return_full_text: 1 }, 'options.return_full_text must be a boolean, got number 1'],
    [{ max_new_tokens: 2, maxNewTokens: 2 }, "options must have one of 'max_new_tokens' and 'maxNewTokens', got both"],
    [
      { top_kk: 2 },
      "options must have only the keys max_new_tokens, min_new_tokens, do_sample, temperature, top_k, top_p, repetition_penalty, no_repeat_ngram_size, eos_token_id, seed, signal, use_cache, suppress_tokens, return_full_text (or their camelCase names), got 'top_kk'; did you mean 'top_k'?",
    ],
    [{ topk: 2 }, "got 'topk'; did you mean 'top_k'?"],
    [{ batch_size: 2 }, /got 'batch_size'/],
    [{ max_new_tokens: 14 }, "prompt length + max_new_tokens must be at most the model's maxLength 16, got 3 + 14"],
  ];
  for (const [o, msg] of bad) {
    test(`${JSON.stringify(o)} → ArgumentError (call and stream)`, async () => {
      await expect(pipe('abc', o)).rejects.toThrow(ArgumentError);
      await expect(pipe('abc', o)).rejects.toThrow(msg);
      expect(() => pipe.stream('abc', o)).toThrow(msg);
    });
  }

  test('inputs, model and tokenizer', async () => {
    await expect(pipe([] as never)).rejects.toThrow(
      "pipeline('text-generation'): texts must be a string or a non-empty array of strings, got an array of 0",
    );
    await expect(pipe(['a', 3] as never)).rejects.toThrow('texts[1] must be a string, got number 3');
    expect(() => pipe.stream(['a'] as never)).toThrow("pipeline('text-generation').stream: text must be a string");
    expect(() => pipeline('text-generation', {} as never)).toThrow(
      'pipeline: model must be a CausalLM (with startSession, vocabSize, maxLength), got Object {}',
    );
    const none = new ToyGen(letters);
    none.tokenizer = null;
    expect(() => pipeline('text-generation', none)).toThrow(
      'pipeline: options.tokenizer must be given when the model has none (model.tokenizer is null), got none',
    );
    expect(pipeline('text-generation', none, { tokenizer: new ByteTokenizer() }).tokenizer).toBeInstanceOf(
      ByteTokenizer,
    );
    expect(() => pipeline('text-generation', none, { tokenizer: {} as never })).toThrow(
      'pipeline: options.tokenizer must be a tokenizer with encode and decode, got Object {}',
    );
    expect(() => pipeline('text-generation', none, { tokenizer: new ByteTokenizer(), batch_size: 2 } as never)).toThrow(
      "got 'batch_size'",
    );
    const small = new ToyGen(letters);
    Object.defineProperty(small, 'vocabSize', { value: 200 });
    expect(() => pipeline('text-generation', small)).toThrow(
      "pipeline: the tokenizer must have at most the model's vocabSize (200) tokens, got 257",
    );
    expect(() => pipeline('summarization' as never, m)).toThrow(
      "pipeline: task must be one of 'fill-mask', 'feature-extraction', 'text-classification', 'token-classification' (BERT models), 'text-generation' (a CausalLM) or the aliases",
    );
    expect(m.started).toBe(m.closed);
  });
});

describe('over GPT2LMHeadModel with a ByteLevelBPE tokenizer', () => {
  test('generated_text = prompt + decode(generate(encode(prompt))); the stream joins into it', async () => {
    const tok = ByteLevelBPE.train('the cat sat on the mat. the dog sat on the log. héllo wörld 😀 ', {
      vocabSize: 280,
      minFrequency: 1,
    });
    const m = new GPT2LMHeadModel(
      { vocabSize: tok.size, nPositions: 48, nEmbd: 16, nLayer: 2, nHead: 2, initializerRange: 0.2 },
      { seed: 5 },
    ).eval();
    m.tokenizer = tok;
    const pipe = pipeline('text-generation', m);
    try {
      const o = { max_new_tokens: 20, do_sample: true, seed: 3, top_k: 0 };
      const ids = generate(m, tok.encode('the cat').ids, {
        maxNewTokens: 20,
        doSample: true,
        seed: 3,
        topK: 0,
        eosTokenId: tok.eosTokenId!,
      });
      const continuation = tok.decode(ids, { skipSpecialTokens: true });
      expect(continuation.length).toBeGreaterThan(0);
      expect(await pipe('the cat', o)).toEqual([{ generated_text: 'the cat' + continuation }]);
      const pieces: string[] = [];
      for await (const piece of pipe.stream('the cat', o)) pieces.push(piece);
      expect(pieces.join('')).toBe(continuation);
      for (const p of pieces) expect(p).not.toMatch(/\uFFFD$/);
      const greedy = await pipe('héllo', { max_new_tokens: 9, use_cache: false, return_full_text: false });
      expect(greedy).toEqual(await pipe('héllo', { max_new_tokens: 9, return_full_text: false }));
    } finally {
      pipe.dispose();
    }
  });
});
