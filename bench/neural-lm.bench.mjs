// Neural LM training throughput: the Bengio et al. (2003) MLP language model at
// the size of the Brown experiment (|V| 16383, context 4, m 100, h 200, no direct
// connections, batch 512) trained with Adam, ours (NeuralLM.fit, and NeuralLM's
// loss + backward + Adam as a bare step) against the same model written with
// @tensorflow/tfjs-core ops on @tensorflow/tfjs-backend-wasm, one thread each,
// in the same run; then ours with 2 threads.
//
//   npm run bench:lm              4 interleaved rounds (+ warm-up)
//   npm run bench:lm -- --quick   1 round of a few steps
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
// `npm run build` first.
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import './tfjs-grads.mjs';
import * as lib from '../dist/wasm-nlp.node.js';
import { markdownTable, median, ms, profileTables, profileTfjs, profileWasmKernels, writeSection } from './lib.mjs';

const { init, shutdown, Tensor, NeuralLM, Adam, step, memoryStats } = lib;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : 4;
const STEPS = { ours: QUICK ? 3 : 10, fit: QUICK ? 4 : 12, tfjs: QUICK ? 1 : 3 };
const WARMUP_OURS = QUICK ? 1 : 2;
const PROFILE_STEPS = QUICK ? 1 : 3;
const T0 = Date.now();
const LOAD0 = os.loadavg().map((x) => x.toFixed(1)).join(' ');

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
const OUT_FLOPS = 6 * V * H * B; // output layer per step: forward 2VhB, backward 4VhB
const STEP_FLOPS = 6 * B * (V * H + H * IN); // all GEMM work of a step (output + hidden layer)

// ---------------------------------------------------------------- data

function xorshift(seed) {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}

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
      if (cdf[mid] < u) lo = mid + 1; else hi = mid;
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

const CONFIG = { vocabSize: V, context: CTX, embeddingDim: M, hidden: H, direct: false, tied: false, dropout: 0, bos: BOS, seed: SEED };
const NAMES_OURS = ['embeddings.weight', 'hidden.weight', 'hidden.bias', 'output.weight', 'output.bias'];

/**
 * A NeuralLM (src/models/neural-lm.ts) and two ways to train it:
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
  if (names.join() !== NAMES_OURS.join()) throw new Error(`NeuralLM's parameters are ${names.join(', ')}, expected ${NAMES_OURS.join(', ')}`);
  const params = Object.fromEntries(named);
  // fit uses AdamW with weight decay 0 (= Adam); both are the same kernel.
  const opt = new Adam(named, { lr: LR, betas: [0.9, 0.999], eps: EPS });
  const data = batches.map(({ ids, targets }) => ({
    ids: Tensor.fromArray(ids, [B, CTX], 'int32'),
    targets: Tensor.fromArray(targets, [B], 'int32'),
  }));
  let i = 0;
  const stepFn = (hooks) => step(() => {
    const { ids, targets } = data[i++ % N_BATCHES];
    hooks?.phase('forward');
    const loss = lm.loss(ids, targets);
    const value = loss.item();
    hooks?.phase('backward');
    loss.backward();
    hooks?.phase('optimizer');
    opt.step();
    opt.zeroGrad();
    hooks?.phase('release');
    return value;
  });
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
function makeTfjs(params, { nnGrads = false } = {}) {
  const val = (name) => params[name].value;
  const t2 = (name) => tf.tensor2d(val(name).toArray(), val(name).shape);
  const vars = {
    emb: tf.variable(t2('embeddings.weight'), true, undefined),
    Hk: tf.variable(tf.tidy(() => tf.transpose(t2('hidden.weight'))), true), // [IN, H]
    d: tf.variable(tf.tensor1d(val('hidden.bias').toArray()), true),
    Uk: tf.variable(tf.tidy(() => tf.transpose(t2('output.weight'))), true), // [H, V]
    b: tf.variable(tf.tensor1d(val('output.bias').toArray()), true),
  };
  const varList = Object.values(vars);
  const nnMatMul = tf.customGrad((a, w, save) => {
    save([a, w]);
    return { value: tf.matMul(a, w), gradFunc: (dy, [sa, sw]) => [tf.matMul(dy, tf.transpose(sw)), tf.matMul(tf.transpose(sa), dy)] };
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
  const loss = (embed, onehot) => {
    const x = tf.reshape(embed(vars.emb), [B, IN]);
    const hid = tf.tanh(tf.add(matMul(x, vars.Hk), vars.d));
    const logits = tf.add(matMul(hid, vars.Uk), vars.b);
    return tf.losses.softmaxCrossEntropy(onehot, logits); // mean over the batch
  };
  const opt = tf.train.adam(LR, 0.9, 0.999, EPS);
  let i = 0;
  const stepFn = () => {
    const { embed, onehot } = data[i++ % N_BATCHES];
    const l = opt.minimize(() => loss(embed, onehot), true, varList);
    const value = l.dataSync()[0];
    l.dispose();
    return value;
  };
  const count = varList.reduce((n, v) => n + v.size, 0);
  return { step: stepFn, count };
}

// ---------------------------------------------------------------- timing

function timeSteps(stepFn, n) {
  const times = [];
  for (let s = 0; s < n; s++) {
    const t0 = process.hrtime.bigint();
    stepFn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return times;
}

const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const log = (s) => console.log(s);

// ---------------------------------------------------------------- phase 1: ours t1 vs tfjs-wasm t1

await init();
setThreadsCount(1);
tf.enableProdMode();
await tf.setBackend('wasm');
const tfjsThreads = getThreadsCount();
const tfjsSimd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
log(`neural-lm bench (${QUICK ? 'quick' : 'full'}): V ${V} context ${CTX} m ${M} h ${H} batch ${B}; tfjs-wasm threads ${tfjsThreads}, SIMD ${tfjsSimd}; load ${LOAD0}`);

const ours = makeOurs();
const NAMES = { fit: 'ours, NeuralLM.fit', ours: 'ours, bare step', tfjs: 'tfjs-wasm', tfjsNN: 'tfjs-wasm, NN-only matMul gradients' };
const runners = { ours: ours.step };
for (const [key, nnGrads] of [['tfjs', false], ['tfjsNN', true]]) {
  const m = makeTfjs(ours.params, { nnGrads });
  if (m.count !== ours.count) throw new Error(`parameter counts differ: ours ${ours.count}, ${NAMES[key]} ${m.count}`);
  runners[key] = m.step;
}

// Correctness: the first step (same weights, same batch) must give the same loss,
// and so must the second (next batch, after one Adam update), to 1e-3.
const GATE = [1e-4, 1e-3];
const losses = { ours: [ours.step(), ours.step()] };
const checks = {};
for (const key of ['tfjs', 'tfjsNN']) {
  losses[key] = [runners[key](), runners[key]()];
  const rel = losses[key].map((x, i) => Math.abs(losses.ours[i] - x) / Math.abs(x));
  checks[key] = rel;
  log(`${NAMES[key]}: first-step loss ours ${losses.ours[0].toFixed(7)}, theirs ${losses[key][0].toFixed(7)}, relative difference ${rel[0].toExponential(2)}; ` +
    `second step ${losses.ours[1].toFixed(7)} vs ${losses[key][1].toFixed(7)} (${rel[1].toExponential(2)})`);
  for (const s of [0, 1]) {
    if (!(rel[s] <= GATE[s])) {
      throw new Error(`FAIL: step ${s + 1} losses of ours and ${NAMES[key]} differ by ${rel[s]} relative (> ${GATE[s]}): the models do not compute the same thing`);
    }
  }
}
for (let w = 0; w < WARMUP_OURS; w++) ours.step();
await ours.fit(WARMUP_OURS, 1);

// A round: each contender back to back, order alternating so a burst of load
// does not always land on the same side. fit gives one figure a round (its call's
// seconds / steps), the others one per step.
const t1 = { fit: [], ours: [], tfjs: [], tfjsNN: [] };
const ratios = { fit: { tfjs: [], tfjsNN: [] }, ours: { tfjs: [], tfjsNN: [] } };
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? ['tfjs', 'fit', 'ours', 'tfjsNN'] : ['tfjsNN', 'ours', 'fit', 'tfjs'];
  const round = {};
  for (const who of order) {
    round[who] = who === 'fit' ? [(await ours.fit(STEPS.fit, 1)) / STEPS.fit] : timeSteps(runners[who], who === 'ours' ? STEPS.ours : STEPS.tfjs);
    t1[who].push(...round[who]);
  }
  for (const o of ['fit', 'ours']) for (const k of ['tfjs', 'tfjsNN']) ratios[o][k].push(median(round[k]) / median(round[o]));
  log(`round ${r + 1}/${ROUNDS}: NeuralLM.fit ${(median(round.fit) * 1e3).toFixed(0)} ms/step, bare step ${(median(round.ours) * 1e3).toFixed(0)} ms/step, ` +
    `tfjs-wasm ${(median(round.tfjs) * 1e3).toFixed(0)} ms/step (fit ${ratios.fit.tfjs.at(-1).toFixed(2)}× faster), ` +
    `tfjs-wasm NN grads ${(median(round.tfjsNN) * 1e3).toFixed(0)} ms/step (fit ${ratios.fit.tfjsNN.at(-1).toFixed(2)}× faster)`);
}
const oursMem = memoryStats();
const spread = (xs) => (xs.length < 2 ? NaN : (Math.max(...xs) - Math.min(...xs)) / median(xs));
const spreadCell = (x, what = 'step') => (Number.isNaN(x) ? `— (1 ${what})` : `${(x * 100).toFixed(0)}%`);
const res = {
  fit1: median(t1.fit), ours1: median(t1.ours), tfjs1: median(t1.tfjs), tfjsNN1: median(t1.tfjsNN),
  ratio: median(ratios.fit.tfjs), ratioNN: median(ratios.fit.tfjsNN),
  stepRatio: median(ratios.ours.tfjs), stepRatioNN: median(ratios.ours.tfjsNN),
  fitSpread: spread(t1.fit), oursSpread: spread(t1.ours), tfjsSpread: spread(t1.tfjs), tfjsNNSpread: spread(t1.tfjsNN),
};

const tfProf = {};
for (const key of QUICK ? ['tfjs'] : ['tfjs', 'tfjsNN']) {
  tfProf[key] = await profileTfjs(tf, () => { runners[key](); });
  const top = tfProf[key].byName.slice(0, 8).map(([n, e]) => `${n} ${e.ms.toFixed(0)} ms`).join(', ');
  log(`tfjs profile, ${NAMES[key]}: ${tfProf[key].total.toFixed(0)} ms in ${tfProf[key].kernels} kernels; ${top}`);
}
tf.disposeVariables();

// ---------------------------------------------------------------- phase 2: profile of ours (release build, 1 thread)

/** Kernel name -> what it is, for the grouped breakdown. */
function group(name) {
  if (/gemm|matmul|linear/.test(name)) return 'GEMM (linear layers and their gradients)';
  if (/xent|softmax|cross/.test(name)) return 'softmax-cross-entropy';
  if (/adam|sgd/.test(name)) return 'optimizer update';
  if (/embedding/.test(name)) return 'embedding gather / scatter-add';
  if (/tanh/.test(name)) return 'tanh';
  if (/fill|zero|memset|memcpy|copy/.test(name)) return 'fills / copies';
  return 'element-wise (bias sums, axpy, ...)';
}

const prof = await profileWasmKernels({ init, shutdown, make: makeOurs, warmup: WARMUP_OURS, steps: PROFILE_STEPS });
log(`profile of ours (release build, 1 thread; ${PROFILE_STEPS} step${PROFILE_STEPS > 1 ? 's' : ''}, ${fmt(prof.calls)} kernel calls a step): ${prof.total.toFixed(0)} ms/step`);

const { groups, profTable, gemmTable } = profileTables(prof, group, fmt);
log(profTable);
log(gemmTable);
const gemmGroup = groups.get('GEMM (linear layers and their gradients)');
const gemmMs = gemmGroup ? gemmGroup.forward + gemmGroup.backward : NaN;
const gemmGflops = STEP_FLOPS / (gemmMs / 1e3) / 1e9;

// ---------------------------------------------------------------- phase 3: ours with 2 threads

/**
 * The shared-memory build: NeuralLM.fit with threads 1 and threads 2 on the same
 * model, interleaved, so the speed-up compares like with like.
 */
let t2 = { available: false, why: '' };
if (typeof lib.setThreads !== 'function') {
  t2.why = 'not available: this build exports no setThreads';
} else if (typeof SharedArrayBuffer === 'undefined') {
  t2.why = 'not available: no SharedArrayBuffer';
} else {
  try {
    await init({ threads: 2 });
  } catch (e) {
    t2.why = `not available: init({ threads: 2 }) failed: ${e.message}`;
  }
}
if (t2.why === '') {
  const o = makeOurs();
  lib.setThreads(2);
  const firstT2 = o.step(); // the same first step as phase 1's, now on 2 threads
  const t2Same = firstT2 === losses.ours[0] ? 'bit-identical' : `differs by ${Math.abs(firstT2 - losses.ours[0]).toExponential(2)}`;
  log(`2 threads: first-step loss ${firstT2.toFixed(7)}, ${t2Same} to 1 thread's`);
  lib.setThreads(1);
  await o.fit(WARMUP_OURS, 1);
  await o.fit(WARMUP_OURS, 2);
  const mt = { 1: [], 2: [] };
  const speedups = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const n of r % 2 === 0 ? [2, 1] : [1, 2]) {
      round[n] = (await o.fit(STEPS.fit, n)) / STEPS.fit;
      mt[n].push(round[n]);
    }
    speedups.push(round[1] / round[2]);
    log(`threads round ${r + 1}/${ROUNDS}: NeuralLM.fit, shared-memory build, threads 1 ${(round[1] * 1e3).toFixed(0)} ms/step, threads 2 ${(round[2] * 1e3).toFixed(0)} ms/step, speed-up ${speedups.at(-1).toFixed(2)}×`);
  }
  t2 = { available: true, mt1: median(mt[1]), mt2: median(mt[2]), speedup: median(speedups), firstT2, t2Same, spread1: spread(mt[1]), spread2: spread(mt[2]) };
  shutdown();
}

// ---------------------------------------------------------------- report

const row = (name, sec, spreadText, vs, sp) => [
  name, ms(sec * 1e3), (1 / sec).toFixed(2), fmt(B / sec), (OUT_FLOPS / sec / 1e9).toFixed(1), spreadText, vs, sp,
];
const rows = [
  row('ours, `NeuralLM.fit`, 1 thread (release build)', res.fit1, spreadCell(res.fitSpread, 'round'), '1.00×', '—'),
  row('ours, bare step (`loss` + backward + Adam), 1 thread', res.ours1, spreadCell(res.oursSpread), `fit's overhead ${(((res.fit1 - res.ours1) / res.ours1) * 100).toFixed(0)}%`, '—'),
  row('tfjs-wasm, 1 thread', res.tfjs1, spreadCell(res.tfjsSpread), `ours ${res.ratio.toFixed(2)}× faster (bare step ${res.stepRatio.toFixed(2)}×)`, '—'),
  row('tfjs-wasm, 1 thread, NN-only matMul gradients', res.tfjsNN1, spreadCell(res.tfjsNNSpread), `ours ${res.ratioNN.toFixed(2)}× faster (bare step ${res.stepRatioNN.toFixed(2)}×)`, '—'),
];
if (t2.available) {
  rows.push(row('ours, `NeuralLM.fit`, threads 1 (shared-memory build)', t2.mt1, spreadCell(t2.spread1, 'round'), '—', '1.00×'));
  rows.push(row('ours, `NeuralLM.fit`, threads 2 (shared-memory build)', t2.mt2, spreadCell(t2.spread2, 'round'), `${(res.tfjs1 / t2.mt2).toFixed(2)}× (across phases)`, `${t2.speedup.toFixed(2)}×`));
} else {
  rows.push(['ours, 2 threads', '—', '—', '—', '—', '—', '—', t2.why]);
}
const table = markdownTable(['contender', 'ms / step', 'steps/s', 'tokens/s', 'output layer GFLOP/s', 'spread', 'vs tfjs-wasm', '2-thread speed-up'],
  rows, ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'l']);
log('');
log(table);
const pass = res.ratio >= CRITERION;
const criterionLine = `- ours ≥ ${CRITERION}× tfjs-wasm training throughput (1 thread each): **${pass ? 'PASS' : 'FAIL'}** (${res.ratio.toFixed(2)}×; ` +
  `against the faster tfjs variant with NN-only matMul gradients ${res.ratioNN.toFixed(2)}×: ${res.ratioNN >= CRITERION ? 'also ≥' : 'below'} ${CRITERION}×)`;
log(criterionLine.replace(/\*\*/g, ''));

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const wall = (Date.now() - T0) / 1e3;
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const md = `
## Neural language model training throughput (Bengio et al. 2003)

- date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}
- mode: ${QUICK ? 'quick (`npm run bench:lm -- --quick`)' : 'full (`npm run bench:lm`)'}; ${ROUNDS} interleaved round${ROUNDS > 1 ? 's' : ''}, each one \`fit\` call of ${STEPS.fit} steps, ${STEPS.ours} bare steps of ours and ${STEPS.tfjs} step${STEPS.tfjs > 1 ? 's' : ''} of each tfjs variant, after the 2 checked steps (and ${WARMUP_OURS} more warm-up step${WARMUP_OURS > 1 ? 's' : ''} and a ${WARMUP_OURS}-step \`fit\` of ours); wall time ${wall.toFixed(0)} s
- CPU: ${cpu} (${os.cpus().length} logical cores), ${os.platform()} ${os.arch()}; Node ${process.version}; load average at the start ${LOAD0}, at the end ${load}${QUICK ? ' — quick mode on a shared machine: noisy figures' : ''}
- wasm-nlp: release build, SIMD128, 1 thread; tfjs ${tf.version_core} (backend-wasm ${version_wasm}): threads ${tfjsThreads} (\`setThreadsCount(1)\` before \`setBackend('wasm')\`), SIMD ${tfjsSimd ? 'on' : 'off'}

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

${criterionLine}
- 2-thread speed-up: ${t2.available ? `**${t2.speedup.toFixed(2)}×** (shared-memory build, \`fit({ threads: 2 })\` vs \`fit({ threads: 1 })\` on the same model, interleaved)` : t2.why}

### Same computation

- tfjs's variables are ours's initial parameters; all take the first two steps on the same two batches.
  First-step loss: ours ${losses.ours[0].toFixed(7)}, tfjs-wasm ${losses.tfjs[0].toFixed(7)} (relative difference **${checks.tfjs[0].toExponential(2)}**),
  tfjs-wasm NN gradients ${losses.tfjsNN[0].toFixed(7)} (**${checks.tfjsNN[0].toExponential(2)}**); the bench fails above ${GATE[0]}.
- Second step (next batch, after one Adam update): ours ${losses.ours[1].toFixed(7)}, tfjs-wasm ${losses.tfjs[1].toFixed(7)} (${checks.tfjs[1].toExponential(2)}),
  NN gradients ${losses.tfjsNN[1].toFixed(7)} (${checks.tfjsNN[1].toExponential(2)}); the bench fails above ${GATE[1]}.
- Parameter counts checked equal (${fmt(ours.count)}).${t2.available ? `
- Ours on 2 threads (shared-memory build, same seed and batch): first-step loss ${t2.firstT2.toFixed(7)}, ${t2.t2Same} to 1 thread's.` : ''}

### Where ours's step goes

Kernel times of ours's step (release build, 1 thread, mean of ${PROFILE_STEPS} step${PROFILE_STEPS > 1 ? 's' : ''} after warm-up, ${fmt(prof.calls)} Wasm calls a step),
measured by wrapping every Wasm export with a timer. "forward" runs up to the loss value, "backward" is \`loss.backward()\`,
"optimizer + release" is \`opt.step()\`, \`zeroGrad()\` and the tape release.

${profTable}

The step has ${(STEP_FLOPS / 1e9).toFixed(2)} GFLOP of GEMM work; the GEMM rows run it at **${gemmGflops.toFixed(1)} GFLOP/s**.
GEMM calls by shape (C[M×N] = op(A)[M×K] · op(B)[K×N]; β=1 accumulates into the gradient):

${gemmTable}

Wasm memory of ours after the timed steps: ${(oursMem.bytesInUse / 2 ** 20).toFixed(0)} MiB in use, peak ${(oursMem.peakBytesInUse / 2 ** 20).toFixed(0)} MiB.

### Where tfjs's step goes

${Object.entries(tfProf).map(([key, p]) => `${NAMES[key]}: one step (\`tf.profile\`, wall clock around each kernel) spends ${p.total.toFixed(0)} ms in ${fmt(p.kernels)} kernel calls; ` +
  `by kernel: ${p.byName.slice(0, 12).map(([n, e]) => `${n} ${ms(e.ms)} ms (${e.calls})`).join(', ')}${p.byName.length > 12 ? ', …' : ''}.`).join('\n\n')}

(Profiled after the timed rounds; \`tf.customGrad\`'s own "forward" records, which contain the kernels they ran, are left out.
${QUICK ? 'Quick mode profiles only plain tfjs-wasm; the full run also profiles the NN-gradient variant.' : ''})

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
const path = writeSection(ROOT, 'neural-lm', md);
log(`\nwrote the "neural-lm" section of ${path} (${wall.toFixed(0)} s)`);
