// fastText's subword hashing. The pinned row ids below are the ones native
// fastText 0.9.2 uses (tests/node/fasttext-native.test.ts checks them live with
// print-ngrams on a model whose rows encode their own index: nwords 6, bucket 2000).
import { describe, expect, test } from 'vitest';
import { ArgumentError } from '../../src/core/errors.js';
import { addWordNgrams, computeSubwords, fastTextHash, ngramStrings } from '../../src/text/subwords.js';

/** Reference: FNV-1a over UTF-8 bytes, each byte sign-extended as int8, in BigInt. */
function refHash(s: string): number {
  let h = 2166136261n;
  for (const b of new TextEncoder().encode(s)) {
    const x = BigInt.asUintN(32, BigInt((b << 24) >> 24));
    h = BigInt.asUintN(32, (h ^ x) * 16777619n);
  }
  return Number(h);
}

/** Standard FNV-1a (no sign extension), to show the quirk matters. */
function stdFnv1a(s: string): number {
  let h = 2166136261n;
  for (const b of new TextEncoder().encode(s)) h = BigInt.asUintN(32, (h ^ BigInt(b)) * 16777619n);
  return Number(h);
}

describe('fastTextHash', () => {
  test('ASCII strings hash as standard 32-bit FNV-1a', () => {
    expect(fastTextHash('')).toBe(0x811c9dc5);
    expect(fastTextHash('a')).toBe(0xe40c292c);
    expect(fastTextHash('foobar')).toBe(0xbf9cf968);
    expect(fastTextHash('</s>')).toBe(3617362777);
  });

  test('non-ASCII bytes are sign-extended before the xor (fastText, not standard FNV-1a)', () => {
    const pinned: [string, number][] = [
      ['é', 1023043777],
      ['ß', 1325040919],
      ['日本', 4164387409],
      ['😀', 604031496],
    ];
    for (const [w, h] of pinned) {
      expect(fastTextHash(w), w).toBe(h);
      expect(refHash(w), w).toBe(h);
      expect(stdFnv1a(w), w).not.toBe(h);
    }
    for (const w of ['naïve', 'Zürich', '東京都', '👍🏽', 'ü'.repeat(40)]) expect(fastTextHash(w), w).toBe(refHash(w));
  });

  test('hashes raw bytes and byte ranges', () => {
    const b = new TextEncoder().encode('xcafé');
    expect(fastTextHash(b, 1)).toBe(fastTextHash('café'));
    expect(fastTextHash(b, 1, 4)).toBe(fastTextHash('caf'));
  });
});

describe('ngramStrings / computeSubwords', () => {
  test('n-grams of <café> (3..6): characters, not bytes; the whole <café> is one', () => {
    expect(ngramStrings('café', 3, 6)).toEqual([
      '<ca',
      '<caf',
      '<café',
      '<café>',
      'caf',
      'café',
      'café>',
      'afé',
      'afé>',
      'fé>',
    ]);
    expect(computeSubwords('café', 3, 6, 2000, 6)).toEqual([753, 1837, 645, 1193, 1667, 607, 1691, 368, 18, 1703]);
    const ids = ngramStrings('café', 3, 6).map((g) => 6 + (fastTextHash(g) % 2000));
    expect(computeSubwords('café', 3, 6, 2000, 6)).toEqual(ids);
  });

  test('pinned native ids for straße, 日本 and an emoji', () => {
    expect(computeSubwords('straße', 3, 6, 2000, 6)).toEqual([
      1658, 712, 527, 937, 758, 633, 1011, 462, 1916, 1382, 309, 953, 348, 335, 1579, 815, 1147, 1518,
    ]);
    expect(ngramStrings('日本', 3, 6)).toEqual(['<日本', '<日本>', '日本>']);
    expect(computeSubwords('日本', 3, 6, 2000, 6)).toEqual([593, 1765, 163]);
    expect(ngramStrings('😀', 3, 6)).toEqual(['<😀>']);
    expect(computeSubwords('😀', 3, 6, 2000, 6)).toEqual([426]);
  });

  test('the lone < and > are never n-grams; the full word only when it fits maxn', () => {
    expect(ngramStrings('a', 1, 6)).toEqual(['<a', '<a>', 'a', 'a>']);
    expect(ngramStrings('ab', 3, 3)).toEqual(['<ab', 'ab>']);
    expect(ngramStrings('ab', 3, 4)).toEqual(['<ab', '<ab>', 'ab>']);
    expect(ngramStrings('日本', 1, 2)).toEqual(['<日', '日', '日本', '本', '本>']);
    expect(ngramStrings('', 1, 6)).toEqual(['<>']);
    expect(ngramStrings('abcdefgh', 5, 5)).toEqual(['<abcd', 'abcde', 'bcdef', 'cdefg', 'defgh', 'efgh>']);
  });

  test('maxn 0 (or maxn < minn) gives no n-grams, whatever the bucket', () => {
    expect(computeSubwords('café', 0, 0, 0, 10)).toEqual([]);
    expect(ngramStrings('café', 3, 0)).toEqual([]);
    expect(computeSubwords('café', 5, 4, 100, 10)).toEqual([]);
  });

  test('bad arguments get ArgumentError', () => {
    expect(() => computeSubwords('a', -1, 3, 10, 0)).toThrow(ArgumentError);
    expect(() => computeSubwords('a', 1, 2.5, 10, 0)).toThrow(/maxn must be an integer >= 0, got 2.5/);
    expect(() => computeSubwords('a', 3, 6, 0, 0)).toThrow(/bucket must be an integer > 0 when maxn > 0, got 0/);
  });
});

describe('addWordNgrams', () => {
  /** Reference: hashes as int32 sign-extended to uint64, h = h * 116049371 + hash, mod 2^64. */
  function ref(hashes: number[], n: number, bucket: number, nwords: number): number[] {
    const out: number[] = [];
    const u = (h: number) => BigInt.asUintN(64, BigInt(h | 0));
    for (let i = 0; i < hashes.length; i++) {
      let h = u(hashes[i]!);
      for (let j = i + 1; j < Math.min(hashes.length, i + n); j++) {
        h = BigInt.asUintN(64, h * 116049371n + u(hashes[j]!));
        out.push(nwords + Number(h % BigInt(bucket)));
      }
    }
    return out;
  }
  const hashes = ['i', 'love', '日本', 'film', '</s>'].map((w) => fastTextHash(w));

  test('bigrams and trigrams: pinned ids and the BigInt reference', () => {
    const ids = [1, 2];
    addWordNgrams(ids, hashes, 3, 1000, 19);
    expect(ids).toEqual([1, 2, 832, 227, 319, 258, 697, 630, 685]);
    expect(ids.slice(2)).toEqual(ref(hashes, 3, 1000, 19));
    const bi: number[] = [];
    addWordNgrams(bi, hashes, 2, 2_000_000, 100);
    expect(bi).toEqual(ref(hashes, 2, 2_000_000, 100));
    expect(bi.length).toBe(4);
  });

  test('hashes >= 2^31 enter sign-extended (fastText keeps them as int32)', () => {
    const big = [0xffffffff, 0x80000000];
    const ids: number[] = [];
    addWordNgrams(ids, big, 2, 1_000_003, 0);
    // (2^64 - 1) * 116049371 + (2^64 - 2^31) mod 2^64 = -116049371 - 2^31 mod 2^64
    const h = BigInt.asUintN(64, -116049371n - 2147483648n);
    expect(ids).toEqual([Number(h % 1_000_003n)]);
  });

  test('random hashes and buckets up to 2^31 - 1 agree with the BigInt reference', () => {
    let x = 987654321;
    const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
    for (const bucket of [1, 7, 1000, 2_000_000, 2 ** 31 - 1, 1_999_999_973]) {
      const hs = Array.from({ length: 40 }, () => next());
      hs.push(0, 0xffffffff, 0x80000000, 0x7fffffff);
      const ids: number[] = [];
      addWordNgrams(ids, hs, 5, bucket, 3);
      expect(ids).toEqual(ref(hs, 5, bucket, 3));
    }
  });

  test('n <= 1 or a single word adds nothing; bucket 0 with n > 1 is an ArgumentError', () => {
    const ids: number[] = [];
    addWordNgrams(ids, hashes, 1, 1000, 0);
    addWordNgrams(ids, hashes.slice(0, 1), 3, 1000, 0);
    expect(ids).toEqual([]);
    expect(() => addWordNgrams([], hashes, 2, 0, 0)).toThrow(ArgumentError);
  });
});
