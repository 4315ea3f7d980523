// Float64 reference of NeuralLM's scoring: the model written out by hand from its weights.
import type { NeuralLM } from '../../src/models/lm/neural-lm.js';

/** −ln P(token | previous) of every token, in float64 from the float32 weights: the model written out by hand. */
export function referenceLosses(m: NeuralLM, stream: Int32Array): Float64Array {
  const c = m.config;
  const sd = m.stateDict();
  const W = (n: string) => sd[n]!.toArray() as Float32Array;
  const E = W('embeddings.weight');
  const M = c.context * c.embeddingDim;
  const H = c.hidden > 0 ? W('hidden.weight') : null,
    d = c.hidden > 0 ? W('hidden.bias') : null;
  const U = c.hidden > 0 ? (c.tied ? E : W('output.weight')) : null;
  const b = c.hidden > 0 ? W('output.bias') : W('direct.bias');
  const D = c.direct ? W('direct.weight') : null;
  const out = new Float64Array(stream.length);
  const x = new Float64Array(M),
    a = new Float64Array(c.hidden),
    z = new Float64Array(c.vocabSize);
  for (let t = 0; t < stream.length; t++) {
    for (let j = 0; j < c.context; j++) {
      const q = t - c.context + j;
      const id = q >= 0 ? stream[q]! : c.bos;
      for (let k = 0; k < c.embeddingDim; k++) x[j * c.embeddingDim + k] = E[id * c.embeddingDim + k]!;
    }
    for (let i = 0; i < c.hidden; i++) {
      let s = d![i]!;
      for (let k = 0; k < M; k++) s += H![i * M + k]! * x[k]!;
      a[i] = Math.tanh(s);
    }
    let max = -Infinity;
    for (let v = 0; v < c.vocabSize; v++) {
      let s = b[v]!;
      for (let i = 0; i < c.hidden; i++) s += U![v * c.hidden + i]! * a[i]!;
      if (D !== null) for (let k = 0; k < M; k++) s += D[v * M + k]! * x[k]!;
      z[v] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let v = 0; v < c.vocabSize; v++) sum += Math.exp(z[v]! - max);
    out[t] = -(z[stream[t]!]! - max - Math.log(sum));
  }
  return out;
}
