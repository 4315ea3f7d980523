// The tfjs-core side of the Transformer benches (transformer.bench.mjs, bert.bench.mjs):
// ours's parameters copied into tfjs variables by Hugging Face name, and the ops of a
// post-norm BERT-style encoder written with tfjs-core ops on those variables.

/**
 * tfjs variables holding `model`'s parameters by name. Linear weights are stored
 * transposed ([in, out], as tf.layers.dense keeps its kernel) so every forward GEMM
 * is tfjs's fast NN matMul; embedding tables keep their [rows, D] layout.
 */
export function tfjsVariables(tf, model) {
  const vars = {};
  for (const [name, p] of model.namedParameters()) {
    const data = p.value.toArray();
    const shape = p.value.shape;
    if (name.endsWith('.weight') && shape.length === 2 && !name.includes('embeddings')) {
      vars[name] = tf.variable(
        tf.tidy(() => tf.transpose(tf.tensor2d(data, shape))),
        true,
      );
    } else {
      vars[name] = tf.variable(tf.tensor(data, [...shape]), true);
    }
  }
  return { vars, varList: Object.values(vars) };
}

/**
 * The encoder's ops over `vars` for batches [B, S] of width D with H heads:
 * `lin`, `ln` (eps), erf `gelu` (composed from tf.erf: tfjs has no GELU op),
 * `attn` (k transposed explicitly for q·kᵀ, so it too is an NN matMul), `ffn`,
 * `encode(h, prefix, layers)` (post-norm layers `${prefix}encoder.layer.{l}.`),
 * `matMul` and `gatherRows`. The backward is tfjs's registered gradients
 * (matMul's are its NT/TN products) unless `nnGrads`: then matMul's gradients
 * are explicit transposes + NN matMul (dA = dy·Bᵀ, dB = Aᵀ·dy), all on XNNPACK.
 */
export function tfjsEncoderOps(tf, vars, { B, S, D, H, eps, nnGrads = false }) {
  const DH = D / H,
    TOKENS = B * S;
  const swapLast = (t) => tf.transpose(t, [...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2]);
  const nnMatMul = tf.customGrad((a, b, save) => {
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy, [sa, sb]) => [tf.matMul(dy, swapLast(sb)), tf.matMul(swapLast(sa), dy)],
    };
  });
  const matMul = nnGrads ? nnMatMul : (a, b) => tf.matMul(a, b);
  const lin = (x, n) => tf.add(matMul(x, vars[`${n}.weight`]), vars[`${n}.bias`]);
  const ln = (x, n) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(
      tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), vars[`${n}.weight`]),
      vars[`${n}.bias`],
    );
  };
  const gelu = (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const attn = (x, pre) => {
    const q = tf.transpose(tf.reshape(lin(x, `${pre}attention.self.query`), [B, S, H, DH]), [0, 2, 1, 3]); // [B, H, S, DH]
    const kT = tf.transpose(tf.reshape(lin(x, `${pre}attention.self.key`), [B, S, H, DH]), [0, 2, 3, 1]); // [B, H, DH, S]
    const v = tf.transpose(tf.reshape(lin(x, `${pre}attention.self.value`), [B, S, H, DH]), [0, 2, 1, 3]);
    const probs = tf.softmax(tf.mul(matMul(q, kT), 1 / Math.sqrt(DH)));
    const ctx = tf.reshape(tf.transpose(matMul(probs, v), [0, 2, 1, 3]), [TOKENS, D]);
    return lin(ctx, `${pre}attention.output.dense`);
  };
  const ffn = (x, pre) => lin(gelu(lin(x, `${pre}intermediate.dense`)), `${pre}output.dense`);
  const encode = (h, prefix, layers) => {
    for (let l = 0; l < layers; l++) {
      const pre = `${prefix}encoder.layer.${l}.`;
      h = ln(tf.add(h, attn(h, pre)), `${pre}attention.output.LayerNorm`); // post-norm
      h = ln(tf.add(h, ffn(h, pre)), `${pre}output.LayerNorm`);
    }
    return h;
  };
  // tfjs-backend-wasm has no UnsortedSegmentSum kernel, which gather's registered
  // gradient needs: a row gather's gradient is scatterND (duplicates summed) instead.
  const gatherRows = (idx, rows) => {
    const at = tf.keep(tf.reshape(idx, [idx.size, 1]));
    return tf.customGrad((table) => ({
      value: tf.gather(table, idx),
      gradFunc: (dy) => tf.scatterND(at, dy, [rows, table.shape[1]]),
    }));
  };
  return { matMul, lin, ln, gelu, attn, ffn, encode, gatherRows };
}
