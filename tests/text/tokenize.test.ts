// The fastText/word2vec tokenizer: whitespace set, </s> per '\n', streaming over
// chunks split at every byte boundary.
import { describe, expect, test } from 'vitest';
import { ArgumentError } from '../../src/core/errors.js';
import { EOS, tokenize, tokenizeBatches, tokenizeString } from '../../src/text/tokenize.js';

async function collect(src: Parameters<typeof tokenize>[0]): Promise<string[]> {
  const out: string[] = [];
  for await (const t of tokenize(src)) out.push(t);
  return out;
}

const SAMPLE = 'Héllo  wörld\tfoo\r\nbar\v\fbaz\0qux\n\n  漢字 🙂 __label__x\nlast';
const SAMPLE_TOKENS = [
  'Héllo',
  'wörld',
  'foo',
  EOS,
  'bar',
  'baz',
  'qux',
  EOS,
  EOS,
  '漢字',
  '🙂',
  '__label__x',
  EOS,
  'last',
];

describe('tokenizeString', () => {
  test('splits on the seven whitespace bytes; each \\n yields </s> after its token', () => {
    expect(tokenizeString(SAMPLE)).toEqual(SAMPLE_TOKENS);
  });
  test('no </s> at the end without a newline; leading/trailing whitespace ignored', () => {
    expect(tokenizeString('  a b  ')).toEqual(['a', 'b']);
    expect(tokenizeString('a\n')).toEqual(['a', EOS]);
    expect(tokenizeString('\n')).toEqual([EOS]);
    expect(tokenizeString('')).toEqual([]);
    expect(tokenizeString('\r\n\r\n')).toEqual([EOS, EOS]);
  });
  test('other Unicode spaces are not separators (as in fastText)', () => {
    expect(tokenizeString('a\u00a0b\u2003c')).toEqual(['a\u00a0b\u2003c']);
  });
});

describe('tokenize (streaming)', () => {
  test('a string source', async () => {
    expect(await collect(SAMPLE)).toEqual(SAMPLE_TOKENS);
  });

  test('UTF-8 bytes split at every byte boundary into 2 and 3 chunks', async () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    for (let i = 0; i <= bytes.length; i++) {
      expect(await collect([bytes.subarray(0, i), bytes.subarray(i)]), `split at ${i}`).toEqual(SAMPLE_TOKENS);
      const j = Math.min(bytes.length, i + 3);
      expect(await collect([bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)])).toEqual(SAMPLE_TOKENS);
    }
  });

  test('one-byte chunks, and string chunks split at every character', async () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    expect(await collect(Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1)))).toEqual(SAMPLE_TOKENS);
    for (let i = 0; i <= SAMPLE.length; i++) {
      expect(await collect([SAMPLE.slice(0, i), SAMPLE.slice(i)])).toEqual(SAMPLE_TOKENS);
    }
  });

  test('an async generator of chunks and a web ReadableStream', async () => {
    const bytes = new TextEncoder().encode(SAMPLE);
    async function* gen() {
      for (let i = 0; i < bytes.length; i += 5) yield bytes.subarray(i, i + 5);
    }
    expect(await collect(gen())).toEqual(SAMPLE_TOKENS);
    let pos = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (pos >= bytes.length) return c.close();
        c.enqueue(bytes.slice(pos, pos + 7));
        pos += 7;
      },
    });
    expect(await collect(stream)).toEqual(SAMPLE_TOKENS);
  });

  test('mixed string and byte chunks', async () => {
    const enc = new TextEncoder();
    expect(await collect([enc.encode('ab c'), 'd e\n', enc.encode('f')])).toEqual(['ab', 'cd', 'e', EOS, 'f']);
  });

  test('a long generated text in many small chunks = tokenizeString', async () => {
    const words = ['the', 'über', 'naïve', '東京', 'a', '🙂x', '__label__k'];
    const seps = [' ', '\n', '  ', '\t', '\r\n', '\n\n'];
    let s = '';
    let seed = 7;
    for (let i = 0; i < 3000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      s += words[seed % words.length]! + seps[(seed >>> 8) % seps.length]!;
    }
    const want = tokenizeString(s);
    const bytes = new TextEncoder().encode(s);
    const chunks: Uint8Array[] = [];
    for (let i = 0, k = 1; i < bytes.length; i += k, k = (k % 13) + 1) chunks.push(bytes.subarray(i, i + k));
    expect(await collect(chunks)).toEqual(want);
    const batches: string[][] = [];
    for await (const b of tokenizeBatches(chunks)) batches.push(b);
    expect(batches.every((b) => b.length > 0)).toBe(true);
    expect(batches.flat()).toEqual(want);
  });

  test('a string longer than one scan slice', async () => {
    const s = 'ab '.repeat(50000) + 'end';
    const got = await collect(s);
    expect(got.length).toBe(50001);
    expect(got.at(-1)).toBe('end');
  });

  test('a byte-order mark stays in the first token, for bytes as for strings', async () => {
    const s = '\ufeffhello world';
    expect(await collect(new TextEncoder().encode(s))).toEqual(['\ufeffhello', 'world']);
    expect(await collect(s)).toEqual(['\ufeffhello', 'world']);
  });

  test('a bad source or chunk is an ArgumentError', async () => {
    await expect(collect(42 as never)).rejects.toThrow(ArgumentError);
    await expect(collect([1, 2] as never)).rejects.toThrow(/each chunk must be a string or Uint8Array/);
  });
});
