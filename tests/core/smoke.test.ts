import { beforeAll, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { matmul } from '../../src/ops/matmul.js';

beforeAll(async () => {
  await initForTests();
});

test('2x3 times 3x2', () => {
  const a = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = Tensor.fromArray([1, 0, 0, 1, 1, 1], [3, 2]);
  expect(matmul(a, b).toNested()).toEqual([
    [4, 5],
    [10, 11],
  ]);
});
