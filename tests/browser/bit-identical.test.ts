// Node and Chromium must produce bit-identical GEMM output for the same seeded
// input: SIMD128 only (no relaxed SIMD, no FMA contraction), a summation order
// fixed by the blocking, and random inputs from the counter-based RNG in Wasm.
import { expect, test } from 'vitest';
import { commands } from 'vitest/browser';
import { initForTests } from '../helpers/runtime.js';
import { computeDigests, type DigestCase, type DigestResult } from '../helpers/digests.js';
import { digest } from '../helpers/assert.js';
import { Tensor, tidy } from '../../src/core/tensor.js';
import { matmul } from '../../src/ops/matmul.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    nodeGemmDigests: (cases: DigestCase[]) => Promise<DigestResult[]>;
  }
}

const CASES: DigestCase[] = [
  { m: 256, k: 256, n: 256, seed: 1 },
  { m: 257, k: 300, n: 33, seed: 2, transposeA: true, bias: true, relu: true },
  { m: 31, k: 513, n: 129, seed: 3, transposeB: true },
  { m: 7, k: 3, n: 2100, seed: 4, bias: true },
];

test('Chromium and Node produce bit-identical GEMM output (same SHA-256)', async () => {
  await initForTests();
  const here = await computeDigests({ Tensor, ops: { matmul }, tidy }, CASES, (b) => digest(b));
  const node = await commands.nodeGemmDigests(CASES);
  expect(here).toHaveLength(CASES.length);
  for (let i = 0; i < CASES.length; i++) {
    // Inputs first: if they differ the RNG is at fault, not GEMM.
    expect(here[i]!.inputs, `inputs of case ${i}`).toBe(node[i]!.inputs);
    expect(here[i]!.output, `output of case ${i}`).toBe(node[i]!.output);
  }
  // The digests are of real data: distinct cases give distinct outputs.
  expect(new Set(here.map((d) => d.output)).size).toBe(CASES.length);
});
