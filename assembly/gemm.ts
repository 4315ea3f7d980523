// Single-precision GEMM: C = alpha * op(A) * op(B) + beta * C, with an epilogue.
//
// Layout of the algorithm (GotoBLAS/BLIS order):
//   for jc over N in steps of NC          B block  (KC x NC) packed once per (jc, pc)
//     for pc over K in steps of KC
//       pack op(B)[pc:pc+KC, jc:jc+NC]  -> bp, NR-wide column panels, k-major
//       for ic over M in steps of MC     A block  (MC x KC) packed once per (ic, pc)
//         pack op(A)[ic:ic+MC, pc:pc+KC] -> ap, MR-tall row panels, k-major
//         for jr, ir: MR x NR micro-kernel over the packed panels
// Packing turns every transpose case into the same contiguous micro-kernel, so
// NN, NT, TN and TT run at the same speed; the packing cost is O(MK + KN)
// against O(MNK) for the multiply. Partial panels are zero-padded when packed;
// partial tiles are computed in full into a scratch tile and only their valid
// part is written back, so nothing outside A, B or C is read or written.
//
// The micro-kernel and the packing routines are tile.ts's (shared with
// attention.ts; its header gives the register budget and the variants measured
// and rejected). KC, MC, NC from 128 to 2048 are within noise of the values below.
//
// Summation order is fixed by (KC, MR, NR) and the k order, never by timing,
// so results are bit-identical across runtimes and runs.

import { TILE_MR, TILE_NR, mk_4x8, pack_a_n, pack_a_t, pack_b_n, pack_b_t } from './tile';

// @ts-ignore: decorator
@inline export const GEMM_KC: i32 = 256;
// @ts-ignore: decorator
@inline export const GEMM_MC: i32 = 128;
// @ts-ignore: decorator
@inline export const GEMM_NC: i32 = 2048;

/** Activation codes for the epilogue. */
// @ts-ignore: decorator
@inline export const ACT_NONE: i32 = 0;
// @ts-ignore: decorator
@inline export const ACT_RELU: i32 = 1;

/**
 * Bytes of scratch `gemm_f32` needs at `work` (16-byte aligned): the packed A
 * block (MC x KC), the packed B block (KC x NC) and one MR x NR tile.
 */
export function gemm_workspace_bytes(): i32 {
  return (GEMM_MC * GEMM_KC + GEMM_KC * GEMM_NC + TILE_MR * TILE_NR) * 4;
}

/**
 * C = alpha * op(A) * op(B) + beta * C, then optionally C += bias (row vector)
 * and C = max(C, 0).
 *   a     op(A) is (m, k): A is (m, k) with row stride lda, or (k, m) if transA
 *   b     op(B) is (k, n): B is (k, n) with row stride ldb, or (n, k) if transB
 *   bias  (n) f32 added to every row of C after the product, or 0 for none
 *   c     (m, n) row stride ldc, read (unless beta == 0) and written
 *   work  gemm_workspace_bytes() of scratch, 16-byte aligned, no alias
 *   act   ACT_NONE or ACT_RELU, applied after the bias
 * beta == 0 means C is not read (BLAS semantics: NaN/garbage in C is ignored).
 * k == 0 gives C = beta * C (+ bias, act). C must not alias A, B or bias.
 * Strides are in elements, lda >= cols of the stored A, and so on; the caller
 * (TypeScript) has checked every dimension and that all buffers fit in memory.
 */
export function gemm_f32(a: usize, b: usize, bias: usize, c: usize, work: usize,
                         m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
                         transA: i32, transB: i32, alpha: f32, beta: f32, act: i32): void {
  // Checked in TypeScript first; these fire only in the debug build (--noAssert elsewhere).
  assert(m >= 0 && n >= 0 && k >= 0, 'gemm_f32: m, n and k must be >= 0');
  assert(lda >= (transA ? m : k) && ldb >= (transB ? k : n) && ldc >= n, 'gemm_f32: a leading dimension is below its row length');
  assert((work & 15) == 0, 'gemm_f32: work must be 16-byte aligned');
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    scale_rows(c, bias, m, n, ldc, beta, act);
    return;
  }
  const ap = work;
  const bp = ap + <usize>(GEMM_MC * GEMM_KC * 4);
  const tile = bp + <usize>(GEMM_KC * GEMM_NC * 4);
  for (let jc = 0; jc < n; jc += GEMM_NC) {
    const nc = min(GEMM_NC, n - jc);
    for (let pc = 0; pc < k; pc += GEMM_KC) {
      const kc = min(GEMM_KC, k - pc);
      const first = pc == 0;
      const last = pc + kc >= k;
      if (transB) pack_b_t(b, bp, pc, jc, kc, nc, ldb);
      else pack_b_n(b, bp, pc, jc, kc, nc, ldb);
      for (let ic = 0; ic < m; ic += GEMM_MC) {
        const mc = min(GEMM_MC, m - ic);
        if (transA) pack_a_t(a, ap, ic, pc, mc, kc, lda);
        else pack_a_n(a, ap, ic, pc, mc, kc, lda);
        for (let jr = 0; jr < nc; jr += TILE_NR) {
          const nr = min(TILE_NR, nc - jr);
          const bpanel = bp + <usize>(jr * kc * 4);
          const biasj = bias != 0 ? bias + (<usize>(jc + jr) << 2) : 0;
          for (let ir = 0; ir < mc; ir += TILE_MR) {
            const mr = min(TILE_MR, mc - ir);
            const apanel = ap + <usize>(ir * kc * 4);
            const cp = c + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 2);
            gemm_tile(apanel, bpanel, biasj, cp, tile, kc, mr, nr, ldc, alpha, beta, first, last, act);
          }
        }
      }
    }
  }
}

/** C = beta * C (+ bias, act) for k == 0; beta == 0 writes zeros without reading. */
function scale_rows(c: usize, bias: usize, m: i32, n: i32, ldc: i32, beta: f32, act: i32): void {
  for (let i = 0; i < m; i++) {
    const row = c + ((<usize>i * <usize>ldc) << 2);
    for (let j = 0; j < n; j++) {
      const p = row + (<usize>j << 2);
      let v: f32 = beta != 0 ? beta * load<f32>(p) : 0;
      if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
      if (act == ACT_RELU) v = max<f32>(v, 0);
      store<f32>(p, v);
    }
  }
}

/**
 * One MR x NR tile of C: acc = sum_p ap[p, 0:4]^T * bp[p, 0:8] over kc (tile.ts's
 * mk_4x8), then C[0:mr, 0:nr] = alpha * acc + (first ? beta * C : C), and on the
 * last K block + bias, act. Full tiles update C in place with vector loads/stores;
 * partial tiles go through `tile` (MR x NR f32 scratch) with the same arithmetic,
 * so a value does not depend on where its tile fell.
 */
function gemm_tile(ap: usize, bp: usize, bias: usize, c: usize, tile: usize,
                   kc: i32, mr: i32, nr: i32, ldc: i32,
                   alpha: f32, beta: f32, first: bool, last: bool, act: i32): void {
  const full = mr == TILE_MR && nr == TILE_NR;
  const readC = !first || beta != 0;
  if (!full && readC) load_tile(c, tile, mr, nr, ldc);
  // A partial tile defers bias and act to store_tile (scalar, same order of
  // operations), so no vector load reads past the end of bias.
  const epi = full && last;
  mk_4x8(ap, 16, bp, 32, kc, full ? c : tile, full ? <usize>ldc << 2 : <usize>(TILE_NR * 4),
    readC, true, alpha, first ? beta : 1, epi ? bias : 0, epi && act == ACT_RELU);
  if (!full) store_tile(tile, c, bias, mr, nr, ldc, last, act);
}

/** Copy the valid mr x nr part of C into the scratch tile (zeros elsewhere). */
function load_tile(c: usize, tile: usize, mr: i32, nr: i32, ldc: i32): void {
  for (let i = 0; i < TILE_MR; i++) {
    for (let j = 0; j < TILE_NR; j++) {
      const v: f32 = i < mr && j < nr ? load<f32>(c + ((<usize>i * <usize>ldc + <usize>j) << 2)) : 0;
      store<f32>(tile + (<usize>(i * TILE_NR + j) << 2), v);
    }
  }
}

/** Copy the valid mr x nr part of the scratch tile back to C, adding bias and act if last. */
function store_tile(tile: usize, c: usize, bias: usize, mr: i32, nr: i32, ldc: i32, last: bool, act: i32): void {
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      let v = load<f32>(tile + (<usize>(i * TILE_NR + j) << 2));
      if (last) {
        if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
        if (act == ACT_RELU) v = max<f32>(v, 0);
      }
      store<f32>(c + ((<usize>i * <usize>ldc + <usize>j) << 2), v);
    }
  }
}
