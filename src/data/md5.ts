/**
 * MD5 (RFC 1321), used only to split the SpamAssassin corpus deterministically.
 * Not for security. Pure TypeScript, so the split is the same in Node, browsers
 * and edge runtimes (Web Crypto has no MD5).
 */

// Per-round left-rotation amounts, four per round.
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

// K[i] = floor(abs(sin(i + 1)) * 2^32): computed once; Math.sin is exact enough
// for these 64 values (checked by the RFC test vectors).
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const encoder = new TextEncoder();

/** The 16-byte MD5 digest of `input` (a string is hashed as its UTF-8 bytes). */
export function md5(input: string | Uint8Array): Uint8Array {
  const data = typeof input === 'string' ? encoder.encode(input) : input;
  const n = data.length;
  // Padding: 0x80, zeros to 56 mod 64, then the bit length as 64-bit little-endian.
  const padded = new Uint8Array((((n + 8) >>> 6) + 1) << 6);
  padded.set(data);
  padded[n] = 0x80;
  const bits = n * 8;
  const dv = new DataView(padded.buffer);
  dv.setUint32(padded.length - 8, bits >>> 0, true);
  dv.setUint32(padded.length - 4, Math.floor(bits / 2 ** 32), true);

  let a0 = 0x67452301, b0 = 0xefcdab89 | 0, c0 = 0x98badcfe | 0, d0 = 0x10325476;
  const M = new Int32Array(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let j = 0; j < 16; j++) M[j] = dv.getInt32(off + 4 * j, true);
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      const round = i >> 4;
      if (round === 0) { f = (b & c) | (~b & d); g = i; }
      else if (round === 1) { f = (d & b) | (~d & c); g = (5 * i + 1) & 15; }
      else if (round === 2) { f = b ^ c ^ d; g = (3 * i + 5) & 15; }
      else { f = c ^ (b | ~d); g = (7 * i) & 15; }
      const s = SHIFTS[(round << 2) | (i & 3)]!;
      const t = (a + f + K[i]! + M[g]!) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((t << s) | (t >>> (32 - s)))) | 0;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new Uint8Array(16);
  const ov = new DataView(out.buffer);
  ov.setInt32(0, a0, true);
  ov.setInt32(4, b0, true);
  ov.setInt32(8, c0, true);
  ov.setInt32(12, d0, true);
  return out;
}

/** The MD5 digest of `input` as 32 lower-case hex digits. */
export function md5Hex(input: string | Uint8Array): string {
  const d = md5(input);
  let s = '';
  for (let i = 0; i < 16; i++) s += d[i]!.toString(16).padStart(2, '0');
  return s;
}
