// The 4 x 8 f32x4 register-blocked micro-kernel and the panel packing that feed
// it, shared by gemm.ts (every GEMM) and attention.ts (the score, P V and
// gradient products). One implementation, so both sum in the same order.
//
// Operands of the micro-kernel: step p reads A_p, 4 floats (one per row of the
// tile, splatted in turn), and B_p, 8 floats (two vectors, the tile's columns);
// the 8 accumulators are the 4 x 8 tile. Packed panels have A_p contiguous
// (step 16 bytes) and B_p contiguous (step 32 bytes); attention also passes
// row-major blocks with a longer step. The k order is p = 0, 1, ..., so a
// tile's value depends only on k and the operands, never on where it lies.
//
// Register budget: V8 on x64 gives Wasm 15 usable xmm registers and issues a
// step's loads before its arithmetic, so the tile holds 8 accumulators + 2 B
// vectors + 4 A splats + 1 product = 15: it fits exactly. Measured on Zen 3
// (Node 20) inside the blocked GEMM, all slower than this kernel: 5 x 8 and
// 6 x 8 tiles (spill, -35%), k unrolled by 2 or 4 (Binaryen nests the steps, V8
// hoists the second step's loads and spills, -15 to -25%), A packed
// pre-splatted (-2%), splats by shuffle from one A load as XNNPACK does (-14%),
// and a 2 x 16 tile (8% faster alone but 5-14% slower inside the blocked GEMM).
//
// Packing (GotoBLAS/BLIS): A into MR-tall row panels, B into NR-wide column
// panels, both k-major, from either storage order, so every transpose case
// becomes the same contiguous micro-kernel. Partial panels are zero-padded;
// nothing outside the source rows and columns is read.

/** Rows of the micro-kernel's tile (the A panel height). */
// @ts-ignore: decorator
@inline export const TILE_MR: i32 = 4;
/** Columns of the micro-kernel's tile (the B panel width). */
// @ts-ignore: decorator
@inline export const TILE_NR: i32 = 8;

/**
 * The 4 x 8 micro-kernel: acc[r][j] = sum over p < k, in order, of A_p[r] * B_p[j],
 *   a, astep  A_p is the 4 f32 at a + p * astep (bytes), read
 *   b, bstep  B_p is the 8 f32 at b + p * bstep (bytes), read
 *   c, ldc    the tile: 4 rows of 8 f32, row r at c + r * ldc (bytes), written
 *             (and read when readC); must not alias A, B or bias
 * then each row of C becomes
 *   scaled false:  acc            (+ C if readC)
 *   scaled true:   alpha * acc    (+ beta * C if readC)
 * then + bias[0:8] (bias != 0: 8 f32, read) and then max(., 0) when relu.
 * k >= 0 (k == 0 gives acc = 0). Always the full 4 x 8 tile: callers crop
 * partial tiles through scratch or zero padding. @inline, so each caller's
 * constant flags fold away and the loop keeps its 15 registers.
 */
// @ts-ignore: decorator
@inline export function mk_4x8(a: usize, astep: usize, b: usize, bstep: usize, k: i32,
                               c: usize, ldc: usize, readC: bool, scaled: bool,
                               alpha: f32, beta: f32, bias: usize, relu: bool): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00;
  let c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  // The pointer is the loop counter: one add fewer per step in V8's code (the
  // loop is front-end bound: 16 FP ops against 6 loads and ~10 bookkeeping ops).
  // Unrolling is slower: V8 hoists the next step's loads and spills registers.
  let pa = a, pb = b;
  const paEnd = a + <usize>k * astep;
  while (pa < paEnd) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let x = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(x, b0)); c01 = f32x4.add(c01, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 4);
    c10 = f32x4.add(c10, f32x4.mul(x, b0)); c11 = f32x4.add(c11, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 8);
    c20 = f32x4.add(c20, f32x4.mul(x, b0)); c21 = f32x4.add(c21, f32x4.mul(x, b1));
    x = v128.load32_splat(pa, 12);
    c30 = f32x4.add(c30, f32x4.mul(x, b0)); c31 = f32x4.add(c31, f32x4.mul(x, b1));
    pa += astep; pb += bstep;
  }
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  let r = c;
  tile_row(r, c00, c01, readC, scaled, va, vb, bias, relu); r += ldc;
  tile_row(r, c10, c11, readC, scaled, va, vb, bias, relu); r += ldc;
  tile_row(r, c20, c21, readC, scaled, va, vb, bias, relu); r += ldc;
  tile_row(r, c30, c31, readC, scaled, va, vb, bias, relu);
}

/** One row of 8 of mk_4x8's epilogue: (alpha *) acc (+ (beta *) C), + bias, relu; stored. */
// @ts-ignore: decorator
@inline function tile_row(row: usize, acc0: v128, acc1: v128, readC: bool, scaled: bool,
                          va: v128, vb: v128, bias: usize, relu: bool): void {
  let v0 = acc0, v1 = acc1;
  if (scaled) {
    v0 = f32x4.mul(v0, va);
    v1 = f32x4.mul(v1, va);
  }
  if (readC) {
    let x0 = v128.load(row), x1 = v128.load(row, 16);
    if (scaled) {
      x0 = f32x4.mul(x0, vb);
      x1 = f32x4.mul(x1, vb);
    }
    v0 = f32x4.add(v0, x0);
    v1 = f32x4.add(v1, x1);
  }
  if (bias != 0) {
    v0 = f32x4.add(v0, v128.load(bias));
    v1 = f32x4.add(v1, v128.load(bias, 16));
  }
  if (relu) {
    const z = f32x4.splat(0);
    v0 = f32x4.max(v0, z);
    v1 = f32x4.max(v1, z);
  }
  v128.store(row, v0);
  v128.store(row, v1, 16);
}

/**
 * Pack A (not transposed, (m, k) row stride lda f32) rows [ic, ic+mc) x cols
 * [pc, pc+kc) into MR-tall panels, k-major:
 *   ap[panel][p * MR + i] = A[ic + panel*MR + i, pc + p]   (written, ceil(mc/MR) panels)
 * rows past mc are 0. Full panels go through 4 x 4 register transposes.
 */
export function pack_a_n(a: usize, ap: usize, ic: i32, pc: i32, mc: i32, kc: i32, lda: i32): void {
  const stride = <usize>lda << 2;
  let dst = ap;
  for (let ir = 0; ir < mc; ir += TILE_MR) {
    const mr = min(TILE_MR, mc - ir);
    const src = a + ((<usize>(ic + ir) * <usize>lda + <usize>pc) << 2);
    if (mr == TILE_MR) {
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
        for (let i = 0; i < TILE_MR; i++) {
          const v: f32 = i < mr ? load<f32>(src + <usize>i * stride + (<usize>p << 2)) : 0;
          store<f32>(dst + (<usize>i << 2), v);
        }
        dst += TILE_MR * 4;
      }
    }
  }
}

/**
 * Pack A stored transposed ((k, m), row stride lda) into the same MR-tall panels:
 * ap[panel][p * MR + i] = A[pc + p, ic + panel*MR + i]; a contiguous copy per p.
 */
export function pack_a_t(a: usize, ap: usize, ic: i32, pc: i32, mc: i32, kc: i32, lda: i32): void {
  let dst = ap;
  for (let ir = 0; ir < mc; ir += TILE_MR) {
    const mr = min(TILE_MR, mc - ir);
    let src = a + ((<usize>pc * <usize>lda + <usize>(ic + ir)) << 2);
    const stride = <usize>lda << 2;
    if (mr == TILE_MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        src += stride;
        dst += 16;
      }
    } else {
      dst = pack_partial_rows(src, dst, stride, kc, TILE_MR, mr);
    }
  }
}

/**
 * Pack B (not transposed, (k, n) row stride ldb) rows [pc, pc+kc) x cols
 * [jc, jc+nc) into NR-wide panels: bp[panel][p * NR + j] = B[pc + p, jc + panel*NR + j];
 * columns past nc are 0.
 */
export function pack_b_n(b: usize, bp: usize, pc: i32, jc: i32, kc: i32, nc: i32, ldb: i32): void {
  const stride = <usize>ldb << 2;
  let dst = bp;
  for (let jr = 0; jr < nc; jr += TILE_NR) {
    const nr = min(TILE_NR, nc - jr);
    let src = b + ((<usize>pc * <usize>ldb + <usize>(jc + jr)) << 2);
    if (nr == TILE_NR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += stride;
        dst += 32;
      }
    } else {
      dst = pack_partial_rows(src, dst, stride, kc, TILE_NR, nr);
    }
  }
}

/**
 * Pack B stored transposed ((n, k), row stride ldb) into NR-wide panels:
 * bp[panel][p * NR + j] = B[jc + panel*NR + j, pc + p] (ceil(nc/NR) panels,
 * columns past nc are 0). Full panels use two 4 x 4 register transposes per 4
 * values of p.
 */
export function pack_b_t(b: usize, bp: usize, pc: i32, jc: i32, kc: i32, nc: i32, ldb: i32): void {
  const stride = <usize>ldb << 2;
  let dst = bp;
  for (let jr = 0; jr < nc; jr += TILE_NR) {
    const nr = min(TILE_NR, nc - jr);
    const src = b + ((<usize>(jc + jr) * <usize>ldb + <usize>pc) << 2);
    if (nr == TILE_NR) {
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
        for (let j = 0; j < TILE_NR; j++) {
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
