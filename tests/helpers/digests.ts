// The cross-runtime determinism probe: seeded inputs from the library's own
// RNG (Philox + Box-Muller in Wasm), a GEMM over them, and SHA-256 of the raw
// bytes of inputs and outputs. Run in Node (by the browser test's command) and
// in the page; the digests must match exactly.
import type { Tensor as TensorT } from '../../src/core/tensor.js';

export interface DigestCase {
  m: number;
  k: number;
  n: number;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: boolean;
  relu?: boolean;
  seed: number;
}

export interface DigestResult {
  inputs: string;
  output: string;
}

type Lib = {
  Tensor: typeof TensorT;
  ops: { matmul: typeof import('../../src/ops/matmul.js').matmul };
  tidy: typeof import('../../src/core/tensor.js').tidy;
};

/** Digests of each case computed with `lib` (the src modules or the built bundle). */
export async function computeDigests(
  lib: Lib,
  cases: DigestCase[],
  sha256: (b: Uint8Array) => Promise<string>,
): Promise<DigestResult[]> {
  const out: DigestResult[] = [];
  for (const c of cases) {
    const bytes = lib.tidy(() => {
      const A = lib.Tensor.randn(c.transposeA ? [c.k, c.m] : [c.m, c.k], { seed: c.seed, stream: 0 });
      const B = lib.Tensor.randn(c.transposeB ? [c.n, c.k] : [c.k, c.n], { seed: c.seed, stream: 1 });
      const bias = c.bias ? lib.Tensor.randn([c.n], { seed: c.seed, stream: 2 }) : undefined;
      const C = lib.ops.matmul(A, B, {
        transposeA: c.transposeA,
        transposeB: c.transposeB,
        bias,
        activation: c.relu ? 'relu' : 'none',
      });
      const ins = new Uint8Array(A.byteLength + B.byteLength);
      ins.set(new Uint8Array(A.toArray().buffer), 0);
      ins.set(new Uint8Array(B.toArray().buffer), A.byteLength);
      return { ins, outs: new Uint8Array(C.toArray().buffer) };
    });
    out.push({ inputs: await sha256(bytes.ins), output: await sha256(bytes.outs) });
  }
  return out;
}

/** The Node side: load the built Node bundle and compute the digests there. */
export async function gemmDigests(cases: DigestCase[]): Promise<DigestResult[]> {
  const bundle = new URL('../../dist/wasm-nlp.node.js', import.meta.url).href;
  const lib = (await import(/* @vite-ignore */ bundle)) as Lib & { init: () => Promise<unknown> };
  await lib.init();
  const { createHash } = await import('node:crypto');
  return computeDigests(lib, cases, async (b) => createHash('sha256').update(b).digest('hex'));
}
