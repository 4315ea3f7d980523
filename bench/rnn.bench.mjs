// Recurrent and convolutional training steps: one LSTM layer (256 → 256) and a
// Conv1d 256 → 256 of width 3 and 5 ('same' padding, ReLU) over [32, 128, 256]
// inputs, each trained with Adam on a fixed regression loss; ours (src/nn LSTM /
// Conv1d + src/autograd + src/optim over the Wasm kernels) against the same
// layers of @tensorflow/tfjs-layers on @tensorflow/tfjs-backend-wasm, one thread
// each, in the same run; then ours with 2 threads when the runtime offers them,
// with a bit-identity check of 1 against 2 threads over several steps.
//
//   npm run bench:rnn              3 interleaved rounds per case (ours 6 steps, each tfjs variant 2)
//   npm run bench:rnn -- --quick   1 round per case (ours 2 steps, each tfjs variant 1)
//   (-- --no-write: the same run, docs/benchmarks.md left alone)
//
// Before timing, tfjs gets ours's initial weights and both take one step on the
// same batch: the losses must agree to 1e-4 relative or the run fails. Writes the
// "rnn" section of docs/benchmarks.md. Needs `npm run build` first. The phases
// and report pieces are bench/lib.mjs's.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import './tfjs-grads.mjs';
import * as lib from '../dist/wasm-nlp.node.js';
import {
  benchArgs,
  criterionLine,
  elapsed,
  encoderRoundsNote,
  encoderRoundsText,
  encoderTable,
  fmt,
  gateAndRounds,
  log,
  oursStep,
  sameComputationText,
  saveSection,
  setupTfjsWasm,
  tfjsAdam,
  tfjsVariants,
  timeOnThreads,
  trainingHeader,
  twoThreads,
  warmBothThreads,
  xorshift,
} from './lib.mjs';

// tfjs-core's CommonJS bundle (which tfjs-layers loads) leaves out the chained
// tensor methods (t.flatten(), ...) that tfjs-layers calls; the ES build adds
// them to the shared Tensor class (the resolve hook of tfjs-grads.mjs loads it).
await import('@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js');

const { Tensor, LSTM, Conv1d, F, AdamW, step } = lib;
if (typeof LSTM !== 'function' || typeof Conv1d !== 'function') {
  throw new Error('dist/wasm-nlp.node.js exports no LSTM or Conv1d: run `npm run build` first');
}

const args = benchArgs(import.meta.url);
const QUICK = args.quick;
// tfjs takes seconds (LSTM: tens of seconds) a step: few steps for it, more for
// ours. The two checked steps are everyone's warm-up; ours gets more.
const RUN = {
  rounds: QUICK ? 1 : 3,
  steps: { ours: QUICK ? 2 : 6, tfjs: QUICK ? 1 : 2 },
  warmup: QUICK ? 1 : 2,
  identitySteps: QUICK ? 2 : 4, // steps compared bit for bit on 1 and 2 threads
};

const B = 32; // batch
const T = 128; // sequence length (every sequence full: no mask)
const C = 256; // input width = hidden size = channels
const LR = 1e-3;
const SEED = 11;
const N_BATCHES = 2; // distinct batches, cycled
const TOKENS = B * T;
const CRITERION = 3;
const GATES = [1e-4]; // the first step's losses; the second is informative only

/**
 * The cases: `kind` 'lstm' or 'conv' (with its width `k`), a title and the
 * GEMM-shaped FLOPs of a step. x needs no gradient, so a product with x has
 * one backward product (its weight's gradient); the recurrent product has two.
 */
const CASES = [
  { key: 'lstm', kind: 'lstm', title: `LSTM ${C} → ${C}`, flops: 2 * TOKENS * 4 * C * C * (2 + 3) },
  { key: 'conv3', kind: 'conv', k: 3, title: `Conv1d ${C} → ${C}, width 3`, flops: 2 * TOKENS * 3 * C * C * 2 },
  { key: 'conv5', kind: 'conv', k: 5, title: `Conv1d ${C} → ${C}, width 5`, flops: 2 * TOKENS * 5 * C * C * 2 },
];

// ---------------------------------------------------------------- data

/** Uniform(−scale, scale) from a seeded xorshift stream. */
function uniform(n, seed, scale) {
  const next = xorshift(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (next() / 2 ** 32 - 0.5) * 2 * scale;
  return a;
}

// Inputs [B, T, C] and regression targets [B, T, C] (the output's shape in every case).
const batches = Array.from({ length: N_BATCHES }, (_, i) => ({
  x: uniform(TOKENS * C, 2000 + i, 1),
  y: uniform(TOKENS * C, 3000 + i, 0.5),
}));

// ---------------------------------------------------------------- ours

/**
 * A fresh model + optimizer of `c` in the current runtime and a step function
 * over the batches in turn. Loss: mean((out − y)²) over [B, T, C], with out the
 * LSTM's output sequence or ReLU(conv1d(x)).
 */
function makeOurs(c) {
  const model =
    c.kind === 'lstm' ? new LSTM(C, C, { seed: SEED }) : new Conv1d(C, C, c.k, { padding: 'same', seed: SEED });
  // tfjs's LSTM has one bias b = b_ih + b_hh; Adam on both of ours would move
  // their sum twice as far, so bias_hh_l0 stays at its initial value (its
  // gradient is still computed) and the two models take the same steps.
  const trained = [...model.namedParameters()].filter(([name]) => name !== 'bias_hh_l0');
  // AdamW with weight decay 0 is Adam, which is what tf.train.adam does.
  const opt = new AdamW(trained, { lr: LR, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const data = batches.map(({ x, y }) => ({
    x: Tensor.fromArray(x, [B, T, C]),
    negY: Tensor.fromArray(
      y.map((v) => -v),
      [B, T, C],
    ),
  }));
  const forward = (x) => {
    if (c.kind === 'conv') return F.relu(model.forward(x));
    const { output, h, c: cell } = model.forward(x);
    h.dispose();
    cell?.dispose();
    return output;
  };
  const loss = ({ x, negY }) => {
    const d = F.add(forward(x), negY);
    return F.mean(F.meanPool(F.mul(d, d))); // over the sequence, then the rest (see makeTfjs)
  };
  return {
    model,
    opt,
    params: trained.reduce((n, [, p]) => n + p.value.size, 0),
    step: oursStep(step, opt, data, loss),
  };
}

// ---------------------------------------------------------------- tfjs

// The NN-only variant's switch, read by the BatchMatMul wrapper below while that variant's step runs.
const nnGrads = { on: false };

/**
 * Two kernels registered for tfjs's wasm backend, through tfjs-core's public
 * kernel registry (after setupTfjsWasm):
 * - BatchMatMul: while `nnGrads.on`, a product with transposeA or transposeB
 *   transposes that operand explicitly (the backend's Transpose kernel) and runs
 *   the backend's NN product (XNNPACK); otherwise, and always for NN products,
 *   the backend's own kernel. The backward of tfjs-layers' dense products
 *   (fused matMul's gradient: dy·Bᵀ and Aᵀ·dy) is where the transposes are.
 * - Conv2DBackpropFilter, which the wasm backend lacks (tfjs's Conv2D gradient
 *   needs it for the filter): for a conv1d (tf.conv1d is a conv2d of height 1,
 *   NHWC, stride 1, no dilation) the filter gradient is im2col + one GEMM:
 *   cols [B·Tout, K·Cin] (K shifted slices of the zero-padded input, side by
 *   side: column j·Cin + c, the row-major order of the filter [1, K, Cin, Cout])
 *   and dW = colsᵀ · dy through the registered BatchMatMul (so the NN-only switch
 *   applies to it as well). Anything else throws.
 */
function registerTfjsKernels() {
  const kernel = (name) => tf.getKernel(name, 'wasm');
  const run = (name, inputs, backend, attrs) => kernel(name).kernelFunc({ inputs, backend, attrs });
  const matMul = kernel('BatchMatMul');
  const swapLast = (t, backend) =>
    run('Transpose', { x: t }, backend, {
      perm: [...t.shape.keys()].map((i, _, a) => (i < a.length - 2 ? i : 2 * a.length - 3 - i)),
    });
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({
    ...matMul,
    kernelFunc: (a) => {
      const { transposeA, transposeB } = a.attrs;
      if (!nnGrads.on || (!transposeA && !transposeB)) return matMul.kernelFunc(a);
      const { backend } = a;
      const temps = [];
      const nn = (t, swap) => (swap ? temps[temps.push(swapLast(t, backend)) - 1] : t);
      try {
        return matMul.kernelFunc({
          inputs: { a: nn(a.inputs.a, transposeA), b: nn(a.inputs.b, transposeB) },
          backend,
          attrs: { ...a.attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const t of temps) backend.disposeData(t.dataId);
      }
    },
  });
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') !== undefined) return;
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs: { x, dy }, backend, attrs: { strides, pad, dataFormat, dimRoundingMode, filterShape } }) => {
      const info = tf.backend_util.computeConv2DInfo(x.shape, filterShape, strides, 1, pad, dimRoundingMode);
      const [, K, Cin, Cout] = filterShape;
      if (dataFormat !== 'NHWC' || info.inHeight !== 1 || filterShape[0] !== 1 || info.strideWidth !== 1) {
        throw new Error(
          `Conv2DBackpropFilter (bench): only conv1d's case (NHWC, height 1, stride 1), got input ${x.shape}, filter ${filterShape}, strides ${strides}, ${dataFormat}`,
        );
      }
      const N = info.batchSize;
      const W = info.outWidth;
      const temps = [];
      const keep = (t) => (temps.push(t), t);
      try {
        const { left, right } = info.padInfo;
        const padded = keep(
          run('PadV2', { x }, backend, {
            paddings: [
              [0, 0],
              [0, 0],
              [left, right],
              [0, 0],
            ],
            constantValue: 0,
          }),
        );
        const slices = Array.from({ length: K }, (_, j) =>
          keep(run('Slice', { x: padded }, backend, { begin: [0, 0, j, 0], size: [N, 1, W, Cin] })),
        );
        const cols = keep(run('Concat', slices, backend, { axis: 3 })); // [N, 1, W, K·Cin]
        const cols3 = keep(run('Reshape', { x: cols }, backend, { shape: [1, N * W, K * Cin] }));
        const dy3 = keep(run('Reshape', { x: dy }, backend, { shape: [1, N * W, Cout] }));
        const dw = keep(run('BatchMatMul', { a: cols3, b: dy3 }, backend, { transposeA: true, transposeB: false }));
        return run('Reshape', { x: dw }, backend, { shape: filterShape }); // shares dw's data (a reference of its own)
      } finally {
        for (const t of temps) backend.disposeData(t.dataId);
      }
    },
  });
}

/**
 * The same layer in tfjs-layers on ours's weights, trained by tf.train.adam:
 * tf.layers.lstm (units C, sigmoid recurrent activation, every output step;
 * kernel = W_ihᵀ [C, 4C], recurrentKernel = W_hhᵀ [C, 4C], bias = b_ih + b_hh:
 * Keras's gate order i, f, c, o is PyTorch's i, f, g, o) or tf.layers.conv1d
 * (filters C, 'same', ReLU; kernel [K, Cin, Cout] = ours's [Cout, Cin, K] permuted).
 * `nnGrads`: the step runs with the NN-only BatchMatMul switch on.
 */
function makeTfjs(c, { model }, { nnGrads: nn = false } = {}) {
  const w = Object.fromEntries([...model.namedParameters()].map(([name, p]) => [name, p.value]));
  const t = (x) => tf.tensor(x.toArray(), [...x.shape]);
  let layer;
  let weights;
  if (c.kind === 'lstm') {
    // Initializers that cost nothing: setWeights replaces them (the default orthogonal one takes seconds at 256²).
    layer = tfl.layers.lstm({
      units: C,
      returnSequences: true,
      recurrentActivation: 'sigmoid',
      kernelInitializer: 'zeros',
      recurrentInitializer: 'zeros',
    });
    weights = tf.tidy(() => [
      tf.transpose(t(w.weight_ih_l0)),
      tf.transpose(t(w.weight_hh_l0)),
      tf.add(t(w.bias_ih_l0), t(w.bias_hh_l0)),
    ]);
  } else {
    layer = tfl.layers.conv1d({ filters: C, kernelSize: c.k, padding: 'same', activation: 'relu' });
    weights = tf.tidy(() => [tf.transpose(t(w.weight), [2, 1, 0]), t(w.bias)]);
  }
  tf.tidy(() => layer.apply(tf.zeros([1, 1, C]))); // builds the layer (creates its variables)
  layer.setWeights(weights);
  tf.dispose(weights);
  const varList = layer.trainableWeights.map((v) => v.read());
  const data = batches.map(({ x, y }) => ({ x: tf.tensor3d(x, [B, T, C]), y: tf.tensor3d(y, [B, T, C]) }));
  // The mean over the sequence first, then over batch and width, as ours: tfjs's Mean kernel sums in
  // float32 in one pass, which over all 10⁶ elements at once is off by ~5e-4 relative (more than the gate).
  const loss = ({ x, y }) => tf.mean(tf.mean(tf.squaredDifference(layer.apply(x), y), 1));
  const m = tfjsAdam(tf, varList, data, loss, LR);
  const step = () => {
    nnGrads.on = nn;
    try {
      return m.step();
    } finally {
      nnGrads.on = false;
    }
  };
  return { step, params: m.params, free: () => tf.dispose(data.flatMap(({ x, y }) => [x, y])) };
}

// ---------------------------------------------------------------- 1 vs 2 threads, bit for bit

/** The bits of a Float32Array, to compare with ===. */
const bits = (a) => new Uint32Array(a.buffer, a.byteOffset, a.length);

/**
 * Two fresh models of `c` (same seed, same batches) take `n` steps, one on 1
 * thread and one on 2 (setThreads, shared-memory build): their losses and every
 * parameter after the steps must be identical bit for bit. Returns
 * { same, losses: [l1[], l2[]], mismatch } (the first differing name, or '').
 */
function threadIdentity(c, n) {
  const runs = [1, 2].map((threads) => {
    lib.setThreads(threads);
    const o = makeOurs(c);
    const losses = Array.from({ length: n }, () => o.step());
    const params = [...o.model.namedParameters()].map(([name, p]) => [name, p.value.toArray()]);
    return { losses, params };
  });
  lib.setThreads(1);
  const [a, b] = runs;
  let mismatch = '';
  a.losses.forEach((l, s) => {
    if (mismatch === '' && !Object.is(l, b.losses[s])) mismatch = `loss of step ${s + 1}`;
  });
  a.params.forEach(([name, v], i) => {
    const u = bits(v);
    const w = bits(b.params[i][1]);
    if (mismatch === '' && (u.length !== w.length || u.some((x, j) => x !== w[j]))) mismatch = name;
  });
  return { same: mismatch === '', losses: [a.losses, b.losses], mismatch };
}

// ---------------------------------------------------------------- phase 1: ours against tfjs-wasm, one thread each

await lib.init();
const tfjs = await setupTfjsWasm(tf, tfjsWasm);
registerTfjsKernels();
log(
  `rnn bench (${QUICK ? 'quick' : 'full'}): batch ${B} seq ${T} width ${C}; ${CASES.map((c) => c.key).join(', ')}; tfjs-wasm threads ${tfjs.threads}, SIMD ${tfjs.simd}`,
);

const results = [];
for (const c of CASES) {
  log(`\n${c.title}:`);
  const ours = makeOurs(c);
  const made = [];
  const runners = {
    ours: ours.step,
    ...tfjsVariants(
      (v) => makeTfjs(c, ours, v),
      ours.params,
      (m) => made.push(m),
    ),
  };
  const { losses, checks, res } = await gateAndRounds({
    ours,
    runners,
    gates: GATES,
    rounds: RUN.rounds,
    steps: RUN.steps,
    warmup: RUN.warmup,
    log,
  });
  tf.disposeVariables();
  for (const m of made) m.free();
  results.push({ c, losses, checks, res, params: ours.params });
}
const oursMem = lib.memoryStats();
lib.shutdown();

// ---------------------------------------------------------------- phase 2: ours on 2 threads against 1, and bit identity

for (const r of results) {
  log(`\n${r.c.title}, threads:`);
  r.t2 = await twoThreads({
    lib,
    make: () => makeOurs(r.c),
    firstLoss: r.losses.ours[0],
    rounds: RUN.rounds,
    log,
    // Runs first in the shared-memory runtime: the bit-identity check, then warm-up on both thread counts.
    warmup: (o) => {
      r.identity = threadIdentity(r.c, RUN.identitySteps);
      log(
        `1 vs 2 threads over ${RUN.identitySteps} steps (losses and every parameter): ${r.identity.same ? 'PASS, bit-identical' : `FAIL, ${r.identity.mismatch} differs`}`,
      );
      warmBothThreads(lib, o, RUN.warmup);
    },
    run: (o, threads) => timeOnThreads(lib, o, threads, RUN.steps.ours),
  });
  if (!r.t2.available) log(`2 threads ${r.t2.why}`);
}

// ---------------------------------------------------------------- report

const sections = [];
const summary = [];
for (const { c, losses, checks, res, params, t2, identity } of results) {
  const table = encoderTable({ res, t2 }, TOKENS, { threadSpreads: true });
  const criterion = criterionLine(res.ratio.ours.tfjs, res.ratio.ours.tfjsNN, CRITERION);
  const ident = identity
    ? `- 1 vs 2 threads, ${RUN.identitySteps} training steps from the same seed (every loss and every parameter after them, bit for bit): **${identity.same ? 'PASS' : 'FAIL'}**${identity.same ? '' : ` (${identity.mismatch} differs)`}`
    : '- 1 vs 2 threads: not checked (no 2-thread runtime)';
  const gflops = (c.flops / res.median.ours / 1e9).toFixed(1);
  log(`\n${c.title}\n${table}\n${criterion.replace(/\*\*/g, '')}\n${ident.replace(/\*\*/g, '')}`);
  summary.push({ c, pass: res.ratio.ours.tfjs >= CRITERION, same: identity?.same });
  sections.push(`### ${c.title}

${table}

${criterion}
${ident}
- ${(c.flops / 1e9).toFixed(1)} GFLOP of GEMM-shaped work a step (${c.kind === 'lstm' ? 'the input product and its weight gradient, the recurrent product and its two gradients' : `the convolution as a ${TOKENS} × ${c.k * C} × ${C} product and its weight gradient`}; x needs no gradient): ours's whole step runs at an effective ${gflops} GFLOP/s.

${sameComputationText({
  intro:
    c.kind === 'lstm'
      ? "tfjs's LSTM weights are ours's initial parameters (kernel = W_ihᵀ, recurrentKernel = W_hhᵀ, bias = b_ih + b_hh); all take the first step on the same batch."
      : "tfjs's conv1d kernel is ours's initial weight permuted to [K, Cin, Cout], with ours's bias; all take the first step on the same batch.",
  losses,
  checks,
  gate1: GATES[0].toExponential(),
  step2: `after one Adam update, on the second batch${c.kind === 'lstm' ? '; ours holds bias_hh_l0 fixed so both move the bias sum alike' : ''}`,
  params,
  t2,
})}`);
}

const wall = elapsed(args);
const roundsText = encoderRoundsText(RUN.rounds, RUN.steps, RUN.warmup, ' per case');
const md = `
## LSTM and Conv1d training steps

${trainingHeader({ args, script: 'bench:rnn', wall, tfjs, rounds: roundsText })}

Input [${B}, ${T}, ${C}] (batch × seq × width, fixed seeded uniform(−1, 1), ${N_BATCHES} batches cycled; every sequence full length, no mask).
A step: forward, loss = mean((out − y)²) over [${B}, ${T}, ${C}] against fixed seeded targets y, backward, Adam (lr ${LR}, β 0.9/0.999,
eps 1e-8; ours is \`AdamW\` with weight decay 0, which is Adam), and reading the loss back as a number.
**tokens/s = ${TOKENS} / median step time.** out is the LSTM's output at every step (one layer, hidden ${C}, unidirectional) or
ReLU(conv1d(x)) (${C} → ${C} channels, 'same' padding, bias).

${sections.join('\n\n')}

### Criteria

${summary.map(({ c, pass }) => `- ${c.title}: ours ≥ ${CRITERION}× tfjs-wasm (1 thread each): **${pass ? 'PASS' : 'FAIL'}**`).join('\n')}
${summary.map(({ c, same }) => `- ${c.title}: 1 and 2 threads bit-identical: **${same === undefined ? 'not checked' : same ? 'PASS' : 'FAIL'}**`).join('\n')}

Wasm memory of ours after the timed steps of phase 1 (all cases in one runtime): ${(oursMem.bytesInUse / 2 ** 20).toFixed(0)} MiB in use, peak ${(oursMem.peakBytesInUse / 2 ** 20).toFixed(0)} MiB.

### How to read this

- **ours**: \`LSTM\` and \`Conv1d\` (src/nn), \`F.relu\`, \`F.add\`/\`F.mul\`/\`F.meanPool\`/\`F.mean\` for the loss, \`loss.backward()\`, \`AdamW.step()\`
  inside \`step()\` (src/autograd, src/optim), from \`dist/wasm-nlp.node.js\`.
- **tfjs-wasm**: \`tf.layers.lstm\` (\`recurrentActivation: 'sigmoid'\`, \`returnSequences: true\`) and \`tf.layers.conv1d\`
  (\`padding: 'same'\`, \`activation: 'relu'\`) of \`@tensorflow/tfjs-layers\`, applied to the batch, the loss from
  \`squaredDifference\` and \`mean\`, trained by \`tf.train.adam().minimize\` over the layer's variables (tfjs's registered gradients),
  on \`@tensorflow/tfjs-backend-wasm\` with one thread. The LSTM runs tfjs-layers' own loop over time: per step
  \`fused.matMul\` of x_t and of h with the kernels (XNNPACK), whose gradients are tfjs's transposed products, which the wasm
  backend runs in a scalar loop: that is what a tfjs user gets.
- **tfjs-wasm, NN-only matMul gradients**: the same, with the wasm backend's \`BatchMatMul\` kernel wrapped (tfjs-core's
  public \`registerKernel\`) so that a product with a transposed operand transposes it explicitly and runs the NN product
  on XNNPACK: the strongest tfjs baseline we know how to build with its public API.
- tfjs-backend-wasm has no \`Conv2DBackpropFilter\` kernel, which tfjs's conv1d gradient (a conv2d of height 1) needs for the
  filter: without one, \`tf.layers.conv1d\` cannot train on the wasm backend. The bench registers one for both tfjs variants:
  im2col (the backend's \`PadV2\`, \`Slice\` and \`Concat\` kernels) and one GEMM colsᵀ · dy through \`BatchMatMul\` (in the
  NN-only variant: explicit transpose + XNNPACK). x needs no gradient, so neither side computes the input gradient
  (tfjs's would be the backend's own \`Conv2DBackpropInput\`). The LSTM needs no kernel the wasm backend lacks.
- Both take the loss's mean over the sequence first, then over batch and width (ours: \`F.meanPool\`, then \`F.mean\`):
  tfjs's \`Mean\` kernel sums in float32 in one pass, which over all ${fmt(TOKENS * C)} elements at once is off by about 5e-4
  relative, more than the gate allows; in two stages both are within 1e-6 of a float64 sum.
- ours holds \`bias_hh_l0\` fixed (its gradient is computed, the optimizer leaves it), because tfjs's LSTM has one bias where
  ours (as PyTorch) has two: this way both models take the same steps; the parameter count compared is the trained one.
${encoderRoundsNote(
  'rnn.bench.mjs',
  ` The 2-thread rows
  come from a later phase on the shared-memory build, in rounds of their own (threads 2, 1 and 1, 2 alternating).`,
)}
`;
saveSection(args, 'rnn', md, wall);
