// The tfjs-core side of the GPT bench (gpt.bench.mjs): GptLM's parameters copied into
// tfjs variables by Hugging Face name, and GPT-2's training loss written with tfjs-core
// ops on those variables: token + learned position embeddings, pre-norm blocks with
// causal self-attention and the tanh GELU, ln_f, the output layer tied to the token
// embeddings, mean softmax-cross-entropy. The encoder benches' ops (bench/tfjs-encoder.mjs)
// supply the linear layers, layer norm, the matMul variants and the embedding gather.
import { tfjsEncoderOps } from './tfjs-encoder.mjs';

/** GPT-2's projections: PyTorch Linear layout [out, in] in ours. */
const LINEAR = /\.(c_attn|c_proj|c_fc)\.weight$/;

/**
 * tfjs variables holding `model`'s parameters by name. The projection weights are
 * stored transposed ([in, out], as tf.layers.dense keeps its kernel) so every forward
 * GEMM is tfjs's fast NN matMul; `wte` and `wpe` keep their [rows, D] layout.
 */
export function tfjsGptVariables(tf, model) {
  const vars = {};
  for (const [name, p] of model.namedParameters()) {
    const data = p.value.toArray();
    const shape = [...p.value.shape];
    vars[name] = tf.variable(
      tf.tidy(() => (LINEAR.test(name) ? tf.transpose(tf.tensor2d(data, shape)) : tf.tensor(data, shape))),
      true,
    );
  }
  return { vars, varList: Object.values(vars) };
}

/**
 * GPT-2's mean next-token cross-entropy over `vars` (tfjsGptVariables) for batches of
 * B windows of S tokens (S = the position table's rows), width D, H heads, L layers,
 * vocabulary V, layer-norm `eps`. Returns `batch(ids, targets)`, which makes a batch's
 * constant tensors (ids and targets Int32Array [B·S]; `free()` releases them), and
 * `loss(batch)`. The attention adds −1e9 above the diagonal before the softmax (exp
 * gives exactly 0 there), k is transposed explicitly so q·kᵀ is an NN matMul, and the
 * tied output layer multiplies by an explicit transpose of `wte` for the same reason.
 * With `nnGrads` every matMul's gradients are NN products too (tfjsEncoderOps).
 */
export function tfjsGptLoss(tf, vars, { B, S, D, H, L, V, eps, nnGrads = false }) {
  const { matMul, lin, ln, gatherRows } = tfjsEncoderOps(tf, vars, { B, S, D, H, eps, nnGrads });
  const DH = D / H;
  const N = B * S;
  const above = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) above[i * S + j] = -1e9;
  const mask = tf.keep(tf.tensor2d(above, [S, S]));
  // 0.5 x (1 + tanh(sqrt(2/π) (x + 0.044715 x³))): GPT-2's gelu_new; tfjs has no GELU op.
  const gelu = (x) =>
    tf.mul(
      tf.mul(x, 0.5),
      tf.add(1, tf.tanh(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI)))),
    );
  const heads = (t, perm) => tf.transpose(tf.reshape(t, [B, S, H, DH]), perm);
  const attn = (x, pre) => {
    const [q, k, v] = tf.split(lin(x, `${pre}attn.c_attn`), 3, 1);
    const scores = tf.add(tf.mul(matMul(heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])), 1 / Math.sqrt(DH)), mask);
    const ctx = matMul(tf.softmax(scores), heads(v, [0, 2, 1, 3])); // [B, H, S, DH]
    return lin(tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [N, D]), `${pre}attn.c_proj`);
  };
  const mlp = (x, pre) => lin(gelu(lin(x, `${pre}mlp.c_fc`)), `${pre}mlp.c_proj`);
  const wte = vars['transformer.wte.weight'];
  const batch = (ids, targets) => {
    const idsT = tf.keep(tf.tensor1d(ids, 'int32'));
    const onehot = tf.keep(tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), V), 'float32')));
    return { embed: gatherRows(idsT, V), onehot, free: () => tf.dispose([idsT, onehot]) };
  };
  const loss = ({ embed, onehot }) => {
    let h = tf.reshape(tf.add(tf.reshape(embed(wte), [B, S, D]), vars['transformer.wpe.weight']), [N, D]);
    for (let l = 0; l < L; l++) {
      const pre = `transformer.h.${l}.`;
      h = tf.add(h, attn(ln(h, `${pre}ln_1`), pre));
      h = tf.add(h, mlp(ln(h, `${pre}ln_2`), pre));
    }
    const logits = matMul(ln(h, 'transformer.ln_f'), tf.transpose(wte)); // [N, V]
    return tf.losses.softmaxCrossEntropy(onehot, logits);
  };
  return { batch, loss, free: () => mask.dispose() };
}
