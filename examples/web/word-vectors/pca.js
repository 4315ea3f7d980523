// 2-D PCA of a few word vectors (plain JS: 20 × dim is tiny), by power iteration
// on the covariance of the unit-length, centred vectors, with deflation.

/**
 * @param {Float32Array[]} vectors  n vectors of the same length
 * @returns {{ points: [number, number][], explained: [number, number] }} coordinates on the first two
 *   components, and the share of the total variance each component explains
 */
export function pca2(vectors, { iterations = 200 } = {}) {
  const n = vectors.length;
  if (n === 0) return { points: [], explained: [0, 0] };
  const d = vectors[0].length;
  // Unit length first (cosine geometry), then centre.
  const X = vectors.map((v) => {
    let s = 0;
    for (const x of v) s += x * x;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    return Float64Array.from(v, (x) => x * inv);
  });
  const mean = new Float64Array(d);
  for (const x of X) for (let j = 0; j < d; j++) mean[j] += x[j] / n;
  for (const x of X) for (let j = 0; j < d; j++) x[j] -= mean[j];
  let totalVar = 0;
  for (const x of X) for (let j = 0; j < d; j++) totalVar += x[j] * x[j];

  // Cov · v without forming the d×d matrix: Xᵀ (X v).
  const covTimes = (v) => {
    const out = new Float64Array(d);
    for (const x of X) {
      let p = 0;
      for (let j = 0; j < d; j++) p += x[j] * v[j];
      for (let j = 0; j < d; j++) out[j] += p * x[j];
    }
    return out;
  };
  const normalize = (v) => {
    let s = 0;
    for (const x of v) s += x * x;
    const len = Math.sqrt(s);
    if (len > 0) for (let j = 0; j < v.length; j++) v[j] /= len;
    return len;
  };
  const components = [];
  const eigen = [];
  for (let c = 0; c < 2; c++) {
    // A fixed, deterministic start (not orthogonal to anything in practice).
    let v = Float64Array.from({ length: d }, (_, j) => 1 + ((j * 7919 + c * 104729) % 97) / 97);
    for (const u of components) deflate(v, u);
    normalize(v);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      const w = covTimes(v);
      for (const u of components) deflate(w, u);
      lambda = normalize(w);
      if (lambda === 0) break;
      let diff = 0;
      for (let j = 0; j < d; j++) diff = Math.max(diff, Math.abs(w[j] - v[j]));
      v = w;
      if (diff < 1e-10) break;
    }
    components.push(v);
    eigen.push(lambda);
  }
  const points = X.map((x) =>
    components.map((u) => {
      let p = 0;
      for (let j = 0; j < d; j++) p += x[j] * u[j];
      return p;
    }),
  );
  return { points, explained: eigen.map((l) => (totalVar > 0 ? l / totalVar : 0)) };
}

/** v -= (v·u) u for a unit vector u. */
function deflate(v, u) {
  let p = 0;
  for (let j = 0; j < v.length; j++) p += v[j] * u[j];
  for (let j = 0; j < v.length; j++) v[j] -= p * u[j];
}
