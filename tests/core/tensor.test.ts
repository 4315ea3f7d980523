// Tensor (src/core/tensor.ts): construction, copies in and out, typed errors,
// disposal, tidy/keep scopes and their memory accounting, random tensors'
// argument checks, expectTensor.
import { beforeAll, describe, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { ArgumentError, DTypeError, ShapeError, WasmNlpError } from '../../src/core/errors.js';
import { Philox } from '../../src/core/rng.js';
import { init, memoryInUse, shutdown } from '../../src/core/runtime.js';
import { type DType, Tensor, expectTensor, keep, tidy } from '../../src/core/tensor.js';

beforeAll(async () => {
  await initForTests();
});

/** Seeded floats in [-1, 1). */
function seededFloats(n: number, seed: number): Float32Array {
  const p = new Philox(seed);
  return Float32Array.from({ length: n }, () => 2 * p.nextFloat() - 1);
}

/** Seeded int32 values covering the whole range, extremes included. */
function seededInts(n: number, seed: number): Int32Array {
  const p = new Philox(seed);
  const out = Int32Array.from({ length: n }, () => p.nextU32() | 0);
  if (n >= 2) {
    out[0] = -(2 ** 31);
    out[1] = 2 ** 31 - 1;
  }
  return out;
}

/** The error `fn` throws (fails when it does not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return expect.fail('expected a throw');
}

// ---------------------------------------------------------------- creation

describe('Tensor.fromArray / toArray round trip', () => {
  for (const shape of [[1], [7], [3, 5], [2, 3, 4], [1, 1, 1, 13]]) {
    const size = shape.reduce((a, b) => a * b, 1);

    test(`float32 ${JSON.stringify(shape)}`, () => {
      const data = seededFloats(size, size);
      const t = Tensor.fromArray(data, shape);
      expect(t.dtype).toBe('float32');
      expect(t.shape).toEqual(shape);
      expect(t.size).toBe(size);
      expect(t.rank).toBe(shape.length);
      expect(t.byteLength).toBe(4 * size);
      const back = t.toArray();
      expect(back).toBeInstanceOf(Float32Array);
      expect(Array.from(back)).toEqual(Array.from(data));
      t.dispose();
    });

    test(`int32 ${JSON.stringify(shape)} (from an Int32Array, dtype inferred)`, () => {
      const data = seededInts(size, size + 1);
      const t = Tensor.fromArray(data, shape);
      expect(t.dtype).toBe('int32');
      const back = t.toArray();
      expect(back).toBeInstanceOf(Int32Array);
      expect(Array.from(back)).toEqual(Array.from(data));
      t.dispose();
    });
  }

  test('shape defaults to [data.length]; plain arrays and Float64Arrays become float32', () => {
    const a = Tensor.fromArray([1.5, -2, 3]);
    expect(a.shape).toEqual([3]);
    expect(a.dtype).toBe('float32');
    expect(Array.from(a.toArray())).toEqual([1.5, -2, 3]);
    const b = Tensor.fromArray(new Float64Array([0.1, 0.2]));
    expect(b.dtype).toBe('float32');
    expect(Array.from(b.toArray())).toEqual([Math.fround(0.1), Math.fround(0.2)]);
    a.dispose();
    b.dispose();
  });

  test('an explicit dtype wins over the array type', () => {
    const a = Tensor.fromArray([1, -2, 300000], [3], 'int32');
    expect(a.dtype).toBe('int32');
    expect(Array.from(a.toArray() as Int32Array)).toEqual([1, -2, 300000]);
    const b = Tensor.fromArray(new Int32Array([4, 5]), [2], 'float32');
    expect(b.dtype).toBe('float32');
    expect(b.toArray()).toBeInstanceOf(Float32Array);
    expect(Array.from(b.toArray())).toEqual([4, 5]);
    a.dispose();
    b.dispose();
  });

  test("the shape is copied and frozen: later changes to the caller's array do not affect the tensor", () => {
    const shape = [2, 2];
    const t = Tensor.fromArray([1, 2, 3, 4], shape);
    shape[0] = 99;
    expect(t.shape).toEqual([2, 2]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    t.dispose();
  });

  test('scalars (shape []) hold one element; empty tensors (a 0 dimension) hold none', () => {
    const s = Tensor.fromArray([42], []);
    expect(s.size).toBe(1);
    expect(s.rank).toBe(0);
    expect(s.toNested()).toBe(42);
    const e = Tensor.fromArray([], [3, 0]);
    expect(e.size).toBe(0);
    expect(e.toArray().length).toBe(0);
    expect(e.toNested()).toEqual([[], [], []]);
    const e2 = Tensor.zeros([0]);
    expect(e2.toNested()).toEqual([]);
    // Empty tensors still get distinct blocks.
    expect(e.offset).not.toBe(e2.offset);
    s.dispose();
    e.dispose();
    e2.dispose();
  });

  test('offsets are 16-byte aligned', () => {
    const ts = [1, 3, 5, 7, 17, 33].map((n) => Tensor.zeros([n]));
    for (const t of ts) expect(t.offset % 16).toBe(0);
    for (const t of ts) t.dispose();
  });

  test('toArray() is a copy; view() is live', () => {
    const t = Tensor.fromArray([1, 2, 3]);
    const copy = t.toArray();
    copy[0] = 100;
    expect(t.toArray()[0]).toBe(1);
    t.view()[1] = 50;
    expect(Array.from(t.toArray())).toEqual([1, 50, 3]);
    t.dispose();
  });

  test('toString names dtype and shape', () => {
    const t = Tensor.zeros([2, 3], 'int32');
    expect(String(t)).toBe('Tensor(int32, [2, 3])');
    t.dispose();
  });
});

describe('Tensor.fromArray / empty / zeros: typed errors', () => {
  test('size mismatch -> ShapeError naming both sizes and the shape', () => {
    const e = thrown(() => Tensor.fromArray([1, 2, 3, 4, 5], [2, 3]));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e).toBeInstanceOf(WasmNlpError);
    expect(e.name).toBe('ShapeError');
    expect(e.message).toBe('Tensor.fromArray: data must have 6 elements for shape [2, 3], got 5');
  });

  test('bad shapes -> ShapeError', () => {
    const bad: unknown[] = [[-1], [1.5], [Number.NaN], [Infinity], [2, -3], ['2'], 'abc', 3, null];
    for (const shape of bad) {
      expect(() => Tensor.zeros(shape as number[]), `zeros(${JSON.stringify(shape)})`).toThrow(ShapeError);
      expect(() => Tensor.empty(shape as number[]), `empty(${JSON.stringify(shape)})`).toThrow(ShapeError);
    }
    expect(() => Tensor.fromArray([1], [-1] as number[])).toThrow(ShapeError);
    expect(() => Tensor.zeros([-1])).toThrow(
      /Tensor.zeros: shape must be an array of non-negative integers, got \[-1\]/,
    );
  });

  test('bad dtype -> DTypeError', () => {
    for (const dt of ['float64', 'int8', 'bool', '', 'FLOAT32']) {
      expect(() => Tensor.zeros([2], dt as DType), dt).toThrow(DTypeError);
      expect(() => Tensor.empty([2], dt as DType), dt).toThrow(DTypeError);
      expect(() => Tensor.fromArray([1, 2], [2], dt as DType), dt).toThrow(DTypeError);
    }
    expect(() => Tensor.zeros([2], 'float64' as DType)).toThrow(/dtype must be "float32" or "int32", got "float64"/);
  });

  test('failed creations allocate nothing', () => {
    const base = memoryInUse();
    expect(() => Tensor.fromArray([1, 2, 3], [2])).toThrow();
    expect(() => Tensor.zeros([-1])).toThrow();
    expect(() => Tensor.zeros([2], 'uint8' as DType)).toThrow();
    expect(memoryInUse()).toBe(base);
  });
});

describe('Tensor.toArray(out)', () => {
  test('fills out and returns it (float32 and int32)', () => {
    const f = Tensor.fromArray(seededFloats(11, 3), [11]);
    const out = new Float32Array(11).fill(-9);
    expect(f.toArray(out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(f.toArray()));
    const i = Tensor.fromArray(seededInts(6, 4), [2, 3]);
    const outI = new Int32Array(6);
    expect(i.toArray(outI)).toBe(outI);
    expect(Array.from(outI)).toEqual(Array.from(seededInts(6, 4)));
    f.dispose();
    i.dispose();
  });

  test('out of the wrong type -> DTypeError naming the expected type', () => {
    const f = Tensor.zeros([4]);
    const i = Tensor.zeros([4], 'int32');
    const e = thrown(() => f.toArray(new Int32Array(4) as unknown as Float32Array));
    expect(e).toBeInstanceOf(DTypeError);
    expect(e.message).toBe('Tensor.toArray: out must be a Float32Array for a float32 tensor, got Int32Array');
    expect(() => i.toArray(new Float32Array(4) as unknown as Int32Array)).toThrow(DTypeError);
    expect(() => f.toArray(new Float64Array(4) as unknown as Float32Array)).toThrow(DTypeError);
    expect(() => f.toArray([0, 0, 0, 0] as unknown as Float32Array)).toThrow(DTypeError);
    f.dispose();
    i.dispose();
  });

  test('out of the wrong length -> ShapeError naming both lengths; out is untouched', () => {
    const f = Tensor.fromArray([1, 2, 3, 4]);
    const short = new Float32Array(3).fill(7);
    const e = thrown(() => f.toArray(short));
    expect(e).toBeInstanceOf(ShapeError);
    expect(e.message).toBe('Tensor.toArray: out must have 4 elements, got 3');
    expect(Array.from(short)).toEqual([7, 7, 7]);
    expect(() => f.toArray(new Float32Array(5))).toThrow(ShapeError);
    f.dispose();
  });
});

describe('toNested, zeros', () => {
  test('toNested builds row-major nested arrays', () => {
    const t = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
    expect(t.toNested()).toEqual([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [7, 8],
        [9, 10],
        [11, 12],
      ],
    ]);
    const v = Tensor.fromArray(new Int32Array([-1, 2]));
    expect(v.toNested()).toEqual([-1, 2]);
    const col = Tensor.fromArray([1, 2, 3], [3, 1]);
    expect(col.toNested()).toEqual([[1], [2], [3]]);
    t.dispose();
    v.dispose();
    col.dispose();
  });

  test('zeros is all zeros even in a reused block that held other data', () => {
    const junk = Tensor.fromArray(new Float32Array(37).fill(7));
    const guard = Tensor.zeros([1]); // keeps junk's block off the top, so it is reused from the free list
    const off = junk.offset;
    junk.dispose();
    const z = Tensor.zeros([37]);
    expect(z.offset).toBe(off);
    expect(Array.from(z.toArray())).toEqual(new Array(37).fill(0));
    const zi = Tensor.zeros([3, 3], 'int32');
    expect(zi.dtype).toBe('int32');
    expect(zi.toNested()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    z.dispose();
    zi.dispose();
    guard.dispose();
  });

  test('empty defaults to float32 and has the requested shape', () => {
    const t = Tensor.empty([4, 5]);
    expect(t.dtype).toBe('float32');
    expect(t.shape).toEqual([4, 5]);
    expect(t.view().length).toBe(20);
    t.dispose();
  });
});

// ------------------------------------------------------------------ dispose

describe('dispose', () => {
  test('frees the block once: idempotent, disposed flag set', () => {
    const base = memoryInUse();
    const t = Tensor.zeros([100]);
    expect(memoryInUse()).toBe(base + 400);
    expect(t.disposed).toBe(false);
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(memoryInUse()).toBe(base);
    expect(() => t.dispose()).not.toThrow();
    expect(memoryInUse()).toBe(base);
  });

  test('use after dispose -> ArgumentError (offset, view, toArray, toNested)', () => {
    const t = Tensor.fromArray([1, 2, 3], [3]);
    t.dispose();
    const e = thrown(() => t.offset);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toBe('Tensor: tensor must not be disposed, got a disposed tensor of shape [3]');
    expect(() => t.view()).toThrow(ArgumentError);
    expect(() => t.toArray()).toThrow(ArgumentError);
    expect(() => t.toArray(new Float32Array(3))).toThrow(ArgumentError);
    expect(() => t.toNested()).toThrow(ArgumentError);
    // Metadata stays readable.
    expect(t.shape).toEqual([3]);
    expect(String(t)).toBe('Tensor(float32, [3])');
  });

  test('disposing one tensor does not disturb its neighbours', () => {
    const a = Tensor.fromArray([1, 2, 3, 4]);
    const b = Tensor.fromArray([5, 6, 7, 8]);
    const c = Tensor.fromArray([9, 10, 11, 12]);
    b.dispose();
    const d = Tensor.fromArray([0, 0, 0, 0]);
    expect(Array.from(a.toArray())).toEqual([1, 2, 3, 4]);
    expect(Array.from(c.toArray())).toEqual([9, 10, 11, 12]);
    a.dispose();
    c.dispose();
    d.dispose();
  });
});

// --------------------------------------------------------------- tidy, keep

describe('tidy and keep', () => {
  test('disposes temporaries and keeps the returned tensor', () => {
    const base = memoryInUse();
    let tmp!: Tensor;
    const out = tidy(() => {
      tmp = Tensor.zeros([10]);
      const r = Tensor.fromArray([1, 2, 3]);
      Tensor.zeros([5]);
      return r;
    });
    expect(tmp.disposed).toBe(true);
    expect(out.disposed).toBe(false);
    expect(Array.from(out.toArray())).toEqual([1, 2, 3]);
    expect(memoryInUse()).toBe(base + 16);
    out.dispose();
    expect(memoryInUse()).toBe(base);
  });

  test('keeps tensors returned in arrays, nested arrays and plain objects', () => {
    const base = memoryInUse();
    const tmp: Tensor[] = [];
    const result = tidy(() => {
      tmp.push(Tensor.zeros([3]), Tensor.zeros([4]));
      const a = Tensor.zeros([1]);
      const b = Tensor.zeros([2]);
      const c = Tensor.zeros([3]);
      const d = Tensor.zeros([4]);
      return { a, list: [b, [c]], deep: { d }, n: 5, s: 'x' };
    });
    const kept = [result.a, result.list[0] as Tensor, (result.list[1] as Tensor[])[0]!, result.deep.d];
    for (const t of kept) expect(t.disposed).toBe(false);
    for (const t of tmp) expect(t.disposed).toBe(true);
    expect(result.n).toBe(5);
    for (const t of kept) t.dispose();
    expect(memoryInUse()).toBe(base);
  });

  test('keep() exempts a tensor from the enclosing scopes', () => {
    const base = memoryInUse();
    let k!: Tensor;
    let tmp!: Tensor;
    const r = tidy(() => {
      k = keep(Tensor.fromArray([7, 7]));
      tmp = Tensor.zeros([2]);
      return 1;
    });
    expect(r).toBe(1);
    expect(k.disposed).toBe(false);
    expect(tmp.disposed).toBe(true);
    expect(Array.from(k.toArray())).toEqual([7, 7]);
    k.dispose();
    expect(memoryInUse()).toBe(base);
  });

  test('nested tidy: the inner result moves to the outer scope and is disposed there unless returned', () => {
    const base = memoryInUse();
    let innerResult!: Tensor;
    let innerTmp!: Tensor;
    let outerTmp!: Tensor;
    let keptInner!: Tensor;
    const out = tidy(() => {
      outerTmp = Tensor.zeros([8]);
      const survivor = tidy(() => {
        innerTmp = Tensor.zeros([8]);
        innerResult = Tensor.zeros([8]);
        keptInner = keep(Tensor.zeros([8]));
        return [innerResult, Tensor.fromArray([1, 2])];
      });
      expect(innerTmp.disposed).toBe(true);
      expect(innerResult.disposed).toBe(false);
      return survivor[1]!;
    });
    expect(outerTmp.disposed).toBe(true);
    expect(innerResult.disposed).toBe(true); // returned by the inner scope only
    expect(keptInner.disposed).toBe(false); // keep() spans every enclosing scope
    expect(out.disposed).toBe(false);
    expect(Array.from(out.toArray())).toEqual([1, 2]);
    out.dispose();
    keptInner.dispose();
    expect(memoryInUse()).toBe(base);
  });

  test('tensors created before the scope are not touched, even when used inside', () => {
    const outside = Tensor.fromArray([3, 4]);
    tidy(() => {
      const t = Tensor.fromArray(outside.toArray());
      return t.size;
    });
    expect(outside.disposed).toBe(false);
    outside.dispose();
  });

  test('a tensor disposed by hand inside tidy is not freed twice', () => {
    const base = memoryInUse();
    tidy(() => {
      const t = Tensor.zeros([4]);
      t.dispose();
      Tensor.zeros([4]);
    });
    expect(memoryInUse()).toBe(base);
  });

  test('memory in use returns to the baseline after a tidy with many temporaries', () => {
    const base = memoryInUse();
    const peak = tidy(() => {
      let acc: Tensor = Tensor.zeros([64]);
      for (let i = 0; i < 200; i++) {
        const next = Tensor.fromArray(acc.toArray().map((v) => v + 1));
        acc = next;
      }
      expect(acc.toArray()[0]).toBe(200);
      return memoryInUse();
    });
    expect(peak).toBeGreaterThanOrEqual(base + 201 * 256);
    expect(memoryInUse()).toBe(base);
  });

  test('tidy returns non-tensor values unchanged', () => {
    expect(tidy(() => 'abc')).toBe('abc');
    expect(tidy(() => undefined)).toBeUndefined();
    const obj = { x: [1, 2] };
    expect(tidy(() => obj)).toBe(obj);
  });

  test('an async function is refused with a WasmNlpError and its tensors are disposed', async () => {
    const base = memoryInUse();
    let t!: Tensor;
    let promise!: Promise<unknown>;
    const e = thrown(() =>
      tidy(() => {
        t = Tensor.zeros([4]);
        promise = Promise.resolve(1);
        return promise;
      }),
    );
    expect(e).toBeInstanceOf(WasmNlpError);
    expect(e.message).toMatch(/^tidy: fn must be synchronous/);
    expect(t.disposed).toBe(true);
    expect(memoryInUse()).toBe(base);
    await promise;
  });
});

// --------------------------------------------------------- random tensors

describe('Tensor.rand / Tensor.randn argument validation', () => {
  const makers = {
    rand: (o: object) => Tensor.rand([4], o),
    randn: (o: object) => Tensor.randn([4], o),
  };
  for (const [name, make] of Object.entries(makers)) {
    test(`${name}: bad seed -> ArgumentError`, () => {
      for (const seed of [-1, 1.5, 2 ** 53, Number.NaN, Infinity]) {
        const e = thrown(() => make({ seed }));
        expect(e, `seed ${seed}`).toBeInstanceOf(ArgumentError);
        expect(e.message).toBe(`Tensor.${name}: seed must be an integer in [0, 2^53), got ${seed}`);
      }
    });

    test(`${name}: bad stream -> ArgumentError`, () => {
      for (const stream of [-1, 0.5, 2 ** 32, Number.NaN]) {
        expect(() => make({ seed: 1, stream }), `stream ${stream}`).toThrow(ArgumentError);
      }
      expect(() => make({ stream: -1 })).toThrow(/stream must be an integer in \[0, 2\^32\), got -1/);
    });

    test(`${name}: largest seed and stream are accepted`, () => {
      const t = make({ seed: 2 ** 53 - 1, stream: 2 ** 32 - 1 });
      expect(t.toArray().every(Number.isFinite)).toBe(true);
      t.dispose();
    });
  }

  test('randn: bad std -> ArgumentError', () => {
    for (const std of [-1, -1e-30, Number.NaN, Infinity]) {
      const e = thrown(() => Tensor.randn([4], { seed: 1, std }));
      expect(e, `std ${std}`).toBeInstanceOf(ArgumentError);
      expect(e.message).toBe(`Tensor.randn: std must be a finite float32 >= 0, got ${std}`);
    }
  });

  test('randn: bad mean -> ArgumentError', () => {
    for (const mean of [Number.NaN, Infinity, -Infinity]) {
      expect(() => Tensor.randn([4], { seed: 1, mean }), `mean ${mean}`).toThrow(ArgumentError);
    }
  });

  test('rejected arguments allocate nothing', () => {
    const base = memoryInUse();
    expect(() => Tensor.randn([1000], { seed: -1 })).toThrow();
    expect(() => Tensor.randn([1000], { std: -1 })).toThrow();
    expect(() => Tensor.rand([1000], { stream: -1 })).toThrow();
    expect(memoryInUse()).toBe(base);
  });

  test('defaults: seed 0, stream 0 -> the same tensor as given explicitly', () => {
    const a = Tensor.rand([9]);
    const b = Tensor.rand([9], { seed: 0, stream: 0 });
    expect(Array.from(a.toArray())).toEqual(Array.from(b.toArray()));
    const c = Tensor.randn([9]);
    const d = Tensor.randn([9], { seed: 0, stream: 0, mean: 0, std: 1 });
    expect(Array.from(c.toArray())).toEqual(Array.from(d.toArray()));
    for (const t of [a, b, c, d]) t.dispose();
  });
});

// ------------------------------------------------------------- expectTensor

describe('failure paths free what they made', () => {
  test('tidy disposes its tensors when fn throws', () => {
    const before = memoryInUse();
    let inner: Tensor | undefined;
    expect(() =>
      tidy(() => {
        inner = Tensor.zeros([100]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inner!.disposed).toBe(true);
    expect(memoryInUse()).toBe(before);
  });

  test('randn rejects mean/std outside float32 instead of returning Infinity', () => {
    expect(() => Tensor.randn([8], { seed: 1, mean: 1e39 })).toThrow(ArgumentError);
    expect(() => Tensor.randn([8], { seed: 1, std: 1e39 })).toThrow(/std must be a finite float32/);
    const t = Tensor.randn([8], { seed: 1, mean: 3e38, std: 0 });
    expect(t.toArray().every(Number.isFinite)).toBe(true);
    t.dispose();
  });
});

describe('expectTensor', () => {
  test('returns the shape of a matching tensor', () => {
    const t = Tensor.zeros([2, 5]);
    expect(expectTensor('op', 'x', t, 2)).toEqual([2, 5]);
    const i = Tensor.zeros([3], 'int32');
    expect(expectTensor('op', 'ids', i, 1, 'int32')).toEqual([3]);
    t.dispose();
    i.dispose();
  });

  test('not a Tensor -> ArgumentError; wrong dtype -> DTypeError; wrong rank -> ShapeError', () => {
    const t = Tensor.zeros([2, 5]);
    for (const bad of [null, undefined, 3, new Float32Array(2), { shape: [2, 5] }]) {
      expect(() => expectTensor('op', 'x', bad, 2), String(bad)).toThrow(ArgumentError);
    }
    expect(() => expectTensor('op', 'x', null, 2)).toThrow('op: x must be a Tensor, got null');
    expect(() => expectTensor('op', 'x', 3, 2)).toThrow('op: x must be a Tensor, got number');
    const d = thrown(() => expectTensor('op', 'ids', t, 2, 'int32'));
    expect(d).toBeInstanceOf(DTypeError);
    expect(d.message).toBe('op: ids must have dtype int32, got float32');
    const s = thrown(() => expectTensor('op', 'x', t, 3));
    expect(s).toBeInstanceOf(ShapeError);
    expect(s.message).toBe('op: x must have rank 3, got shape [2, 5]');
    t.dispose();
  });
});

// ------------------------------------------------- across shutdown (runs last)

describe('tensors across shutdown()', () => {
  test('a tensor from before shutdown is unusable after it; dispose does not free into the new heap', async () => {
    const old = Tensor.fromArray([1, 2, 3]);
    shutdown();
    await initForTests();
    await init(); // the same runtime: later init() calls return the first one
    const base = memoryInUse();
    const fresh = Tensor.fromArray([4, 5, 6]);
    const e = thrown(() => old.offset);
    expect(e).toBeInstanceOf(ArgumentError);
    expect(e.message).toMatch(/made before shutdown\(\)/);
    expect(() => old.toArray()).toThrow(ArgumentError);
    // The old tensor's offset may coincide with the fresh one's; disposing the old one must not free it.
    expect(() => old.dispose()).not.toThrow();
    expect(old.disposed).toBe(true);
    expect(memoryInUse()).toBe(base + 16);
    expect(Array.from(fresh.toArray())).toEqual([4, 5, 6]);
    fresh.dispose();
    expect(memoryInUse()).toBe(base);
  });
});
