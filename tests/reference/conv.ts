// Float64 reference for the 1-D convolution over channels-last sequences:
// x [B, T, Cin], weight [Cout, Cin, K] (PyTorch's layout), mask [B, T].

export interface RefConvGeometry {
  /** Zeros before the first position. */
  padLeft: number;
  /** Output length. */
  Tout: number;
  stride: number;
  dilation: number;
}

/** PyTorch's rules: padding n on each side, 'valid' = 0, 'same' = dilation (K - 1) split floor-left. */
export function refConvGeometry(
  T: number,
  K: number,
  padding: 'same' | 'valid' | number = 0,
  stride = 1,
  dilation = 1,
): RefConvGeometry {
  const total = padding === 'same' ? dilation * (K - 1) : padding === 'valid' ? 0 : 2 * padding;
  const padLeft = padding === 'same' ? Math.floor(total / 2) : total / 2;
  const Tout = Math.floor((T + total - dilation * (K - 1) - 1) / stride) + 1;
  return { padLeft, Tout, stride, dilation };
}

/** Input position read by output t, tap j, or -1 (outside the sequence or masked out). */
function source(g: RefConvGeometry, mask: ArrayLike<number> | undefined, b: number, T: number, t: number, j: number) {
  const p = t * g.stride + j * g.dilation - g.padLeft;
  if (p < 0 || p >= T) return -1;
  if (mask !== undefined && mask[b * T + p] === 0) return -1;
  return p;
}

/** out[b, t, o] = bias[o] + Σ_{c, j} W[o, c, j] x[b, t·stride + j·dilation − padLeft, c]. */
export function refConv1d(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  mask: ArrayLike<number> | undefined,
  B: number,
  T: number,
  Cin: number,
  Cout: number,
  K: number,
  g: RefConvGeometry,
): Float64Array {
  const out = new Float64Array(B * g.Tout * Cout);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < g.Tout; t++) {
      for (let o = 0; o < Cout; o++) {
        let s = bias === null ? 0 : bias[o]!;
        for (let j = 0; j < K; j++) {
          const p = source(g, mask, b, T, t, j);
          if (p < 0) continue;
          for (let c = 0; c < Cin; c++) s += w[(o * Cin + c) * K + j]! * x[(b * T + p) * Cin + c]!;
        }
        out[(b * g.Tout + t) * Cout + o] = s;
      }
    }
  }
  return out;
}

/** dx, dweight, dbias of sum(out * dout) (without accumulation: fresh buffers). */
export function refConv1dBackward(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dout: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  B: number,
  T: number,
  Cin: number,
  Cout: number,
  K: number,
  g: RefConvGeometry,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const dx = new Float64Array(B * T * Cin);
  const dweight = new Float64Array(Cout * Cin * K);
  const dbias = new Float64Array(Cout);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < g.Tout; t++) {
      for (let o = 0; o < Cout; o++) {
        const d = dout[(b * g.Tout + t) * Cout + o]!;
        dbias[o]! += d;
        for (let j = 0; j < K; j++) {
          const p = source(g, mask, b, T, t, j);
          if (p < 0) continue;
          for (let c = 0; c < Cin; c++) {
            dweight[(o * Cin + c) * K + j]! += d * x[(b * T + p) * Cin + c]!;
            dx[(b * T + p) * Cin + c]! += d * w[(o * Cin + c) * K + j]!;
          }
        }
      }
    }
  }
  return { dx, dweight, dbias };
}
