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
// Register budget: V8 on x64 gives Wasm 15 usable xmm registers and issues a
// step's loads before its arithmetic, so the 4 x 8 tile holds 8 accumulators +
// 2 B vectors + 4 A splats + 1 product = 15: it fits exactly. Measured on Zen 3
// (Node 20), all slower than this kernel: 5 x 8 and 6 x 8 tiles (spill, -35%),
// k unrolled by 2 or 4 (Binaryen nests the steps, V8 hoists the second step's
// loads and spills, -15 to -25%), A packed pre-splatted (-2%), splats by shuffle
// from one A load as XNNPACK does (-14%), and a 2 x 16 tile (8% faster alone
// but 5-14% slower inside the blocked GEMM). KC, MC, NC from 128 to 2048 are
// within noise of the values below.
//
// Summation order is fixed by (KC, MR, NR) and the k order, never by timing,
// so results are bit-identical across runtimes and runs.

// @ts-ignore: decorator
@inline export const GEMM_MR: i32 = 4;
// @ts-ignore: decorator
@inline export const GEMM_NR: i32 = 8;
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
  return (GEMM_MC * GEMM_KC + GEMM_KC * GEMM_NC + GEMM_MR * GEMM_NR) * 4;
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
        for (let jr = 0; jr < nc; jr += GEMM_NR) {
          const nr = min(GEMM_NR, nc - jr);
          const bpanel = bp + <usize>(jr * kc * 4);
          const biasj = bias != 0 ? bias + (<usize>(jc + jr) << 2) : 0;
          for (let ir = 0; ir < mc; ir += GEMM_MR) {
            const mr = min(GEMM_MR, mc - ir);
            const apanel = ap + <usize>(ir * kc * 4);
            const cp = c + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 2);
            kernel_4x8(apanel, bpanel, biasj, cp, tile, kc, mr, nr, ldc, alpha, beta, first, last, act);
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
 * Pack A (not transposed) rows [ic, ic+mc) x cols [pc, pc+kc) into MR-tall
 * panels: ap[panel][p * MR + i] = A[ic + panel*MR + i, pc + p]; rows past mc are 0.
 * Full panels go through 4 x 4 register transposes.
 */
function pack_a_n(a: usize, ap: usize, ic: i32, pc: i32, mc: i32, kc: i32, lda: i32): void {
  const stride = <usize>lda << 2;
  let dst = ap;
  for (let ir = 0; ir < mc; ir += GEMM_MR) {
    const mr = min(GEMM_MR, mc - ir);
    const src = a + ((<usize>(ic + ir) * <usize>lda + <usize>pc) << 2);
    if (mr == GEMM_MR) {
      const r0 = src, r1 = src + stride, r2 = r1 + stride, r3 = r2 + stride;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const off = <usize>p << 2;
        const x0 = v128.load(r0 + off), x1 = v128.load(r1 + off);
        const x2 = v128.load(r2 + off), x3 = v128.load(r3 + off);
        // 4 x 4 transpose: column p+q of the four rows becomes one vector.
        const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        v128.store(dst, i64x2.shuffle(t0, t1, 0, 2));
        v128.store(dst, i64x2.shuffle(t0, t1, 1, 3), 16);
        v128.store(dst, i64x2.shuffle(t2, t3, 0, 2), 32);
        v128.store(dst, i64x2.shuffle(t2, t3, 1, 3), 48);
        dst += 64;
      }
      for (; p < kc; p++) {
        const off = <usize>p << 2;
        store<f32>(dst, load<f32>(r0 + off));
        store<f32>(dst, load<f32>(r1 + off), 4);
        store<f32>(dst, load<f32>(r2 + off), 8);
        store<f32>(dst, load<f32>(r3 + off), 12);
        dst += 16;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < GEMM_MR; i++) {
          const v: f32 = i < mr ? load<f32>(src + <usize>i * stride + (<usize>p << 2)) : 0;
          store<f32>(dst + (<usize>i << 2), v);
        }
        dst += GEMM_MR * 4;
      }
    }
  }
}

/**
 * Pack A stored transposed ((k, m), row stride lda) into the same MR-tall panels:
 * ap[panel][p * MR + i] = A[pc + p, ic + panel*MR + i]; a contiguous copy per p.
 */
function pack_a_t(a: usize, ap: usize, ic: i32, pc: i32, mc: i32, kc: i32, lda: i32): void {
  let dst = ap;
  for (let ir = 0; ir < mc; ir += GEMM_MR) {
    const mr = min(GEMM_MR, mc - ir);
    let src = a + ((<usize>pc * <usize>lda + <usize>(ic + ir)) << 2);
    const stride = <usize>lda << 2;
    if (mr == GEMM_MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        src += stride;
        dst += 16;
      }
    } else {
      dst = pack_partial_rows(src, dst, stride, kc, GEMM_MR, mr);
    }
  }
}

/**
 * Pack B (not transposed, (k, n) row stride ldb) rows [pc, pc+kc) x cols
 * [jc, jc+nc) into NR-wide panels: bp[panel][p * NR + j] = B[pc + p, jc + panel*NR + j];
 * columns past nc are 0.
 */
function pack_b_n(b: usize, bp: usize, pc: i32, jc: i32, kc: i32, nc: i32, ldb: i32): void {
  const stride = <usize>ldb << 2;
  let dst = bp;
  for (let jr = 0; jr < nc; jr += GEMM_NR) {
    const nr = min(GEMM_NR, nc - jr);
    let src = b + ((<usize>pc * <usize>ldb + <usize>(jc + jr)) << 2);
    if (nr == GEMM_NR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += stride;
        dst += 32;
      }
    } else {
      dst = pack_partial_rows(src, dst, stride, kc, GEMM_NR, nr);
    }
  }
}

/**
 * Pack B stored transposed ((n, k), row stride ldb) into NR-wide panels:
 * bp[panel][p * NR + j] = B[jc + panel*NR + j, pc + p]. Full panels use two
 * 4 x 4 register transposes per 4 values of p.
 */
function pack_b_t(b: usize, bp: usize, pc: i32, jc: i32, kc: i32, nc: i32, ldb: i32): void {
  const stride = <usize>ldb << 2;
  let dst = bp;
  for (let jr = 0; jr < nc; jr += GEMM_NR) {
    const nr = min(GEMM_NR, nc - jr);
    const src = b + ((<usize>(jc + jr) * <usize>ldb + <usize>pc) << 2);
    if (nr == GEMM_NR) {
      const r0 = src, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
      const r4 = r3 + stride, r5 = r4 + stride, r6 = r5 + stride, r7 = r6 + stride;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const off = <usize>p << 2;
        transpose_store(dst, 32, v128.load(r0 + off), v128.load(r1 + off), v128.load(r2 + off), v128.load(r3 + off));
        transpose_store(dst + 16, 32, v128.load(r4 + off), v128.load(r5 + off), v128.load(r6 + off), v128.load(r7 + off));
        dst += 128;
      }
      for (; p < kc; p++) {
        const off = <usize>p << 2;
        store<f32>(dst, load<f32>(r0 + off));
        store<f32>(dst, load<f32>(r1 + off), 4);
        store<f32>(dst, load<f32>(r2 + off), 8);
        store<f32>(dst, load<f32>(r3 + off), 12);
        store<f32>(dst, load<f32>(r4 + off), 16);
        store<f32>(dst, load<f32>(r5 + off), 20);
        store<f32>(dst, load<f32>(r6 + off), 24);
        store<f32>(dst, load<f32>(r7 + off), 28);
        dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < GEMM_NR; j++) {
          const v: f32 = j < nr ? load<f32>(src + <usize>j * stride + (<usize>p << 2)) : 0;
          store<f32>(dst + (<usize>j << 2), v);
        }
        dst += 32;
      }
    }
  }
}

/**
 * Edge panel of a contiguous pack: for each of kc rows `stride` bytes apart,
 * copy `valid` floats and zero-fill to `width`. Returns the end of what it wrote.
 */
function pack_partial_rows(src: usize, dst: usize, stride: usize, kc: i32, width: i32, valid: i32): usize {
  for (let p = 0; p < kc; p++) {
    for (let j = 0; j < width; j++) {
      store<f32>(dst + (<usize>j << 2), j < valid ? load<f32>(src + (<usize>j << 2)) : <f32>0);
    }
    src += stride;
    dst += <usize>width << 2;
  }
  return dst;
}

/** Transpose the 4 x 4 block (x0..x3 are rows) and store its columns `step` bytes apart. */
// @ts-ignore: decorator
@inline export function transpose_store(dst: usize, step: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(dst, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(dst + step, i64x2.shuffle(t0, t1, 1, 3));
  v128.store(dst + 2 * step, i64x2.shuffle(t2, t3, 0, 2));
  v128.store(dst + 3 * step, i64x2.shuffle(t2, t3, 1, 3));
}

/**
 * The 4 x 8 micro-kernel: acc = sum_p ap[p, 0:4]^T * bp[p, 0:8] over kc, then
 * C[0:mr, 0:nr] = alpha * acc + (first ? beta * C : C), and on the last K block
 * + bias, act. Full tiles update C in place with vector loads/stores; partial
 * tiles go through `tile` (MR x NR f32 scratch) with the same arithmetic, so a
 * value does not depend on where its tile fell.
 */
function kernel_4x8(ap: usize, bp: usize, bias: usize, c: usize, tile: usize,
                    kc: i32, mr: i32, nr: i32, ldc: i32,
                    alpha: f32, beta: f32, first: bool, last: bool, act: i32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  // The pointer is the loop counter: one add fewer per step in V8's code (the
  // loop is front-end bound: 16 FP ops against 6 loads and ~10 bookkeeping ops).
  // Unrolling is slower: V8 hoists the next step's loads and spills registers.
  let pa = ap, pb = bp;
  const paEnd = ap + (<usize>kc << 4);
  while (pa < paEnd) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a, b0)); c01 = f32x4.add(c01, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(a, b0)); c11 = f32x4.add(c11, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(a, b0)); c21 = f32x4.add(c21, f32x4.mul(a, b1));
    a = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(a, b0)); c31 = f32x4.add(c31, f32x4.mul(a, b1));
    pa += 16; pb += 32;
  }
  const full = mr == GEMM_MR && nr == GEMM_NR;
  const stride = full ? <usize>ldc << 2 : <usize>(GEMM_NR * 4);
  const dst = full ? c : tile;
  const readC = !first || beta != 0;
  if (!full && readC) load_tile(c, tile, mr, nr, ldc);
  const va = f32x4.splat(alpha);
  const vbeta = first ? f32x4.splat(beta) : f32x4.splat(1);
  // A partial tile defers bias and act to store_tile (scalar, same order of
  // operations), so no vector load reads past the end of bias.
  const epi = full && last;
  let r = dst;
  update(r, c00, c01, va, vbeta, readC, bias, epi, act); r += stride;
  update(r, c10, c11, va, vbeta, readC, bias, epi, act); r += stride;
  update(r, c20, c21, va, vbeta, readC, bias, epi, act); r += stride;
  update(r, c30, c31, va, vbeta, readC, bias, epi, act);
  if (!full) store_tile(tile, c, bias, mr, nr, ldc, last, act);
}

/**
 * One row of 8: v = alpha * acc (+ beta' * C if readC; beta' is beta on the first K
 * block and 1 after), then on the last block + bias and act.
 */
// @ts-ignore: decorator
@inline function update(row: usize, acc0: v128, acc1: v128, va: v128, vbeta: v128, readC: bool,
                        bias: usize, last: bool, act: i32): void {
  let v0 = f32x4.mul(acc0, va), v1 = f32x4.mul(acc1, va);
  if (readC) {
    v0 = f32x4.add(v0, f32x4.mul(v128.load(row), vbeta));
    v1 = f32x4.add(v1, f32x4.mul(v128.load(row, 16), vbeta));
  }
  if (last) {
    if (bias != 0) {
      v0 = f32x4.add(v0, v128.load(bias));
      v1 = f32x4.add(v1, v128.load(bias, 16));
    }
    if (act == ACT_RELU) {
      const z = f32x4.splat(0);
      v0 = f32x4.max(v0, z);
      v1 = f32x4.max(v1, z);
    }
  }
  v128.store(row, v0);
  v128.store(row, v1, 16);
}

/** Copy the valid mr x nr part of C into the scratch tile (zeros elsewhere). */
function load_tile(c: usize, tile: usize, mr: i32, nr: i32, ldc: i32): void {
  for (let i = 0; i < GEMM_MR; i++) {
    for (let j = 0; j < GEMM_NR; j++) {
      const v: f32 = i < mr && j < nr ? load<f32>(c + ((<usize>i * <usize>ldc + <usize>j) << 2)) : 0;
      store<f32>(tile + (<usize>(i * GEMM_NR + j) << 2), v);
    }
  }
}

/** Copy the valid mr x nr part of the scratch tile back to C, adding bias and act if last. */
function store_tile(tile: usize, c: usize, bias: usize, mr: i32, nr: i32, ldc: i32, last: bool, act: i32): void {
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      let v = load<f32>(tile + (<usize>(i * GEMM_NR + j) << 2));
      if (last) {
        if (bias != 0) v += load<f32>(bias + (<usize>j << 2));
        if (act == ACT_RELU) v = max<f32>(v, 0);
      }
      store<f32>(c + ((<usize>i * <usize>ldc + <usize>j) << 2), v);
    }
  }
}
