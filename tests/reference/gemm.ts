// Float64 reference for GEMM, and the error bound the f32 kernel must meet.

export interface RefGemm {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  lda?: number;
  ldb?: number;
  ldc?: number;
  alpha?: number;
  beta?: number;
  bias?: ArrayLike<number>;
  relu?: boolean;
}

/**
 * C = alpha * op(A) op(B) + beta * C (+ bias, relu) in float64, row-major with
 * strides. Returns the result (ldc-strided, gaps copied from `c`) and, per
 * element, a rigorous-style tolerance for a float32 computation:
 * (k + 2) * 2^-23 * (|alpha| * sum_p |a_ip b_pj| + |beta c_ij| + |bias_j|) + 2^-126 * k.
 */
export function refGemm(a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number> | undefined, o: RefGemm) {
  const { m, n, k } = o;
  const ta = o.transA ?? false;
  const tb = o.transB ?? false;
  const lda = o.lda ?? (ta ? m : k);
  const ldb = o.ldb ?? (tb ? k : n);
  const ldc = o.ldc ?? n;
  const alpha = o.alpha ?? 1;
  const beta = o.beta ?? 0;
  const len = m === 0 || n === 0 ? 0 : (m - 1) * ldc + n;
  const out = new Float64Array(len);
  const tol = new Float64Array(len);
  if (c !== undefined) for (let i = 0; i < len; i++) out[i] = c[i]!;
  const u = 2 ** -23;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let sa = 0;
      for (let p = 0; p < k; p++) {
        const av = ta ? a[p * lda + i]! : a[i * lda + p]!;
        const bv = tb ? b[j * ldb + p]! : b[p * ldb + j]!;
        s += av * bv;
        sa += Math.abs(av * bv);
      }
      const cOld = beta !== 0 && c !== undefined ? c[i * ldc + j]! : 0;
      let v = alpha * s + beta * cOld;
      const bj = o.bias !== undefined ? o.bias[j]! : 0;
      v += bj;
      if (o.relu) v = Math.max(v, 0);
      out[i * ldc + j] = v;
      tol[i * ldc + j] = (k + 2) * u * (Math.abs(alpha) * sa + Math.abs(beta * cOld) + Math.abs(bj)) + 1e-30;
    }
  }
  return { out, tol };
}

/** Seeded values in [-1, 1) from a small LCG (test data only; independent of the library's RNG). */
export function seeded(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}
