/**
 * The word tokenizer of fastText and word2vec, streaming.
 *
 * Tokens are maximal runs of characters other than the seven whitespace bytes
 * ' ', '\n', '\r', '\t', '\v', '\f', '\0'. Every '\n' also yields the
 * end-of-sentence token `</s>` (after the token it ends, if any), as both
 * native tools do; the end of the input yields the last token but no `</s>`.
 * The whitespace bytes are ASCII, so splitting decoded text is the same as
 * splitting UTF-8 bytes. Bytes are decoded as `wordFromBytes` does (./word-bytes.ts):
 * valid UTF-8 as usual, each byte of invalid UTF-8 (Latin-1 text, say) as the
 * escape U+DC80 + (byte − 0x80), so tokens keep their bytes as the native tools
 * do (`wordBytes` gives them back; fastText's n-gram hashes use them). A
 * byte-order mark is kept, as part of the first token, like the native tools and
 * like a string source.
 *
 * Sources are read chunk by chunk and never joined into one string: a token
 * or a multi-byte character may straddle chunk boundaries.
 */
import { describe } from '../core/check.js';
import { ArgumentError } from '../core/errors.js';
import { wordFromBytes } from './word-bytes.js';

/** The end-of-sentence token, emitted for each '\n'. */
export const EOS = '</s>';

/** One chunk of text: a string, or UTF-8 bytes. */
export type TextChunk = string | Uint8Array;

/**
 * Text to tokenize: a string, UTF-8 bytes, an (async) iterable of chunks
 * (a Node stream, a generator), or a web `ReadableStream` of chunks.
 */
export type TextSource =
  string | Uint8Array | Iterable<TextChunk> | AsyncIterable<TextChunk> | ReadableStream<TextChunk>;

// 1 for the seven whitespace character codes (all below 33).
const WS = new Uint8Array(33);
for (const c of [32, 10, 13, 9, 11, 12, 0]) WS[c] = 1;

// Long strings are scanned in slices of this many characters, so a batch of
// tokens stays small however large the input string is.
const SLICE = 1 << 16;

/**
 * The tokenizer's state between chunks: the start of a token that the last
 * chunk ended inside. `push` appends the complete tokens of a chunk to `out`;
 * `end` flushes the last token.
 */
export class TokenSplitter {
  private pending = '';

  push(text: string, out: string[]): void {
    const n = text.length;
    let start = 0;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 32 || WS[c] === 0) continue;
      if (start < i) {
        out.push(this.pending === '' ? text.slice(start, i) : this.pending + text.slice(start, i));
        this.pending = '';
      } else if (this.pending !== '') {
        out.push(this.pending);
        this.pending = '';
      }
      if (c === 10) out.push(EOS);
      start = i + 1;
    }
    if (start < n) this.pending += text.slice(start);
  }

  end(out: string[]): void {
    if (this.pending !== '') out.push(this.pending);
    this.pending = '';
  }
}

/** All tokens of a (small) string, `</s>` for each '\n'. */
export function tokenizeString(s: string): string[] {
  const out: string[] = [];
  const t = new TokenSplitter();
  t.push(s, out);
  t.end(out);
  return out;
}

/** Whether bytes[i..end) is a proper prefix of a valid UTF-8 sequence (a character cut by the end). */
function cutCharacter(b: Uint8Array, i: number, end: number): boolean {
  const c = b[i]!;
  const need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (need <= end - i) return false;
  for (let k = i + 1; k < end; k++) {
    const lo = k > i + 1 ? 0x80 : c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = k > i + 1 ? 0xbf : c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    if (b[k]! < lo || b[k]! > hi) return false;
  }
  return true;
}

/**
 * Where bytes[start..end) can be cut so that decoding the two parts apart equals decoding them
 * together: before a character the end cuts in two, else at `end`. (A decision at an earlier
 * byte never looks past such a cut: a lead byte there is not a continuation byte.)
 */
function safeCut(b: Uint8Array, start: number, end: number): number {
  for (let i = Math.max(start, end - 3); i < end; i++) if (cutCharacter(b, i, end)) return i;
  return end;
}

/** A streaming `wordFromBytes`: the bytes of a character split across chunks wait for the next chunk. */
class ByteTextDecoder {
  private carry: Uint8Array | undefined;

  /** The text of `chunk` (after the bytes held back), in pieces of at most `slice` bytes. */
  *decode(chunk: Uint8Array, slice: number): Generator<string> {
    let b = chunk;
    if (this.carry) {
      b = new Uint8Array(this.carry.length + chunk.length);
      b.set(this.carry);
      b.set(chunk, this.carry.length);
      this.carry = undefined;
    }
    for (let i = 0; i < b.length;) {
      const end = safeCut(b, i, Math.min(b.length, i + slice));
      if (end === i) {
        // fewer than 4 bytes: a character cut by the end of the chunk
        this.carry = b.slice(i);
        return;
      }
      yield wordFromBytes(b.subarray(i, end));
      i = end;
    }
  }

  /** The held-back bytes at the end of the input (an incomplete character: escaped bytes). */
  end(): string {
    const s = this.carry ? wordFromBytes(this.carry) : '';
    this.carry = undefined;
    return s;
  }
}

function isReadableStream(x: unknown): x is ReadableStream<TextChunk> {
  return typeof ReadableStream !== 'undefined' && x instanceof ReadableStream;
}

/** The chunks of a source, as they come (strings or bytes). */
export async function* textChunks(source: TextSource, fn = 'tokenize'): AsyncGenerator<TextChunk> {
  if (typeof source === 'string' || source instanceof Uint8Array) {
    yield source;
  } else if (isReadableStream(source)) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  } else if (source != null && (Symbol.asyncIterator in Object(source) || Symbol.iterator in Object(source))) {
    for await (const chunk of source as AsyncIterable<TextChunk>) yield chunk;
  } else {
    throw new ArgumentError(
      `${fn}: source must be a string, Uint8Array, (async) iterable of chunks or ReadableStream, got ${describe(source)}`,
    );
  }
}

/**
 * The tokens of `source` in batches: one array per slice of input (never
 * empty), in order. The fast path for consumers that count or encode; see
 * `tokenize` for one token at a time.
 */
export async function* tokenizeBatches(source: TextSource, fn = 'tokenize'): AsyncGenerator<string[]> {
  const splitter = new TokenSplitter();
  let decoder: ByteTextDecoder | undefined;
  let out: string[] = [];
  const pushString = function* (s: string): Generator<string[]> {
    for (let i = 0; i < s.length; i += SLICE) {
      splitter.push(s.length <= SLICE ? s : s.slice(i, i + SLICE), out);
      if (out.length > 0) {
        yield out;
        out = [];
      }
    }
  };
  for await (const chunk of textChunks(source, fn)) {
    if (typeof chunk === 'string') {
      if (decoder) yield* pushString(decoder.end());
      decoder = undefined;
      yield* pushString(chunk);
    } else if (chunk instanceof Uint8Array) {
      decoder ??= new ByteTextDecoder();
      for (const text of decoder.decode(chunk, SLICE)) yield* pushString(text);
    } else {
      throw new ArgumentError(`${fn}: each chunk must be a string or Uint8Array, got ${describe(chunk)}`);
    }
  }
  if (decoder) yield* pushString(decoder.end());
  splitter.end(out);
  if (out.length > 0) yield out;
}

/**
 * The tokens of `source` one at a time, `</s>` for each '\n'. The source is
 * read chunk by chunk: a 1 GB file streams in constant memory.
 */
export async function* tokenize(source: TextSource): AsyncGenerator<string> {
  for await (const batch of tokenizeBatches(source)) yield* batch;
}
