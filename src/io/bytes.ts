/**
 * Little-endian byte reader and writer for the binary model formats. The reader
 * checks every read against the end of the buffer and throws a FormatError that
 * names the byte offset and what was expected there.
 */
import { FormatError } from '../core/errors.js';

const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });
const ENCODER = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return ENCODER.encode(s);
}

/** Decode UTF-8 bytes (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Uint8Array): string {
  return UTF8.decode(bytes);
}

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

/** Sequential little-endian reader over a Uint8Array; `fn` names the caller in errors. */
export class ByteReader {
  readonly view: DataView;
  offset = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly fn: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** A FormatError at `offset` (default: the current one). */
  error(what: string, got: string, offset = this.offset): FormatError {
    return new FormatError(`${this.fn}: bytes at offset ${offset} must be ${what}, got ${got}`);
  }

  /** Throw unless `n` bytes remain. */
  need(n: number, what: string): void {
    if (this.remaining < n) {
      throw this.error(what, `end of data (${this.remaining} of ${n} bytes left, file is ${this.bytes.length} bytes)`);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++]!;
  }

  i8(what: string): number {
    this.need(1, what);
    return this.view.getInt8(this.offset++);
  }

  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.offset, true);
    this.offset += 4;
    return v;
  }

  /** An int64 that must fit a JS number exactly. */
  i64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigInt64(this.offset, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw this.error(what, `${v} (outside the safe integer range)`);
    }
    this.offset += 8;
    return Number(v);
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** `n` little-endian float32 values, copied. */
  f32s(n: number, what: string): Float32Array {
    this.need(n * 4, what);
    const out = new Float32Array(n);
    if (LITTLE_ENDIAN) {
      // a byte copy at any alignment: getFloat32 would quiet signalling NaNs
      new Uint8Array(out.buffer).set(this.bytes.subarray(this.offset, this.offset + n * 4));
    } else {
      for (let i = 0; i < n; i++) out[i] = this.view.getFloat32(this.offset + 4 * i, true);
    }
    this.offset += n * 4;
    return out;
  }

  /** Bytes up to (not including) the next `stop` byte, which is consumed; error at the end of data. */
  until(stop: number, what: string): Uint8Array {
    const end = this.bytes.indexOf(stop, this.offset);
    if (end < 0) throw this.error(what, 'end of data before the terminator');
    const out = this.bytes.subarray(this.offset, end);
    this.offset = end + 1;
    return out;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Growable little-endian writer. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(Math.max(16, capacity));
    this.view = new DataView(this.buf.buffer);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v & 0xff;
  }

  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }

  i64(v: number): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(v), true);
    this.length += 8;
  }

  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  f32s(a: Float32Array): void {
    this.reserve(a.length * 4);
    if (LITTLE_ENDIAN) {
      this.buf.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), this.length);
    } else {
      for (let i = 0; i < a.length; i++) this.view.setFloat32(this.length + 4 * i, a[i]!, true);
    }
    this.length += a.length * 4;
  }

  /** The written bytes (a copy trimmed to length). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
