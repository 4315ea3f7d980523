// Float64 references of the published update rules (PyTorch's forms).

export interface RefSgd {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD (dampening 0), in place on float64 arrays: g' = g + wd p;
 * momentum: buf = g' on the first step, else mu buf + g'; d = nesterov ? g' + mu buf : buf;
 * p -= lr d. `buf` is null before the first step (returned after).
 */
export function refSgdStep(
  p: Float64Array,
  g: ArrayLike<number>,
  buf: Float64Array | null,
  o: RefSgd,
): Float64Array | null {
  const mu = o.momentum ?? 0;
  const wd = o.weightDecay ?? 0;
  let b = buf;
  if (mu !== 0 && b === null) b = new Float64Array(p.length);
  const first = buf === null;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! + wd * p[i]!;
    let d = gi;
    if (mu !== 0) {
      b![i] = first ? gi : mu * b![i]! + gi;
      d = o.nesterov ? gi + mu * b![i]! : b![i]!;
    }
    p[i] = p[i]! - o.lr * d;
  }
  return b;
}

export interface RefAdam {
  lr: number;
  step: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  decoupled?: boolean;
}

/**
 * torch.optim.Adam / AdamW, in place on float64 arrays, t = step:
 * AdamW: p *= 1 - lr wd; Adam: g' = g + wd p;
 * m = b1 m + (1 - b1) g', v = b2 v + (1 - b2) g'^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
 */
export function refAdamStep(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, o: RefAdam): void {
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.999;
  const eps = o.eps ?? 1e-8;
  const wd = o.weightDecay ?? 0;
  const bc1 = 1 - b1 ** o.step;
  const bc2 = 1 - b2 ** o.step;
  for (let i = 0; i < p.length; i++) {
    let gi = g[i]!;
    if (o.decoupled) p[i] = p[i]! * (1 - o.lr * wd);
    else gi += wd * p[i]!;
    m[i] = b1 * m[i]! + (1 - b1) * gi;
    v[i] = b2 * v[i]! + (1 - b2) * gi * gi;
    p[i] = p[i]! - (o.lr / bc1) * (m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + eps));
  }
}

/** sqrt(sum of squares) over several arrays, float64. */
export function refGlobalNorm(xs: ArrayLike<number>[]): number {
  let s = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}
