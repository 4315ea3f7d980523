// "Does token A come before token B?": the classification task the encoder tests train on.
// It needs order (positions or recurrence), so a bag of words cannot solve it.
import { Philox } from '../../src/core/rng.js';
import type { ClassificationExample } from '../../src/models/encoder/classifier.js';

export const A = 1,
  B = 2,
  VOCAB = 10;

/** n sequences of 3–12 tokens: fillers in [3, VOCAB) with A and B once each; label 1 when A comes first. */
export function orderData(seed: number, n: number): ClassificationExample[] {
  const rng = new Philox(seed, 3);
  const out: ClassificationExample[] = [];
  for (let k = 0; k < n; k++) {
    const len = 3 + rng.nextInt(10);
    const pa = rng.nextInt(len);
    let pb = rng.nextInt(len - 1);
    if (pb >= pa) pb++;
    const ids = Array.from({ length: len }, (_, i) => (i === pa ? A : i === pb ? B : 3 + rng.nextInt(VOCAB - 3)));
    out.push({ ids, label: pa < pb ? 1 : 0 });
  }
  return out;
}
