// Transformer training throughput: a 4-layer encoder classifier (d 256, 4 heads,
// FFN 1024, seq 128, batch 16, vocab 8000) trained with Adam, ours (src/nn +
// src/autograd + src/optim over the Wasm kernels) against the same model written
// with @tensorflow/tfjs-core ops on @tensorflow/tfjs-backend-wasm, one thread
// each, in the same run; then ours with 2 threads when the runtime offers them.
//
//   npm run bench:transformer              3 interleaved rounds of 8 steps (+2 warm-up)
//   npm run bench:transformer -- --quick   1 round of 3 steps (+1 warm-up)
//   (-- --no-write: the same run, docs/benchmarks.md left alone)
//
// Before timing, tfjs gets ours's initial weights and both take one step on the
// same batch: the losses must agree to 1e-4 relative or the run fails. Then a
// per-kernel profile of ours's step (forward / backward / optimizer) says where
// the time goes. Writes the "transformer" section of docs/benchmarks.md. Needs
// `npm run build` first. The phases and report pieces are bench/lib.mjs's.
import * as tf from '@tensorflow/tfjs-core';
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import './tfjs-grads.mjs';
import { tfjsEncoderOps, tfjsVariables } from './tfjs-encoder.mjs';
import * as lib from '../dist/wasm-nlp.node.js';
import {
  benchArgs,
  criterionLine,
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

// No raw ops here: the model is src/nn + F (autograd) + the optimizer.
const { Tensor, Module, TransformerEmbeddings, TransformerEncoder, Linear, F, AdamW, step } = lib;

const args = benchArgs(import.meta.url);
const QUICK = args.quick;
// tfjs takes 10-35 s a step here: few steps for it (its step time varies little),
// more for ours. The two checked steps are everyone's warm-up; ours gets more.
const RUN = {
  rounds: QUICK ? 1 : 3,
  steps: { ours: QUICK ? 3 : 8, tfjs: QUICK ? 1 : 3 },
  warmup: QUICK ? 1 : 2,
  profileSteps: QUICK ? 1 : 3,
};

// The model (both implementations).
const V = 8000; // vocabulary
const D = 256; // model width
const H = 4; // heads
const FF = 1024; // feed-forward width
const L = 4; // layers
const S = 128; // sequence length (every sequence full: no padding, no mask)
const B = 16; // batch
const C = 2; // classes
const LR = 1e-4;
const EPS_LN = 1e-5;
const SEED = 7;
const N_BATCHES = 4; // distinct batches, cycled
const TOKENS = B * S;
const CRITERION = 3;
const GATES = [1e-4]; // the first step's losses; the second is informative only

// ---------------------------------------------------------------- data

const batches = Array.from({ length: N_BATCHES }, (_, i) => {
  const next = xorshift(1000 + i);
  const ids = new Int32Array(TOKENS);
  for (let j = 0; j < TOKENS; j++) ids[j] = 1 + (next() % (V - 1));
  const labels = new Int32Array(B);
  for (let j = 0; j < B; j++) labels[j] = next() & 1;
  return { ids, labels };
});

// ---------------------------------------------------------------- ours

class Classifier extends Module {
  constructor() {
    super();
    this.embeddings = this.addModule(
      'embeddings',
      new TransformerEmbeddings(V, D, { positions: 'learned', maxPositions: S, dropout: 0 }),
    );
    this.encoder = this.addModule(
      'encoder',
      new TransformerEncoder({
        layers: L,
        dim: D,
        heads: H,
        ffnDim: FF,
        dropout: 0,
        attentionDropout: 0,
        activation: 'gelu',
        norm: 'post',
        layerNormEps: EPS_LN,
      }),
    );
    this.classifier = this.addModule('classifier', new Linear(D, C));
  }

  forward(ids) {
    return this.classifier.forward(F.meanPool(this.encoder.forward(this.embeddings.forward(ids))));
  }
}

/** A fresh model + optimizer in the current runtime, and a step function over the batches in turn. */
function makeOurs() {
  const model = new Classifier().resetParameters(SEED);
  // AdamW with weight decay 0 is Adam, which is what tf.train.adam does.
  const opt = new AdamW(model.namedParameters(), { lr: LR, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const data = batches.map(({ ids, labels }) => ({
    ids: Tensor.fromArray(ids, [B, S], 'int32'),
    labels: Tensor.fromArray(labels, [B], 'int32'),
  }));
  const stepFn = oursStep(step, opt, data, ({ ids, labels }) => F.crossEntropy(model.forward(ids), labels));
  return { model, opt, step: stepFn };
}

// ---------------------------------------------------------------- tfjs

/**
 * The same model in tfjs-core ops on ours's weights (bench/tfjs-encoder.mjs: variables by
 * Hugging Face name, [in, out] linear weights, the encoder ops).
 */
function makeTfjs({ model }, { nnGrads = false } = {}) {
  const { vars, varList } = tfjsVariables(tf, model);
  const { lin, encode, gatherRows } = tfjsEncoderOps(tf, vars, { B, S, D, H, eps: EPS_LN, nnGrads });
  const data = batches.map(({ ids, labels }) => {
    const t = tf.tensor1d(ids, 'int32');
    return { embed: gatherRows(t, V), onehot: tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), C), 'float32') };
  });
  const loss = ({ embed, onehot }) => {
    let h = embed(vars['embeddings.word_embeddings.weight']); // [B·S, D]
    h = tf.reshape(tf.add(tf.reshape(h, [B, S, D]), vars['embeddings.position_embeddings.weight']), [TOKENS, D]);
    h = encode(h, '', L);
    const pooled = tf.mean(tf.reshape(h, [B, S, D]), 1); // [B, D]
    return tf.losses.softmaxCrossEntropy(onehot, lin(pooled, 'classifier'));
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
    `transformer bench (${QUICK ? 'quick' : 'full'}): L${L} d${D} h${H} ffn${FF} seq${S} batch${B} vocab${V}; tfjs-wasm threads ${tfjs.threads}, SIMD ${tfjs.simd}`,
  ...RUN,
  gates: GATES,
  group: encoderKernelGroup,
  tfjsProfile: QUICK ? ['tfjsNN'] : ['tfjsNN', 'tfjs'],
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
const { ratio } = run.res;

// GEMM flops of one step, to read the GEMM row as GFLOP/s.
const linearMacsPerToken = L * (4 * D * D + 2 * D * FF);
const attnMacsPerToken = L * 2 * S * D; // q·kᵀ and p·v
const stepFlops = 3 * 2 * TOKENS * (linearMacsPerToken + attnMacsPerToken); // forward + 2× for backward
const gemmGflops = (3 * 2 * TOKENS * linearMacsPerToken) / (gemmMs / 1e3) / 1e9;

// ---------------------------------------------------------------- report

const table = encoderTable(run, TOKENS);
log('');
log(table);
const criterion = criterionLine(ratio.ours.tfjs, ratio.ours.tfjsNN, CRITERION);
log(criterion.replace(/\*\*/g, ''));

const wall = elapsed(args);
const linearGflop = ((3 * 2 * TOKENS * linearMacsPerToken) / 1e9).toFixed(1);
const md = `
## Transformer training throughput

${trainingHeader({ args, script: 'bench:transformer', wall, tfjs, rounds: encoderRoundsText(RUN.rounds, RUN.steps, RUN.warmup) })}

Model (the same in both, ${fmt(oursParams)} parameters): token embeddings ${V}×${D} + learned positions ${S}×${D}, ${L} post-norm
encoder layers (d ${D}, ${H} heads, FFN ${FF}, GELU erf form, layer-norm eps ${EPS_LN}), mean pooling over the sequence, linear to ${C} classes,
softmax-cross-entropy (mean), Adam (lr ${LR}, β 0.9/0.999, eps 1e-8; ours is \`AdamW\` with weight decay 0, which is Adam), dropout 0.
Batch ${B} × seq ${S} = ${TOKENS} tokens per step, every sequence full length (no padding, no mask); ${N_BATCHES} fixed random batches cycled.
**tokens/s = ${TOKENS} / median step time** (a step: forward, loss, backward, optimizer update, and reading the loss back as a number).

${table}

### Criteria

${criterion}
${speedupLine(t2, '`setThreads(2)` vs `setThreads(1)`')}

### Same computation

${sameComputationText({
  intro:
    "tfjs's variables are ours's initial parameters (by Hugging Face name); all take the first step on the same batch.",
  losses,
  checks,
  gate1: GATES[0].toExponential(),
  step2: 'after one Adam update, informative',
  params: oursParams,
  t2,
})}

### Where ours's step goes

${encoderProfileIntro(RUN.profileSteps, prof.calls)}

${profTable}

The step has ${(stepFlops / 1e9).toFixed(1)} GFLOP of GEMM-shaped work (linear layers ${linearGflop}, attention scores and context ${((3 * 2 * TOKENS * attnMacsPerToken) / 1e9).toFixed(1)});
the GEMM rows run the linear layers' ${linearGflop} GFLOP at **${gemmGflops.toFixed(1)} GFLOP/s**.
${profileTail({
  gemmTable,
  memory: oursMem,
  tfProf,
  note: QUICK ? 'Quick mode profiles only the NN-gradient variant; the full run also profiles plain tfjs-wasm.' : '',
})}

### How to read this

- **ours**: \`TransformerEmbeddings\` + \`TransformerEncoder\` + \`Linear\` (src/nn), \`F.meanPool\` and \`F.crossEntropy\`,
  \`loss.backward()\`, \`AdamW.step()\` inside \`step()\` (src/autograd, src/optim), from \`dist/wasm-nlp.node.js\`.
- **tfjs-wasm**: the same model from \`@tensorflow/tfjs-core\` ops (\`gather\`, \`matMul\`, \`reshape\`/\`transpose\` for the heads,
  \`softmax\`, layer norm from \`moments\`, GELU from \`erf\`, \`mean\`, \`losses.softmaxCrossEntropy\`) trained by
  \`tf.train.adam().minimize\` (tfjs's registered gradients), on \`@tensorflow/tfjs-backend-wasm\` with one thread.
  Linear weights are kept as [in, out] (as \`tf.layers.dense\` does) and k is transposed explicitly, so every forward
${encoderTfjsNote(' (the speed criterion is measured against the plain one)')}
  In both tfjs variants: the wasm backend has no \`UnsortedSegmentSum\` kernel, which \`gather\`'s registered gradient needs, so the embedding lookup is a
  \`tf.customGrad\` whose gradient is \`scatterND\` of d output into [vocab, d] (duplicate ids summed).
- Dropout is 0 in both: tfjs's dropout draws from a stateful generator, so no counter-based mask could be reproduced
  in both, and the loss comparison needs identical computations.
${encoderRoundsNote('transformer.bench.mjs')}
`;
saveSection(args, 'transformer', md, wall);
