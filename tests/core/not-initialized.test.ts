// Everything that needs the Wasm core throws NotInitializedError before
// `await init()`. This file never calls init (each test file has its own
// module instance, so the other files' init does not reach it).
import { describe, expect, test } from 'vitest';
import { NotInitializedError, WasmNlpError } from '../../src/core/errors.js';
import { isInitialized, memoryInUse, memoryStats, rt } from '../../src/core/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { gemm, matmul } from '../../src/ops/matmul.js';

/** Asserts `fn` throws a NotInitializedError whose message names `fnName` and init(). */
function expectNotInitialized(fn: () => unknown, fnName: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(NotInitializedError);
  expect(err).toBeInstanceOf(WasmNlpError);
  const e = err as Error;
  expect(e.name).toBe('NotInitializedError');
  expect(e.message.startsWith(`${fnName}: `), e.message).toBe(true);
  expect(e.message).toContain('init()');
}

describe('before init()', () => {
  test('the runtime reports it is not initialized', () => {
    expect(isInitialized()).toBe(false);
    expectNotInitialized(() => rt('someOp'), 'someOp');
  });

  test('Tensor.zeros, empty, fromArray, rand, randn throw NotInitializedError', () => {
    expectNotInitialized(() => Tensor.zeros([2, 2]), 'Tensor.zeros');
    expectNotInitialized(() => Tensor.empty([3]), 'Tensor.empty');
    expectNotInitialized(() => Tensor.fromArray([1, 2, 3]), 'Tensor.fromArray');
    expectNotInitialized(() => Tensor.rand([3], { seed: 1 }), 'Tensor.rand');
    expectNotInitialized(() => Tensor.randn([3], { seed: 1 }), 'Tensor.randn');
  });

  test('matmul throws NotInitializedError before looking at its arguments', () => {
    const fake = {} as Tensor;
    expectNotInitialized(() => matmul(fake, fake), 'matmul');
  });

  test('gemm throws NotInitializedError', () => {
    const a = new Float32Array(4);
    expectNotInitialized(() => gemm(a, a, { m: 2, n: 2, k: 2 }), 'gemm');
  });

  test('memoryInUse and memoryStats throw NotInitializedError', () => {
    expectNotInitialized(() => memoryInUse(), 'memoryInUse');
    expectNotInitialized(() => memoryStats(), 'memoryStats');
  });
});
