// Node and Chromium must produce bit-identical results from every training
// kernel (forward and backward, dropout masks included) for seeded inputs.
import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { initForTests } from '../helpers/runtime.js';
import { computeKernelDigests } from '../helpers/kernel-digests.js';
import { digest } from '../helpers/assert.js';
import * as lib from '../../src/index.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    nodeKernelDigests: () => Promise<Record<string, string>>;
  }
}

test('Chromium and Node produce bit-identical training-kernel results (same SHA-256 per family)', async () => {
  await initForTests();
  const here = await computeKernelDigests(lib, (b) => digest(b));
  const node = await commands.nodeKernelDigests();
  expect(Object.keys(here).length).toBeGreaterThanOrEqual(10);
  expect(Object.keys(node).sort()).toEqual(Object.keys(here).sort());
  for (const name of Object.keys(here)) expect(here[name], name).toBe(node[name]);
  // Real data: distinct computations give distinct digests.
  expect(new Set(Object.values(here)).size).toBe(Object.keys(here).length);
});
