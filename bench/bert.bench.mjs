// BERT masked-LM pre-training throughput: the issue-7 small BERT (vocab 8000,
// hidden 256, 4 layers, 4 heads, intermediate 1024, 128 positions, 2 token types,
// erf GELU, post-norm) as `BertForMaskedLM` (src/models/bert.ts), batch 16 × seq
// 128 masked by `maskTokens` (15%, 80/10/10), one step = `loss(inputs, labels)`
// (cross-entropy on the labelled positions only) + backward + Adam; against the
// same model written with @tensorflow/tfjs-core ops on @tensorflow/tfjs-backend-wasm,
// one thread each, in the same run; then ours with 2 threads when the runtime offers them.
//
//   npm run bench:bert              3 interleaved rounds (ours 8 steps, each tfjs variant 2) after the checked steps
//   npm run bench:bert -- --quick   1 round (ours 3 steps, each tfjs variant 1)
//
// Before timing, tfjs gets ours's initial weights (by Hugging Face name) and all
// take two steps on the same batches: the first-step losses must agree to 1e-4
// relative and the second-step losses (after one Adam update) to 1e-3, or the run
// fails. Then a per-kernel profile of ours's step (forward / backward / optimizer)
// says where the time goes. Writes the "bert" section of docs/benchmarks.md.
// Needs `npm run build` first (`prebench:bert` does it).
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import './tfjs-grads.mjs';
import { tfjsEncoderOps, tfjsVariables } from './tfjs-encoder.mjs';
import * as lib from '../dist/wasm-nlp.node.js';
import { markdownTable, median, ms, profileTables, profileTfjs, profileWasmKernels, writeSection } from './lib.mjs';

const { init, shutdown, Tensor, BertForMaskedLM, maskTokens, AdamW, step, memoryStats } = lib;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.argv.includes('--quick');
const ROUNDS = QUICK ? 1 : 3;
// tfjs takes seconds to tens of seconds a step here: few steps for it (its step
// time varies little), more for ours. The two checked steps are everyone's
// warm-up; ours gets more.
const STEPS = { ours: QUICK ? 3 : 8, tfjs: QUICK ? 1 : 2 };
const WARMUP_OURS = QUICK ? 1 : 2;
const PROFILE_STEPS = QUICK ? 1 : 3;
const T0 = Date.now();
const LOAD0 = os.loadavg().map((x) => x.toFixed(1)).join(' ');

// The model (both implementations).
const V = 8000; // vocabulary
const D = 256; // hidden size
const H = 4; // heads
const DH = D / H;
const FF = 1024; // intermediate size
const L = 4; // layers
const S = 128; // sequence length (every sequence full: no padding, no attention mask)
const B = 16; // batch
const TYPES = 2; // token types (every token type 0, as single-segment pre-training)
const LR = 1e-4;
const EPS_LN = 1e-12; // Hugging Face BERT's layer_norm_eps
const SEED = 7;
const N_BATCHES = 4; // distinct batches, cycled
const TOKENS = B * S;
const SPECIAL = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
const CONFIG = {
  vocabSize: V, hiddenSize: D, numHiddenLayers: L, numAttentionHeads: H, intermediateSize: FF, maxPositionEmbeddings: S,
  typeVocabSize: TYPES, hiddenAct: 'gelu', hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, layerNormEps: EPS_LN, padTokenId: SPECIAL.pad,
};

// ---------------------------------------------------------------- data

function xorshift(seed) {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
}
// [CLS] w1 … w126 [SEP] with random non-special words, masked by maskTokens (BERT's 15%, 80/10/10).
const batches = Array.from({ length: N_BATCHES }, (_, i) => {
  const next = xorshift(1000 + i);
  const ids = new Int32Array(TOKENS);
  for (let j = 0; j < TOKENS; j++) ids[j] = 5 + (next() % (V - 5));
  for (let b = 0; b < B; b++) {
    ids[b * S] = SPECIAL.cls;
    ids[b * S + S - 1] = SPECIAL.sep;
  }
  const m = maskTokens(ids, { maskId: SPECIAL.mask, vocabSize: V, specialIds: Object.values(SPECIAL), seqLen: S, seed: 100 + i });
  const positions = [];
  for (let j = 0; j < TOKENS; j++) if (m.labels[j] !== -100) positions.push(j);
  return { ids: m.inputIds, labels: m.labels, positions: Int32Array.from(positions), targets: Int32Array.from(positions, (j) => m.labels[j]) };
});
const LABELLED = batches.map((b) => b.positions.length);
const LABELLED_MEAN = LABELLED.reduce((a, b) => a + b, 0) / N_BATCHES;

// ---------------------------------------------------------------- ours

/** A fresh model + optimizer in the current runtime, and a step function over batch i. */
function makeOurs() {
  const model = new BertForMaskedLM(CONFIG, { seed: SEED });
  // AdamW with weight decay 0 is Adam, which is what tf.train.adam does (tfjs has no AdamW).
  const opt = new AdamW(model.namedParameters(), { lr: LR, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const data = batches.map(({ ids, labels }) => ({
    inputIds: Tensor.fromArray(ids, [B, S], 'int32'),
    labels: Tensor.fromArray(labels, [B, S], 'int32'),
  }));
  let i = 0;
  const stepFn = (hooks) => step(() => {
    const { inputIds, labels } = data[i++ % N_BATCHES];
    hooks?.phase('forward');
    const loss = model.loss({ inputIds }, labels);
    const value = loss.item();
    hooks?.phase('backward');
    loss.backward();
    hooks?.phase('optimizer');
    opt.step();
    opt.zeroGrad();
    hooks?.phase('release');
    return value;
  });
  return { model, opt, step: stepFn };
}

// ---------------------------------------------------------------- tfjs

/**
 * The same model in tfjs-core ops on ours's weights (bench/tfjs-encoder.mjs: variables by
 * Hugging Face name, [in, out] linear weights, the encoder ops). The tied decoder multiplies by an explicit transpose of the
 * word embeddings, so it too is an NN matMul.
 */
function makeTfjs(model, { nnGrads = false } = {}) {
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
  const opt = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  let i = 0;
  const stepFn = () => {
    const batch = data[i++ % N_BATCHES];
    const l = opt.minimize(() => loss(batch), true, varList);
    const value = l.dataSync()[0];
    l.dispose();
    return value;
  };
  const params = varList.reduce((n, v) => n + v.size, 0);
  return { step: stepFn, params, names: Object.keys(vars) };
}

// ---------------------------------------------------------------- timing

function timeSteps(stepFn, n) {
  const times = [];
  const losses = [];
  for (let s = 0; s < n; s++) {
    const t0 = process.hrtime.bigint();
    losses.push(stepFn());
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { times, losses };
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
log(`bert bench (${QUICK ? 'quick' : 'full'}): L${L} d${D} h${H} ffn${FF} seq${S} batch${B} vocab${V}, labelled positions per batch ${LABELLED.join('/')}; tfjs-wasm threads ${tfjsThreads}, SIMD ${tfjsSimd}`);

const ours = makeOurs();
const oursParams = ours.model.parameterCount();
const NAMES = { ours: 'ours', tfjs: 'tfjs-wasm', tfjsNN: 'tfjs-wasm, NN-only matMul gradients' };
const runners = { ours: ours.step };
const checks = {};
for (const [key, nnGrads] of [['tfjs', false], ['tfjsNN', true]]) {
  const m = makeTfjs(ours.model, { nnGrads });
  if (m.params !== oursParams) throw new Error(`parameter counts differ: ours ${oursParams}, ${NAMES[key]} ${m.params}`);
  runners[key] = m.step;
}

// Correctness: the first step (same weights, same batch) must give the same loss
// to 1e-4 relative; the second (after one Adam update, next batch) to 1e-3.
const losses = { ours: [ours.step(), ours.step()] };
for (const key of ['tfjs', 'tfjsNN']) {
  losses[key] = [runners[key](), runners[key]()];
  const rel = losses[key].map((x, i) => Math.abs(losses.ours[i] - x) / Math.abs(x));
  checks[key] = rel;
  log(`${NAMES[key]}: first-step loss ours ${losses.ours[0].toFixed(7)}, theirs ${losses[key][0].toFixed(7)}, relative difference ${rel[0].toExponential(2)}; ` +
    `second step ${losses.ours[1].toFixed(7)} vs ${losses[key][1].toFixed(7)} (${rel[1].toExponential(2)})`);
  if (!(rel[0] <= 1e-4)) throw new Error(`FAIL: first-step losses of ours and ${NAMES[key]} differ by ${rel[0]} relative (> 1e-4): the models do not compute the same thing`);
  if (!(rel[1] <= 1e-3)) throw new Error(`FAIL: second-step losses of ours and ${NAMES[key]} differ by ${rel[1]} relative (> 1e-3): the gradients or the Adam update differ`);
}
for (let w = 0; w < WARMUP_OURS; w++) ours.step();

const t1 = { ours: [], tfjs: [], tfjsNN: [] };
const ratios = { tfjs: [], tfjsNN: [] };
for (let r = 0; r < ROUNDS; r++) {
  // alternate the order so a burst of load does not always land on the same side
  const order = r % 2 === 0 ? ['tfjs', 'ours', 'tfjsNN'] : ['tfjsNN', 'ours', 'tfjs'];
  const round = {};
  for (const who of order) {
    round[who] = timeSteps(runners[who], who === 'ours' ? STEPS.ours : STEPS.tfjs).times;
    t1[who].push(...round[who]);
  }
  for (const k of ['tfjs', 'tfjsNN']) ratios[k].push(median(round[k]) / median(round.ours));
  log(`round ${r + 1}/${ROUNDS}: ours ${(median(round.ours) * 1e3).toFixed(0)} ms/step, tfjs-wasm ${(median(round.tfjs) * 1e3).toFixed(0)} ms/step ` +
    `(${ratios.tfjs.at(-1).toFixed(2)}×), tfjs-wasm NN grads ${(median(round.tfjsNN) * 1e3).toFixed(0)} ms/step (${ratios.tfjsNN.at(-1).toFixed(2)}×)`);
}
const oursMem = memoryStats();
const spread = (xs) => (xs.length < 2 ? NaN : (Math.max(...xs) - Math.min(...xs)) / median(xs));
const spreadCell = (x) => (Number.isNaN(x) ? '— (1 step)' : `${(x * 100).toFixed(0)}%`);
const res = {
  ours1: median(t1.ours), tfjs1: median(t1.tfjs), tfjsNN1: median(t1.tfjsNN),
  ratio: median(ratios.tfjs), ratioNN: median(ratios.tfjsNN),
  oursSpread: spread(t1.ours), tfjsSpread: spread(t1.tfjs), tfjsNNSpread: spread(t1.tfjsNN),
};

const tfProf = {};
for (const key of ['tfjsNN']) { // the plain variant's step is long: not profiled
  tfProf[key] = await profileTfjs(tf, () => { runners[key](); });
  const top = tfProf[key].byName.slice(0, 8).map(([n, e]) => `${n} ${e.ms.toFixed(0)} ms`).join(', ');
  log(`tfjs profile, ${NAMES[key]}: ${tfProf[key].total.toFixed(0)} ms in ${tfProf[key].kernels} kernels; ${top}`);
}
tf.disposeVariables();

// ---------------------------------------------------------------- phase 2: profile of ours (release build, 1 thread)

/** Kernel name -> what it is, for the grouped breakdown. */
function group(name) {
  if (/gemm|matmul/.test(name)) return 'GEMM (linear layers and their gradients)';
  if (/attention|rotary/.test(name)) return 'attention (fused kernel, fwd/bwd)';
  if (/layer_norm|layernorm/.test(name)) return 'layer norm';
  if (/gelu/.test(name)) return 'GELU';
  if (/adam|sgd/.test(name)) return 'optimizer update';
  if (/embedding/.test(name)) return 'embedding gather / scatter-add';
  if (/xent|softmax/.test(name)) return 'softmax-cross-entropy';
  if (/pool/.test(name)) return 'pooling';
  if (/swap_axes|transpose|copy2d|concat|slice|split|merge/.test(name)) return 'layout copies (split/merge heads)';
  if (/fill|zero|memset|memcpy|copy/.test(name)) return 'fills / copies';
  return 'element-wise (add, bias, axpy, sums)';
}

const prof = await profileWasmKernels({ init, shutdown, make: makeOurs, warmup: WARMUP_OURS, steps: PROFILE_STEPS });
log(`profile of ours (release build, 1 thread; ${PROFILE_STEPS} step${PROFILE_STEPS > 1 ? 's' : ''}, ${fmt(prof.calls)} kernel calls a step): ${prof.total.toFixed(0)} ms/step`);

const { groups, profTable, gemmTable } = profileTables(prof, group, fmt);
log(profTable);
log(gemmTable);

// GEMM flops of one step, to read the GEMM row as GFLOP/s.
const linearMacsPerToken = L * (4 * D * D + 2 * D * FF);
const attnMacsPerToken = L * 2 * S * D; // q·kᵀ and p·v
const headMacs = LABELLED_MEAN * (D * D + D * V); // MLM transform dense + tied decoder, labelled positions only
const stepFlops = 3 * 2 * (TOKENS * (linearMacsPerToken + attnMacsPerToken) + headMacs); // forward + 2× for backward
const gemmGroup = groups.get('GEMM (linear layers and their gradients)');
const gemmMs = gemmGroup ? gemmGroup.forward + gemmGroup.backward : NaN;
const linearFlops = 3 * 2 * (TOKENS * linearMacsPerToken + headMacs);
const gemmGflops = linearFlops / (gemmMs / 1e3) / 1e9;

// ---------------------------------------------------------------- phase 3: ours with 2 threads

/**
 * Threaded GEMM/attention are detected, not assumed: the runtime must export
 * setThreads(n) (GEMM and attention split over the pool of init({ threads })).
 * Measured on the shared-memory build: setThreads(1) and setThreads(2) on the
 * same model, interleaved, so the speed-up compares like with like.
 */
let t2 = { available: false, why: '' };
if (typeof lib.setThreads !== 'function') {
  t2.why = 'not available: this build exports no setThreads (threaded GEMM/attention not on this branch)';
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
  for (let w = 0; w < WARMUP_OURS; w++) o.step();
  lib.setThreads(2);
  for (let w = 0; w < WARMUP_OURS; w++) o.step();
  const mt = { 1: [], 2: [] };
  const speedups = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = {};
    for (const n of r % 2 === 0 ? [2, 1] : [1, 2]) {
      lib.setThreads(n);
      round[n] = timeSteps(o.step, STEPS.ours).times;
      mt[n].push(...round[n]);
    }
    speedups.push(median(round[1]) / median(round[2]));
    log(`threads round ${r + 1}/${ROUNDS}: mt build t1 ${(median(round[1]) * 1e3).toFixed(0)} ms/step, t2 ${(median(round[2]) * 1e3).toFixed(0)} ms/step, speed-up ${speedups.at(-1).toFixed(2)}×`);
  }
  t2 = { available: true, mt1: median(mt[1]), mt2: median(mt[2]), speedup: median(speedups), firstT2, t2Same };
  lib.setThreads(1);
  shutdown();
}

// ---------------------------------------------------------------- report

const tps = (sec) => fmt(TOKENS / sec);
const rows = [
  ['ours, 1 thread (release build)', ms(res.ours1 * 1e3), tps(res.ours1), spreadCell(res.oursSpread), '1.00×', '—'],
  ['tfjs-wasm, 1 thread', ms(res.tfjs1 * 1e3), tps(res.tfjs1), spreadCell(res.tfjsSpread), `ours ${res.ratio.toFixed(2)}× faster`, '—'],
  ['tfjs-wasm, 1 thread, NN-only matMul gradients', ms(res.tfjsNN1 * 1e3), tps(res.tfjsNN1), spreadCell(res.tfjsNNSpread), `ours ${res.ratioNN.toFixed(2)}× faster`, '—'],
];
if (t2.available) {
  rows.push(['ours, 1 thread (shared-memory build)', ms(t2.mt1 * 1e3), tps(t2.mt1), '—', '—', '1.00×']);
  rows.push(['ours, 2 threads (shared-memory build)', ms(t2.mt2 * 1e3), tps(t2.mt2), '—', `${(res.tfjs1 / t2.mt2).toFixed(2)}× (across phases)`, `${t2.speedup.toFixed(2)}×`]);
} else {
  rows.push(['ours, 2 threads', '—', '—', '—', '—', t2.why]);
}
const table = markdownTable(['contender', 'ms / step', 'tokens/s', 'spread', 'vs tfjs-wasm', '2-thread speed-up'], rows, ['l', 'r', 'r', 'r', 'l', 'l']);
log('');
log(table);
const summaryLine = `- pre-training throughput, 1 thread each: ours **${tps(res.ours1)} tokens/s**, tfjs-wasm ${tps(res.tfjs1)} tokens/s: ours **${res.ratio.toFixed(2)}×** ` +
  `(against the faster tfjs variant with NN-only matMul gradients, ${tps(res.tfjsNN1)} tokens/s: **${res.ratioNN.toFixed(2)}×**)`;
log(summaryLine.replace(/\*\*/g, ''));

const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
const wall = (Date.now() - T0) / 1e3;
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const md = `
## BERT masked-LM pre-training throughput

- date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}
- mode: ${QUICK ? 'quick (`npm run bench:bert -- --quick`)' : 'full (`npm run bench:bert`)'}; ${ROUNDS} interleaved round${ROUNDS > 1 ? 's' : ''}, each ${STEPS.ours} steps of ours and ${STEPS.tfjs} of each tfjs variant, after the 2 checked steps (and ${WARMUP_OURS} more warm-up step${WARMUP_OURS > 1 ? 's' : ''} of ours); wall time ${wall.toFixed(0)} s
- CPU: ${cpu} (${os.cpus().length} logical cores), ${os.platform()} ${os.arch()}; Node ${process.version}; load average at the start ${LOAD0}, at the end ${load}${QUICK ? ' — quick mode on a shared machine: noisy figures' : ''}
- wasm-nlp: release build, SIMD128, 1 thread; tfjs ${tf.version_core} (backend-wasm ${version_wasm}): threads ${tfjsThreads} (\`setThreadsCount(1)\` before \`setBackend('wasm')\`), SIMD ${tfjsSimd ? 'on' : 'off'}

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
- 2-thread speed-up: ${t2.available ? `**${t2.speedup.toFixed(2)}×** (shared-memory build, \`setThreads(2)\` vs \`setThreads(1)\` on the same model, interleaved)` : t2.why}

### Same computation

- tfjs's variables are ours's initial parameters (by Hugging Face name); all take the first two steps on the same two batches.
  First-step loss: ours ${losses.ours[0].toFixed(7)}, tfjs-wasm ${losses.tfjs[0].toFixed(7)} (relative difference **${checks.tfjs[0].toExponential(2)}**),
  tfjs-wasm NN gradients ${losses.tfjsNN[0].toFixed(7)} (**${checks.tfjsNN[0].toExponential(2)}**); the bench fails above 1e-4.
- Second step (after one Adam update; the bench fails above 1e-3): ours ${losses.ours[1].toFixed(7)}, tfjs-wasm ${losses.tfjs[1].toFixed(7)} (${checks.tfjs[1].toExponential(2)}),
  NN gradients ${losses.tfjsNN[1].toFixed(7)} (${checks.tfjsNN[1].toExponential(2)}).
- Parameter counts checked equal (${fmt(oursParams)}).${t2.available ? `
- Ours on 2 threads (shared-memory build, same seed and batch): first-step loss ${t2.firstT2.toFixed(7)}, ${t2.t2Same} to 1 thread's.` : ''}

### Where ours's step goes

Kernel times of ours's step (release build, 1 thread, mean of ${PROFILE_STEPS} step${PROFILE_STEPS > 1 ? 's' : ''} after warm-up, ${fmt(prof.calls)} Wasm calls a step),
measured by wrapping every Wasm export with a timer (under a microsecond per call: negligible at this call count; the profiled step differs from the table's by machine noise).
"forward" runs up to the loss value, "backward" is \`loss.backward()\`, "optimizer + release" is \`opt.step()\`, \`zeroGrad()\` and the tape release.

${profTable}

The step has ${(stepFlops / 1e9).toFixed(1)} GFLOP of GEMM-shaped work (encoder linear layers ${((3 * 2 * TOKENS * linearMacsPerToken) / 1e9).toFixed(1)},
MLM head on ${LABELLED_MEAN.toFixed(0)} positions ${((3 * 2 * headMacs) / 1e9).toFixed(1)}, attention scores and context ${((3 * 2 * TOKENS * attnMacsPerToken) / 1e9).toFixed(1)});
the GEMM rows run the linear layers' and head's ${(linearFlops / 1e9).toFixed(1)} GFLOP at **${gemmGflops.toFixed(1)} GFLOP/s**.
GEMM calls by shape (C[M×N] = op(A)[M×K] · op(B)[K×N]; β=1 accumulates into the gradient):

${gemmTable}

Wasm memory of ours after the timed steps: ${(oursMem.bytesInUse / 2 ** 20).toFixed(0)} MiB in use, peak ${(oursMem.peakBytesInUse / 2 ** 20).toFixed(0)} MiB.

### Where tfjs's step goes

${Object.entries(tfProf).map(([key, p]) => `${NAMES[key]}: one step (\`tf.profile\`, wall clock around each kernel) spends ${p.total.toFixed(0)} ms in ${fmt(p.kernels)} kernel calls; ` +
  `by kernel: ${p.byName.slice(0, 12).map(([n, e]) => `${n} ${ms(e.ms)} ms (${e.calls})`).join(', ')}${p.byName.length > 12 ? ', …' : ''}.`).join('\n\n')}

(Profiled after the timed rounds; \`tf.customGrad\`'s own "forward" records, which contain the kernels they ran, are left out.
Only the NN-gradient variant is profiled: a plain tfjs-wasm step is long, and its time goes to the transposed matMul products.)

### How to read this

- **ours**: \`new BertForMaskedLM(config, { seed })\` (src/models/bert.ts), \`model.loss({ inputIds }, labels)\`,
  \`loss.backward()\`, \`AdamW.step()\` inside \`step()\` (src/autograd, src/optim), from \`dist/wasm-nlp.node.js\`.
- **tfjs-wasm**: the same model from \`@tensorflow/tfjs-core\` ops (\`gather\`, \`matMul\`, \`reshape\`/\`transpose\` for the heads,
  \`softmax\`, layer norm from \`moments\`, erf GELU composed from \`erf\` (tfjs has no GELU op), token type 0 as a \`slice\` of its table,
  the labelled rows of h by \`gather\`, the tied decoder as \`matMul\` by \`transpose\` of the word embeddings, \`losses.softmaxCrossEntropy\`) trained by
  \`tf.train.adam().minimize\` (tfjs's registered gradients), on \`@tensorflow/tfjs-backend-wasm\` with one thread.
  Linear weights are kept as [in, out] (as \`tf.layers.dense\` does), k and the decoder weight are transposed explicitly, so every forward
  GEMM is tfjs's fast NN \`matMul\` (XNNPACK); the gradients of \`matMul\` are tfjs's own transposed products, which
  its wasm backend runs in a scalar loop (see the GEMM section): that is what a tfjs user gets.
  **tfjs-wasm, NN-only matMul gradients**: the same, with every \`matMul\` a \`tf.customGrad\` whose gradients are
  \`matMul(dy, transpose(B))\` and \`matMul(transpose(A), dy)\`, so the backward GEMMs also run on XNNPACK: the strongest
  tfjs baseline we know how to write with its public API.
  In both tfjs variants: the wasm backend has no \`UnsortedSegmentSum\` kernel, which \`gather\`'s registered gradient needs, so the embedding lookup and the
  gather of the labelled rows are \`tf.customGrad\`s whose gradient is \`scatterND\` (duplicate ids summed).
- Dropout is 0 in both: tfjs's dropout draws from a stateful generator, so no counter-based mask could be reproduced
  in both, and the loss comparison needs identical computations (ours's dropout, on in real pre-training, is not timed here).
- A cell is the median step time over all timed steps; a ratio is the median over rounds of the within-round ratio
  (the contenders run back to back, order alternating). "spread" = (slowest − fastest step) / median.
- This section is written by \`bench/bert.bench.mjs\`; rerun it rather than editing the numbers.
`;
const path = writeSection(ROOT, 'bert', md);
log(`\nwrote the "bert" section of ${path} (${wall.toFixed(0)} s)`);
