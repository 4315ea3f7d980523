// Layer normalisation over the last dimension (PyTorch / BERT semantics).
//
// A row is C contiguous floats; rows follow each other (x is any-rank, viewed
// as (rows, C)). Each row is read a few times while it sits in L1 (C = 768 is
// 3 KiB), so the passes cost arithmetic, not memory traffic.
//
// Variance: corrected two-pass (Chan, Golub & LeVeque). Pass 1 gives m0 = sum/C;
// pass 2 sums d = x - m0 and d^2, so mean = m0 + c with c = sum(d)/C and
// var = sum(d^2)/C - c^2. For rows like 1e4 + noise, x - m0 is exact (Sterbenz)
// and c repairs the rounding of m0, so y keeps about float32 precision where
// sum(x^2)/C - mean^2 would keep none.
//
// Summation order is fixed by C alone (four lanes, then hsum, then the scalar
// tail), so results are bit-identical across runtimes.

import { hsum } from './vmath';

/**
 * Layer norm forward over rows of C.
 *   x      (rows, C) f32, read
 *   gamma  (C) f32, read;  beta (C) f32, read
 *   y      (rows, C) f32, written: (x - mean) * rstd * gamma + beta
 *   mean   (rows) f32, written
 *   rstd   (rows) f32, written: 1 / sqrt(var + eps), var biased (divides by C)
 * y may equal x (each element is read before it is written at the same index);
 * no other alias. Any C >= 1 (vector body + scalar tail), any alignment.
 */
export function layer_norm_fwd_f32(x: usize, gamma: usize, beta: usize, y: usize, mean: usize, rstd: usize,
                                   rows: i32, C: i32, eps: f32): void {
  assert(rows >= 0 && C >= 1, 'layer_norm_fwd_f32: rows must be >= 0 and C >= 1');
  const invC: f32 = <f32>1 / <f32>C;
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = y + <usize>r * rowBytes;
    // Pass 1: provisional mean. Two accumulators shorten the add chain.
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let c = 0;
    for (; c + 8 <= C; c += 8) {
      const o = <usize>c << 2;
      a0 = f32x4.add(a0, v128.load(xr + o));
      a1 = f32x4.add(a1, v128.load(xr + o, 16));
    }
    for (; c + 4 <= C; c += 4) a0 = f32x4.add(a0, v128.load(xr + (<usize>c << 2)));
    let s: f32 = hsum(f32x4.add(a0, a1));
    for (; c < C; c++) s += load<f32>(xr + (<usize>c << 2));
    const m0 = s * invC;
    // Pass 2: sum of d = x - m0 and of d^2.
    const vm0 = f32x4.splat(m0);
    let d1 = f32x4.splat(0);
    let d2 = f32x4.splat(0);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const d = f32x4.sub(v128.load(xr + (<usize>c << 2)), vm0);
      d1 = f32x4.add(d1, d);
      d2 = f32x4.add(d2, f32x4.mul(d, d));
    }
    let s1: f32 = hsum(d1);
    let s2: f32 = hsum(d2);
    for (; c < C; c++) {
      const d = load<f32>(xr + (<usize>c << 2)) - m0;
      s1 += d;
      s2 += d * d;
    }
    const corr = s1 * invC;
    const v = max<f32>(s2 * invC - corr * corr, 0);
    const rs: f32 = <f32>1 / sqrt<f32>(v + eps);
    store<f32>(mean + (<usize>r << 2), m0 + corr);
    store<f32>(rstd + (<usize>r << 2), rs);
    // Pass 3: y = ((x - m0) - corr) * rstd * gamma + beta.
    const vc = f32x4.splat(corr);
    const vr = f32x4.splat(rs);
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), vm0), vc), vr);
      v128.store(yr + o, f32x4.add(f32x4.mul(xh, v128.load(gamma + o)), v128.load(beta + o)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = ((load<f32>(xr + o) - m0) - corr) * rs;
      store<f32>(yr + o, xh * load<f32>(gamma + o) + load<f32>(beta + o));
    }
  }
}

/**
 * Layer norm backward; accumulates (+=) into every gradient given.
 *   x, gamma, mean, rstd  as in / from layer_norm_fwd_f32, read
 *   dy      (rows, C) f32, read
 *   dx      (rows, C) f32, read and written, or 0 to skip:
 *           dx += rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * gamma,
 *           xhat = (x - mean) * rstd (with the rounding of the saved mean repaired,
 *           see pass 0)
 *   dgamma  (C) f32, read and written, or 0: dgamma += sum over rows of dy * xhat
 *   dbeta   (C) f32, read and written, or 0: dbeta += sum over rows of dy
 * No alias among the written buffers or with the read ones. dgamma and dbeta
 * are updated row by row (they stay in L1; rows in order, so the sum order is
 * fixed). Any C >= 1.
 */
export function layer_norm_bwd_f32(x: usize, gamma: usize, mean: usize, rstd: usize, dy: usize,
                                   dx: usize, dgamma: usize, dbeta: usize,
                                   rows: i32, C: i32): void {
  assert(rows >= 0 && C >= 1, 'layer_norm_bwd_f32: rows must be >= 0 and C >= 1');
  const invC: f32 = <f32>1 / <f32>C;
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const dyr = dy + <usize>r * rowBytes;
    const mu = load<f32>(mean + (<usize>r << 2));
    const rs = load<f32>(rstd + (<usize>r << 2));
    const vmu = f32x4.splat(mu);
    const vrs = f32x4.splat(rs);
    // Pass 0: the saved mean is rounded to f32; c = mean(x - mean) repairs it the
    // way the forward's correction did, so xhat = ((x - mean) - c) * rstd keeps
    // its precision on rows like 1e4 + noise (x - mean is exact there).
    let sd = f32x4.splat(0);
    let c = 0;
    for (; c + 4 <= C; c += 4) sd = f32x4.add(sd, f32x4.sub(v128.load(xr + (<usize>c << 2)), vmu));
    let td: f32 = hsum(sd);
    for (; c < C; c++) td += load<f32>(xr + (<usize>c << 2)) - mu;
    const corr = td * invC;
    const vc = f32x4.splat(corr);
    // Pass 1: parameter gradients and the two row means dx needs.
    let sg = f32x4.splat(0);
    let sgx = f32x4.splat(0);
    c = 0;
    if (dx != 0) {
      if (dgamma != 0 && dbeta != 0) {
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), vmu), vc), vrs);
          const d = v128.load(dyr + o);
          v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, xh)));
          v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
          const g = f32x4.mul(d, v128.load(gamma + o));
          sg = f32x4.add(sg, g);
          sgx = f32x4.add(sgx, f32x4.mul(g, xh));
        }
      } else {
        for (; c + 4 <= C; c += 4) {
          const o = <usize>c << 2;
          const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), vmu), vc), vrs);
          const d = v128.load(dyr + o);
          if (dgamma != 0) v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, xh)));
          if (dbeta != 0) v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
          const g = f32x4.mul(d, v128.load(gamma + o));
          sg = f32x4.add(sg, g);
          sgx = f32x4.add(sgx, f32x4.mul(g, xh));
        }
      }
    } else {
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const d = v128.load(dyr + o);
        if (dgamma != 0) {
          const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), vmu), vc), vrs);
          v128.store(dgamma + o, f32x4.add(v128.load(dgamma + o), f32x4.mul(d, xh)));
        }
        if (dbeta != 0) v128.store(dbeta + o, f32x4.add(v128.load(dbeta + o), d));
      }
    }
    let tg: f32 = hsum(sg);
    let tgx: f32 = hsum(sgx);
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = ((load<f32>(xr + o) - mu) - corr) * rs;
      const d = load<f32>(dyr + o);
      if (dgamma != 0) store<f32>(dgamma + o, load<f32>(dgamma + o) + d * xh);
      if (dbeta != 0) store<f32>(dbeta + o, load<f32>(dbeta + o) + d);
      const g = d * load<f32>(gamma + o);
      tg += g;
      tgx += g * xh;
    }
    if (dx == 0) continue;
    // Pass 2: dx += rstd * (g - mg - xhat * mgx).
    const mg = tg * invC;
    const mgx = tgx * invC;
    const vmg = f32x4.splat(mg);
    const vmgx = f32x4.splat(mgx);
    const dxr = dx + <usize>r * rowBytes;
    c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const xh = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), vmu), vc), vrs);
      const g = f32x4.mul(v128.load(dyr + o), v128.load(gamma + o));
      const t = f32x4.sub(f32x4.sub(g, vmg), f32x4.mul(xh, vmgx));
      v128.store(dxr + o, f32x4.add(v128.load(dxr + o), f32x4.mul(t, vrs)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = ((load<f32>(xr + o) - mu) - corr) * rs;
      const g = load<f32>(dyr + o) * load<f32>(gamma + o);
      store<f32>(dxr + o, load<f32>(dxr + o) + ((g - mg) - xh * mgx) * rs);
    }
  }
}
