// Node-only checks of the data path: MD5 against node:crypto.
import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { md5Hex } from '../../src/data/md5.js';

describe('md5 = node:crypto', () => {
  test('2000 strings of every length 0..399, ASCII and multi-byte, and raw bytes', () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const alphabet = 'abcXYZ019 /\n\té漢🙂';
    for (let i = 0; i < 2000; i++) {
      const len = i % 400;
      let s = '';
      for (let j = 0; j < len; j++) s += [...alphabet][next() % [...alphabet].length];
      expect(md5Hex(s), s).toBe(createHash('md5').update(s, 'utf8').digest('hex'));
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = next() & 255;
      expect(md5Hex(bytes)).toBe(createHash('md5').update(bytes).digest('hex'));
    }
  });
});
