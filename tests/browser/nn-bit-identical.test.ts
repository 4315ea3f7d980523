// Node and Chromium must give bit-identical parameters (and losses) after 20
// seeded AdamW steps of small encoder classifiers with dropout: name-keyed
// Philox init, counter-based dropout masks, SIMD128-only kernels.
import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { initForTests } from '../helpers/runtime.js';
import { nnDigests } from '../helpers/nn-tiny.js';
import { digest } from '../helpers/assert.js';
import * as lib from '../../src/index.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    nodeNnDigests: () => Promise<Record<string, string>>;
  }
}

test('Chromium and Node train small encoders to bit-identical parameters (20 seeded AdamW steps, dropout on)', async () => {
  await initForTests();
  const here = await nnDigests(lib, (b) => digest(b));
  const node = await commands.nodeNnDigests();
  expect(Object.keys(here).length).toBe(3);
  expect(Object.keys(node).sort()).toEqual(Object.keys(here).sort());
  for (const name of Object.keys(here)) expect(here[name], name).toBe(node[name]);
  expect(new Set(Object.values(here)).size).toBe(3);
});
