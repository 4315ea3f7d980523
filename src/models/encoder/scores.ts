// Scoring helpers of the classification heads (TextClassifier, SequenceTagger, the BERT heads):
// cross-entropy and accuracy of logits rows in float64, a softmax row, the batchSize option.
import { ArgumentError } from '../../core/errors.js';
import { checkOptionKeys } from '../../train/options.js';

/** Mean cross-entropy and argmax hits of logits rows against targets, in float64. */
export function scoreRows(
  logits: Float32Array,
  C: number,
  rows: number,
  target: (r: number) => number,
): { loss: number; correct: number } {
  let loss = 0,
    correct = 0;
  for (let r = 0; r < rows; r++) {
    const t = target(r);
    if (t < 0) continue;
    let mx = -Infinity,
      arg = 0;
    for (let c = 0; c < C; c++) {
      const v = logits[r * C + c]!;
      if (v > mx) {
        mx = v;
        arg = c;
      }
    }
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logits[r * C + c]! - mx);
    loss += Math.log(s) + mx - logits[r * C + t]!;
    if (arg === t) correct++;
  }
  return { loss, correct };
}

/** Softmax of one row in float64, rounded to float32. */
export function softmaxRow(logits: Float32Array, offset: number, C: number): Float32Array {
  const out = new Float32Array(C);
  let mx = -Infinity;
  for (let c = 0; c < C; c++) mx = Math.max(mx, logits[offset + c]!);
  let s = 0;
  const e = new Float64Array(C);
  for (let c = 0; c < C; c++) s += e[c] = Math.exp(logits[offset + c]! - mx);
  for (let c = 0; c < C; c++) out[c] = e[c]! / s;
  return out;
}

/** `options.batchSize` (default 32); `keys`: the option names the caller accepts (others are an ArgumentError). */
export function batchSizeArg(
  fn: string,
  options: { batchSize?: number },
  keys: readonly string[] = ['batchSize'],
): number {
  checkOptionKeys(fn, options, keys);
  const bs = options.batchSize ?? 32;
  if (!Number.isSafeInteger(bs) || bs < 1)
    throw new ArgumentError(`${fn}: options.batchSize must be a positive integer, got ${String(bs)}`);
  return bs;
}
