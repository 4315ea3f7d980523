import { checkFinite, checkInt, checkOptions, checkPositiveInt } from '../core/check.js';
import { ArgumentError, ShapeError, formatShape } from '../core/errors.js';
import { rt } from '../core/runtime.js';
import { Tensor, expectTensor, keep } from '../core/tensor.js';

/** Options of the `KVCache` constructor: the model's sizes and the longest sequence it will hold. */
export interface KVCacheOptions {
  /** Number of attention layers (one key/value pair of buffers each). */
  layers: number;
  /** Batch size of every append and query. */
  batch: number;
  /** Attention heads per layer. */
  heads: number;
  /** Size of one head's key, value and query vectors. */
  headDim: number;
  /** Positions each layer can hold; the buffers are allocated once at this size. */
  maxLength: number;
}

/** Options of `KVCache.attend`. */
export interface KVCacheAttendOptions {
  /** Multiplies q k^T; default 1 / sqrt(headDim). */
  scale?: number;
  /** Written with the result instead of a new Tensor: float32 with the shape of q, not q itself. */
  out?: Tensor;
}

const OPTION_KEYS = ['layers', 'batch', 'heads', 'headDim', 'maxLength'] as const;

/**
 * The keys and values of a causal Transformer's attention layers for incremental
 * decoding: per layer one key and one value buffer [batch, heads, maxLength, headDim]
 * (float32, in Wasm memory, allocated once by the constructor) and the number of
 * positions it holds. A step appends the new positions' keys and values
 * (`append`) and attends the new queries over everything held (`attend`), which
 * costs O(length · headDim) per query instead of a full attention over the
 * sequence. The result of `attend` is bit-identical to the matching rows of
 * `attention(q, k, v, { causal: true })` over the whole sequence.
 *
 * The buffers are not freed by `tidy()`: call `dispose()` when done.
 */
export class KVCache {
  readonly layers: number;
  readonly batch: number;
  readonly heads: number;
  readonly headDim: number;
  readonly maxLength: number;
  private keys: Tensor[] = [];
  private values: Tensor[] = [];
  private lengths: number[];
  private freed = false;

  constructor(options: KVCacheOptions) {
    const fn = 'KVCache';
    const o = checkOptions<KVCacheOptions>(fn, 'options', options, OPTION_KEYS);
    this.layers = checkPositiveInt(fn, 'layers', o.layers);
    this.batch = checkPositiveInt(fn, 'batch', o.batch);
    this.heads = checkPositiveInt(fn, 'heads', o.heads);
    this.headDim = checkPositiveInt(fn, 'headDim', o.headDim);
    this.maxLength = checkPositiveInt(fn, 'maxLength', o.maxLength);
    rt(fn);
    const shape = [this.batch, this.heads, this.maxLength, this.headDim];
    try {
      for (let l = 0; l < this.layers; l++) {
        this.keys.push(keep(Tensor.empty(shape)));
        this.values.push(keep(Tensor.empty(shape)));
      }
    } catch (e) {
      for (const t of [...this.keys, ...this.values]) t.dispose();
      this.freed = true;
      throw e;
    }
    this.lengths = new Array<number>(this.layers).fill(0);
  }

  /** Whether `dispose()` has run. */
  get disposed(): boolean {
    return this.freed;
  }

  /** Bytes of Wasm memory the key and value buffers hold (0 once disposed). */
  get byteLength(): number {
    return this.freed ? 0 : 2 * this.layers * this.batch * this.heads * this.maxLength * this.headDim * 4;
  }

  /** Positions held by layer `layer` (all layers hold the same number between decoding steps). */
  lengthOf(layer: number): number {
    const fn = 'KVCache.lengthOf';
    this.alive(fn);
    return this.lengths[this.layerIndex(fn, layer)]!;
  }

  /** Positions held by layer 0. */
  get length(): number {
    this.alive('KVCache.length');
    return this.lengths[0]!;
  }

  /**
   * Append the keys and values of n new positions, k and v [batch, heads, n, headDim]
   * (float32, n >= 1), at the end of layer `layer` (positions length .. length + n - 1).
   * Throws if the layer would hold more than maxLength positions.
   */
  append(layer: number, k: Tensor, v: Tensor): void {
    const fn = 'KVCache.append';
    this.alive(fn);
    const l = this.layerIndex(fn, layer);
    const n = this.expectHeads(fn, 'k', k);
    if (this.expectHeads(fn, 'v', v) !== n)
      throw new ShapeError(`${fn}: v must have the shape of k ${formatShape(k.shape)}, got ${formatShape(v.shape)}`);
    const T0 = this.lengths[l]!;
    if (T0 + n > this.maxLength) {
      throw new ArgumentError(
        `${fn}: k and v must fit in the ${this.maxLength - T0} free positions of layer ${l} ` +
          `(length ${T0}, maxLength ${this.maxLength}), got ${n} new positions. ` +
          'Hint: create the KVCache with a larger maxLength, or truncate() it first.',
      );
    }
    const K = rt(fn).kernels;
    const D = this.headDim;
    const rows = this.batch * this.heads;
    const at = T0 * D * 4;
    K.copy2d_f32(k.offset, this.keys[l]!.offset + at, rows, n * D, n * D, this.maxLength * D, 0);
    K.copy2d_f32(v.offset, this.values[l]!.offset + at, rows, n * D, n * D, this.maxLength * D, 0);
    this.lengths[l] = T0 + n;
  }

  /**
   * Causal attention of q [batch, heads, n, headDim] (float32), the queries of the
   * layer's n newest positions (their keys and values appended already), over the
   * layer's cache: query i sees positions 0 .. length - n + i. Returns out
   * [batch, heads, n, headDim] (a new Tensor the caller owns, or `options.out`).
   */
  attend(layer: number, q: Tensor, options: KVCacheAttendOptions = {}): Tensor {
    const fn = 'KVCache.attend';
    this.alive(fn);
    const l = this.layerIndex(fn, layer);
    const o = checkOptions<KVCacheAttendOptions>(fn, 'options', options, ['scale', 'out']);
    const n = this.expectHeads(fn, 'q', q);
    const T = this.lengths[l]!;
    if (n > T) {
      throw new ShapeError(
        `${fn}: q must have at most the ${T} positions layer ${l} holds, got ${n} in shape ${formatShape(q.shape)}. ` +
          'Hint: append the new keys and values first.',
      );
    }
    const D = this.headDim;
    const scale = o.scale === undefined ? 1 / Math.sqrt(D) : checkFinite(fn, 'scale', o.scale);
    let out = o.out;
    if (out !== undefined) {
      expectTensor(fn, 'out', out, 4);
      if (out.shape.some((d, i) => d !== q.shape[i]))
        throw new ShapeError(
          `${fn}: out must have the shape of q ${formatShape(q.shape)}, got ${formatShape(out.shape)}`,
        );
      if (out === q) throw new ArgumentError(`${fn}: out must not be q, got the same Tensor`);
    }
    const r = rt(fn);
    const work = r.heap.alloc(r.kernels.attention_decode_workspace_bytes(D));
    try {
      out ??= Tensor.empty(q.shape);
      r.kernels.attention_decode_f32(
        q.offset,
        this.keys[l]!.offset,
        this.values[l]!.offset,
        out.offset,
        work,
        this.batch,
        this.heads,
        n,
        T,
        this.maxLength,
        D,
        scale,
      );
    } finally {
      r.heap.free(work);
    }
    return out;
  }

  /**
   * Drop the positions >= `length` in every layer (a layer holding fewer keeps
   * what it has): reuse a shared prompt, or step back a beam.
   */
  truncate(length: number): void {
    const fn = 'KVCache.truncate';
    this.alive(fn);
    checkInt(fn, 'length', length, 0);
    for (let l = 0; l < this.layers; l++) this.lengths[l] = Math.min(this.lengths[l]!, length);
  }

  /** Empty every layer (the buffers stay allocated). */
  reset(): void {
    this.alive('KVCache.reset');
    this.lengths.fill(0);
  }

  /** Free the buffers. Idempotent; every other method throws afterwards. */
  dispose(): void {
    if (this.freed) return;
    for (const t of [...this.keys, ...this.values]) t.dispose();
    this.keys = [];
    this.values = [];
    this.freed = true;
  }

  private alive(fn: string): void {
    if (this.freed) throw new ArgumentError(`${fn}: the KVCache must not be disposed, got a disposed KVCache`);
  }

  private layerIndex(fn: string, layer: unknown): number {
    return checkInt(fn, 'layer', layer, 0, this.layers - 1);
  }

  /** Checks t is float32 [batch, heads, n, headDim] with n >= 1; returns n. */
  private expectHeads(fn: string, name: string, t: unknown): number {
    const s = expectTensor(fn, name, t, 4);
    const n = s[2]!;
    if (s[0] !== this.batch || s[1] !== this.heads || s[3] !== this.headDim || n < 1) {
      throw new ShapeError(
        `${fn}: ${name} must have shape [${this.batch}, ${this.heads}, n >= 1, ${this.headDim}], got ${formatShape(s)}`,
      );
    }
    return n;
  }
}
