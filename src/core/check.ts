/**
 * Argument checks, written once. Each throws an `ArgumentError` reading
 * `<fn>: <name> must <expectation>, got <actual>` (STYLE.md "Errors") and
 * returns the checked value, typed, so a call reads
 * `const k = checkInt(fn, 'options.k', o.k ?? 10, 1, 100)`.
 *
 * `<actual>` is `describe(v)`, except in the numeric checks, where a number
 * prints as its value alone (`got 2.5`, `got NaN`) and anything else as
 * `describe(v)` (`got "3"`, `got undefined`).
 */
import { ArgumentError } from './errors.js';

/** Longest string `describe` quotes in full; longer ones are cut to `MAX_QUOTED - 3` characters and `...`. */
const MAX_QUOTED = 60;
/** Keys `describe` lists for a plain object. */
const MAX_KEYS = 5;

/**
 * What an error message prints after "got" for a value:
 *
 * | value | prints |
 * |---|---|
 * | `null`, `undefined` | `null`, `undefined` |
 * | number, boolean, bigint, symbol | its type and value: `number 3`, `number NaN`, `boolean true` |
 * | string | JSON, cut after 57 characters: `"abc"`, `"a long te..."` |
 * | function | `function name`, or `a function` when anonymous |
 * | array | `an array of 3` |
 * | typed array, DataView | class and length: `Float64Array(6)` |
 * | object whose class defines `toString` | that: `Tensor(float32, [2, 3])`, `Variable(float32, [2])` |
 * | other class instance | the class name: `WordPiece`, `Map`, `Promise` |
 * | plain or null-prototype object | `Object` and its first keys: `Object {}`, `Object { text, pair }`, `Object { a, b, c, d, e, ... }` |
 */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return JSON.stringify(v.length > MAX_QUOTED ? `${v.slice(0, MAX_QUOTED - 3)}...` : v);
    case 'function':
      return v.name ? `function ${v.name}` : 'a function';
    case 'object':
      break;
    default:
      return `${typeof v} ${String(v)}`;
  }
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v))
    return `${v.constructor.name}(${'length' in v ? (v as unknown as ArrayLike<unknown>).length : v.byteLength})`;
  const proto = Object.getPrototypeOf(v) as object | null;
  if (proto === null || proto === Object.prototype) {
    const keys = Object.keys(v);
    if (keys.length === 0) return 'Object {}';
    return `Object { ${keys.slice(0, MAX_KEYS).join(', ')}${keys.length > MAX_KEYS ? ', ...' : ''} }`;
  }
  const ctor = (v as { constructor?: { name?: unknown } }).constructor;
  const cls = typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'Object';
  try {
    const toString = (v as { toString?: unknown }).toString;
    if (typeof toString === 'function' && toString !== Object.prototype.toString) {
      const s: unknown = toString.call(v);
      if (typeof s === 'string') return s;
    }
  } catch {
    // A throwing toString: fall back to the class name.
  }
  return cls;
}

/**
 * The kind of a value only: the class name of an object (`Array`,
 * `Float64Array`, `Object`), `null`, or `typeof` for the rest (`number`).
 * For messages that name the expected class, e.g.
 * `ids must be an Int32Array, got Array`; prefer `describe` elsewhere.
 */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'Object';
}

/** `v` when it is a number, else `describe(v)`: the "got" of the numeric checks. */
function shown(v: unknown): string {
  return typeof v === 'number' ? String(v) : describe(v);
}

/**
 * An integer in [lo, hi]: `Number.isSafeInteger(v) && lo <= v <= hi`, else
 * throws `<fn>: <name> must be an integer >= lo` (no `hi`), `... in [lo, 2^53)`
 * (`hi` = `Number.MAX_SAFE_INTEGER`, e.g. seeds) or `... in [lo, hi]`.
 */
/**
 * The bytes of a file-format argument: a Uint8Array (a Node Buffer too, at any byteOffset) as it is,
 * an ArrayBuffer viewed whole; else `<fn>: <name> must be a Uint8Array or an ArrayBuffer, got ...`.
 */
export function checkBytes(fn: string, name: string, v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new ArgumentError(`${fn}: ${name} must be a Uint8Array or an ArrayBuffer, got ${describe(v)}`);
}

export function checkInt(fn: string, name: string, v: unknown, lo: number, hi = Infinity): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= lo && v <= hi) return v;
  const range =
    hi === Infinity ? `>= ${lo}` : hi === Number.MAX_SAFE_INTEGER ? `in [${lo}, 2^53)` : `in [${lo}, ${hi}]`;
  throw new ArgumentError(`${fn}: ${name} must be an integer ${range}, got ${shown(v)}`);
}

/** An integer >= 1 (`Number.isSafeInteger`), else throws `<fn>: <name> must be a positive integer, got ...`. */
export function checkPositiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 1) return v;
  throw new ArgumentError(`${fn}: ${name} must be a positive integer, got ${shown(v)}`);
}

/**
 * A number accepted by `ok`, else throws `<fn>: <name> must be <expect>, got ...`;
 * `expect` says what `ok` accepts (`'a finite number > 0'`, `'a number in [0, 1]'`).
 */
export function checkNumber(fn: string, name: string, v: unknown, ok: (x: number) => boolean, expect: string): number {
  if (typeof v === 'number' && ok(v)) return v;
  throw new ArgumentError(`${fn}: ${name} must be ${expect}, got ${shown(v)}`);
}

/**
 * A finite number in [lo, hi) (`closed`: [lo, hi]), else throws
 * `<fn>: <name> must be a finite number` with ` >= lo` (hi = Infinity) or
 * ` in [lo, hi)` / ` in [lo, hi]` (none when lo = -Infinity and hi = Infinity).
 */
export function checkFinite(
  fn: string,
  name: string,
  v: unknown,
  lo = -Infinity,
  hi = Infinity,
  closed = false,
): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= lo && (closed ? v <= hi : v < hi)) return v;
  const range = hi === Infinity ? (lo === -Infinity ? '' : ` >= ${lo}`) : ` in [${lo}, ${hi}${closed ? ']' : ')'}`;
  throw new ArgumentError(`${fn}: ${name} must be a finite number${range}, got ${shown(v)}`);
}

/** A boolean, else throws `<fn>: <name> must be a boolean, got ...`. */
export function checkBool(fn: string, name: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  throw new ArgumentError(`${fn}: ${name} must be a boolean, got ${describe(v)}`);
}

/** A function, else throws `<fn>: <name> must be a function, got ...`. */
export function checkFunction<F extends (...args: never[]) => unknown>(fn: string, name: string, v: unknown): F {
  if (typeof v === 'function') return v as F;
  throw new ArgumentError(`${fn}: ${name} must be a function, got ${describe(v)}`);
}

/**
 * An instance of `cls`, else throws `<fn>: <name> must be <what>, got ...`
 * (`what` defaults to `a <class name>`: `a Tensor`, `a Parameter`).
 */
// A class with a private constructor (Tensor) is no `new`-able type: take any function with a prototype.
/* eslint-disable @typescript-eslint/no-unsafe-function-type */
export function checkInstance<T>(
  fn: string,
  name: string,
  v: unknown,
  cls: Function & { prototype: T },
  what = `a ${cls.name}`,
): T {
  if (v instanceof cls) return v as T;
  throw new ArgumentError(`${fn}: ${name} must be ${what}, got ${describe(v)}`);
}
/* eslint-enable @typescript-eslint/no-unsafe-function-type */

/**
 * An object: not null, `typeof 'object'` (arrays pass: check them apart when
 * they must not), else throws `<fn>: <name> must be <what>, got ...`; `what`
 * defaults to `an object` and may describe the expected shape
 * (`'a record or [name, value] pairs'`, `'an object { dq, dk, dv }'`).
 */
export function checkObject<T extends object = Record<string, unknown>>(
  fn: string,
  name: string,
  v: unknown,
  what = 'an object',
): T {
  if (v !== null && typeof v === 'object') return v as T;
  throw new ArgumentError(`${fn}: ${name} must be ${what}, got ${describe(v)}`);
}

/** Levenshtein distance of `a` and `b`, or `max + 1` as soon as it must exceed `max`. */
function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      cur.push(d);
      if (d < best) best = d;
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

/** `k` lower-cased without `_` and `-`: `weight_decay`, `weightDecay` and `WEIGHT-DECAY` compare equal. */
const folded = (k: string): string => k.toLowerCase().replace(/[_-]/g, '');

/**
 * The known key an unknown `key` is most likely a typo of: one equal to it up to
 * case, `_` and `-` (`weight_decay` for `weightDecay`), else the nearest by edit
 * distance when that is at most 2 (1 for keys of 3 or 4 characters, 0 for shorter
 * ones); undefined when none is that close.
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const f = folded(key);
  const same = known.find((k) => folded(k) === f);
  if (same !== undefined) return same;
  const max = key.length <= 2 ? 0 : key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestD = max + 1;
  for (const k of known) {
    const d = editDistance(f, folded(k), max);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

/** `; did you mean '<nearest>'?` after an unknown-key message, or '' when no known key is close to `key`. */
export function didYouMean(key: string, known: readonly string[]): string {
  const near = nearestKey(key, known);
  return near === undefined ? '' : `; did you mean '${near}'?`;
}

/**
 * Every own enumerable key of `obj` is in `known`, else throws
 * `<fn>: <name> must have only <allowed>, got '<key>'`, followed by
 * `; did you mean '<known key>'?` when one is close (`nearestKey`); `allowed`
 * defaults to `the keys <known joined by ', '>`.
 */
export function checkKeys(
  fn: string,
  name: string,
  obj: object,
  known: readonly string[],
  allowed = `the keys ${known.join(', ')}`,
): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k))
      throw new ArgumentError(`${fn}: ${name} must have only ${allowed}, got '${k}'${didYouMean(k, known)}`);
  }
}

/**
 * An options bag: an object that is not an array (else
 * `<fn>: <name> must be an object, got ...`) with only the keys `known` (else
 * as `checkKeys`). `undefined` is not accepted: pass `options ?? {}` where the
 * bag is optional.
 */
export function checkOptions<T extends object = Record<string, unknown>>(
  fn: string,
  name: string,
  v: unknown,
  known: readonly string[],
  allowed?: string,
): T {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new ArgumentError(`${fn}: ${name} must be an object, got ${describe(v)}`);
  checkKeys(fn, name, v, known, allowed);
  return v as T;
}
