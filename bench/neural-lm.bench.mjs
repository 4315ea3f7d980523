// Neural LM training throughput: the Bengio et al. (2003) MLP language model at
// the size of the Brown experiment (|V| 16383, context 4, m 100, h 200, no direct
// connections, batch 512) trained with Adam, ours (NeuralLM.fit, and NeuralLM's
// loss + backward + Adam as a bare step) against the same model written with
// @tensorflow/tfjs-core ops on @tensorflow/tfjs-backend-wasm, one thread each,
// in the same run; then ours with 2 threads.
//
//   npm run bench:lm              4 interleaved rounds (+ warm-up)
//   npm run bench:lm -- --quick   1 round of a few steps
//   (-- --no-write: the same run, docs/benchmarks.md left alone)
//
// One step: embedding gather of [B, 4] ids -> reshape [B, 400] -> tanh(x Hᵀ + d)
// -> logits = hid Uᵀ + b [B, V] -> mean softmax-cross-entropy -> gradients -> Adam
// update of every parameter -> the loss read back as a number.
//
// Before timing, tfjs gets ours's initial weights and both take two bare steps on
// the same two batches: the first-step losses must agree to 1e-4 relative and the
// second-step losses (after one Adam update) to 1e-3, or the run fails. Then a
// per-kernel profile of ours's step (forward / backward / optimizer) says where
// the time goes. Writes the "neural-lm" section of docs/benchmarks.md. Needs
// `npm run build` first. The phases and report pieces are bench/lib.mjs's.
import * as tf from '@tensorflow/tfjs-core';
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import './tfjs-grads.mjs';
import * as lib from '../dist/wasm-nlp.node.js';
import {
  benchArgs,
  criterionLine,
  elapsed,
  fmt,
  GEMM_GROUP,
  log,
  msPerStep,
  oursStep,
  plural,
  profileTail,
  runTrainingBench,
  sameComputationText,
  saveSection,
  speedupLine,
  spreadCell,
  tfjsAdam,
  tfjsRows,
  timeSteps,
  trainingHeader,
  trainingTable,
  twoThreadRows,
  xorshift,
} from './lib.mjs';

// No raw ops here: NeuralLM's own loss, autograd and the optimizer.
const { Tensor, NeuralLM, Adam, step } = lib;

const args = benchArgs(import.meta.url);
const QUICK = args.quick;
const ROUNDS = QUICK ? 1 : 4;
const STEPS = { ours: QUICK ? 3 : 10, fit: QUICK ? 4 : 12, tfjs: QUICK ? 1 : 3 };
const WARMUP_OURS = QUICK ? 1 : 2;
const PROFILE_STEPS = QUICK ? 1 : 3;

// The model (both implementations).
const V = 16383; // vocabulary (Brown, words of frequency >= 4 in train + <unk>, as in the paper)
const CTX = 4; // n − 1 previous words
const M = 100; // embedding size m
const H = 200; // hidden units h
const IN = CTX * M; // concatenated embeddings
const B = 512; // batch
const LR = 1e-3;
const EPS = 1e-8;
const SEED = 11;
const N_BATCHES = 4; // distinct batches, cycled
const BOS = 1; // NeuralLM's default padding id: kept out of the stream
const CRITERION = 2;
const GATE = [1e-4, 1e-3]; // the first and second steps' losses, relative
const OUT_FLOPS = 6 * V * H * B; // output layer per step: forward 2VhB, backward 4VhB
const STEP_FLOPS = 6 * B * (V * H + H * IN); // all GEMM work of a step (output + hidden layer)

// ---------------------------------------------------------------- data

/**
 * A synthetic word stream with Zipf-distributed ids (P(rank r) ∝ 1/(r+1), as word
 * frequencies roughly are), so the embedding gradient sees as many repeated rows
 * as on real text; the dense layers' cost does not depend on the ids.
 */
function zipfStream(n, seed) {
  const ranks = V - 1; // every id but BOS
  const cdf = new Float64Array(ranks);
  let acc = 0;
  for (let r = 0; r < ranks; r++) cdf[r] = acc += 1 / (r + 1);
  const next = xorshift(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = (next() / 2 ** 32) * acc;
    let lo = 0;
    let hi = ranks - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo < BOS ? lo : lo + 1; // rank 0 is id 0 (<unk>, the most frequent), BOS never occurs
  }
  return out;
}

const STREAM = zipfStream(100_000, 2003);
// Each batch: B random positions t of the stream, ids [B, 4] = stream[t−4 .. t−1], target stream[t].
const batches = Array.from({ length: N_BATCHES }, (_, i) => {
  const next = xorshift(1000 + i);
  const ids = new Int32Array(B * CTX);
  const targets = new Int32Array(B);
  for (let j = 0; j < B; j++) {
    const t = CTX + (next() % (STREAM.length - CTX));
    for (let c = 0; c < CTX; c++) ids[j * CTX + c] = STREAM[t - CTX + c];
    targets[j] = STREAM[t];
  }
  return { ids, targets };
});

// ---------------------------------------------------------------- ours

const CONFIG = {
  vocabSize: V,
  context: CTX,
  embeddingDim: M,
  hidden: H,
  direct: false,
  tied: false,
  dropout: 0,
  bos: BOS,
  seed: SEED,
};
const NAMES_OURS = ['embeddings.weight', 'hidden.weight', 'hidden.bias', 'output.weight', 'output.bias'];

/**
 * A NeuralLM (src/models/lm/neural-lm.ts) and two ways to train it:
 * - `step`: a bare step on the fixed batches, NeuralLM's own loss (embedding,
 *   reshape, tanh(linear), linear, fused softmax-cross-entropy) + backward + Adam
 *   inside step(): what fit does per step, minus its batch assembly; the loss
 *   check and the kernel profile use it;
 * - `fit(steps, threads)`: `NeuralLM.fit` on the stream for `steps` steps
 *   (its own seeded shuffle of positions), returning the call's seconds.
 */
function makeOurs() {
  const lm = new NeuralLM(CONFIG);
  const named = lm.namedParameters();
  const names = named.map(([n]) => n);
  if (names.join() !== NAMES_OURS.join())
    throw new Error(`NeuralLM's parameters are ${names.join(', ')}, expected ${NAMES_OURS.join(', ')}`);
  const params = Object.fromEntries(named);
  // fit uses AdamW with weight decay 0 (= Adam); both are the same kernel.
  const opt = new Adam(named, { lr: LR, betas: [0.9, 0.999], eps: EPS });
  const data = batches.map(({ ids, targets }) => ({
    ids: Tensor.fromArray(ids, [B, CTX], 'int32'),
    targets: Tensor.fromArray(targets, [B], 'int32'),
  }));
  const stepFn = oursStep(step, opt, data, ({ ids, targets }) => lm.loss(ids, targets));
  const fit = async (steps, threads) => {
    const t0 = process.hrtime.bigint();
    const r = await lm.fit(STREAM, { epochs: 1, batchSize: B, lr: LR, maxSteps: steps, threads });
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.steps !== steps) throw new Error(`NeuralLM.fit ran ${r.steps} steps, expected ${steps}`);
    return sec;
  };
  const count = named.reduce((n, [, p]) => n + p.size, 0);
  return { lm, params, opt, step: stepFn, fit, count };
}

// ---------------------------------------------------------------- tfjs

/**
 * The same model in tfjs-core ops, weights copied from ours. Linear weights are
 * stored transposed ([in, out], as tf.layers.dense keeps its kernel), so both
 * forward GEMMs are tfjs's fast NN matMul (XNNPACK); storing them [out, in] and
 * calling matMul(x, W, false, true) would put the forward on its scalar
 * transposed-product loop as well. The backward is tfjs's registered gradients
 * (matMul's are its NT/TN products), or with nnGrads explicit transposes + NN matMul.
 */
function makeTfjs({ params }, { nnGrads = false } = {}) {
  const val = (name) => params[name].value;
  const t2 = (name) => tf.tensor2d(val(name).toArray(), val(name).shape);
  const vars = {
    emb: tf.variable(t2('embeddings.weight'), true, undefined),
    Hk: tf.variable(
      tf.tidy(() => tf.transpose(t2('hidden.weight'))),
      true,
    ), // [IN, H]
    d: tf.variable(tf.tensor1d(val('hidden.bias').toArray()), true),
    Uk: tf.variable(
      tf.tidy(() => tf.transpose(t2('output.weight'))),
      true,
    ), // [H, V]
    b: tf.variable(tf.tensor1d(val('output.bias').toArray()), true),
  };
  const varList = Object.values(vars);
  const nnMatMul = tf.customGrad((a, w, save) => {
    save([a, w]);
    return {
      value: tf.matMul(a, w),
      gradFunc: (dy, [sa, sw]) => [tf.matMul(dy, tf.transpose(sw)), tf.matMul(tf.transpose(sa), dy)],
    };
  });
  const matMul = nnGrads ? nnMatMul : (a, w) => tf.matMul(a, w);
  // tfjs-backend-wasm has no UnsortedSegmentSum kernel, which gather's registered
  // gradient needs: the embedding's gradient is scatterND (duplicates summed) instead.
  const embedFor = (ids) => {
    const rows = tf.keep(tf.reshape(ids, [B * CTX, 1]));
    return tf.customGrad((table) => ({
      value: tf.gather(table, ids),
      gradFunc: (dy) => tf.scatterND(rows, dy, [V, M]),
    }));
  };
  const data = batches.map(({ ids, targets }) => ({
    embed: embedFor(tf.tensor1d(ids, 'int32')),
    onehot: tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), V), 'float32'),
  }));
  const loss = ({ embed, onehot }) => {
    const x = tf.reshape(embed(vars.emb), [B, IN]);
    const hid = tf.tanh(tf.add(matMul(x, vars.Hk), vars.d));
    const logits = tf.add(matMul(hid, vars.Uk), vars.b);
    return tf.losses.softmaxCrossEntropy(onehot, logits); // mean over the batch
  };
  return tfjsAdam(tf, varList, data, loss, LR, EPS);
}

// ---------------------------------------------------------------- phases 1-3 (bench/lib.mjs runTrainingBench)

/** Kernel name -> what it is, for the grouped breakdown. */
function group(name) {
  if (/gemm|matmul|linear/.test(name)) return GEMM_GROUP;
  if (/xent|softmax|cross/.test(name)) return 'softmax-cross-entropy';
  if (/adam|sgd/.test(name)) return 'optimizer update';
  if (/embedding/.test(name)) return 'embedding gather / scatter-add';
  if (/tanh/.test(name)) return 'tanh';
  if (/fill|zero|memset|memcpy|copy/.test(name)) return 'fills / copies';
  return 'element-wise (bias sums, axpy, ...)';
}

// A round: each contender back to back, order alternating so a burst of load
// does not always land on the same side. fit gives one figure a round (its call's
// seconds / steps), the others one per step. Ratios are against fit and against
// the bare step; 2 threads: NeuralLM.fit with threads 1 and threads 2 on the same model.
const fitStep = async (o, threads) => [(await o.fit(STEPS.fit, threads)) / STEPS.fit];
const run = await runTrainingBench({
  lib,
  tf,
  tfjsWasm,
  makeOurs,
  makeTfjs,
  params: (ours) => ours.count,
  group,
  banner: (tfjs) =>
    `neural-lm bench (${QUICK ? 'quick' : 'full'}): V ${V} context ${CTX} m ${M} h ${H} batch ${B}; tfjs-wasm threads ${tfjs.threads}, SIMD ${tfjs.simd}; load ${args.load0}`,
  gates: GATE,
  rounds: ROUNDS,
  steps: STEPS,
  warmup: WARMUP_OURS,
  profileSteps: PROFILE_STEPS,
  warmupMore: (ours) => ours.fit(WARMUP_OURS, 1),
  orders: [
    ['tfjs', 'fit', 'ours', 'tfjsNN'],
    ['tfjsNN', 'ours', 'fit', 'tfjs'],
  ],
  bases: ['fit', 'ours'],
  run: (who, { ours, runners }) =>
    who === 'fit' ? fitStep(ours, 1) : timeSteps(runners[who], STEPS[who] ?? STEPS.tfjs),
  describe: (r, round, ratios) =>
    `round ${r + 1}/${ROUNDS}: NeuralLM.fit ${msPerStep(round.fit)} ms/step, bare step ${msPerStep(round.ours)} ms/step, ` +
    `tfjs-wasm ${msPerStep(round.tfjs)} ms/step (fit ${ratios.fit.tfjs.at(-1).toFixed(2)}× faster), ` +
    `tfjs-wasm NN grads ${msPerStep(round.tfjsNN)} ms/step (fit ${ratios.fit.tfjsNN.at(-1).toFixed(2)}× faster)`,
  tfjsProfile: QUICK ? ['tfjs'] : ['tfjs', 'tfjsNN'],
  threads: {
    warmup: async (o) => {
      await o.fit(WARMUP_OURS, 1);
      await o.fit(WARMUP_OURS, 2);
    },
    run: fitStep,
    describe: (ms1, ms2) => `NeuralLM.fit, shared-memory build, threads 1 ${ms1} ms/step, threads 2 ${ms2} ms/step`,
  },
});
const {
  tfjs,
  ours,
  losses,
  checks,
  oursMem,
  tfProf,
  profile: { prof, profTable, gemmTable, gemmMs },
  t2,
} = run;
const { median: sec, spread, ratio } = run.res;
const gemmGflops = STEP_FLOPS / (gemmMs / 1e3) / 1e9;

// ---------------------------------------------------------------- report

const table = trainingTable(
  [
    ['steps/s', (s) => (1 / s).toFixed(2)],
    ['tokens/s', (s) => fmt(B / s)],
    ['output layer GFLOP/s', (s) => (OUT_FLOPS / s / 1e9).toFixed(1)],
  ],
  [
    {
      name: 'ours, `NeuralLM.fit`, 1 thread (release build)',
      sec: sec.fit,
      spread: spreadCell(spread.fit, 'round'),
      vs: '1.00×',
      speedup: '—',
    },
    {
      name: 'ours, bare step (`loss` + backward + Adam), 1 thread',
      sec: sec.ours,
      spread: spreadCell(spread.ours),
      vs: `fit's overhead ${(((sec.fit - sec.ours) / sec.ours) * 100).toFixed(0)}%`,
      speedup: '—',
    },
    ...tfjsRows(run.res, 'fit', (k) => ` (bare step ${ratio.ours[k].toFixed(2)}×)`),
    ...twoThreadRows(
      t2,
      [
        'ours, `NeuralLM.fit`, threads 1 (shared-memory build)',
        'ours, `NeuralLM.fit`, threads 2 (shared-memory build)',
      ],
      sec.tfjs,
      [spreadCell(t2.spread1, 'round'), spreadCell(t2.spread2, 'round')],
    ),
  ],
);
log('');
log(table);
const criterion = criterionLine(ratio.fit.tfjs, ratio.fit.tfjsNN, CRITERION);
log(criterion.replace(/\*\*/g, ''));

const wall = elapsed(args);
const md = `
## Neural language model training throughput (Bengio et al. 2003)

${trainingHeader({
  args,
  script: 'bench:lm',
  wall,
  tfjs,
  rounds:
    `${ROUNDS} interleaved round${plural(ROUNDS)}, each one \`fit\` call of ${STEPS.fit} steps, ${STEPS.ours} bare steps of ours and ${STEPS.tfjs} step${plural(STEPS.tfjs)} of each tfjs variant, ` +
    `after the 2 checked steps (and ${WARMUP_OURS} more warm-up step${plural(WARMUP_OURS)} and a ${WARMUP_OURS}-step \`fit\` of ours)`,
})}

Model (the same in both, ${fmt(ours.count)} parameters): the MLP of Bengio et al. (2003) at the Brown size: |V| ${V}, context ${CTX},
embeddings m ${M}, hidden h ${H} (tanh), no direct connections, separate output weights, dropout 0; ours is
\`new NeuralLM(${JSON.stringify(CONFIG).replace(/"/g, '').replace(/,/g, ', ').replace(/:/g, ': ')})\`.
A step: embedding gather of [${B}, ${CTX}] ids → reshape [${B}, ${IN}] → tanh(x Hᵀ + d) → logits = hid Uᵀ + b [${B}, ${V}] →
mean softmax-cross-entropy → gradients → Adam (lr ${LR}, β 0.9/0.999, eps ${EPS}) on every parameter (dense updates) → the loss read back.
Batch ${B}. Data: a synthetic stream of ${fmt(STREAM.length)} ids, Zipf-distributed (P(rank r) ∝ 1/(r+1); BOS never occurs) so the embedding
gradient sees as many repeated rows as on text; \`fit\` takes its own shuffled positions of it, the bare steps and tfjs cycle ${N_BATCHES} fixed batches of
random positions. **tokens/s = ${B} / median step time** (one predicted token per example); **ours ≥ ${CRITERION}× is judged on \`NeuralLM.fit\`**. "output layer GFLOP/s" = 6·V·h·B = ${(OUT_FLOPS / 1e9).toFixed(2)} GFLOP
per step divided by the whole step time (the output layer's forward and two gradient GEMMs; the hidden layer adds ${((6 * B * H * IN) / 1e9).toFixed(2)} GFLOP).

${table}

### Criteria

${criterion}
${speedupLine(t2, '`fit({ threads: 2 })` vs `fit({ threads: 1 })`')}

### Same computation

${sameComputationText({
  intro: "tfjs's variables are ours's initial parameters; all take the first two steps on the same two batches.",
  losses,
  checks,
  gate1: GATE[0],
  step2: 'next batch, after one Adam update',
  tail2: `; the bench fails above ${GATE[1]}`,
  params: ours.count,
  t2,
})}

### Where ours's step goes

Kernel times of ours's step (release build, 1 thread, mean of ${PROFILE_STEPS} step${plural(PROFILE_STEPS)} after warm-up, ${fmt(prof.calls)} Wasm calls a step),
measured by wrapping every Wasm export with a timer. "forward" runs up to the loss value, "backward" is \`loss.backward()\`,
"optimizer + release" is \`opt.step()\`, \`zeroGrad()\` and the tape release.

${profTable}

The step has ${(STEP_FLOPS / 1e9).toFixed(2)} GFLOP of GEMM work; the GEMM rows run it at **${gemmGflops.toFixed(1)} GFLOP/s**.
${profileTail({
  gemmTable,
  memory: oursMem,
  tfProf,
  note: QUICK ? 'Quick mode profiles only plain tfjs-wasm; the full run also profiles the NN-gradient variant.' : '',
})}

### How to read this

- **ours, \`NeuralLM.fit\`**: \`await lm.fit(stream, { epochs: 1, batchSize: ${B}, lr: ${LR}, maxSteps: ${STEPS.fit}, threads: 1 })\`, one call a
  round; seconds per step = the call's wall time / ${STEPS.fit}, so fit's per-call work (argument checks, the shuffle, a fresh \`AdamW\`
  with weight decay 0 = Adam, batch assembly) counts. Each call starts a new epoch at the same shuffled positions and a fresh optimizer.
- **ours, bare step**: the same model object, \`lm.loss(ids, targets)\` (embedding, reshape, \`tanh(linear)\`, \`linear\`, the fused
  softmax-cross-entropy kernel), \`loss.backward()\`, \`Adam.step()\` inside \`step()\`, on fixed batches already in Wasm memory:
  fit's step without its batch assembly. The loss check and the kernel profile use it (fit's batches are its own, so its losses
  cannot be compared with tfjs's step by step).
- **tfjs-wasm**: the same model from \`@tensorflow/tfjs-core\` ops (\`gather\`, \`reshape\`, \`matMul\` + bias, \`tanh\`,
  \`losses.softmaxCrossEntropy\` on one-hot targets made beforehand) trained by \`tf.train.adam().minimize\` (tfjs's registered
  gradients), on \`@tensorflow/tfjs-backend-wasm\` with one thread. Linear weights are kept as [in, out] (as \`tf.layers.dense\`
  does), so both forward GEMMs are tfjs's fast NN \`matMul\` (XNNPACK); the gradients of \`matMul\` are tfjs's own transposed
  products, which its wasm backend runs in a scalar loop (see the GEMM section): that is what a tfjs user gets.
  **tfjs-wasm, NN-only matMul gradients**: the same, with every \`matMul\` a \`tf.customGrad\` whose gradients are
  \`matMul(dy, transpose(W))\` and \`matMul(transpose(x), dy)\`, so the backward GEMMs also run on XNNPACK: the strongest
  tfjs baseline we know how to write with its public API (the criterion uses the plain one, as for the transformer).
  In both: the wasm backend has no \`UnsortedSegmentSum\` kernel, which \`gather\`'s registered gradient needs, so the
  embedding lookup is a \`tf.customGrad\` whose gradient is \`scatterND\` into [V, m] (duplicate ids summed).
- A cell is the median step time over all timed steps (for \`fit\`: over the rounds' call averages); a ratio is the median over
  rounds of the within-round ratio (the contenders run back to back, order alternating). "spread" = (slowest − fastest) / median.
- This section is written by \`bench/neural-lm.bench.mjs\`; rerun it rather than editing the numbers.
`;
saveSection(args, 'neural-lm', md, wall);
