// The allocator (src/core/memory.ts): alignment, no overlap, exact accounting,
// reuse, coalescing, shrinking back, growth of linear memory (and why views must
// be re-made), OutOfMemoryError, and arenas. The first part drives Heaps over
// their own small memories; the rest uses the runtime's heap.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { ALIGN, Arena, Heap, PAGE } from '../../src/core/memory.js';
import { ArgumentError, OutOfMemoryError, WasmNlpError } from '../../src/core/errors.js';
import { Philox } from '../../src/core/rng.js';
import { memoryInUse, memoryStats, rt, shutdown } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';

const MiB = 2 ** 20;

beforeAll(async () => {
  // Start small so that the growth tests below really grow the memory.
  await initForTests({ initialMemory: 1 * MiB });
});

/** A Heap over a fresh memory of `pages` pages that may grow to `maxPages`. */
function freshHeap(base = 1000, pages = 1, maxPages = 1024): Heap {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: maxPages });
  return new Heap(memory, base, maxPages * PAGE);
}

/** The block size the allocator gives for a request: a multiple of 16, at least 16. */
const blockSize = (bytes: number) => Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);

// ----------------------------------------------------------- the allocator

describe('Heap: alignment and sizes', () => {
  test('blocks start on 16-byte boundaries even when the base is not aligned', () => {
    const heap = freshHeap(1003);
    const first = heap.alloc(1);
    expect(first).toBe(1008);
    for (const bytes of [0, 1, 3, 15, 16, 17, 33, 100, 4097]) {
      const p = heap.alloc(bytes);
      expect(p % 16, `alloc(${bytes}) at ${p}`).toBe(0);
      expect(p).toBeGreaterThanOrEqual(1003);
    }
  });

  test('block sizes are rounded up to 16 and alloc(0) still gets a distinct 16-byte block', () => {
    const heap = freshHeap();
    const sizes = [0, 1, 15, 16, 17, 31, 32, 33, 1000, 65536, 65537];
    const ptrs = sizes.map((b) => heap.alloc(b));
    sizes.forEach((b, i) => expect(heap.sizeOf(ptrs[i]!), `alloc(${b})`).toBe(blockSize(b)));
    expect(new Set(ptrs).size).toBe(ptrs.length);
    expect(heap.blockCount).toBe(sizes.length);
    expect(heap.bytesInUse).toBe(sizes.reduce((s, b) => s + blockSize(b), 0));
    expect(heap.sizeOf(ptrs[8]! + 16)).toBeUndefined(); // inside the 1000-byte block
  });

  test('alloc rejects negative, fractional and non-finite sizes with ArgumentError', () => {
    const heap = freshHeap();
    for (const bad of [-1, 1.5, -0.5, Number.NaN, Infinity, -Infinity, '8' as unknown as number]) {
      expect(() => heap.alloc(bad), `alloc(${String(bad)})`).toThrow(ArgumentError);
    }
    expect(() => heap.alloc(-1)).toThrow(/alloc: bytes must be a non-negative integer, got -1/);
    expect(() => heap.alloc(1.5)).toThrow(/got 1\.5/);
    expect(heap.bytesInUse).toBe(0);
    expect(heap.blockCount).toBe(0);
  });
});

describe('Heap: free', () => {
  test('double free is an ArgumentError that names the pointer; accounting is unchanged', () => {
    const heap = freshHeap();
    const a = heap.alloc(64);
    const b = heap.alloc(64);
    heap.free(a);
    const inUse = heap.bytesInUse;
    expect(() => heap.free(a)).toThrow(ArgumentError);
    expect(() => heap.free(a)).toThrow(new RegExp(`free: ptr must be a live block, got ${a}`));
    expect(heap.bytesInUse).toBe(inUse);
    heap.free(b);
    expect(() => heap.free(b)).toThrow(ArgumentError);
  });

  test('freeing a pointer that was never handed out (interior, unaligned, negative) is an ArgumentError', () => {
    const heap = freshHeap();
    const a = heap.alloc(64);
    for (const bad of [a + 16, a + 1, -16, 0, 123456])
      expect(() => heap.free(bad), `free(${bad})`).toThrow(ArgumentError);
    expect(heap.sizeOf(a)).toBe(64);
    expect(heap.bytesInUse).toBe(64);
  });

  test('a freed block is reused for the same size (alloc, free, alloc -> same offset)', () => {
    const heap = freshHeap();
    const a = heap.alloc(100);
    heap.alloc(16); // keeps a away from the top, so a goes to the free list
    heap.free(a);
    expect(heap.alloc(100)).toBe(a);
    expect(heap.alloc(16)).not.toBe(a);
  });

  test('best fit: the smallest free block that fits is taken, and a larger one is split', () => {
    const heap = freshHeap();
    const big = heap.alloc(256);
    heap.alloc(16);
    const small = heap.alloc(64);
    heap.alloc(16);
    heap.free(big);
    heap.free(small);
    expect(heap.alloc(48)).toBe(small);
    // 256 split: the first 128 bytes, then the next 128 from the rest of the same block.
    expect(heap.alloc(128)).toBe(big);
    expect(heap.alloc(128)).toBe(big + 128);
  });

  test('coalescing with the previous neighbour: free a then b, and a + b fits at a', () => {
    const heap = freshHeap();
    const a = heap.alloc(64);
    const b = heap.alloc(64);
    heap.alloc(16); // keeps them off the top
    heap.free(a);
    heap.free(b);
    expect(heap.alloc(128)).toBe(a);
  });

  test('coalescing with the next neighbour: free b then a, and a + b fits at a', () => {
    const heap = freshHeap();
    const a = heap.alloc(32);
    const b = heap.alloc(32);
    heap.alloc(16);
    heap.free(b);
    heap.free(a);
    expect(heap.alloc(64)).toBe(a);
  });

  test('coalescing on both sides: free a and c, then b between them, and a + b + c fits at a', () => {
    const heap = freshHeap();
    const a = heap.alloc(64);
    const b = heap.alloc(64);
    const c = heap.alloc(64);
    const guard = heap.alloc(16);
    heap.free(a);
    heap.free(c);
    // Unmerged, the largest free block is 64 bytes: 192 would come from the top, past the guard.
    heap.free(b);
    expect(heap.alloc(192)).toBe(a);
    expect(heap.sizeOf(guard)).toBe(16);
    expect(heap.bytesInUse).toBe(192 + 16);
  });

  test('without a free neighbour nothing merges: a bigger request goes to the top', () => {
    const heap = freshHeap();
    const a = heap.alloc(64);
    const b = heap.alloc(64);
    const c = heap.alloc(64);
    const guard = heap.alloc(16);
    heap.free(a);
    heap.free(c);
    const d = heap.alloc(128);
    expect(d).toBeGreaterThan(guard);
    expect(heap.sizeOf(b)).toBe(64);
  });

  test('the top shrinks back: freeing everything returns to the first offset and zero bytes in use', () => {
    const heap = freshHeap();
    const first = heap.alloc(10);
    const ptrs = [first];
    for (let i = 0; i < 50; i++) ptrs.push(heap.alloc(16 * (i + 1)));
    // Free in a scattered order so blocks go through the free list before merging into the top.
    for (let i = 0; i < ptrs.length; i += 2) heap.free(ptrs[i]!);
    for (let i = 1; i < ptrs.length; i += 2) heap.free(ptrs[i]!);
    expect(heap.bytesInUse).toBe(0);
    expect(heap.blockCount).toBe(0);
    // A request larger than anything freed would be served from the top: the top is back at the start.
    expect(heap.alloc(1 << 16)).toBe(first);
  });

  test('a block freed at the top goes back to the top, and the free block below it joins it', () => {
    const heap = freshHeap();
    const a = heap.alloc(32);
    const b = heap.alloc(32);
    const c = heap.alloc(32);
    heap.free(b); // middle: free list
    heap.free(c); // top: merges with b and the top drops to b
    expect(heap.alloc(4096)).toBe(b);
    expect(heap.sizeOf(a)).toBe(32);
  });

  test('peakBytesInUse records the high-water mark', () => {
    const heap = freshHeap();
    const a = heap.alloc(1000);
    const b = heap.alloc(3000);
    heap.free(a);
    heap.free(b);
    heap.alloc(16);
    expect(heap.peakBytesInUse).toBe(blockSize(1000) + blockSize(3000));
    expect(heap.bytesInUse).toBe(16);
    heap.resetPeak();
    expect(heap.peakBytesInUse).toBe(16);
    const c = heap.alloc(500);
    heap.free(c);
    expect(heap.peakBytesInUse).toBe(16 + blockSize(500));
  });
});

describe('Heap: a seeded sequence of 6,000 allocs and frees', () => {
  test('aligned, inside memory, never overlapping, contents intact, bytesInUse exact, back to zero', () => {
    const heap = freshHeap(777, 1, 2048);
    const rng = new Philox(20261101, 3);
    const MENU = [0, 1, 15, 16, 17, 31, 32, 33, 48, 100, 255, 256, 1000, 4095, 4096, 4097, 65536, 200_003];
    const live: { ptr: number; size: number; tag: number }[] = [];
    let expectedInUse = 0;
    let peak = 0;
    let first = -1;

    const words = () => new Uint32Array(heap.memory.buffer);
    const checkTags = (blk: { ptr: number; size: number; tag: number }, when: string) => {
      const w = words();
      const head = w[blk.ptr >>> 2];
      const tail = w[(blk.ptr + blk.size - 4) >>> 2];
      if (head !== blk.tag || tail !== ~blk.tag >>> 0) {
        expect.fail(
          `${when}: block at ${blk.ptr} (size ${blk.size}) was overwritten: head ${head}, tail ${tail}, tag ${blk.tag}`,
        );
      }
    };

    for (let op = 0; op < 6000; op++) {
      if (live.length === 0 || rng.nextInt(100) < 55) {
        const bytes = rng.nextInt(4) === 0 ? rng.nextInt(5000) : MENU[rng.nextInt(MENU.length)]!;
        const ptr = heap.alloc(bytes);
        if (first < 0) first = ptr;
        const size = blockSize(bytes);
        if (ptr % 16 !== 0) expect.fail(`op ${op}: alloc(${bytes}) gave unaligned ${ptr}`);
        if (heap.sizeOf(ptr) !== size)
          expect.fail(`op ${op}: alloc(${bytes}) gave size ${heap.sizeOf(ptr)}, want ${size}`);
        if (ptr < 777 || ptr + size > heap.memory.buffer.byteLength) {
          expect.fail(`op ${op}: block [${ptr}, ${ptr + size}) outside [777, ${heap.memory.buffer.byteLength})`);
        }
        for (const o of live) {
          if (ptr < o.ptr + o.size && o.ptr < ptr + size) {
            expect.fail(`op ${op}: block [${ptr}, ${ptr + size}) overlaps live [${o.ptr}, ${o.ptr + o.size})`);
          }
        }
        const blk = { ptr, size, tag: (op * 2654435761) >>> 0 };
        const w = words();
        w[ptr >>> 2] = blk.tag;
        w[(ptr + size - 4) >>> 2] = ~blk.tag >>> 0;
        live.push(blk);
        expectedInUse += size;
        peak = Math.max(peak, expectedInUse);
      } else {
        const i = rng.nextInt(live.length);
        const blk = live[i]!;
        live[i] = live[live.length - 1]!;
        live.pop();
        checkTags(blk, `op ${op}: before free`);
        heap.free(blk.ptr);
        expectedInUse -= blk.size;
      }
      if (heap.bytesInUse !== expectedInUse)
        expect.fail(`op ${op}: bytesInUse ${heap.bytesInUse}, want ${expectedInUse}`);
      if (heap.blockCount !== live.length) expect.fail(`op ${op}: blockCount ${heap.blockCount}, want ${live.length}`);
    }
    expect(live.length).toBeGreaterThan(50);
    expect(heap.peakBytesInUse).toBe(peak);
    // The memory grew along the way (200 KB blocks on a 64 KiB start).
    expect(heap.bytesReserved).toBeGreaterThan(PAGE);
    for (const blk of live) checkTags(blk, 'at the end');
    for (const blk of live) heap.free(blk.ptr);
    expect(heap.bytesInUse).toBe(0);
    expect(heap.blockCount).toBe(0);
    expect(heap.alloc(1 << 20)).toBe(first);
  });
});

describe('Heap: growth and limit on its own memory', () => {
  test('allocating past the end grows the memory by whole pages; blocks keep their offsets and contents', () => {
    const heap = freshHeap(0, 1, 64);
    const a = heap.alloc(1000);
    new Uint8Array(heap.memory.buffer, a, 1000).fill(0xab);
    expect(heap.bytesReserved).toBe(PAGE);
    const b = heap.alloc(3 * PAGE);
    expect(heap.bytesReserved % PAGE).toBe(0);
    expect(heap.bytesReserved).toBeGreaterThanOrEqual(b + 3 * PAGE);
    expect(new Uint8Array(heap.memory.buffer, a, 1000).every((x) => x === 0xab)).toBe(true);
  });

  test('a request past the limit throws OutOfMemoryError and leaves the heap usable', () => {
    const heap = freshHeap(0, 1, 4);
    const a = heap.alloc(PAGE);
    let err: unknown;
    try {
      heap.alloc(4 * PAGE);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    const oom = err as OutOfMemoryError;
    expect(oom.requested).toBe(4 * PAGE);
    expect(oom.inUse).toBe(PAGE);
    expect(oom.limit).toBe(4 * PAGE);
    expect(heap.bytesInUse).toBe(PAGE);
    // Exactly up to the limit still fits (the grow is clamped to the maximum).
    const b = heap.alloc(3 * PAGE);
    expect(b + 3 * PAGE).toBe(4 * PAGE);
    expect(heap.bytesReserved).toBe(4 * PAGE);
    expect(() => heap.alloc(0)).toThrow(OutOfMemoryError);
    heap.free(a);
    expect(heap.alloc(PAGE)).toBe(a);
  });
});

// ---------------------------------------------------------- runtime heap

describe('runtime heap: growth of linear memory', () => {
  test('a Tensor made before growth reads correctly through a fresh view; the old view is detached', () => {
    const r = rt('memory.test');
    expect(r.sharedMemory).toBe(false);
    const base = memoryInUse();
    const rng = new Philox(8, 8);
    const data = Float32Array.from({ length: 1000 }, () => rng.nextFloat() - 0.5);
    const t = Tensor.fromArray(data);
    const oldView = t.view();
    const oldBuffer = r.memory.buffer;
    const before = oldBuffer.byteLength;
    expect(before).toBeLessThan(64 * MiB);
    expect(oldView.length).toBe(1000);

    const big = Tensor.empty([16 * MiB]); // 64 MiB
    const after = r.memory.buffer.byteLength;
    expect(after).toBeGreaterThan(before);
    expect(after).toBeGreaterThanOrEqual(big.offset + 64 * MiB);
    expect(memoryStats().bytesReserved).toBe(after);

    // Non-shared memory: growing detaches the old ArrayBuffer, and every view on it.
    expect(r.memory.buffer).not.toBe(oldBuffer);
    expect(oldBuffer.byteLength).toBe(0);
    expect(oldView.length).toBe(0);
    expect(oldView[0]).toBeUndefined();

    // The tensor itself did not move: a fresh view reads the same data.
    expect(t.view().length).toBe(1000);
    expect(Array.from(t.view())).toEqual(Array.from(data));
    expect(Array.from(t.toArray())).toEqual(Array.from(data));

    // The far end of the big block is usable.
    const bv = big.view();
    bv[bv.length - 1] = 42;
    expect(big.view()[16 * MiB - 1]).toBe(42);

    big.dispose();
    t.dispose();
    expect(memoryInUse()).toBe(base);
  });

  test('a request past 4 GiB (Tensor.empty([2^31]) = 8 GiB) is an OutOfMemoryError, not a RangeError or trap', () => {
    const base = memoryInUse();
    let err: unknown;
    try {
      Tensor.empty([2 ** 31]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err).toBeInstanceOf(WasmNlpError);
    const oom = err as OutOfMemoryError;
    expect(oom.requested).toBe(2 ** 33);
    expect(oom.limit).toBe(4 * 2 ** 30);
    expect(oom.message).toContain(String(2 ** 33));
    expect(() => Tensor.zeros([2 ** 20, 2 ** 12], 'int32')).toThrow(OutOfMemoryError); // exactly 16 GiB
    expect(() => rt('memory.test').heap.alloc(2 ** 32)).toThrow(OutOfMemoryError); // exactly 4 GiB, past the static data
    expect(memoryInUse()).toBe(base);
    const t = Tensor.fromArray([1, 2, 3]);
    expect(Array.from(t.toArray())).toEqual([1, 2, 3]);
    t.dispose();
  });
});

describe('runtime heap: arenas', () => {
  test('release frees every block of the arena, and bytes counts them', () => {
    const heap = rt('memory.test').heap;
    const base = heap.bytesInUse;
    const arena: Arena = heap.arena();
    const ptrs = [arena.alloc(0), arena.alloc(17), arena.alloc(1000), arena.alloc(64)];
    expect(arena.bytes).toBe(16 + 32 + 1008 + 64);
    expect(heap.bytesInUse).toBe(base + arena.bytes);
    arena.release();
    expect(heap.bytesInUse).toBe(base);
    expect(arena.bytes).toBe(0);
    for (const p of ptrs) expect(heap.sizeOf(p)).toBeUndefined();
    // Released once: a second release has nothing left to free.
    arena.release();
    expect(heap.bytesInUse).toBe(base);
  });

  test('a block allocated outside the arena in between survives the release intact', () => {
    const heap = rt('memory.test').heap;
    const base = heap.bytesInUse;
    const arena = heap.arena();
    arena.alloc(256);
    const outside = Tensor.fromArray([7, 8, 9, 10]);
    arena.alloc(512);
    arena.release();
    expect(heap.bytesInUse).toBe(base + 16);
    expect(Array.from(outside.toArray())).toEqual([7, 8, 9, 10]);
    outside.dispose();
    expect(heap.bytesInUse).toBe(base);
  });

  test('10,000 iterations of (arena, allocs, release) keep bytesInUse and the reserved memory flat', () => {
    const heap = rt('memory.test').heap;
    const base = heap.bytesInUse;
    const rng = new Philox(4, 4);
    const keeper = heap.alloc(48); // a long-lived block, so the arena blocks are not all at the bottom
    const reservedAtStart = heap.bytesReserved;
    let maxInUse = 0;
    for (let it = 0; it < 10_000; it++) {
      const arena = heap.arena();
      const count = 1 + rng.nextInt(6);
      for (let j = 0; j < count; j++) arena.alloc(rng.nextInt(3000));
      maxInUse = Math.max(maxInUse, heap.bytesInUse);
      arena.release();
      if (heap.bytesInUse !== base + 48)
        expect.fail(`iteration ${it}: bytesInUse ${heap.bytesInUse}, want ${base + 48}`);
    }
    expect(maxInUse).toBeGreaterThan(base + 48);
    expect(heap.bytesReserved).toBe(reservedAtStart);
    heap.free(keeper);
    expect(heap.bytesInUse).toBe(base);
  });
});

// ---------------------------------------------------- a 32 MiB memory limit

describe('Arena.release after a block was freed by hand', () => {
  test('frees the other blocks, reports the double free once, and can release again', () => {
    const heap = rt('test').heap;
    const before = heap.bytesInUse;
    const arena = heap.arena();
    const a = arena.alloc(64);
    arena.alloc(128);
    arena.alloc(32);
    heap.free(a);
    expect(() => arena.release()).toThrow(ArgumentError);
    expect(heap.bytesInUse).toBe(before);
    expect(() => arena.release()).not.toThrow();
  });
});

describe('OutOfMemoryError with init({ maxMemory: 32 MiB })', () => {
  beforeAll(async () => {
    shutdown();
    const info = await initForTests({ maxMemory: 32 * MiB });
    expect(info.maxMemory).toBe(32 * MiB);
  });

  test('allocating 64 MiB throws OutOfMemoryError (a WasmNlpError) with requested, inUse and limit', () => {
    const keep = Tensor.zeros([1000]); // something in use, so inUse is not 0
    const inUse = memoryInUse();
    expect(inUse).toBeGreaterThan(0);
    let err: unknown;
    try {
      rt('memory.test').heap.alloc(64 * MiB);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(err).toBeInstanceOf(WasmNlpError);
    const oom = err as OutOfMemoryError;
    expect(oom.name).toBe('OutOfMemoryError');
    expect(oom.requested).toBe(64 * MiB);
    expect(oom.inUse).toBe(inUse);
    expect(oom.limit).toBe(32 * MiB);
    expect(oom.message).toContain(String(64 * MiB)); // the requested size
    expect(oom.message).toContain(String(inUse)); // the bytes in use
    expect(oom.message).toMatch(/^alloc: bytes must fit in the memory limit/);
    expect(oom.message).toContain('maxMemory');
    expect(memoryInUse()).toBe(inUse);
    keep.dispose();
  });

  test('Tensor.empty of 64 MiB throws OutOfMemoryError too', () => {
    const base = memoryInUse();
    expect(() => Tensor.empty([16 * MiB])).toThrow(OutOfMemoryError);
    expect(() => Tensor.randn([4096, 4096], { seed: 1 })).toThrow(OutOfMemoryError);
    expect(memoryInUse()).toBe(base);
  });

  test('the heap still works afterwards, up to exactly the limit and no further', () => {
    const heap = rt('memory.test').heap;
    const base = heap.bytesInUse;
    const t = Tensor.fromArray([1, 2, 3, 4, 5]);
    expect(Array.from(t.toArray())).toEqual([1, 2, 3, 4, 5]);
    const chunks: number[] = [];
    let err: unknown;
    try {
      for (;;) chunks.push(heap.alloc(4 * MiB));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutOfMemoryError);
    // 32 MiB minus static data and the small tensor: 7 chunks fit, not 8.
    expect(chunks.length).toBe(7);
    expect(heap.bytesReserved).toBeLessThanOrEqual(32 * MiB);
    expect(Array.from(t.toArray())).toEqual([1, 2, 3, 4, 5]);
    for (const c of chunks) heap.free(c);
    t.dispose();
    expect(heap.bytesInUse).toBe(base);
    const u = Tensor.zeros([4 * MiB]); // 16 MiB fits again
    expect(u.view()[4 * MiB - 1]).toBe(0);
    u.dispose();
  });
});
