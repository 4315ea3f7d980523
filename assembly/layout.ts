// Layout kernels: moves of f32 data between shapes, each a copy (acc = 0) or
// an accumulation (acc != 0, for the backward of the same move). Used by the
// autograd for split/merge heads, transposes and concatenation. Vector bodies
// over groups of 4 along the contiguous axis, scalar tails; copies keep bits.

/** dst[0..n) = src (acc 0) or += src (acc != 0), n floats. */
// @ts-ignore: decorator
@inline function move_row(src: usize, dst: usize, n: i32, acc: i32): void {
  let c = 0;
  if (acc != 0) {
    for (; c + 4 <= n; c += 4) {
      const o = <usize>c << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; c < n; c++) {
      const o = <usize>c << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  } else {
    for (; c + 4 <= n; c += 4) v128.store(dst + (<usize>c << 2), v128.load(src + (<usize>c << 2)));
    for (; c < n; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
  }
}

/**
 * Strided 2-D move: dst[r * ldDst + c] (= | +=) src[r * ldSrc + c] for r < rows, c < cols.
 *   src (rows, cols) f32 with row stride ldSrc (elements), read
 *   dst (rows, cols) f32 with row stride ldDst, written (acc 0) or ACCUMULATED (acc != 0)
 * Concatenation along the last axis writes each piece at its column offset;
 * its backward accumulates the column slice back. No overlap between src and dst.
 */
export function copy2d_f32(src: usize, dst: usize, rows: i32, cols: i32, ldSrc: i32, ldDst: i32, acc: i32): void {
  for (let r = 0; r < rows; r++) {
    move_row(src + ((<usize>r * <usize>ldSrc) << 2), dst + ((<usize>r * <usize>ldDst) << 2), cols, acc);
  }
}

/**
 * Swap axes 1 and 2 of a rank-4 tensor: out[a, c, b, :] (= | +=) x[a, b, c, :].
 *   x   (A, B, C, D) f32, read
 *   out (A, C, B, D) f32, written (acc 0) or ACCUMULATED (acc != 0); no overlap with x
 * Split heads is [batch, seq, heads, headDim] -> [batch, heads, seq, headDim]
 * (B = seq, C = heads); merge heads is the same call with B and C exchanged.
 */
export function swap_axes12_f32(x: usize, out: usize, A: i32, B: i32, C: i32, D: i32, acc: i32): void {
  const rowBytes = <usize>D << 2;
  for (let a = 0; a < A; a++) {
    const xa = x + <usize>a * <usize>B * <usize>C * rowBytes;
    const oa = out + <usize>a * <usize>B * <usize>C * rowBytes;
    for (let b = 0; b < B; b++) {
      for (let c = 0; c < C; c++) {
        move_row(xa + (<usize>b * <usize>C + <usize>c) * rowBytes, oa + (<usize>c * <usize>B + <usize>b) * rowBytes, D, acc);
      }
    }
  }
}

/**
 * Transpose the last two axes: out[n, c, r] (= | +=) x[n, r, c].
 *   x   (N, R, C) f32, read
 *   out (N, C, R) f32, written (acc 0) or ACCUMULATED (acc != 0); no overlap with x
 * 4 x 4 blocks are transposed in registers (i32x4 shuffles); edge rows and
 * columns are scalar.
 */
export function transpose_last2_f32(x: usize, out: usize, N: i32, R: i32, C: i32, acc: i32): void {
  const xRow = <usize>C << 2;
  const oRow = <usize>R << 2;
  for (let n = 0; n < N; n++) {
    const xn = x + <usize>n * <usize>R * xRow;
    const on = out + <usize>n * <usize>C * oRow;
    let r = 0;
    for (; r + 4 <= R; r += 4) {
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const s = xn + <usize>r * xRow + (<usize>c << 2);
        const x0 = v128.load(s), x1 = v128.load(s + xRow), x2 = v128.load(s + 2 * xRow), x3 = v128.load(s + 3 * xRow);
        const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const t1 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const t3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
        const d = on + <usize>c * oRow + (<usize>r << 2);
        const y0 = i64x2.shuffle(t0, t1, 0, 2), y1 = i64x2.shuffle(t0, t1, 1, 3);
        const y2 = i64x2.shuffle(t2, t3, 0, 2), y3 = i64x2.shuffle(t2, t3, 1, 3);
        if (acc != 0) {
          v128.store(d, f32x4.add(v128.load(d), y0));
          v128.store(d + oRow, f32x4.add(v128.load(d + oRow), y1));
          v128.store(d + 2 * oRow, f32x4.add(v128.load(d + 2 * oRow), y2));
          v128.store(d + 3 * oRow, f32x4.add(v128.load(d + 3 * oRow), y3));
        } else {
          v128.store(d, y0);
          v128.store(d + oRow, y1);
          v128.store(d + 2 * oRow, y2);
          v128.store(d + 3 * oRow, y3);
        }
      }
      for (; c < C; c++) {
        for (let i = r; i < r + 4; i++) transpose_one(xn, on, i, c, xRow, oRow, acc);
      }
    }
    for (; r < R; r++) {
      for (let c = 0; c < C; c++) transpose_one(xn, on, r, c, xRow, oRow, acc);
    }
  }
}

/** out[c, r] (= | +=) x[r, c] for one element. */
// @ts-ignore: decorator
@inline function transpose_one(x: usize, out: usize, r: i32, c: i32, xRow: usize, oRow: usize, acc: i32): void {
  const v = load<f32>(x + <usize>r * xRow + (<usize>c << 2));
  const d = out + <usize>c * oRow + (<usize>r << 2);
  store<f32>(d, acc != 0 ? load<f32>(d) + v : v);
}
