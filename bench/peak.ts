// SIMD128 f32 throughput probe for the GEMM benchmark: the ceiling our kernel is
// measured against. Compiled by bench/gemm.bench.mjs at start (see the command
// there), never part of the library build.

/**
 * Runs `iters` iterations of 10 independent f32x4 multiply-add chains.
 *   x    (20) f32, read: five v128 operands, loaded again every iteration
 *   out  (4) f32, written: the sum of the accumulators, so nothing is dead code
 * Each iteration does 10 f32x4.mul + 10 f32x4.add = 80 flops.
 * Why this shape: 10 accumulators are enough chains to hide the add latency;
 * 12 no longer fit the 15 xmm registers V8 allocates on x86-64 and spill, which
 * halves the rate. The 10 products use the 10 distinct pairs of the 5 operands,
 * because Binaryen merges identical products and would leave fewer multiplies
 * than we count. The operands come from memory so the loop carries the loads a
 * GEMM inner loop also has. Ptrs 16-byte aligned.
 * The order of the products matters too: 10 accumulators + 5 operands + 1 product
 * is 16 values. Taking x4's products last, from x3 down to x0, lets the operands
 * die one by one. In (0,1), (0,2), (0,3), ... order the same instructions ran at
 * 20-28 GFLOP/s (a spill in the loop, we assume) where this order gives ~47.
 */
export function peak_f32x4(x: usize, out: usize, iters: i32): void {
  let c0 = f32x4.splat(0),
    c1 = f32x4.splat(0),
    c2 = f32x4.splat(0),
    c3 = f32x4.splat(0),
    c4 = f32x4.splat(0);
  let c5 = f32x4.splat(0),
    c6 = f32x4.splat(0),
    c7 = f32x4.splat(0),
    c8 = f32x4.splat(0),
    c9 = f32x4.splat(0);
  for (let i = 0; i < iters; i++) {
    const x0 = v128.load(x, 0);
    const x1 = v128.load(x, 16);
    const x2 = v128.load(x, 32);
    const x3 = v128.load(x, 48);
    const x4 = v128.load(x, 64);
    c0 = f32x4.add(c0, f32x4.mul(x0, x1));
    c1 = f32x4.add(c1, f32x4.mul(x0, x2));
    c2 = f32x4.add(c2, f32x4.mul(x1, x2));
    c3 = f32x4.add(c3, f32x4.mul(x0, x3));
    c4 = f32x4.add(c4, f32x4.mul(x1, x3));
    c5 = f32x4.add(c5, f32x4.mul(x2, x3));
    c6 = f32x4.add(c6, f32x4.mul(x3, x4));
    c7 = f32x4.add(c7, f32x4.mul(x2, x4));
    c8 = f32x4.add(c8, f32x4.mul(x1, x4));
    c9 = f32x4.add(c9, f32x4.mul(x0, x4));
  }
  const s0 = f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3));
  const s1 = f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7));
  v128.store(out, f32x4.add(f32x4.add(s0, s1), f32x4.add(c8, c9)));
}
