import { ArgumentError, OutOfMemoryError, formatBytes } from './errors.js';

/** Bytes per Wasm page. */
export const PAGE = 65536;
/** The Wasm32 address-space limit: 65536 pages. */
export const WASM32_MAX_BYTES = 65536 * PAGE;
/** Every block starts on a 16-byte boundary (one v128). */
export const ALIGN = 16;

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

/**
 * The allocator over linear memory. TypeScript owns memory: kernels never
 * allocate; they receive offsets handed out here.
 *
 * Blocks are 16-byte aligned and sized in multiples of 16. Free blocks live in
 * an address-ordered list and are coalesced with their neighbours; a request is
 * served best-fit from that list, else from the top of the heap, growing the
 * memory when the top passes its end. A free block that touches the top is
 * returned to the top, so the heap shrinks back after a burst of temporaries.
 * Growing never moves blocks, but it replaces `memory.buffer` (detaching it for
 * non-shared memory): views must be re-made after any allocation.
 */
export class Heap {
  /** Live blocks: offset -> size. */
  private readonly live = new Map<number, number>();
  /** Free blocks below `top`, sorted by offset. */
  private readonly freeOffsets: number[] = [];
  private readonly freeSizes: number[] = [];
  private top: number;
  private inUse = 0;
  private peak = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    /** First usable byte (past the module's static data). */
    readonly base: number,
    /** The most bytes the memory may reach (configured maximum, at most 4 GiB). */
    readonly limit: number,
  ) {
    this.top = alignUp(base, ALIGN);
  }

  /** Bytes in live blocks. */
  get bytesInUse(): number {
    return this.inUse;
  }

  /** Most bytes ever live at once. */
  get peakBytesInUse(): number {
    return this.peak;
  }

  /** Start a new peak measurement: the peak becomes the bytes in use now. */
  resetPeak(): void {
    this.peak = this.inUse;
  }

  /** Bytes of linear memory (live, free and static data). */
  get bytesReserved(): number {
    return this.memory.buffer.byteLength;
  }

  /** Number of live blocks. */
  get blockCount(): number {
    return this.live.size;
  }

  /** Size in bytes of the live block at `ptr`, or undefined. */
  sizeOf(ptr: number): number | undefined {
    return this.live.get(ptr);
  }

  /**
   * A block of at least `bytes` bytes (0 gives a 16-byte block, so every block
   * has a distinct offset). Throws OutOfMemoryError past the limit.
   */
  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0 || !Number.isInteger(bytes)) {
      throw new ArgumentError(`alloc: bytes must be a non-negative integer, got ${bytes}`);
    }
    const size = Math.max(ALIGN, alignUp(bytes, ALIGN));
    const fromFree = this.takeFree(size);
    const ptr = fromFree ?? this.takeTop(size, bytes);
    this.live.set(ptr, size);
    this.inUse += size;
    if (this.inUse > this.peak) this.peak = this.inUse;
    return ptr;
  }

  /** Return a block. Freeing an offset that is not live is an ArgumentError (double free). */
  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) {
      throw new ArgumentError(`free: ptr must be a live block, got ${ptr} (already freed or never allocated)`);
    }
    this.live.delete(ptr);
    this.inUse -= size;
    this.insertFree(ptr, size);
  }

  /** A scope whose blocks are all freed by `release()`. */
  arena(): Arena {
    return new Arena(this);
  }

  private takeFree(size: number): number | undefined {
    let best = -1;
    for (let i = 0; i < this.freeSizes.length; i++) {
      const s = this.freeSizes[i]!;
      if (s >= size && (best < 0 || s < this.freeSizes[best]!)) {
        best = i;
        if (s === size) break;
      }
    }
    if (best < 0) return undefined;
    const ptr = this.freeOffsets[best]!;
    const rest = this.freeSizes[best]! - size;
    if (rest > 0) {
      this.freeOffsets[best] = ptr + size;
      this.freeSizes[best] = rest;
    } else {
      this.freeOffsets.splice(best, 1);
      this.freeSizes.splice(best, 1);
    }
    return ptr;
  }

  private takeTop(size: number, requested: number): number {
    const ptr = this.top;
    const end = ptr + size;
    if (end > this.limit) {
      throw new OutOfMemoryError(
        `alloc: bytes must fit in the memory limit, got a request for ${formatBytes(requested)} ` +
          `with ${formatBytes(this.inUse)} in use and a limit of ${formatBytes(this.limit)}. ` +
          `Hint: dispose() tensors you no longer need, use tidy(), or raise init({ maxMemory }) (at most 4 GiB).`,
        requested,
        this.inUse,
        this.limit,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // Grow by at least half the current size to amortise grows, within the limit.
      const need = Math.ceil((end - have) / PAGE);
      const ample = Math.ceil(have / 2 / PAGE);
      const maxPages = Math.floor((this.limit - have) / PAGE);
      const pages = Math.min(Math.max(need, ample), maxPages);
      try {
        this.memory.grow(pages);
      } catch (e) {
        try {
          this.memory.grow(need);
        } catch {
          throw new OutOfMemoryError(
            `alloc: bytes must fit in memory the runtime can provide, got a request for ${formatBytes(requested)} ` +
              `with ${formatBytes(this.inUse)} in use; growing linear memory by ${need} pages failed (${String(e)})`,
            requested,
            this.inUse,
            this.limit,
          );
        }
      }
    }
    this.top = end;
    return ptr;
  }

  private insertFree(ptr: number, size: number): void {
    const offs = this.freeOffsets;
    const sizes = this.freeSizes;
    // Binary search for the first free block after ptr.
    let lo = 0;
    let hi = offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (offs[mid]! < ptr) lo = mid + 1;
      else hi = mid;
    }
    let start = ptr;
    let len = size;
    // Coalesce with the previous block.
    if (lo > 0 && offs[lo - 1]! + sizes[lo - 1]! === ptr) {
      lo--;
      start = offs[lo]!;
      len += sizes[lo]!;
      offs.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    // Coalesce with the next block.
    if (lo < offs.length && start + len === offs[lo]!) {
      len += sizes[lo]!;
      offs.splice(lo, 1);
      sizes.splice(lo, 1);
    }
    if (start + len === this.top) {
      this.top = start;
    } else {
      offs.splice(lo, 0, start);
      sizes.splice(lo, 0, len);
    }
  }
}

/** A group of blocks freed together: the temporaries of one step. */
export class Arena {
  private blocks: number[] = [];
  constructor(private readonly heap: Heap) {}

  alloc(bytes: number): number {
    const p = this.heap.alloc(bytes);
    this.blocks.push(p);
    return p;
  }

  /** Bytes held by this arena's blocks. */
  get bytes(): number {
    let s = 0;
    for (const p of this.blocks) s += this.heap.sizeOf(p) ?? 0;
    return s;
  }

  /** Free every block of the arena (newest first, so the heap top shrinks back). */
  release(): void {
    const blocks = this.blocks;
    this.blocks = [];
    let first: unknown;
    for (let i = blocks.length - 1; i >= 0; i--) {
      try {
        this.heap.free(blocks[i]!);
      } catch (e) {
        first ??= e; // a block freed by hand: free the rest, then report it
      }
    }
    if (first !== undefined) throw first;
  }
}
