// The loader: init() from url, bytes, module and the platform default; option
// checks; the debug build's assertion reporting; and threads over shared memory.
// Runs in Node and in headless Chromium. The "before init" block must stay first:
// init state is per file, and every later block ends with shutdown().
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ArgumentError, NotInitializedError, WasmNlpError } from '../../src/core/errors.js';
import { checkSimd, init, isInitialized, rt, shutdown } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { gemm, matmul } from '../../src/ops/matmul.js';
import { DIST_URL, IN_BROWSER, installPlatform, wasmBytes } from '../helpers/runtime.js';
import { expectSameBits } from '../helpers/assert.js';

/** A valid Wasm module with nothing in it: not a wasm-nlp core. */
const EMPTY_MODULE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);

/** A small product with a known integer result, exact in float32 (exercises the SIMD body and tails). */
function expectKnownMatmul(): void {
  const a = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = Tensor.fromArray([7, 8, 9, 10, 11, 12], [3, 2]);
  expect(matmul(a, b).toNested()).toEqual([
    [58, 64],
    [139, 154],
  ]);
  // 5x7 times 7x9 with small integers: every sum is exact, so compare exactly.
  const [m, k, n] = [5, 7, 9];
  const av = Float32Array.from({ length: m * k }, (_, i) => ((i * 7) % 11) - 5);
  const bv = Float32Array.from({ length: k * n }, (_, i) => ((i * 5) % 13) - 6);
  const want = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += av[i * k + p]! * bv[p * n + j]!;
      want[i * n + j] = s;
    }
  expect(Array.from(matmul(Tensor.fromArray(av, [m, k]), Tensor.fromArray(bv, [k, n])).toArray())).toEqual(
    Array.from(want),
  );
}

/** The error a call throws (fails the test when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return expect.fail('expected the call to throw');
}

describe('before init', () => {
  test('the runtime is not initialized', () => {
    expect(isInitialized()).toBe(false);
  });

  test('rt() throws NotInitializedError naming the caller and init()', () => {
    const e = thrown(() => rt('x'));
    expect(e).toBeInstanceOf(NotInitializedError);
    expect(e).toBeInstanceOf(WasmNlpError);
    expect((e as Error).name).toBe('NotInitializedError');
    expect((e as Error).message).toMatch(/^x: /);
    expect((e as Error).message).toContain('await init()');
  });

  test('Tensor.zeros throws NotInitializedError', () => {
    const e = thrown(() => Tensor.zeros([2, 3]));
    expect(e).toBeInstanceOf(NotInitializedError);
    expect((e as Error).message).toMatch(/^Tensor\.\w+: the Wasm core must be loaded first/);
    expect((e as Error).message).toContain('init()');
  });

  test('Tensor.fromArray and Tensor.randn throw NotInitializedError', () => {
    expect(() => Tensor.fromArray([1, 2, 3])).toThrow(NotInitializedError);
    expect(() => Tensor.randn([4], { seed: 1 })).toThrow(NotInitializedError);
  });

  test('matmul and gemm throw NotInitializedError before looking at their arguments', () => {
    const e = thrown(() => matmul({} as Tensor, {} as Tensor));
    expect(e).toBeInstanceOf(NotInitializedError);
    expect((e as Error).message).toMatch(/^matmul: .*init\(\)/);
    const g = thrown(() => gemm(new Float32Array(1), new Float32Array(1), { m: 1, n: 1, k: 1 }));
    expect(g).toBeInstanceOf(NotInitializedError);
    expect((g as Error).message).toMatch(/^gemm: /);
  });
});

describe('checkSimd', () => {
  test('a runtime without SIMD128 gets a WasmNlpError naming the runtimes that have it', () => {
    let probed: BufferSource | undefined;
    const e = thrown(() => checkSimd((bytes) => ((probed = bytes), false)));
    expect(e).toBeInstanceOf(WasmNlpError);
    const msg = (e as Error).message;
    expect(msg).toMatch(/^init: /);
    expect(msg).toContain('SIMD128');
    expect(msg).toContain('Node');
    expect(msg).toContain('Chrome');
    // The probe it validates is a real module, and the real validator accepts it here.
    expect(probed).toBeDefined();
    expect(WebAssembly.validate(probed!)).toBe(true);
  });

  test('the real validator passes', () => {
    expect(() => checkSimd()).not.toThrow();
    expect(() => checkSimd((b) => WebAssembly.validate(b))).not.toThrow();
  });
});

describe('init from each source', () => {
  afterEach(() => shutdown());

  test('init({ bytes }) with the bytes of wasm-nlp.wasm', async () => {
    const bytes = await wasmBytes('wasm-nlp.wasm');
    const info = await init({ bytes });
    expect(info).toEqual({ build: 'release', threads: 1, sharedMemory: false, maxMemory: 2 ** 32 });
    expect(isInitialized()).toBe(true);
    expect(rt('t').pool).toBeUndefined();
    expect(rt('t').memory.buffer).toBeInstanceOf(ArrayBuffer);
    expectKnownMatmul();
  });

  test('init({ bytes }) accepts a bare ArrayBuffer', async () => {
    const bytes = await wasmBytes('wasm-nlp.wasm');
    await init({ bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
    expectKnownMatmul();
  });

  test('init({ module }) with a WebAssembly.Module', async () => {
    const module = new WebAssembly.Module(await wasmBytes('wasm-nlp.wasm'));
    const info = await init({ module });
    expect(info.build).toBe('release');
    expect(rt('t').module).toBe(module);
    expectKnownMatmul();
  });

  test('init({ module }) with the result of WebAssembly.compile', async () => {
    const module = await WebAssembly.compile(await wasmBytes('wasm-nlp.wasm'));
    await init({ module });
    expectKnownMatmul();
  });

  test('init({ url }) with a URL object', async () => {
    installPlatform();
    const url = new URL('wasm-nlp.wasm', DIST_URL);
    // Node reads a file: URL through the node platform; the browser fetches over HTTP.
    expect(url.protocol).toBe(IN_BROWSER ? location.protocol : 'file:');
    await init({ url });
    expectKnownMatmul();
  });

  test('init({ url }) with an absolute URL string', async () => {
    installPlatform();
    await init({ url: new URL('wasm-nlp.wasm', DIST_URL).href });
    expectKnownMatmul();
  });

  test('init() with no options loads the platform default next to the bundle', async () => {
    installPlatform();
    const info = await init();
    expect(info).toEqual({ build: 'release', threads: 1, sharedMemory: false, maxMemory: 2 ** 32 });
    expectKnownMatmul();
  });

  test('maxMemory and initialMemory are applied', async () => {
    installPlatform();
    const info = await init({ maxMemory: 64 * 2 ** 20 + 1000, initialMemory: 2 * 2 ** 20 });
    expect(info.maxMemory).toBe(64 * 2 ** 20); // rounded down to whole pages
    expect(rt('t').memory.buffer.byteLength).toBe(2 * 2 ** 20);
    expectKnownMatmul();
  });

  test('shutdown() forgets the runtime; init() may be called again', async () => {
    installPlatform();
    await init();
    const t = Tensor.zeros([2]);
    shutdown();
    expect(isInitialized()).toBe(false);
    expect(() => rt('x')).toThrow(NotInitializedError);
    await init();
    // A tensor of the old runtime must not be used with the new one.
    expect(() => t.offset).toThrow(ArgumentError);
    expectKnownMatmul();
  });
});

describe('init options are checked', () => {
  beforeAll(() => installPlatform());
  afterEach(() => shutdown());

  test('a second call returns the same promise and info, whatever its options', async () => {
    const p1 = init();
    const p2 = init({ debug: true });
    expect(p2).toBe(p1);
    const i1 = await p1;
    expect(await init({ maxMemory: 2 ** 20 })).toBe(i1);
    expect(init()).toBe(p1);
    expect(i1.build).toBe('release');
  });

  test('more than one of url, bytes and module is an ArgumentError', async () => {
    const bytes = await wasmBytes('wasm-nlp.wasm');
    const module = await WebAssembly.compile(bytes);
    const url = new URL('wasm-nlp.wasm', DIST_URL);
    for (const o of [
      { url, bytes },
      { bytes, module },
      { url, module },
      { url, bytes, module },
    ]) {
      const p = init(o);
      await expect(p).rejects.toThrow(ArgumentError);
      await expect(p).rejects.toThrow(/^init: options must name at most one of url, bytes and module, got [23]$/);
    }
    expect(isInitialized()).toBe(false);
  });

  test.each([0, 1.5, -1, 65, Number.NaN])('threads: %s is an ArgumentError', async (threads) => {
    await expect(init({ threads })).rejects.toThrow(ArgumentError);
    await expect(init({ threads })).rejects.toThrow(/^init: threads must be an integer in \[1, 64\], got /);
    expect(isInitialized()).toBe(false);
  });

  test('debug with threads > 1 is an ArgumentError', async () => {
    await expect(init({ debug: true, threads: 2 })).rejects.toThrow(ArgumentError);
  });

  test.each([0, 1000, 65535, 2 ** 32 + 65536, Number.NaN, Number.POSITIVE_INFINITY, -65536])(
    'maxMemory: %s is an ArgumentError',
    async (maxMemory) => {
      await expect(init({ maxMemory })).rejects.toThrow(ArgumentError);
      await expect(init({ maxMemory })).rejects.toThrow(/^init: maxMemory must be between 65536 and 4294967296 bytes/);
    },
  );

  test('initialMemory above maxMemory or negative is an ArgumentError', async () => {
    await expect(init({ maxMemory: 2 ** 20, initialMemory: 2 ** 21 })).rejects.toThrow(ArgumentError);
    await expect(init({ initialMemory: -1 })).rejects.toThrow(ArgumentError);
  });

  test('the shared-memory build for threads: 1 does not link: ArgumentError', async () => {
    const module = await WebAssembly.compile(await wasmBytes('wasm-nlp-mt.wasm'));
    const p = init({ threads: 1, module });
    await expect(p).rejects.toThrow(ArgumentError);
    await expect(p).rejects.toThrow(/^init: module must be wasm-nlp\.wasm .*does not link/);
    expect(isInitialized()).toBe(false);
  });

  test('the single-threaded build for threads: 2 does not link: ArgumentError', async () => {
    const module = await WebAssembly.compile(await wasmBytes('wasm-nlp.wasm'));
    const p = init({ threads: 2, module });
    await expect(p).rejects.toThrow(ArgumentError);
    await expect(p).rejects.toThrow(/^init: module must be wasm-nlp-mt\.wasm .*does not link/);
  });

  test('a valid module that is not a wasm-nlp core is an ArgumentError', async () => {
    await expect(init({ bytes: EMPTY_MODULE })).rejects.toThrow(ArgumentError);
    await expect(init({ module: new WebAssembly.Module(EMPTY_MODULE) })).rejects.toThrow(/wasm-nlp core/);
    expect(isInitialized()).toBe(false);
  });

  test('module that is not a WebAssembly.Module is an ArgumentError', async () => {
    const p = init({ module: EMPTY_MODULE as unknown as WebAssembly.Module });
    await expect(p).rejects.toThrow(ArgumentError);
    await expect(p).rejects.toThrow(/^init: module must be a WebAssembly\.Module, got \[object Uint8Array\]/);
  });

  test('after a rejected init, init() succeeds', async () => {
    await expect(init({ threads: 0 })).rejects.toThrow(ArgumentError);
    await init();
    expectKnownMatmul();
  });
});

describe('debug build', () => {
  afterAll(() => shutdown());

  test('init({ debug: true }) loads wasm-nlp-debug.wasm, which imports env.abort', async () => {
    installPlatform();
    const info = await init({ debug: true });
    expect(info).toEqual({ build: 'debug', threads: 1, sharedMemory: false, maxMemory: 2 ** 32 });
    const imports = WebAssembly.Module.imports(rt('t').module);
    expect(imports).toContainEqual({ module: 'env', name: 'abort', kind: 'function' });
    expectKnownMatmul();
  });

  test('a kernel assertion (ldc < n, bypassing the TS checks) throws a WasmNlpError, not a trap', () => {
    const { kernels, heap } = rt('t');
    const [m, n, k] = [2, 4, 3];
    const a = heap.alloc(m * k * 4);
    const b = heap.alloc(k * n * 4);
    const c = heap.alloc(m * n * 4);
    const work = heap.alloc(kernels.gemm_workspace_bytes());
    const e = thrown(() => kernels.gemm_f32(a, b, 0, c, work, m, n, k, k, n, /* ldc */ 2, 0, 0, 1, 0, 0));
    expect(e).toBeInstanceOf(WasmNlpError);
    expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
    const msg = (e as Error).message;
    expect(msg).toContain('kernel assertion failed');
    expect(msg).toContain('gemm_f32');
    expect(msg).toContain('leading dimension');
    expect(msg).toContain('gemm.ts');
  });

  test('a misaligned workspace trips its assertion', () => {
    const { kernels, heap } = rt('t');
    const buf = heap.alloc(64);
    const work = heap.alloc(kernels.gemm_workspace_bytes() + 16);
    const e = thrown(() => kernels.gemm_f32(buf, buf, 0, buf + 32, work + 4, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0));
    expect(e).toBeInstanceOf(WasmNlpError);
    expect((e as Error).message).toMatch(/kernel assertion failed: gemm_f32: work must be 16-byte aligned/);
  });

  test('after an assertion failure the runtime still works', () => {
    expectKnownMatmul();
  });

  test('the debug build computes the same bits as the release build', async () => {
    const product = (): Float32Array => {
      const a = Tensor.randn([37, 53], { seed: 11 });
      const b = Tensor.randn([53, 29], { seed: 12 });
      const bt = Tensor.randn([29, 53], { seed: 13 });
      const c = matmul(a, b).toArray();
      const d = matmul(a, bt, { transposeB: true }).toArray();
      const out = new Float32Array(c.length + d.length);
      out.set(c);
      out.set(d, c.length);
      return out;
    };
    expect(rt('t').build).toBe('debug');
    const debug = product();
    shutdown();
    installPlatform();
    await init();
    expect(rt('t').build).toBe('release');
    const release = product();
    expectSameBits(debug, release);
  });
});

describe('threads over shared memory', () => {
  afterAll(() => shutdown());

  test('the page is cross-origin isolated (browser) / SharedArrayBuffer exists (Node)', () => {
    if (IN_BROWSER) expect(globalThis.crossOriginIsolated).toBe(true);
    expect(typeof SharedArrayBuffer).toBe('function');
  });

  test('init({ threads: 2 }) starts 2 workers over one shared memory', async () => {
    installPlatform();
    const info = await init({ threads: 2 });
    expect(info).toEqual({ build: 'mt', threads: 2, sharedMemory: true, maxMemory: 2 ** 32 });
    const r = rt('t');
    expect(r.pool?.size).toBe(2);
    expect(r.memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  test('two workers each compute half the rows; the result equals the single-threaded product bit for bit', async () => {
    const r = rt('t');
    const pool = r.pool!;
    const [M, N, K] = [96, 40, 51];
    const a = Tensor.randn([M, K], { seed: 21 });
    const b = Tensor.randn([K, N], { seed: 22 });
    const c = Tensor.empty([M, N]);
    const works = [0, 1].map(() => r.heap.alloc(r.kernels.gemm_workspace_bytes()));
    const half = M / 2;
    const calls = [0, 1].map((i) =>
      pool.call(i, 'gemm_f32', [
        a.offset + i * half * K * 4,
        b.offset,
        0,
        c.offset + i * half * N * 4,
        works[i]!,
        half,
        N,
        K,
        K,
        N,
        N,
        0,
        0,
        1,
        0,
        0,
      ]),
    );
    expect(await Promise.all(calls)).toEqual([undefined, undefined]);
    expectSameBits(c.toArray(), matmul(a, b).toArray());
  });
});
