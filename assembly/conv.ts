// 1-D convolution over the sequence axis as im2col + one GEMM (the GEMM is
// gemm_f32, called by TypeScript through the threaded GEMM op): im2col lays the
// receptive field of every output position out as one row, col2im adds the
// gradient of those rows back into the input.
//
// Layout: x, dx are [B, T, Cin] f32 row-major (channels last, the sequence
// layout); cols, dcols are [B * Tout, Cin * K] with column c * K + j holding tap
// j of channel c (the flatten order of a PyTorch [Cout, Cin, K] weight, so the
// weight is the GEMM operand as it is stored). Output position t, tap j reads
// input position p = t * stride + j * dilation - padLeft; a p outside [0, T) or
// masked out reads 0. The mask is [B, T] i32 (1 keep, 0 padding; TypeScript
// converts float masks) or 0 for "no padding". Both kernels are copies and
// adds along rows of Cin floats with a scalar stride-K side: no summation
// order beyond col2im's, which is fixed by the shapes.

/** Input position of output t, tap j, or -1 when it falls in the zero padding or is masked out. */
// @ts-ignore: decorator
@inline function tap_pos(mask: usize, b: i32, T: i32, t: i32, j: i32, stride: i32, dilation: i32, padLeft: i32): i32 {
  const p = t * stride + j * dilation - padLeft;
  if (p < 0 || p >= T) return -1;
  if (mask != 0 && load<i32>(mask + ((<usize>b * <usize>T + <usize>p) << 2)) == 0) return -1;
  return p;
}

/**
 * im2col: cols[b * Tout + t, c * K + j] = x[b, t * stride + j * dilation - padLeft, c],
 * 0 where that position is outside [0, T) or the mask drops it.
 *   x    (B, T, Cin) f32, read
 *   mask (B, T) i32 0/1, read, or 0 (every position kept)
 *   cols (B * Tout, Cin * K) f32, written (every element); must not overlap x
 * Any Cin, K >= 1, stride >= 1, dilation >= 1, padLeft >= 0 (TypeScript checks
 * Tout against the padded length). Reads one input row of Cin floats per tap
 * and writes it with stride K into the output row.
 */
export function conv1d_im2col_f32(x: usize, mask: usize, cols: usize,
                                  B: i32, T: i32, Cin: i32, Tout: i32, K: i32,
                                  stride: i32, dilation: i32, padLeft: i32): void {
  const colBytes = <usize>K << 2;
  const rowBytes = <usize>Cin * colBytes;
  const inRowBytes = <usize>Cin << 2;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const row = cols + (<usize>b * <usize>Tout + <usize>t) * rowBytes;
      for (let j = 0; j < K; j++) {
        const p = tap_pos(mask, b, T, t, j, stride, dilation, padLeft);
        let dst = row + (<usize>j << 2);
        if (p < 0) {
          for (let c = 0; c < Cin; c++) {
            store<f32>(dst, 0);
            dst += colBytes;
          }
          continue;
        }
        const src = x + (<usize>b * <usize>T + <usize>p) * inRowBytes;
        for (let c = 0; c < Cin; c++) {
          store<f32>(dst, load<f32>(src + (<usize>c << 2)));
          dst += colBytes;
        }
      }
    }
  }
}

/**
 * col2im, the adjoint of conv1d_im2col_f32:
 * dx[b, p, c] += dcols[b * Tout + t, c * K + j] for every (t, j) reading a kept
 * position p = t * stride + j * dilation - padLeft in [0, T).
 *   dcols (B * Tout, Cin * K) f32, read
 *   mask  (B, T) i32 0/1, read, or 0; masked positions get nothing
 *   dx    (B, T, Cin) f32, read and written: ACCUMULATES; must not overlap dcols
 * Each dx element sums its taps in increasing t, then j (an order fixed by the
 * shapes), in f32, one add per tap straight into dx. Dims as in im2col.
 */
export function conv1d_col2im_f32(dcols: usize, mask: usize, dx: usize,
                                  B: i32, T: i32, Cin: i32, Tout: i32, K: i32,
                                  stride: i32, dilation: i32, padLeft: i32): void {
  const colBytes = <usize>K << 2;
  const rowBytes = <usize>Cin * colBytes;
  const inRowBytes = <usize>Cin << 2;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < Tout; t++) {
      const row = dcols + (<usize>b * <usize>Tout + <usize>t) * rowBytes;
      for (let j = 0; j < K; j++) {
        const p = tap_pos(mask, b, T, t, j, stride, dilation, padLeft);
        if (p < 0) continue;
        let src = row + (<usize>j << 2);
        const dst = dx + (<usize>b * <usize>T + <usize>p) * inRowBytes;
        for (let c = 0; c < Cin; c++) {
          const q = dst + (<usize>c << 2);
          store<f32>(q, load<f32>(q) + load<f32>(src));
          src += colBytes;
        }
      }
    }
  }
}
