// BERT masked-LM pre-training throughput: the small BERT of docs/bert.md (vocab 8000,
// hidden 256, 4 layers, 4 heads, intermediate 1024, 128 positions, 2 token types,
// erf GELU, post-norm) as `BertForMaskedLM` (src/models/bert/modeling.ts), batch 16 × seq
// 128 masked by `maskTokens` (15%, 80/10/10), one step = `loss(inputs, labels)`
// (cross-entropy on the labelled positions only) + backward + Adam; against the
// same model written with @tensorflow/tfjs-core ops on @tensorflow/tfjs-backend-wasm,
// one thread each, in the same run; then ours with 2 threads when the runtime offers them.
//
//   npm run bench:bert              3 interleaved rounds (ours 8 steps, each tfjs variant 2) after the checked steps
//   npm run bench:bert -- --quick   1 round (ours 3 steps, each tfjs variant 1)
//   (-- --no-write: the same run, docs/benchmarks.md left alone)
//
// Before timing, tfjs gets ours's initial weights (by Hugging Face name) and all
// take two steps on the same batches: the first-step losses must agree to 1e-4
// relative and the second-step losses (after one Adam update) to 1e-3, or the run
// fails. Then a per-kernel profile of ours's step (forward / backward / optimizer)
// says where the time goes. Writes the "bert" section of docs/benchmarks.md.
// Needs `npm run build` first (`prebench:bert` does it). The phases and report
// pieces are bench/lib.mjs's.
import * as tf from '@tensorflow/tfjs-core';
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import './tfjs-grads.mjs';
import { tfjsEncoderOps, tfjsVariables } from './tfjs-encoder.mjs';
import * as lib from '../dist/wasm-nlp.node.js';
import {
  benchArgs,
  elapsed,
  encoderKernelGroup,
  encoderProfileIntro,
  encoderRoundsNote,
  encoderRoundsText,
  encoderTable,
  encoderTfjsNote,
  fmt,
  log,
  oursStep,
  profileTail,
  runTrainingBench,
  sameComputationText,
  saveSection,
  speedupLine,
  tfjsAdam,
  trainingHeader,
  xorshift,
} from './lib.mjs';

// No raw ops here: the model is BertForMaskedLM, trained through autograd and the optimizer.
const { Tensor, BertForMaskedLM, maskTokens, AdamW, step } = lib;

const args = benchArgs(import.meta.url);
const QUICK = args.quick;
// tfjs takes seconds to tens of seconds a step here: few steps for it (its step
// time varies little), more for ours. The two checked steps are everyone's
// warm-up; ours gets more.
const RUN = {
  rounds: QUICK ? 1 : 3,
  steps: { ours: QUICK ? 3 : 8, tfjs: QUICK ? 1 : 2 },
  warmup: QUICK ? 1 : 2,
  profileSteps: QUICK ? 1 : 3,
};

// The model (both implementations): its Hugging Face config, the small BERT of docs/bert.md.
const SPECIAL = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
const CONFIG = {
  vocabSize: 8000,
  hiddenSize: 256,
  numHiddenLayers: 4,
  numAttentionHeads: 4,
  intermediateSize: 1024,
  maxPositionEmbeddings: 128,
  typeVocabSize: 2, // token types (every token type 0, as single-segment pre-training)
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
  layerNormEps: 1e-12, // Hugging Face BERT's layer_norm_eps
  padTokenId: SPECIAL.pad,
};
const {
  vocabSize: V,
  hiddenSize: D,
  numAttentionHeads: H,
  intermediateSize: FF,
  numHiddenLayers: L,
  typeVocabSize: TYPES,
  layerNormEps: EPS_LN,
} = CONFIG;
const S = CONFIG.maxPositionEmbeddings; // sequence length (every sequence full: no padding, no attention mask)
const B = 16; // batch
const TOKENS = B * S;
const N_BATCHES = 4; // distinct batches, cycled
const LR = 1e-4;
const SEED = 7;
const GATES = [1e-4, 1e-3]; // first step; second step (after one Adam update, next batch)

// ---------------------------------------------------------------- data

// [CLS] w1 … w126 [SEP] with random non-special words, masked by maskTokens (BERT's 15%, 80/10/10).
const batches = Array.from({ length: N_BATCHES }, (_, i) => {
  const next = xorshift(1000 + i);
  const ids = new Int32Array(TOKENS);
  for (let j = 0; j < TOKENS; j++) ids[j] = 5 + (next() % (V - 5));
  for (let b = 0; b < B; b++) {
    ids[b * S] = SPECIAL.cls;
    ids[b * S + S - 1] = SPECIAL.sep;
  }
  const m = maskTokens(ids, {
    maskId: SPECIAL.mask,
    vocabSize: V,
    specialIds: Object.values(SPECIAL),
    seqLen: S,
    seed: 100 + i,
  });
  const positions = [];
  for (let j = 0; j < TOKENS; j++) if (m.labels[j] !== -100) positions.push(j);
  return {
    ids: m.inputIds,
    labels: m.labels,
    positions: Int32Array.from(positions),
    targets: Int32Array.from(positions, (j) => m.labels[j]),
  };
});
const LABELLED = batches.map((b) => b.positions.length);
const LABELLED_MEAN = LABELLED.reduce((a, b) => a + b, 0) / N_BATCHES;

// ---------------------------------------------------------------- ours

/** A fresh model + optimizer in the current runtime, and a step function over the batches in turn. */
function makeOurs() {
  const model = new BertForMaskedLM(CONFIG, { seed: SEED });
  // AdamW with weight decay 0 is Adam, which is what tf.train.adam does (tfjs has no AdamW).
  const opt = new AdamW(model.namedParameters(), { lr: LR, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const data = batches.map(({ ids, labels }) => ({
    inputIds: Tensor.fromArray(ids, [B, S], 'int32'),
    labels: Tensor.fromArray(labels, [B, S], 'int32'),
  }));
  const stepFn = oursStep(step, opt, data, ({ inputIds, labels }) => model.loss({ inputIds }, labels));
  return { model, opt, step: stepFn };
}

// ---------------------------------------------------------------- tfjs

/**
 * The same model in tfjs-core ops on ours's weights (bench/tfjs-encoder.mjs: variables by
 * Hugging Face name, [in, out] linear weights, the encoder ops). The tied decoder multiplies by an explicit transpose of the
 * word embeddings, so it too is an NN matMul.
 */
function makeTfjs({ model }, { nnGrads = false } = {}) {
  const { vars, varList } = tfjsVariables(tf, model);
  const { matMul, lin, ln, gelu, encode, gatherRows } = tfjsEncoderOps(tf, vars, { B, S, D, H, eps: EPS_LN, nnGrads });
  const data = batches.map(({ ids, positions, targets }) => ({
    embed: gatherRows(tf.tensor1d(ids, 'int32'), V), // word embeddings
    pick: gatherRows(tf.tensor1d(positions, 'int32'), TOKENS), // labelled rows of h [B·S, D]
    onehot: tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), V), 'float32'),
  }));
  const P = 'bert.';
  const loss = ({ embed, pick, onehot }) => {
    const wordEmb = vars[`${P}embeddings.word_embeddings.weight`];
    let h = embed(wordEmb); // [B·S, D]
    const typeRow = tf.slice(vars[`${P}embeddings.token_type_embeddings.weight`], [0, 0], [1, D]); // every token type 0
    h = tf.add(tf.reshape(h, [B, S, D]), vars[`${P}embeddings.position_embeddings.weight`]);
    h = ln(tf.add(tf.reshape(h, [TOKENS, D]), typeRow), `${P}embeddings.LayerNorm`);
    h = encode(h, P, L);
    // MLM head on the labelled positions only: transform (dense, GELU, LayerNorm), tied decoder + bias
    const t = ln(gelu(lin(pick(h), 'cls.predictions.transform.dense')), 'cls.predictions.transform.LayerNorm');
    const logits = tf.add(matMul(t, tf.transpose(wordEmb)), vars['cls.predictions.bias']); // [N, V]
    return tf.losses.softmaxCrossEntropy(onehot, logits);
  };
  return tfjsAdam(tf, varList, data, loss, LR);
}

// ---------------------------------------------------------------- phases 1-3 (bench/lib.mjs runTrainingBench)

const run = await runTrainingBench({
  lib,
  tf,
  tfjsWasm,
  makeOurs,
  makeTfjs,
  banner: (tfjs) =>
    `bert bench (${QUICK ? 'quick' : 'full'}): L${L} d${D} h${H} ffn${FF} seq${S} batch${B} vocab${V}, labelled positions per batch ${LABELLED.join('/')}; tfjs-wasm threads ${tfjs.threads}, SIMD ${tfjs.simd}`,
  ...RUN,
  gates: GATES,
  group: encoderKernelGroup,
  tfjsProfile: ['tfjsNN'], // the plain variant's step is long: not profiled
});
const {
  tfjs,
  params: oursParams,
  losses,
  checks,
  oursMem,
  tfProf,
  profile: { prof, profTable, gemmTable, gemmMs },
  t2,
} = run;
const { median: sec, ratio } = run.res;

// GEMM flops of one step, to read the GEMM row as GFLOP/s.
const linearMacsPerToken = L * (4 * D * D + 2 * D * FF);
const attnMacsPerToken = L * 2 * S * D; // q·kᵀ and p·v
const headMacs = LABELLED_MEAN * (D * D + D * V); // MLM transform dense + tied decoder, labelled positions only
const stepFlops = 3 * 2 * (TOKENS * (linearMacsPerToken + attnMacsPerToken) + headMacs); // forward + 2× for backward
const linearFlops = 3 * 2 * (TOKENS * linearMacsPerToken + headMacs);
const gemmGflops = linearFlops / (gemmMs / 1e3) / 1e9;

// ---------------------------------------------------------------- report

const tps = (s) => fmt(TOKENS / s);
const table = encoderTable(run, TOKENS);
log('');
log(table);
const summaryLine =
  `- pre-training throughput, 1 thread each: ours **${tps(sec.ours)} tokens/s**, tfjs-wasm ${tps(sec.tfjs)} tokens/s: ours **${ratio.ours.tfjs.toFixed(2)}×** ` +
  `(against the faster tfjs variant with NN-only matMul gradients, ${tps(sec.tfjsNN)} tokens/s: **${ratio.ours.tfjsNN.toFixed(2)}×**)`;
log(summaryLine.replace(/\*\*/g, ''));

const wall = elapsed(args);
const md = `
## BERT masked-LM pre-training throughput

${trainingHeader({ args, script: 'bench:bert', wall, tfjs, rounds: encoderRoundsText(RUN.rounds, RUN.steps, RUN.warmup) })}

Model (the same in both, ${fmt(oursParams)} parameters): \`BertForMaskedLM\` with vocabulary ${V}, hidden ${D}, ${L} post-norm layers,
${H} heads, intermediate ${FF}, ${S} learned positions, ${TYPES} token types, GELU erf form, layer-norm eps ${EPS_LN}; MLM head = dense + GELU +
LayerNorm, decoder tied to the word embeddings, plus bias. **Dropout 0** (hidden and attention) in the timing and in the loss check.
Inputs: ${N_BATCHES} fixed batches, cycled, of ${B} sequences \`[CLS]\` + ${S - 2} random non-special ids + \`[SEP]\` (full length: no padding,
no attention mask; token type 0), masked by \`maskTokens\` (15% of the non-special tokens, 80% \`[MASK]\` / 10% random / 10% kept):
${LABELLED.join(', ')} labelled positions (mean ${LABELLED_MEAN.toFixed(0)} of ${TOKENS}). Loss: mean cross-entropy over the labelled positions,
which alone go through the MLM head and the ${V}-wide decoder (ours's \`loss(inputs, labels)\`; in tfjs a row gather before the head).
Optimizer: Adam (lr ${LR}, β 0.9/0.999, eps 1e-8; ours is \`AdamW\` with weight decay 0, which is Adam: tfjs has no AdamW).
**tokens/s = ${TOKENS} / median step time**, counting every token of the batch as BERT papers do (a step: forward, loss, backward,
optimizer update, and reading the loss back as a number).

${table}

### Summary

${summaryLine}
${speedupLine(t2, '`setThreads(2)` vs `setThreads(1)`')}

### Same computation

${sameComputationText({
  intro:
    "tfjs's variables are ours's initial parameters (by Hugging Face name); all take the first two steps on the same two batches.",
  losses,
  checks,
  gate1: GATES[0].toExponential(),
  step2: `after one Adam update; the bench fails above ${GATES[1].toExponential()}`,
  params: oursParams,
  t2,
})}

### Where ours's step goes

${encoderProfileIntro(RUN.profileSteps, prof.calls)}

${profTable}

The step has ${(stepFlops / 1e9).toFixed(1)} GFLOP of GEMM-shaped work (encoder linear layers ${((3 * 2 * TOKENS * linearMacsPerToken) / 1e9).toFixed(1)},
MLM head on ${LABELLED_MEAN.toFixed(0)} positions ${((3 * 2 * headMacs) / 1e9).toFixed(1)}, attention scores and context ${((3 * 2 * TOKENS * attnMacsPerToken) / 1e9).toFixed(1)});
the GEMM rows run the linear layers' and head's ${(linearFlops / 1e9).toFixed(1)} GFLOP at **${gemmGflops.toFixed(1)} GFLOP/s**.
${profileTail({
  gemmTable,
  memory: oursMem,
  tfProf,
  note: 'Only the NN-gradient variant is profiled: a plain tfjs-wasm step is long, and its time goes to the transposed matMul products.',
})}

### How to read this

- **ours**: \`new BertForMaskedLM(config, { seed })\` (src/models/bert/modeling.ts), \`model.loss({ inputIds }, labels)\`,
  \`loss.backward()\`, \`AdamW.step()\` inside \`step()\` (src/autograd, src/optim), from \`dist/wasm-nlp.node.js\`.
- **tfjs-wasm**: the same model from \`@tensorflow/tfjs-core\` ops (\`gather\`, \`matMul\`, \`reshape\`/\`transpose\` for the heads,
  \`softmax\`, layer norm from \`moments\`, erf GELU composed from \`erf\` (tfjs has no GELU op), token type 0 as a \`slice\` of its table,
  the labelled rows of h by \`gather\`, the tied decoder as \`matMul\` by \`transpose\` of the word embeddings, \`losses.softmaxCrossEntropy\`) trained by
  \`tf.train.adam().minimize\` (tfjs's registered gradients), on \`@tensorflow/tfjs-backend-wasm\` with one thread.
  Linear weights are kept as [in, out] (as \`tf.layers.dense\` does), k and the decoder weight are transposed explicitly, so every forward
${encoderTfjsNote()}
  In both tfjs variants: the wasm backend has no \`UnsortedSegmentSum\` kernel, which \`gather\`'s registered gradient needs, so the embedding lookup and the
  gather of the labelled rows are \`tf.customGrad\`s whose gradient is \`scatterND\` (duplicate ids summed).
- Dropout is 0 in both: tfjs's dropout draws from a stateful generator, so no counter-based mask could be reproduced
  in both, and the loss comparison needs identical computations (ours's dropout, on in real pre-training, is not timed here).
${encoderRoundsNote('bert.bench.mjs')}
`;
saveSection(args, 'bert', md, wall);
