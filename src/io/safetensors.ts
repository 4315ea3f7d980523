/**
 * The safetensors format (Hugging Face), bytes in and bytes out, for every
 * runtime (no node:*):
 *   8 bytes   N, the header length, unsigned 64-bit little-endian
 *   N bytes   a UTF-8 JSON object { name: { dtype, shape, data_offsets: [begin, end] },
 *             "__metadata__": { key: string value } }, padded with spaces
 *   the rest  the data section: each tensor's elements, row-major, little-endian,
 *             at [begin, end) relative to the start of the section.
 * We write F32 and I32 in the order of Hugging Face's writer (F32 tensors, then
 * I32 tensors, each sorted by name in UTF-8 byte order), packed with no gaps,
 * the header padded with spaces so that the data starts at a multiple of 8:
 * the same bytes as safetensors' `serialize` for the same tensors and metadata.
 * We read F32 and I32 as they are, and F16, BF16, F64 (rounded to nearest)
 * into float32 and I64 into int32 (a FormatError when a value does not fit).
 * Decoding is eager: every tensor is copied into its own aligned typed array,
 * so the result does not hold on to the input bytes (which may be a view into a
 * larger buffer, as Node's Buffers from readFileSync are).
 * The reader checks what Hugging Face's `safetensors` checks: 8 + N <= file size,
 * a UTF-8 JSON object header (no key twice in any object), known dtypes, shapes
 * and offsets of non-negative integer literals, end − begin = elements × dtype
 * size, and data_offsets that tile the data section exactly (sorted by begin,
 * the first at 0, each at the previous end, the last at the end of the file).
 */
import { checkBytes, describe } from '../core/check.js';
import { ArgumentError, FormatError, ShapeError, formatShape } from '../core/errors.js';
import { Tensor } from '../core/tensor.js';
import { Parameter } from '../autograd/parameter.js';
import { utf8 } from './bytes.js';

/** dtypes we write. */
export type SafetensorsWriteDType = 'F32' | 'I32';
/** dtypes we read (the last four converted to F32 or I32). */
export type SafetensorsReadDType = 'F32' | 'I32' | 'F16' | 'BF16' | 'F64' | 'I64';

/** A tensor to write: a Tensor, a Parameter (its value), or a shape with its data (dtype follows the array when omitted). */
export type SafetensorsInput =
  Tensor | Parameter | { dtype?: SafetensorsWriteDType; shape: readonly number[]; data: Float32Array | Int32Array };

/** A tensor read back: `dtype` is what `data` holds, `stored` what the file held. */
export interface SafetensorsTensor {
  dtype: 'F32' | 'I32';
  stored: SafetensorsReadDType;
  shape: number[];
  data: Float32Array | Int32Array;
}

/** A safetensors file read back: its tensors by name and its string metadata. */
export interface Safetensors {
  tensors: Record<string, SafetensorsTensor>;
  metadata: Record<string, string>;
}

const ITEM_BYTES: Record<SafetensorsReadDType, number> = { F32: 4, I32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };
const READ_DTYPES = Object.keys(ITEM_BYTES).join(', ');
const METADATA = '__metadata__';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a BOM is not '{'

/** Compare two strings by their UTF-8 bytes (the order of Rust's String sort). */
function byUtf8(a: string, b: string): number {
  const x = utf8(a);
  const y = utf8(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function entriesOf<T>(fn: string, arg: string, x: Record<string, T> | Iterable<readonly [string, T]>): [string, T][] {
  if (x === null || typeof x !== 'object')
    throw new ArgumentError(`${fn}: ${arg} must be a record or [name, value] pairs, got ${describe(x)}`);
  if (Symbol.iterator in x) return [...(x as Iterable<readonly [string, T]>)].map(([k, v]) => [k, v]);
  return Object.entries(x as Record<string, T>);
}

interface Planned {
  name: string;
  dtype: SafetensorsWriteDType;
  shape: number[];
  bytes: Uint8Array;
}

/**
 * The safetensors bytes of `tensors` (a record, or [name, tensor] pairs, for
 * example a Map) and optional string `metadata`. Throws ArgumentError for a name
 * given twice or `__metadata__`, ShapeError when data and shape disagree.
 */
export function encodeSafetensors(
  tensors: Record<string, SafetensorsInput> | Iterable<readonly [string, SafetensorsInput]>,
  metadata?: Record<string, string>,
): Uint8Array {
  const fn = 'encodeSafetensors';
  const seen = new Set<string>();
  const planned: Planned[] = entriesOf(fn, 'tensors', tensors).map(([name, t]) => {
    if (typeof name !== 'string') throw new ArgumentError(`${fn}: tensor names must be strings, got ${typeof name}`);
    if (name === METADATA) throw new ArgumentError(`${fn}: tensor names must not be "${METADATA}", got "${METADATA}"`);
    if (seen.has(name)) throw new ArgumentError(`${fn}: tensor names must be unique, got "${name}" twice`);
    seen.add(name);
    return plan(fn, name, t);
  });
  // Hugging Face's writer order: by dtype, larger alignment first (F32 before I32), then by name.
  planned.sort((a, b) => (a.dtype === b.dtype ? byUtf8(a.name, b.name) : a.dtype === 'F32' ? -1 : 1));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const meta = entriesOf(fn, 'metadata', metadata);
    const keys = new Set<string>();
    for (const [k, v] of meta) {
      if (typeof k !== 'string') throw new ArgumentError(`${fn}: metadata keys must be strings, got ${typeof k}`);
      if (typeof v !== 'string') throw new ArgumentError(`${fn}: metadata["${k}"] must be a string, got ${typeof v}`);
      if (keys.has(k)) throw new ArgumentError(`${fn}: metadata keys must be unique, got "${k}" twice`);
      keys.add(k);
    }
    if (meta.length > 0) header[METADATA] = Object.fromEntries(meta);
  }
  let offset = 0;
  for (const p of planned) {
    Object.defineProperty(header, p.name, {
      value: { dtype: p.dtype, shape: p.shape, data_offsets: [offset, offset + p.bytes.length] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += p.bytes.length;
  }
  const json = utf8(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const p of planned) {
    out.set(p.bytes, at);
    at += p.bytes.length;
  }
  return out;
}

function plan(fn: string, name: string, t: SafetensorsInput): Planned {
  let dtype: SafetensorsWriteDType;
  let shape: readonly number[];
  let data: Float32Array | Int32Array;
  if (t instanceof Parameter) t = t.value;
  if (t instanceof Tensor) {
    dtype = t.dtype === 'int32' ? 'I32' : 'F32';
    shape = t.shape;
    data = t.toArray();
  } else {
    if (t === null || typeof t !== 'object')
      throw new ArgumentError(`${fn}: tensor "${name}" must be a Tensor or { shape, data }, got ${describe(t)}`);
    data = t.data;
    shape = t.shape;
    if (!(data instanceof Float32Array) && !(data instanceof Int32Array)) {
      throw new ArgumentError(
        `${fn}: tensor "${name}" data must be a Float32Array or Int32Array, got ${describe(data)}`,
      );
    }
    const natural: SafetensorsWriteDType = data instanceof Int32Array ? 'I32' : 'F32';
    dtype = t.dtype ?? natural;
    if (dtype !== natural)
      throw new ArgumentError(
        `${fn}: tensor "${name}" dtype must be ${natural} for a ${data.constructor.name}, got ${JSON.stringify(dtype)}`,
      );
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new ShapeError(
        `${fn}: tensor "${name}" shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`,
      );
    }
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new ShapeError(
        `${fn}: tensor "${name}" data must have ${size} elements for shape ${formatShape(shape)}, got ${data.length}`,
      );
  }
  let bytes: Uint8Array;
  if (LITTLE_ENDIAN) {
    bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  } else {
    bytes = new Uint8Array(data.length * 4);
    const v = new DataView(bytes.buffer);
    for (let i = 0; i < data.length; i++) {
      if (dtype === 'I32') v.setInt32(4 * i, data[i]!, true);
      else v.setFloat32(4 * i, data[i]!, true);
    }
  }
  return { name, dtype, shape: [...shape], bytes };
}

function formatError(offset: number, what: string, got: string): FormatError {
  return new FormatError(`decodeSafetensors: bytes at offset ${offset} must be ${what}, got ${got}`);
}

interface Located {
  name: string;
  dtype: SafetensorsReadDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Read safetensors bytes (any Uint8Array, Node Buffers included). Throws
 * FormatError, naming the byte offset and what was expected there, for: fewer
 * than 8 bytes, a header length past the end, a header that is not UTF-8 JSON
 * object text or has a key twice, a malformed entry or `__metadata__`, an
 * unknown dtype, a byte length that is not shape × dtype size, data_offsets out
 * of the data section, overlapping another tensor's, leaving a gap or leaving
 * bytes after the last tensor, and an I64 value outside the int32 range.
 */
export function decodeSafetensors(input: Uint8Array | ArrayBuffer): Safetensors {
  const fn = 'decodeSafetensors';
  const bytes = checkBytes(fn, 'bytes', input);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8)
    throw formatError(0, 'an 8-byte little-endian header length', `end of data (${bytes.length} bytes)`);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) {
    throw formatError(
      0,
      `a header length of at most ${bytes.length - 8} (the bytes after it)`,
      `${n64}, past the end of the ${bytes.length}-byte data`,
    );
  }
  const n = Number(n64);
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes.subarray(8, 8 + n));
  } catch {
    throw formatError(8, `a UTF-8 JSON header of ${n} bytes`, 'invalid UTF-8');
  }
  if (!text.startsWith('{'))
    throw formatError(8, "a JSON object header starting with '{'", JSON.stringify(text.slice(0, 16)));
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw formatError(8, `a JSON object header of ${n} bytes`, `invalid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw formatError(8, 'a JSON object header', Array.isArray(header) ? 'an array' : String(header));
  const badLiteral = checkHeaderText(text);

  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  let metadata: Record<string, string> = {};
  const located: Located[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA) {
      metadata = readMetadata(entry);
      continue;
    }
    located.push(locate(name, entry, dataStart, dataLength));
  }
  if (badLiteral) throw badLiteral;
  checkTiling(located, dataStart, dataLength);
  const tensors = Object.fromEntries(located.map((t) => [t.name, convert(bytes, view, dataStart, t)]));
  return { tensors, metadata };
}

/** The byte offset in the file of character `i` of the header text. */
function headerOffset(text: string, i: number): number {
  return 8 + utf8(text.slice(0, i)).length;
}

interface Frame {
  keys: Set<string> | null; // null for an array
  key: string | null; // the key this container is the value of
  expectKey: boolean;
}

const UINT_LITERAL = /^(0|[1-9][0-9]*)$/;

/**
 * What JSON.parse lets through in valid JSON text: a key twice in one object (it keeps the last)
 * throws here; numbers in `shape` / `data_offsets` written as -0, 1.0 or 1e2 (Hugging Face's
 * reader wants unsigned integer literals) give the error returned, to throw after the entries'
 * own checks. `text` is known to be valid JSON.
 */
function checkHeaderText(text: string): FormatError | undefined {
  let bad: FormatError | undefined;
  const stack: Frame[] = [];
  let lastKey: string | null = null;
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    const top = stack[stack.length - 1];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) {
          const where = stack.length === 1 ? 'the header' : `the entry "${top.key}"`;
          throw formatError(headerOffset(text, i), `a key used once in ${where}`, `${JSON.stringify(key)} again`);
        }
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      i = j + 1;
    } else if (c === '{' || c === '[') {
      stack.push({ keys: c === '{' ? new Set() : null, key: top?.keys ? lastKey : null, expectKey: c === '{' });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      if (top?.keys) top.expectKey = true;
      i++;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
      const lit = text.slice(i, j);
      const field = stack.length === 3 && !top!.keys ? top!.key : null;
      if (bad === undefined && (field === 'shape' || field === 'data_offsets') && !UINT_LITERAL.test(lit)) {
        bad = formatError(headerOffset(text, i), `an unsigned integer literal in "${field}"`, lit);
      }
      i = j;
    } else i++;
  }
  return bad;
}

/**
 * The tensors' data_offsets must tile the data section: in order of begin (then end), the first
 * begins at 0, each begins where the previous ends, and the last ends at the end of the file.
 */
function checkTiling(located: Located[], dataStart: number, dataLength: number): void {
  const byBegin = [...located].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let end = 0;
  let prev: Located | undefined;
  for (const cur of byBegin) {
    if (cur.begin < end) {
      throw formatError(
        dataStart + cur.begin,
        `bytes of tensor "${cur.name}" alone (data_offsets [${cur.begin}, ${cur.end}])`,
        `an overlap with tensor "${prev!.name}" (data_offsets [${prev!.begin}, ${prev!.end}])`,
      );
    }
    if (cur.begin > end) {
      const after = prev ? `the end of tensor "${prev.name}"` : 'the start of the data section';
      throw formatError(
        dataStart + end,
        `the bytes of a tensor at data offset ${end} (${after}; no gaps)`,
        `a gap of ${cur.begin - end} bytes before tensor "${cur.name}" (data_offsets [${cur.begin}, ${cur.end}])`,
      );
    }
    end = cur.end;
    prev = cur;
  }
  if (end !== dataLength) {
    const after = prev ? `the last tensor, "${prev.name}"` : 'the header of a file with no tensors';
    throw formatError(dataStart + end, `the end of the file after ${after}`, `${dataLength - end} more bytes`);
  }
}

function readMetadata(entry: unknown): Record<string, string> {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw formatError(8, `"${METADATA}" as an object of strings`, JSON.stringify(entry));
  }
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string')
      throw formatError(8, `"${METADATA}" as an object of strings`, `${JSON.stringify(v)} for key "${k}"`);
  }
  return Object.fromEntries(Object.entries(entry)) as Record<string, string>;
}

function locate(name: string, entry: unknown, dataStart: number, dataLength: number): Located {
  const what = (field: string) => `tensor "${name}" with ${field}`;
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    throw formatError(8, `tensor "${name}" as { dtype, shape, data_offsets }`, JSON.stringify(entry));
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== 'string' || !(dtype in ITEM_BYTES)) {
    throw formatError(8, what(`a dtype we read (${READ_DTYPES})`), JSON.stringify(dtype));
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw formatError(8, what('a shape of non-negative integers'), JSON.stringify(shape));
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((d) => !Number.isSafeInteger(d) || d < 0) ||
    offsets[0] > offsets[1]
  ) {
    throw formatError(8, what('data_offsets [begin, end], integers with 0 <= begin <= end'), JSON.stringify(offsets));
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw formatError(
      8,
      what(`data_offsets within the ${dataLength}-byte data section (at offset ${dataStart})`),
      `[${begin}, ${end}]`,
    );
  }
  let count = 1;
  for (const d of shape as number[]) {
    count *= d;
    if (!Number.isSafeInteger(count))
      throw formatError(8, what('a shape whose element count is a safe integer'), JSON.stringify(shape));
  }
  const want = count * ITEM_BYTES[dtype as SafetensorsReadDType];
  if (want !== end - begin) {
    throw formatError(
      dataStart + begin,
      `${want} bytes for tensor "${name}" (${dtype} ${formatShape(shape as number[])})`,
      `${end - begin} bytes (data_offsets [${begin}, ${end}])`,
    );
  }
  return { name, dtype: dtype as SafetensorsReadDType, shape: [...(shape as number[])], begin, end };
}

/** float16 bits to a number (exact: every half is a float32). */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function convert(bytes: Uint8Array, view: DataView, dataStart: number, t: Located): SafetensorsTensor {
  const at = dataStart + t.begin;
  const count = (t.end - t.begin) / ITEM_BYTES[t.dtype];
  const base = { stored: t.dtype, shape: t.shape };
  switch (t.dtype) {
    case 'F32':
    case 'I32': {
      const isInt = t.dtype === 'I32';
      // A copy of exactly these bytes: `bytes.slice` would be a view for a Node Buffer, and its
      // `.buffer` the whole (pooled) ArrayBuffer.
      const copy = new Uint8Array(4 * count);
      copy.set(bytes.subarray(at, at + 4 * count));
      if (LITTLE_ENDIAN)
        return { dtype: t.dtype, ...base, data: isInt ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer) };
      const data = isInt ? new Int32Array(count) : new Float32Array(count);
      for (let i = 0; i < count; i++)
        data[i] = isInt ? view.getInt32(at + 4 * i, true) : view.getFloat32(at + 4 * i, true);
      return { dtype: t.dtype, ...base, data };
    }
    case 'F16': {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(at + 2 * i, true));
      return { dtype: 'F32', ...base, data };
    }
    case 'BF16': {
      // bfloat16 is the high half of a float32: shift the bits up.
      const bits = new Uint32Array(count);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(at + 2 * i, true) << 16;
      return { dtype: 'F32', ...base, data: new Float32Array(bits.buffer) };
    }
    case 'F64': {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(at + 8 * i, true);
      return { dtype: 'F32', ...base, data };
    }
    case 'I64': {
      const data = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const lo = view.getInt32(at + 8 * i, true);
        const hi = view.getInt32(at + 8 * i + 4, true);
        if (hi !== lo >> 31) {
          throw formatError(
            at + 8 * i,
            `an I64 value in the int32 range (tensor "${t.name}" element ${i})`,
            `${view.getBigInt64(at + 8 * i, true)}`,
          );
        }
        data[i] = lo;
      }
      return { dtype: 'I32', ...base, data };
    }
  }
}
