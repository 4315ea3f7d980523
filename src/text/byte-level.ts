/**
 * GPT-2's byte-level layer: the reversible byte ↔ unicode alphabet (every byte
 * 0..255 maps to one printable character, `' '` → `'Ġ'`, `'\n'` → `'Ċ'`) and the
 * pre-tokenizer regex of GPT-2 / Hugging Face's `ByteLevel` pre-tokenizer.
 * Browser-safe, no dependencies.
 */

/** `BYTE_TO_CHAR[b]`: the character that stands for byte b (GPT-2's `bytes_to_unicode`). */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCodePoint(printable ? b : 256 + n++);
  }
  return out;
})();

/** The inverse of {@link BYTE_TO_CHAR}: character → byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The 256 characters of the byte-level alphabet, sorted by code point (the order of a trained vocabulary). */
export function byteLevelAlphabet(): string[] {
  return BYTE_TO_CHAR.slice().sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/**
 * GPT-2's pre-tokenizer regex: the lower-case contractions 's 't 're 've 'm 'll 'd,
 * an optional space before a run of letters, of digits or of other symbols, and
 * whitespace runs (`\s+(?!\S)` leaves the last space to the next word). Whitespace
 * is Unicode White_Space, as Oniguruma's `\s` in Hugging Face's tokenizers (so
 * U+0085 is whitespace and U+FEFF is not).
 */
export const GPT2_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/**
 * Split a text the way the `ByteLevel` pre-tokenizer does: `[start, end)` UTF-16
 * ranges of the regex matches (and of any gap between them, kept as its own piece).
 */
export function gpt2Split(text: string): [number, number][] {
  const out: [number, number][] = [];
  const re = GPT2_PATTERN;
  re.lastIndex = 0;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) out.push([last, m.index]);
    out.push([m.index, m.index + m[0].length]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push([last, text.length]);
  return out;
}

/** UTF-8 bytes of a code point (a lone surrogate encodes as U+FFFD, as TextEncoder). */
export function utf8Bytes(cp: number, out: number[]): void {
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) out.push(cp);
  else if (cp < 0x800) out.push(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  else if (cp < 0x10000) out.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  else out.push(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
}

/** A text's bytes in the byte-level alphabet: `'héllo'` → `'hÃ©llo'`. */
export function toByteLevel(text: string): string {
  const bytes: number[] = [];
  for (const ch of text) utf8Bytes(ch.codePointAt(0)!, bytes);
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b]!;
  return s;
}
