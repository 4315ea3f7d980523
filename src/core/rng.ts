/**
 * Philox4x32-10 in TypeScript, bit for bit the generator of assembly/rng.ts
 * (tests compare long streams). Use it for decisions made in TypeScript
 * (shuffling, sampling ids) so that they replay from (seed, stream, counter)
 * exactly like the kernels' random numbers. Never Math.random.
 */
import { ArgumentError } from './errors.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High and low 32 bits of the 64-bit product of two u32, from 16-bit halves (exact in doubles). */
function mulhi(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) >>> 0;
}

/**
 * One Philox4x32-10 block: key (key0, key1), counter (c0, c1, c2, c3); writes
 * 4 u32 into `out` at `at`.
 */
export function philox4x32(
  key0: number,
  key1: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  out: Uint32Array = new Uint32Array(4),
  at = 0,
): Uint32Array {
  let k0 = key0 >>> 0;
  let k1 = key1 >>> 0;
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulhi(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ k0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ k1) >>> 0;
    x3 = lo0;
  }
  out[at] = x0;
  out[at + 1] = x1;
  out[at + 2] = x2;
  out[at + 3] = x3;
  return out;
}

/**
 * A stream of the generator: word i is lane i % 4 of block
 * (seed, stream, counter0 + floor(i / 4)), exactly as the Wasm fills number
 * their outputs. `counter` (the next block) is the state to checkpoint.
 */
export class Philox {
  readonly key0: number;
  readonly key1: number;
  readonly stream: number;
  /** Next block's 64-bit counter, as a JS number (< 2^53). */
  counter: number;
  private readonly block = new Uint32Array(4);
  private lane = 4;

  constructor(seed = 0, stream = 0, counter = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new ArgumentError(`Philox: seed must be an integer in [0, 2^53), got ${seed}`);
    if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
      throw new ArgumentError(`Philox: stream must be an integer in [0, 2^32), got ${stream}`);
    }
    if (!Number.isSafeInteger(counter) || counter < 0) {
      throw new ArgumentError(`Philox: counter must be an integer in [0, 2^53), got ${counter}`);
    }
    this.key0 = seed >>> 0;
    this.key1 = Math.floor(seed / 2 ** 32) >>> 0;
    this.stream = stream >>> 0;
    this.counter = counter;
  }

  /** Next u32. */
  nextU32(): number {
    if (this.lane === 4) {
      philox4x32(
        this.key0,
        this.key1,
        this.counter >>> 0,
        Math.floor(this.counter / 2 ** 32) >>> 0,
        this.stream,
        0,
        this.block,
      );
      this.counter++;
      this.lane = 0;
    }
    return this.block[this.lane++]!;
  }

  /** Next float in [0, 1) with 24 bits, equal to the Wasm uniform fill's value for the same word. */
  nextFloat(): number {
    return (this.nextU32() >>> 8) * 2 ** -24;
  }

  /** Uniform integer in [0, n) (n <= 2^32), by rejection: unbiased. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32)
      throw new ArgumentError(`Philox.nextInt: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = this.nextU32();
      if (x < limit) return x % n;
    }
  }

  /**
   * Shuffle `a` in place (Fisher–Yates from the end: for i = n − 1 down to 1,
   * swap a[i] with a[nextInt(i + 1)]) and return it: the shuffles of the
   * training loops, so a checkpointed counter replays them.
   */
  shuffle<A extends { length: number; [i: number]: unknown }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** Fill `out` with the next words (whole blocks are consumed as the Wasm fill consumes them). */
  fillU32(out: Uint32Array): Uint32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.nextU32();
    return out;
  }
}
