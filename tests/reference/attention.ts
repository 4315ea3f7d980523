// Float64 references for attention (naive: the full seq x seq matrix per head)
// and rotary position embedding.
import { philox4x32 } from '../../src/core/rng.js';

export interface RefAttentionOptions {
  /** [B * S] 0/1 key mask. */
  mask?: ArrayLike<number>;
  causal?: boolean;
  scale?: number;
  dropout?: { p: number; seed: number; stream?: number; counter?: number };
}

/**
 * Dropout factor of element index e under the rule of the helper rules: word = lane
 * (e & 3) of Philox block counter + (e >> 2); dropped iff (word >>> 8) < round(p 2^24);
 * kept elements scale by fround(1 / (1 - p)).
 */
export function dropoutFactors(
  n: number,
  d: { p: number; seed: number; stream?: number; counter?: number },
): Float64Array {
  const out = new Float64Array(n);
  const threshold = Math.round(d.p * 2 ** 24);
  const keep = Math.fround(1 / (1 - d.p));
  const key0 = d.seed >>> 0;
  const key1 = Math.floor(d.seed / 2 ** 32) >>> 0;
  const counter = d.counter ?? 0;
  const block = new Uint32Array(4);
  for (let e = 0; e < n; e += 4) {
    const c = counter + e / 4;
    philox4x32(key0, key1, c >>> 0, Math.floor(c / 2 ** 32) >>> 0, d.stream ?? 0, 0, block);
    for (let l = 0; l < 4 && e + l < n; l++) out[e + l] = block[l]! >>> 8 < threshold ? 0 : keep;
  }
  return out;
}

/**
 * Naive attention in float64. Returns out [B,H,S,D], lse [B,H,S] (-inf for a row
 * with no visible key) and the probabilities P [B,H,S,S] (before dropout) and the
 * dropout factors Z [B,H,S,S] (1 without dropout).
 */
export function refAttention(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  B: number,
  H: number,
  S: number,
  D: number,
  o: RefAttentionOptions = {},
) {
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const out = new Float64Array(B * H * S * D);
  const lse = new Float64Array(B * H * S);
  const P = new Float64Array(B * H * S * S);
  const Z =
    o.dropout && o.dropout.p > 0 ? dropoutFactors(B * H * S * S, o.dropout) : new Float64Array(B * H * S * S).fill(1);
  const s = new Float64Array(S);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      for (let i = 0; i < S; i++) {
        let m = -Infinity;
        for (let j = 0; j < S; j++) {
          const visible = (o.mask === undefined || o.mask[b * S + j] !== 0) && (!o.causal || j <= i);
          if (!visible) {
            s[j] = -Infinity;
            continue;
          }
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[(bh * S + i) * D + d]! * k[(bh * S + j) * D + d]!;
          s[j] = dot * scale;
          m = Math.max(m, s[j]!);
        }
        const row = (bh * S + i) * S;
        if (m === -Infinity) {
          lse[bh * S + i] = -Infinity;
          continue;
        }
        let l = 0;
        for (let j = 0; j < S; j++) l += s[j] === -Infinity ? 0 : Math.exp(s[j]! - m);
        lse[bh * S + i] = m + Math.log(l);
        for (let j = 0; j < S; j++) {
          const pij = s[j] === -Infinity ? 0 : Math.exp(s[j]! - m) / l;
          P[row + j] = pij;
          const w = pij * Z[row + j]!;
          if (w === 0) continue;
          for (let d = 0; d < D; d++)
            out[(bh * S + i) * D + d] = out[(bh * S + i) * D + d]! + w * v[(bh * S + j) * D + d]!;
        }
      }
    }
  }
  return { out, lse, P, Z };
}

/** Gradients of attention in float64 from the reference's P and Z (fresh arrays, not accumulated). */
export function refAttentionBackward(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  dout: ArrayLike<number>,
  B: number,
  H: number,
  S: number,
  D: number,
  o: RefAttentionOptions = {},
) {
  const scale = o.scale ?? 1 / Math.sqrt(D);
  const { P, Z } = refAttention(q, k, v, B, H, S, D, o);
  const n = B * H * S * D;
  const dq = new Float64Array(n);
  const dk = new Float64Array(n);
  const dv = new Float64Array(n);
  const dP = new Float64Array(S);
  for (let bh = 0; bh < B * H; bh++) {
    for (let i = 0; i < S; i++) {
      const row = (bh * S + i) * S;
      // dL/dP_ij = Z_ij (dO_i . v_j); dV_j += P_ij Z_ij dO_i.
      let dot = 0;
      for (let j = 0; j < S; j++) {
        let g = 0;
        for (let d = 0; d < D; d++) g += dout[(bh * S + i) * D + d]! * v[(bh * S + j) * D + d]!;
        dP[j] = g * Z[row + j]!;
        dot += dP[j]! * P[row + j]!;
        const w = P[row + j]! * Z[row + j]!;
        for (let d = 0; d < D; d++)
          dv[(bh * S + j) * D + d] = dv[(bh * S + j) * D + d]! + w * dout[(bh * S + i) * D + d]!;
      }
      for (let j = 0; j < S; j++) {
        const ds = P[row + j]! * (dP[j]! - dot) * scale;
        if (ds === 0) continue;
        for (let d = 0; d < D; d++) {
          dq[(bh * S + i) * D + d] = dq[(bh * S + i) * D + d]! + ds * k[(bh * S + j) * D + d]!;
          dk[(bh * S + j) * D + d] = dk[(bh * S + j) * D + d]! + ds * q[(bh * S + i) * D + d]!;
        }
      }
    }
  }
  return { dq, dk, dv };
}

/** cos/sin of theta(pos, c) = (offset + pos) base^(-2c/D) in float64, [S][D/2]. */
function angles(S: number, D: number, base: number, offset: number) {
  const h = D / 2;
  const cos = new Float64Array(S * h);
  const sin = new Float64Array(S * h);
  for (let t = 0; t < S; t++) {
    for (let c = 0; c < h; c++) {
      const th = (offset + t) * Math.pow(base, (-2 * c) / D);
      cos[t * h + c] = Math.cos(th);
      sin[t * h + c] = Math.sin(th);
    }
  }
  return { cos, sin };
}

/** Rotary embedding over [N, S, D] with the rotate_half pairing (c with c + D/2), float64. */
export function refRotary(
  x: ArrayLike<number>,
  N: number,
  S: number,
  D: number,
  base = 10000,
  offset = 0,
): Float64Array {
  const h = D / 2;
  const { cos, sin } = angles(S, D, base, offset);
  const out = new Float64Array(N * S * D);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < S; t++) {
      const r = (n * S + t) * D;
      for (let c = 0; c < h; c++) {
        const a = x[r + c]!;
        const b = x[r + c + h]!;
        out[r + c] = a * cos[t * h + c]! - b * sin[t * h + c]!;
        out[r + c + h] = b * cos[t * h + c]! + a * sin[t * h + c]!;
      }
    }
  }
  return out;
}
