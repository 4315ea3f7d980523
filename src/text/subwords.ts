/**
 * fastText's subword and word-n-gram hashing, byte for byte.
 *
 * A word is wrapped as `<word>` and cut into character n-grams of `minn..maxn`
 * characters (UTF-8 characters: an n-gram starts only at a byte that is not a
 * continuation byte 10xxxxxx, and n counts characters, not bytes). The lone `<`
 * and `>` are skipped (n = 1 at the start or the end), but the whole `<word>` is
 * an n-gram when it has at most `maxn` characters; `maxn = 0` gives none. Each
 * n-gram's row is `nwords + hash(ngram) % bucket`.
 *
 * The hash is 32-bit FNV-1a over the word's bytes, with fastText's quirk: each
 * byte is sign-extended as int8 before the xor, so bytes >= 0x80 xor in
 * 0xFFFFFFxx. ASCII strings hash as in standard FNV-1a; non-ASCII ones do not.
 *
 * A word's bytes are `wordBytes(word)`: its UTF-8, except that the escapes
 * U+DC80..U+DCFF of `wordFromBytes` (a byte of invalid UTF-8, e.g. a Latin-1
 * word read from a native `.bin` or from raw text) stand for the byte itself, so
 * n-grams and hashes are those native fastText computes on the same bytes.
 */
import { ArgumentError } from '../core/errors.js';
import { wordBytes, wordFromBytes } from './word-bytes.js';

/** The begin-of-word marker of the character n-grams. */
export const BOW = '<';
/** The end-of-word marker of the character n-grams. */
export const EOW = '>';
export { EOS } from './tokenize.js';

const FNV_OFFSET = 2166136261;
const FNV_PRIME = 16777619;

/** fastText's hash of a string (its bytes, `wordBytes`) or of raw bytes: uint32. */
export function fastTextHash(s: string | Uint8Array, start = 0, end?: number): number {
  const bytes = typeof s === 'string' ? wordBytes(s) : s;
  const stop = end ?? bytes.length;
  let h = FNV_OFFSET;
  for (let i = start; i < stop; i++) {
    const b = bytes[i]!;
    // uint32(int8(b)): sign-extend bytes >= 0x80
    h = Math.imul((h ^ (b < 0x80 ? b : b | 0xffffff00)) >>> 0, FNV_PRIME) >>> 0;
  }
  return h;
}

function checkNgramArgs(fn: string, minn: number, maxn: number): void {
  if (!Number.isInteger(minn) || minn < 0) throw new ArgumentError(`${fn}: minn must be an integer >= 0, got ${minn}`);
  if (!Number.isInteger(maxn) || maxn < 0) throw new ArgumentError(`${fn}: maxn must be an integer >= 0, got ${maxn}`);
}

/**
 * Visit the n-grams of the wrapped word `<word>` (as byte ranges of `wrapped`)
 * in fastText's order: by start character, then by length.
 */
function forEachNgram(
  wrapped: Uint8Array,
  minn: number,
  maxn: number,
  visit: (start: number, end: number) => void,
): void {
  const len = wrapped.length;
  for (let i = 0; i < len; i++) {
    if ((wrapped[i]! & 0xc0) === 0x80) continue; // not a character start
    let j = i;
    for (let n = 1; j < len && n <= maxn; n++) {
      j++;
      while (j < len && (wrapped[j]! & 0xc0) === 0x80) j++;
      if (n >= minn && !(n === 1 && (i === 0 || j === len))) visit(i, j);
    }
  }
}

/**
 * Row ids of the character n-grams of `<word>`: `nwords + hash % bucket`, in
 * fastText's order. Does not include the word's own row (see `wordSubwords` in
 * src/models/fasttext-model.ts for that).
 */
export function computeSubwords(word: string, minn: number, maxn: number, bucket: number, nwords: number): number[] {
  checkNgramArgs('computeSubwords', minn, maxn);
  const out: number[] = [];
  if (maxn === 0) return out;
  if (!Number.isInteger(bucket) || bucket <= 0) {
    throw new ArgumentError(`computeSubwords: bucket must be an integer > 0 when maxn > 0, got ${bucket}`);
  }
  const wrapped = wordBytes(BOW + word + EOW);
  forEachNgram(wrapped, minn, maxn, (s, e) => out.push(nwords + (fastTextHash(wrapped, s, e) % bucket)));
  return out;
}

/** The character n-grams of `<word>` as strings, in the order of `computeSubwords`. */
export function ngramStrings(word: string, minn: number, maxn: number): string[] {
  checkNgramArgs('ngramStrings', minn, maxn);
  const out: string[] = [];
  const wrapped = wordBytes(BOW + word + EOW);
  forEachNgram(wrapped, minn, maxn, (s, e) => out.push(wordFromBytes(wrapped.subarray(s, e))));
  return out;
}

const K_NGRAM = 116049371; // < 2^27
const TWO32 = 4294967296;

/**
 * Append the word n-gram rows of a line (fastText's addWordNgrams): for each
 * start i and each j in (i, i + n), the rolling uint64 hash
 * `h = h * 116049371 + hashes[j]` (mod 2^64) starting from `hashes[i]`, row
 * `nwords + h % bucket`. `hashes` are the fastTextHash of the line's words;
 * fastText keeps them as int32, so each enters the uint64 sum sign-extended
 * (a hash >= 2^31 adds 2^64 - 2^32 + h). `n <= 1` adds nothing.
 * The uint64 is kept as two uint32 halves; every intermediate is an exact
 * double below 2^53 (checked against BigInt in tests/text/subwords.test.ts).
 */
export function addWordNgrams(
  ids: number[],
  hashes: ArrayLike<number>,
  n: number,
  bucket: number,
  nwords: number,
): void {
  if (n <= 1 || hashes.length < 2) return;
  if (!Number.isInteger(bucket) || bucket <= 0 || bucket >= 2 ** 31) {
    throw new ArgumentError(`addWordNgrams: bucket must be an integer in [1, 2^31) when wordNgrams > 1, got ${bucket}`);
  }
  for (let i = 0; i < hashes.length; i++) {
    let lo = hashes[i]! >>> 0;
    let hi = lo >= 0x80000000 ? 0xffffffff : 0;
    for (let j = i + 1; j < hashes.length && j < i + n; j++) {
      // (hi, lo) *= K: lo * K = (lh * K) * 2^16 + ll * K, with lh, ll the 16-bit halves of lo
      const q = (lo >>> 16) * K_NGRAM; // < 2^43
      const t = (q % 65536) * 65536 + (lo & 0xffff) * K_NGRAM; // < 2^44
      const carry = Math.floor(q / 65536) + Math.floor(t / TWO32);
      hi = (Math.imul(hi, K_NGRAM) + carry) >>> 0;
      lo = t % TWO32;
      // += the hash, sign-extended to 64 bits
      const x = hashes[j]! >>> 0;
      const sum = lo + x;
      const c = sum >= TWO32 ? 1 : 0;
      lo = sum - c * TWO32;
      hi = (hi + (x >= 0x80000000 ? 0xffffffff : 0) + c) >>> 0;
      // (hi * 2^32 + lo) % bucket, in steps that stay below 2^53
      let r = hi % bucket;
      r = (r * 65536) % bucket;
      r = (r * 65536) % bucket;
      ids.push(nwords + ((r + lo) % bucket));
    }
  }
}
