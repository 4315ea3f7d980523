// MD5 against the RFC 1321 test suite (appendix A.5), plus padding edges.
import { describe, expect, test } from 'vitest';
import { md5, md5Hex } from '../../src/data/md5.js';

const RFC1321: [string, string][] = [
  ['', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['a', '0cc175b9c0f1b6a831c399e269772661'],
  ['abc', '900150983cd24fb0d6963f7d28e17f72'],
  ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
  ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
  ['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789', 'd174ab98d277d9f5a5611c2c9f419d9f'],
  ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
];

describe('md5', () => {
  for (const [input, hex] of RFC1321) {
    test(`RFC 1321: md5("${input.length > 20 ? input.slice(0, 20) + '...' : input}")`, () => {
      expect(md5Hex(input)).toBe(hex);
    });
  }
  test('a string is hashed as its UTF-8 bytes', () => {
    const s = 'naïve 漢字 🙂';
    expect(md5Hex(s)).toBe(md5Hex(new TextEncoder().encode(s)));
    expect(md5(s)).toHaveLength(16);
  });
  test('padding edges: 55, 56, 63, 64, 65 bytes are all distinct and stable', () => {
    const seen = new Set<string>();
    for (const n of [55, 56, 63, 64, 65, 119, 120]) {
      const h = md5Hex('a'.repeat(n));
      expect(h).toMatch(/^[0-9a-f]{32}$/);
      expect(md5Hex('a'.repeat(n))).toBe(h);
      seen.add(h);
    }
    expect(seen.size).toBe(7);
  });
});
