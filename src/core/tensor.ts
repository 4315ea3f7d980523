import { ArgumentError, DTypeError, ShapeError, formatShape } from './errors.js';
import { generation, rt } from './runtime.js';
import { ScopeStack } from './scope.js';
import { describe } from './check.js';

/** Element type of a Tensor: 'float32' or 'int32'. */
export type DType = 'float32' | 'int32';
export type TypedArrayFor<D extends DType> = D extends 'int32' ? Int32Array : Float32Array;

/** Largest finite float32. */
const F32_MAX = 3.4028234663852886e38;

/** Scopes opened by tidy(): Tensors made inside are tracked and disposed at the end. */
const scopes = new ScopeStack<Tensor>('tidy');

/**
 * A dense row-major tensor in Wasm linear memory. It holds a byte offset, not
 * a view: `view()` makes a fresh typed array each time, valid only until the
 * next call that can grow memory (any allocation). `toArray(out?)` copies out.
 * Free it with `dispose()`, or create it inside `tidy()`.
 */
export class Tensor<D extends DType = DType> {
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  private _offset: number;
  private readonly gen: number;

  private constructor(
    shape: readonly number[],
    readonly dtype: D,
    offset: number,
  ) {
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this._offset = offset;
    this.gen = generation;
    scopes.add(this);
  }

  /** Byte offset in linear memory; throws once disposed. */
  get offset(): number {
    if (this._offset < 0) {
      throw new ArgumentError(
        `Tensor: tensor must not be disposed, got a disposed tensor of shape ${formatShape(this.shape)}`,
      );
    }
    if (this.gen !== generation) {
      throw new ArgumentError('Tensor: tensor must belong to the current runtime, got one made before shutdown()');
    }
    return this._offset;
  }

  get rank(): number {
    return this.shape.length;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  get disposed(): boolean {
    return this._offset < 0;
  }

  /** A tensor of `shape` with unspecified contents. */
  static empty<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
    return Tensor.alloc('Tensor.empty', shape, dtype);
  }

  private static alloc<D extends DType>(fn: string, shape: readonly number[], dtype?: D): Tensor<D> {
    const dt = (dtype ?? 'float32') as D;
    checkShape(fn, shape);
    checkDType(fn, dt);
    const heap = rt(fn).heap;
    return new Tensor(shape, dt, heap.alloc(sizeOf(shape) * 4));
  }

  /** A tensor of zeros. */
  static zeros<D extends DType = 'float32'>(shape: readonly number[], dtype?: D): Tensor<D> {
    const t = Tensor.alloc('Tensor.zeros', shape, dtype);
    t.view().fill(0);
    return t;
  }

  /**
   * A tensor holding `data`. The dtype follows the array (Int32Array -> int32,
   * anything else -> float32) unless given; the shape defaults to [data.length].
   */
  static fromArray(data: ArrayLike<number>, shape?: readonly number[], dtype?: DType): Tensor {
    const dt: DType = dtype ?? (data instanceof Int32Array ? 'int32' : 'float32');
    if (data === null || typeof data !== 'object' || typeof data.length !== 'number')
      throw new ArgumentError(
        `Tensor.fromArray: data must be an array or a typed array of numbers, got ${describe(data)}`,
      );
    const sh = shape ?? [data.length];
    checkShape('Tensor.fromArray', sh);
    if (sizeOf(sh) !== data.length) {
      throw new ShapeError(
        `Tensor.fromArray: data must have ${sizeOf(sh)} elements for shape ${formatShape(sh)}, got ${data.length}`,
      );
    }
    if (dt === 'int32') checkInt32Data(data);
    const t = Tensor.alloc('Tensor.fromArray', sh, dt);
    t.view().set(data);
    return t;
  }

  /**
   * Normal samples from the counter-based generator (Philox4x32-10, Box-Muller in
   * Wasm): the same seed and stream give the same bits in every runtime.
   */
  static randn(
    shape: readonly number[],
    options: RandomOptions & { mean?: number; std?: number } = {},
  ): Tensor<'float32'> {
    const { key0, key1, stream } = randomKey('Tensor.randn', options);
    const mean = options.mean ?? 0;
    const std = options.std ?? 1;
    // The kernel takes float32: beyond its range the samples would be Infinity.
    if (!(Math.abs(mean) <= F32_MAX))
      throw new ArgumentError(`Tensor.randn: mean must be a finite float32, got ${mean}`);
    if (!(std >= 0 && std <= F32_MAX))
      throw new ArgumentError(`Tensor.randn: std must be a finite float32 >= 0, got ${std}`);
    const t = Tensor.alloc('Tensor.randn', shape, 'float32');
    rt('Tensor.randn').kernels.philox4x32_fill_normal_f32(t.offset, t.size, key0, key1, stream, 0, 0, mean, std);
    return t;
  }

  /**
   * Uniform samples in [0, 1) (24-bit resolution) from the counter-based generator.
   * `count` draws only the first `count` elements (the values they get without it;
   * element i depends only on seed, stream and i) and sets the rest to 0.
   */
  static rand(shape: readonly number[], options: RandomOptions & { count?: number } = {}): Tensor<'float32'> {
    const { key0, key1, stream } = randomKey('Tensor.rand', options);
    const t = Tensor.alloc('Tensor.rand', shape, 'float32');
    const count = options.count ?? t.size;
    if (!Number.isInteger(count) || count < 0 || count > t.size) {
      t.dispose();
      throw new ArgumentError(`Tensor.rand: count must be an integer in [0, ${t.size}], got ${count}`);
    }
    rt('Tensor.rand').kernels.philox4x32_fill_uniform_f32(t.offset, count, key0, key1, stream, 0, 0);
    if (count < t.size) t.view().fill(0, count);
    return t;
  }

  /** A fresh typed array over this tensor's memory. Do not keep it across allocations. */
  view(): TypedArrayFor<D> {
    const { memory } = rt('Tensor.view');
    const off = this.offset;
    return (
      this.dtype === 'int32'
        ? new Int32Array(memory.buffer, off, this.size)
        : new Float32Array(memory.buffer, off, this.size)
    ) as TypedArrayFor<D>;
  }

  /** Copy the contents out, into `out` when given (it must have `size` elements of the same dtype). */
  toArray(out?: TypedArrayFor<D>): TypedArrayFor<D> {
    if (out !== undefined) {
      const want = this.dtype === 'int32' ? Int32Array : Float32Array;
      if (!(out instanceof want)) {
        throw new DTypeError(
          `Tensor.toArray: out must be a ${want.name} for a ${this.dtype} tensor, got ${out.constructor.name}`,
        );
      }
      if (out.length !== this.size) {
        throw new ShapeError(`Tensor.toArray: out must have ${this.size} elements, got ${out.length}`);
      }
      out.set(this.view());
      return out;
    }
    return this.view().slice() as TypedArrayFor<D>;
  }

  /** Nested arrays, for printing and tests. */
  toNested(): unknown {
    const flat = Array.from(this.toArray() as ArrayLike<number>);
    const build = (dim: number, start: number): unknown => {
      if (dim === this.shape.length) return flat[start];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, start + i * stride));
    };
    return build(0, 0);
  }

  /** Free the memory. Idempotent; the tensor is unusable afterwards. */
  dispose(): void {
    if (this._offset < 0) return;
    if (this.gen === generation) rt('Tensor.dispose').heap.free(this._offset);
    this._offset = -1;
    scopes.delete(this);
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${formatShape(this.shape)})`;
  }
}

/**
 * Run `fn` and dispose every Tensor created inside it except those it returns
 * (a Tensor, or Tensors in a returned array or plain object) and those passed
 * to `keep()`. Scopes nest; kept tensors move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  return scopes.run(fn, (result) => {
    const survivors = new Set<Tensor>();
    collect(result, survivors);
    return (t) => survivors.has(t) || kept.has(t);
  });
}

const kept = new WeakSet<Tensor>();

/** Exempt `t` from disposal by the enclosing tidy() scopes. */
export function keep<T extends Tensor>(t: T): T {
  kept.add(t);
  return t;
}

function collect(x: unknown, into: Set<Tensor>): void {
  if (x instanceof Tensor) into.add(x);
  else if (Array.isArray(x)) for (const y of x) collect(y, into);
  else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const y of Object.values(x)) collect(y, into);
  }
}

/** Seed and stream of the random constructors `Tensor.randn` and `Tensor.rand`. */
export interface RandomOptions {
  /** Seed, an integer in [0, 2^53); default 0. */
  seed?: number;
  /** Independent stream under the same seed, an integer in [0, 2^32); default 0. */
  stream?: number;
}

function randomKey(fn: string, o: RandomOptions): { key0: number; key1: number; stream: number } {
  const seed = o.seed ?? 0;
  const stream = o.stream ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ArgumentError(`${fn}: seed must be an integer in [0, 2^53), got ${seed}`);
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffffffff) {
    throw new ArgumentError(`${fn}: stream must be an integer in [0, 2^32), got ${stream}`);
  }
  return { key0: seed >>> 0, key1: Math.floor(seed / 2 ** 32) >>> 0, stream };
}

/** Typed arrays whose every element is an int32 already. */
const INT32_SAFE = [Int32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, Uint8ClampedArray];

/** Every element of `data` is an integer in the int32 range, else an ArgumentError naming the first that is not. */
function checkInt32Data(data: ArrayLike<number>): void {
  if (INT32_SAFE.some((c) => data instanceof c)) return;
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!;
    if ((x | 0) !== x) {
      throw new ArgumentError(
        `Tensor.fromArray: data[${i}] must be an integer in [-2^31, 2^31) for dtype int32, got ${typeof x === 'number' ? x : describe(x)}`,
      );
    }
  }
}

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(fn: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`${fn}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
}

function checkDType(fn: string, dtype: string): void {
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new DTypeError(`${fn}: dtype must be "float32" or "int32", got ${JSON.stringify(dtype)}`);
  }
}

/** Throws unless `t` is a Tensor of `dtype` and rank `rank`; returns its shape. */
export function expectTensor(
  fn: string,
  arg: string,
  t: unknown,
  rank: number,
  dtype: DType = 'float32',
): readonly number[] {
  if (!(t instanceof Tensor)) {
    throw new ArgumentError(`${fn}: ${arg} must be a Tensor, got ${describe(t)}`);
  }
  if (t.dtype !== dtype) throw new DTypeError(`${fn}: ${arg} must have dtype ${dtype}, got ${t.dtype}`);
  if (t.rank !== rank) throw new ShapeError(`${fn}: ${arg} must have rank ${rank}, got shape ${formatShape(t.shape)}`);
  return t.shape;
}
