/**
 * Little-endian byte reader and writer for the binary model formats. The reader
 * checks every read against the end of the buffer and throws a FormatError that
 * names the byte offset and what was expected there.
 */
import { FormatError } from '../core/errors.js';

const ENCODER = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(s: string): Uint8Array {
  return ENCODER.encode(s);
}

export { wordBytes, wordFromBytes } from '../text/word-bytes.js';

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
