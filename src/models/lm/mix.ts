// Perplexity and the linear mixture of two language models' per-token
// probabilities of the same stream (the neural LM mixed with Kneser-Ney; docs/ngram.md).

import { ArgumentError } from '../../core/errors.js';

function checkProbs(fn: string, name: string, p: ArrayLike<number>): void {
  if (p === null || typeof p !== 'object' || typeof p.length !== 'number') {
    throw new ArgumentError(`${fn}: ${name} must be an array of probabilities, got ${String(p)}`);
  }
  if (p.length === 0) throw new ArgumentError(`${fn}: ${name} must be non-empty, got length 0`);
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    if (!(v > 0 && v <= 1))
      throw new ArgumentError(`${fn}: ${name}[${i}] must be a probability in (0, 1], got ${String(v)}`);
  }
}

function checkPair(fn: string, p: Float64Array, q: Float64Array): void {
  checkProbs(fn, 'p', p);
  checkProbs(fn, 'q', q);
  if (p.length !== q.length)
    throw new ArgumentError(`${fn}: q must have the length of p (${p.length}), got ${q.length}`);
}

/** lambda·p + (1 − lambda)·q, element-wise. */
export function mixtureProbs(p: Float64Array, q: Float64Array, lambda: number): Float64Array {
  const fn = 'mixtureProbs';
  checkPair(fn, p, q);
  if (!(lambda >= 0 && lambda <= 1))
    throw new ArgumentError(`${fn}: lambda must be a number in [0, 1], got ${String(lambda)}`);
  const out = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) out[i] = lambda * p[i]! + (1 - lambda) * q[i]!;
  return out;
}

/** exp(−mean ln p) of the per-token probabilities p. */
export function perplexityOf(probs: ArrayLike<number>): number {
  checkProbs('perplexityOf', 'probs', probs);
  let s = 0;
  for (let i = 0; i < probs.length; i++) s += Math.log(probs[i]!);
  return Math.exp(-s / probs.length);
}

/**
 * The lambda in [0, 1] minimising the perplexity of lambda·p + (1 − lambda)·q (on validation
 * probabilities), and that perplexity. The mean negative log-likelihood f(λ) = −mean ln(λp + (1−λ)q) is
 * convex, so its derivative f'(λ) = −mean (p − q)/(λp + (1−λ)q) is increasing: λ = 0 when f'(0) ≥ 0,
 * λ = 1 when f'(1) ≤ 0, otherwise the root of f' found by bisection to 1e-12.
 */
export function fitMixtureWeight(p: Float64Array, q: Float64Array): { lambda: number; perplexity: number } {
  const fn = 'fitMixtureWeight';
  checkPair(fn, p, q);
  const n = p.length;
  const slope = (lam: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const a = p[i]!;
      const b = q[i]!;
      s += (a - b) / (lam * a + (1 - lam) * b);
    }
    return -s / n;
  };
  let lambda: number;
  if (slope(0) >= 0) lambda = 0;
  else if (slope(1) <= 0) lambda = 1;
  else {
    let lo = 0;
    let hi = 1;
    while (hi - lo > 1e-12) {
      const mid = 0.5 * (lo + hi);
      if (slope(mid) < 0) lo = mid;
      else hi = mid;
    }
    lambda = 0.5 * (lo + hi);
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(lambda * p[i]! + (1 - lambda) * q[i]!);
  return { lambda, perplexity: Math.exp(-s / n) };
}
