/**
 * Words as bytes, the way fastText and word2vec store them: `wordFromBytes` decodes valid UTF-8
 * as usual and keeps each byte of an invalid sequence as a lone surrogate, `wordBytes` gives the
 * exact bytes back. In text/ because the n-gram hashing (subwords.ts) and the tokenizer need it
 * below the file formats of io/.
 */
const ENCODER = new TextEncoder();
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** Code points U+DC80..U+DCFF stand for the raw bytes 0x80..0xFF that are not valid UTF-8. */
const ESCAPE_BASE = 0xdc00;
const HAS_ESCAPE = /[\udc80-\udcff]/;

/**
 * Decode the bytes of a word, keeping every byte: valid UTF-8 decodes as usual, and each byte
 * of an invalid sequence becomes the lone surrogate U+DC80 + (byte − 0x80), as Python's
 * `surrogateescape` does. fastText and word2vec treat words as bytes; `wordBytes` gives the
 * exact bytes back, so distinct words stay distinct and n-gram hashes match the native tools.
 */
export function wordFromBytes(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return decodeEscaped(bytes);
  }
}

/** The bytes of a word read by `wordFromBytes` (plain UTF-8 for any other string). */
export function wordBytes(s: string): Uint8Array {
  if (!HAS_ESCAPE.test(s)) return ENCODER.encode(s);
  const parts: Uint8Array[] = [];
  let n = 0;
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc80 || c > 0xdcff) continue;
    // an escaped byte unless it is the low half of a surrogate pair
    if (i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff) continue;
    const head = ENCODER.encode(s.slice(from, i));
    parts.push(head, Uint8Array.of(c - ESCAPE_BASE));
    n += head.length + 1;
    from = i + 1;
  }
  const tail = ENCODER.encode(s.slice(from));
  parts.push(tail);
  n += tail.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Length of the valid UTF-8 sequence at `i` (0 when the bytes there are not one). */
function utf8SequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf; // no UTF-16 surrogates
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

function decodeEscaped(bytes: Uint8Array): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < bytes.length;) {
    const n = utf8SequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += STRICT_UTF8.decode(bytes.subarray(from, i)) + String.fromCharCode(ESCAPE_BASE + bytes[i]!);
    i++;
    from = i;
  }
  return out + STRICT_UTF8.decode(bytes.subarray(from));
}
