// The Wasm heap after repeated calls: nothing a call makes may outlive it.
import { expect } from 'vitest';
import { memoryStats } from '../../src/core/runtime.js';

/**
 * Runs `fn` once (what a first call keeps, such as parameter gradients, stays), then
 * `times` more: the heap's bytes in use and its block count must end where they were
 * after the first call.
 */
export function expectFlatHeap(fn: () => unknown, times: number): void {
  fn();
  const before = memoryStats();
  for (let i = 0; i < times; i++) fn();
  const after = memoryStats();
  expect(after.bytesInUse, 'bytes in use').toBe(before.bytesInUse);
  expect(after.blocks, 'blocks').toBe(before.blocks);
}
