// Float64 reference for incremental decoding: causal attention of the n newest
// queries over a key/value cache (naive, one softmax over the visible keys per query).

/**
 * q [B, H, n, D] (positions T - n .. T - 1), kc and vc [B, H, Tmax, D] with T valid
 * positions; query i sees keys 0 .. T - n + i. Returns out [B, H, n, D] in float64:
 * softmax(scale q_i k_j, j visible) v.
 */
export function refDecode(
  q: ArrayLike<number>,
  kc: ArrayLike<number>,
  vc: ArrayLike<number>,
  B: number,
  H: number,
  n: number,
  T: number,
  Tmax: number,
  D: number,
  scale = 1 / Math.sqrt(D),
): Float64Array {
  const out = new Float64Array(B * H * n * D);
  const s = new Float64Array(T);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < n; i++) {
      const p = T - n + i;
      const qr = (bh * n + i) * D;
      let m = -Infinity;
      for (let j = 0; j <= p; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[qr + d]! * kc[(bh * Tmax + j) * D + d]!;
        s[j] = dot * scale;
        m = Math.max(m, s[j]!);
      }
      let l = 0;
      for (let j = 0; j <= p; j++) l += Math.exp(s[j]! - m);
      for (let j = 0; j <= p; j++) {
        const w = Math.exp(s[j]! - m) / l;
        for (let d = 0; d < D; d++) out[qr + d] = out[qr + d]! + w * vc[(bh * Tmax + j) * D + d]!;
      }
    }
  }
  return out;
}
