// GPT: training throughput of GptLM against the same model in tfjs-wasm, and
// generation speed of GPT2LMHeadModel (GPT-2-small-shaped) with and without the KV
// cache, against onnxruntime-web running the same weights as an ONNX decoder with
// past keys / values. All in one run, on one machine.
//
//   npm run bench:gpt              full: 2 training shapes, then GPT-2 small (12 × 768, vocab 50257)
//   npm run bench:gpt -- --quick   a smoke run of seconds (tiny shapes)
//   (-- --no-write: the same run, docs/benchmarks.md left alone;
//    -- --model-dir DIR: the Hugging Face directory + model.onnx to generate with)
//
// Training: a bare step (GptLM.forward, F.crossEntropy, backward, Adam) and GptLM.fit
// against tfjs-core ops on @tensorflow/tfjs-backend-wasm (bench/tfjs-gpt.mjs), one
// thread each, after a loss gate: tfjs gets ours's initial weights and the first-step
// losses must agree to 1e-4 relative; then ours on 2 threads against 1 (shared-memory build).
//
// Generation (batch 1, greedy): a prompt, then one token at a time. Ours through a
// GPT2Session (`startSession({ useCache })`, what `generate` runs), the prefill timed
// apart from the decoding steps; useCache: false recomputes the prefix at every token,
// so only a few tokens are timed. onnxruntime-web runs model.onnx of
// scripts/gpt2-onnx.py (feed the prompt, then one token at a time carrying present →
// past) in a child process per thread count (its wasm backend reads numThreads once
// per process). Both load the same weights: runs/gpt2-small/ (quick: runs/gpt2-tiny/),
// written by `/usr/bin/python3 scripts/gpt2-onnx.py`; without it ours runs on random
// weights and the onnxruntime-web rows say how to make the directory.
//
// Writes the "gpt" section of docs/benchmarks.md. Needs `npm run build` first
// (`prebench:gpt` does it). The phases and report pieces are bench/lib.mjs's.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  benchArgs,
  cpuText,
  elapsed,
  encoderRoundsNote,
  fmt,
  gateAndRounds,
  isoDate,
  loadAverage,
  log,
  markdownTable,
  median,
  modeText,
  ms,
  msPerStep,
  oursStep,
  plural,
  sameComputationText,
  saveSection,
  setupTfjsWasm,
  spread,
  spreadCell,
  tfjsAdam,
  tfjsRows,
  tfjsVariants,
  timeOnThreads,
  timeSteps,
  trainingTable,
  twoThreadRows,
  twoThreads,
  warmBothThreads,
  xorshift,
} from './lib.mjs';

const SELF = fileURLToPath(import.meta.url);

/** Index of the largest logit, ties to the lowest id (greedy search as `generate` does it). */
function argmax(logits) {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

// ---------------------------------------------------------------- child mode: onnxruntime-web
// node gpt.bench.mjs --ort-child '<json job>' -> one JSON line on stdout.

/**
 * One onnxruntime-web process: `job.threads` threads, model.onnx at `job.onnx`
 * ({ layers, heads, headDim } of it), a warm-up generation, then each of `job.cases`
 * ({ prompt, newTokens }): the prompt with empty past, then newTokens runs of one
 * token with the previous run's present as past. Per case: the prefill's and each
 * step's milliseconds, the greedy tokens (newTokens + 1) and the prefill's logits.
 */
async function ortChild(job) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = job.threads;
  ort.env.wasm.simd = true;
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(readFileSync(job.onnx));
  const loadSeconds = (performance.now() - t0) / 1e3;
  const { layers: L, heads: H, headDim } = job;
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, headDim]);
  const run = async (ids, past) => {
    const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]) };
    for (let i = 0; i < L; i++) {
      feeds[`past_key_values.${i}.key`] = past?.[2 * i] ?? empty;
      feeds[`past_key_values.${i}.value`] = past?.[2 * i + 1] ?? empty;
    }
    const out = await session.run(feeds);
    const present = [];
    for (let i = 0; i < L; i++) present.push(out[`present.${i}.key`], out[`present.${i}.value`]);
    return { logits: out.logits.data, present };
  };
  const generate = async (prompt, newTokens) => {
    let t = performance.now();
    let { logits, present } = await run(prompt);
    const prefill = performance.now() - t;
    const first = Array.from(logits);
    const tokens = [argmax(logits)];
    const decode = [];
    for (let s = 0; s < newTokens; s++) {
      t = performance.now();
      ({ logits, present } = await run([tokens.at(-1)], present));
      decode.push(performance.now() - t);
      tokens.push(argmax(logits));
    }
    return { prefill, decode, tokens, first };
  };
  await generate(job.cases[0].prompt.slice(0, 4), 2);
  const results = [];
  for (const c of job.cases) results.push(await generate(c.prompt, c.newTokens));
  return { loadSeconds, threads: ort.env.wasm.numThreads, version: ort.env.versions?.web ?? 'unknown', results };
}

// The result goes to the file job.out, not stdout: it carries two vocabulary-sized logit
// vectors (megabytes), which a pipe cut short when the child exits.
if (process.argv[2] === '--ort-child') {
  const job = JSON.parse(process.argv[3]);
  let out;
  try {
    out = { ok: true, ...(await ortChild(job)) };
  } catch (e) {
    out = { ok: false, error: String(e?.message ?? e).split('\n')[0] };
  }
  writeFileSync(job.out, JSON.stringify(out));
  process.exit(0);
}

// ---------------------------------------------------------------- parent: settings

const tf = await import('@tensorflow/tfjs-core');
const tfjsWasm = await import('@tensorflow/tfjs-backend-wasm');
await import('./tfjs-grads.mjs');
const { tfjsGptLoss, tfjsGptVariables } = await import('./tfjs-gpt.mjs');
const lib = await import('../dist/wasm-nlp.node.js');
const { Tensor, GptLM, GPT2LMHeadModel, F, AdamW, step } = lib;

const args = benchArgs(import.meta.url);
const QUICK = args.quick;
const argv = process.argv.slice(2);
const dirFlag = argv.indexOf('--model-dir');
const MODEL_DIR = dirFlag >= 0 ? argv[dirFlag + 1] : join(args.root, 'runs', QUICK ? 'gpt2-tiny' : 'gpt2-small');
const SCRIPT_CMD = `/usr/bin/python3 scripts/gpt2-onnx.py${dirFlag >= 0 ? ` --out ${MODEL_DIR}` : QUICK ? ' --out runs/gpt2-tiny --layers 2 --hidden 128 --heads 4 --vocab 1000 --positions 128' : ''}`;

// Training: tfjs takes seconds to a minute a step at these shapes (its transposed
// matMul gradients are scalar loops): few steps for it, more for ours.
const RUN = {
  rounds: QUICK ? 1 : 3,
  steps: { ours: QUICK ? 2 : 6, tfjs: QUICK ? 1 : 1, tfjsNN: QUICK ? 1 : 2 },
  fitSteps: QUICK ? 2 : 6,
  warmup: QUICK ? 1 : 2,
};
const V_BROWN = 14115; // the Brown word vocabulary of examples/gpt-brown.mjs (train count >= 4, + <unk> + <s>)
const CASES = QUICK
  ? [{ V: 2000, D: 64, L: 1, H: 2, S: 32, B: 4 }]
  : [
      { V: V_BROWN, D: 256, L: 4, H: 4, S: 128, B: 16 },
      { V: V_BROWN, D: 128, L: 2, H: 4, S: 64, B: 16 },
    ];
const LR = 1e-4;
const EPS_LN = 1e-5;
const SEED = 7;
const N_BATCHES = 2; // distinct batches, cycled
const GATES = [1e-4]; // the first step's losses; the second is informative only

// Generation: [prompt, new tokens] per context; the no-cache session times only the first few tokens.
const GEN = {
  rounds: QUICK ? 1 : 3,
  contexts: QUICK
    ? [
        { key: 'long', prompt: 24, newTokens: 8 },
        { key: 'short', prompt: 4, newTokens: 8 },
      ]
    : [
        { key: 'long', prompt: 448, newTokens: 64 },
        { key: 'short', prompt: 16, newTokens: 64 },
      ],
  noCacheTokens: { long: QUICK ? 2 : 3, short: QUICK ? 2 : 8 },
};
const CACHE_BAR = 10; // KV cache vs no cache at the long context, ms/token
const ORT_BAR = 1.2; // ours vs onnxruntime-web, 1 thread, decoding ms/token at the long context

const caseTitle = (c) =>
  `d ${c.D}, ${c.L} layer${plural(c.L)}, ${c.H} heads, context ${c.S}, batch ${c.B}, vocab ${fmt(c.V)}`;

// ---------------------------------------------------------------- training: data

/** N_BATCHES windows of a seeded random stream ([B·S] ids and next-token targets) and a stream for fit. */
function trainingData(c) {
  const N = c.B * c.S;
  const batches = Array.from({ length: N_BATCHES }, (_, i) => {
    const next = xorshift(1000 + i);
    const stream = Int32Array.from({ length: N + 1 }, () => 2 + (next() % (c.V - 2)));
    const ids = new Int32Array(N);
    const targets = new Int32Array(N);
    for (let b = 0; b < c.B; b++) {
      ids.set(stream.subarray(b * c.S, (b + 1) * c.S), b * c.S);
      targets.set(stream.subarray(b * c.S + 1, (b + 1) * c.S + 1), b * c.S);
    }
    return { ids, targets };
  });
  // fit cuts windows of S from a random shift: (steps · B + 1) windows cover a call of `steps` steps.
  const next = xorshift(99);
  const fitStream = Int32Array.from({ length: (RUN.fitSteps * c.B + 2) * c.S }, () => 2 + (next() % (c.V - 2)));
  return { batches, fitStream };
}

// ---------------------------------------------------------------- training: ours

/**
 * A fresh GptLM of case `c` (dropout 0) and two ways to train it:
 * - `step`: a bare step over the fixed batches in turn, GptLM.forward (logits
 *   [B·S, V], the output layer tied to wte) + F.crossEntropy (mean) + backward +
 *   Adam inside step(); the loss check and the 2-thread phase use it;
 * - `fit(steps)`: GptLM.fit on the random stream for `steps` steps (its own
 *   windows, shuffle, AdamW with weight decay 0 and clipping at 1, its defaults),
 *   returning the call's seconds.
 */
function makeOurs(c, data) {
  const model = new GptLM({
    vocabSize: c.V,
    nPositions: c.S,
    nEmbd: c.D,
    nLayer: c.L,
    nHead: c.H,
    residPdrop: 0,
    embdPdrop: 0,
    attnPdrop: 0,
    layerNormEpsilon: EPS_LN,
    seed: SEED,
  });
  model.train();
  // AdamW with weight decay 0 is Adam, which is what tf.train.adam does.
  const opt = new AdamW(model.namedParameters(), { lr: LR, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const batches = data.batches.map(({ ids, targets }) => ({
    ids: Tensor.fromArray(ids, [c.B, c.S], 'int32'),
    targets: Tensor.fromArray(targets, [c.B * c.S], 'int32'),
  }));
  const stepFn = oursStep(step, opt, batches, ({ ids, targets }) => F.crossEntropy(model.forward(ids), targets));
  const fit = async (steps) => {
    const t0 = process.hrtime.bigint();
    const r = await model.fit(data.fitStream, { epochs: 1, batchSize: c.B, context: c.S, lr: LR, maxSteps: steps });
    const sec = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.steps !== steps) throw new Error(`GptLM.fit ran ${r.steps} steps, expected ${steps}`);
    return sec;
  };
  return { model, step: stepFn, fit };
}

/** The same model in tfjs-core ops on ours's weights (bench/tfjs-gpt.mjs), trained by tf.train.adam. */
function makeTfjs(c, data, { model }, { nnGrads = false } = {}) {
  const { vars, varList } = tfjsGptVariables(tf, model);
  const gpt = tfjsGptLoss(tf, vars, { ...c, eps: EPS_LN, nnGrads });
  const batches = data.batches.map(({ ids, targets }) => gpt.batch(ids, targets));
  const m = tfjsAdam(tf, varList, batches, gpt.loss, LR);
  return {
    ...m,
    free: () => {
      for (const b of batches) b.free();
      gpt.free();
    },
  };
}

/** GEMM-shaped FLOPs of a training step: the projections and the tied output layer, forward + 2× backward. */
const trainFlops = (c) => 3 * 2 * c.B * c.S * (c.L * 12 * c.D * c.D + c.D * c.V);

// ---------------------------------------------------------------- training: phase 1, ours against tfjs-wasm

await lib.init();
const tfjs = await setupTfjsWasm(tf, tfjsWasm);
log(
  `gpt bench (${QUICK ? 'quick' : 'full'}): training ${CASES.map(caseTitle).join('; ')}; tfjs-wasm threads ${tfjs.threads}, SIMD ${tfjs.simd}`,
);

const training = [];
for (const c of CASES) {
  log(`\ntraining, ${caseTitle(c)}:`);
  const data = trainingData(c);
  const ours = makeOurs(c, data);
  const made = [];
  const count = ours.model.parameterCount();
  const runners = {
    ours: ours.step,
    ...tfjsVariants(
      (v) => makeTfjs(c, data, ours, v),
      count,
      (m) => made.push(m),
    ),
  };
  const fitStep = async () => [(await ours.fit(RUN.fitSteps)) / RUN.fitSteps];
  const { losses, checks, res } = await gateAndRounds({
    ours,
    runners,
    gates: GATES,
    rounds: RUN.rounds,
    steps: RUN.steps,
    warmup: RUN.warmup,
    warmupMore: () => ours.fit(RUN.warmup),
    orders: [
      ['tfjs', 'fit', 'ours', 'tfjsNN'],
      ['tfjsNN', 'ours', 'fit', 'tfjs'],
    ],
    run: (who) => (who === 'fit' ? fitStep() : timeSteps(runners[who], RUN.steps[who] ?? RUN.steps.tfjs)),
    bases: ['ours', 'fit'],
    describe: (r, round, ratios) =>
      `round ${r + 1}/${RUN.rounds}: bare step ${msPerStep(round.ours)} ms/step, GptLM.fit ${msPerStep(round.fit)} ms/step, ` +
      `tfjs-wasm ${msPerStep(round.tfjs)} ms/step (${ratios.ours.tfjs.at(-1).toFixed(2)}×), ` +
      `tfjs-wasm NN grads ${msPerStep(round.tfjsNN)} ms/step (${ratios.ours.tfjsNN.at(-1).toFixed(2)}×)`,
    log,
  });
  tf.disposeVariables();
  for (const m of made) m.free();
  training.push({ c, data, losses, checks, res, params: count, mem: lib.memoryStats() });
}
lib.shutdown();

// ---------------------------------------------------------------- training: phase 2, ours on 2 threads against 1

for (const r of training) {
  log(`\ntraining, ${caseTitle(r.c)}, threads:`);
  r.t2 = await twoThreads({
    lib,
    make: () => makeOurs(r.c, r.data),
    firstLoss: r.losses.ours[0],
    rounds: RUN.rounds,
    log,
    warmup: (o) => warmBothThreads(lib, o, RUN.warmup),
    run: (o, threads) => timeOnThreads(lib, o, threads, RUN.steps.ours),
  });
  if (!r.t2.available) log(`2 threads ${r.t2.why}`);
}

// ---------------------------------------------------------------- generation: model, prompts, contenders

const configPath = join(MODEL_DIR, 'config.json');
const weightsPath = join(MODEL_DIR, 'model.safetensors');
const onnxPath = join(MODEL_DIR, 'model.onnx');
const HAVE_DIR = existsSync(configPath) && existsSync(weightsPath);
const HAVE_ONNX = HAVE_DIR && existsSync(onnxPath);
const modelWhere = relative(args.root, MODEL_DIR) || MODEL_DIR;
const RANDOM_CONFIG = QUICK ? { vocabSize: 1000, nPositions: 128, nEmbd: 128, nLayer: 2, nHead: 4 } : {};

/** GPT2LMHeadModel in the current runtime: the directory's weights, or seeded random ones; with its load time. */
function loadModel() {
  const t0 = performance.now();
  const model = HAVE_DIR
    ? GPT2LMHeadModel.fromPretrained({ config: readFileSync(configPath, 'utf8'), weights: readFileSync(weightsPath) })
    : new GPT2LMHeadModel(RANDOM_CONFIG, { seed: 0 }).eval();
  return { model, seconds: (performance.now() - t0) / 1e3 };
}

/**
 * Ours's greedy generation through a session: the prompt (prefill), then `newTokens`
 * feeds of one token; milliseconds of the prefill and of each feed, the tokens
 * (newTokens + 1) and the prefill's logits.
 */
function oursGenerate(model, prompt, newTokens, useCache) {
  const session = model.startSession({ useCache });
  try {
    let t = performance.now();
    let logits = session.feed(prompt);
    const prefill = performance.now() - t;
    const first = logits;
    const tokens = [argmax(logits)];
    const decode = [];
    for (let s = 0; s < newTokens; s++) {
      t = performance.now();
      logits = session.feed(Int32Array.of(tokens.at(-1)));
      decode.push(performance.now() - t);
      tokens.push(argmax(logits));
    }
    return { prefill, decode, tokens, first };
  } finally {
    session.dispose();
  }
}

/** onnxruntime-web on `threads` threads in a child process (ortChild); its result or { na: why }. */
function ortRun(threads, cfg, cases) {
  if (!HAVE_ONNX) return { na: `not run: no model.onnx in ${modelWhere}` };
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-ort-'));
  const out = join(dir, 'result.json');
  const job = {
    threads,
    onnx: onnxPath,
    layers: cfg.nLayer,
    heads: cfg.nHead,
    headDim: cfg.nEmbd / cfg.nHead,
    cases,
    out,
  };
  const r = spawnSync(process.execPath, [SELF, '--ort-child', JSON.stringify(job)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const o = JSON.parse(readFileSync(out, 'utf8'));
    return o.ok ? o : { na: `failed: ${o.error}` };
  } catch {
    return { na: `child failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}, no result)` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** The first index where two token lists differ, or -1 (compared over the shorter length). */
function firstDifference(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Largest |a − b| over two logit vectors. */
function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// ---------------------------------------------------------------- generation: phase 3, 1 thread (release build) and onnxruntime-web

await lib.init();
const loaded = loadModel();
const GCFG = loaded.model.config;
log(
  `\ngeneration: ${HAVE_DIR ? modelWhere : 'random weights'} (${GCFG.nLayer} × ${GCFG.nEmbd}, ${GCFG.nHead} heads, vocab ${fmt(GCFG.vocabSize)}), loaded in ${loaded.seconds.toFixed(1)} s`,
);
const prompts = Object.fromEntries(
  GEN.contexts.map((g, i) => {
    const next = xorshift(500 + i);
    return [g.key, Int32Array.from({ length: g.prompt }, () => next() % GCFG.vocabSize)];
  }),
);
const ortCases = GEN.contexts.map((g) => ({ prompt: Array.from(prompts[g.key]), newTokens: g.newTokens }));

// generate() gives the tokens the timed session loop gives (eos off: random weights may emit it).
const short = GEN.contexts.at(-1);
const viaGenerate = loaded.model.generate(prompts[short.key], { maxNewTokens: short.newTokens + 1, eosTokenId: null });

// gen[who][context] = { prefill: [], decode: [] } (ms; decode: the mean ms/token of each run), tokens of the first run.
const gen = {};
const record = (who, key, r) => {
  const e = ((gen[who] ??= {})[key] ??= { prefill: [], decode: [] });
  e.prefill.push(r.prefill);
  e.decode.push(mean(r.decode));
  e.tokens ??= r.tokens;
  e.first ??= r.first;
};
const ortInfo = {};
const runOurs1 = () => {
  for (const g of GEN.contexts) {
    record('cache1', g.key, oursGenerate(loaded.model, prompts[g.key], g.newTokens, true));
    record('nocache1', g.key, oursGenerate(loaded.model, prompts[g.key], GEN.noCacheTokens[g.key], false));
  }
};
const runOrt = (threads) => {
  const o = ortRun(threads, GCFG, ortCases);
  if (o.na) {
    ortInfo[threads] = o;
    return;
  }
  ortInfo[threads] = { loadSeconds: o.loadSeconds, threads: o.threads, version: o.version };
  GEN.contexts.forEach((g, i) => record(`ort${threads}`, g.key, o.results[i]));
};
runOurs1(); // warm-up (untimed: the first calls compile and size the caches)
delete gen.cache1;
delete gen.nocache1;
for (let r = 0; r < GEN.rounds; r++) {
  const t0 = performance.now();
  const order = r % 2 === 0 ? ['ours', 1, 2] : [2, 1, 'ours'];
  for (const who of order) (who === 'ours' ? runOurs1 : () => runOrt(who))();
  const line = GEN.contexts
    .map(
      (g) =>
        `${g.key} ${ms(gen.cache1[g.key].decode.at(-1))} ms/token (no cache ${ms(gen.nocache1[g.key].decode.at(-1))}` +
        `${gen.ort1 ? `, ort t1 ${ms(gen.ort1[g.key].decode.at(-1))}` : ''}${gen.ort2 ? `, ort t2 ${ms(gen.ort2[g.key].decode.at(-1))}` : ''})`,
    )
    .join('; ');
  log(`generation round ${r + 1}/${GEN.rounds}: ${line} — ${((performance.now() - t0) / 1e3).toFixed(0)} s`);
}
const genMem = lib.memoryStats();
loaded.model.dispose();
lib.shutdown();

// ---------------------------------------------------------------- generation: phase 4, ours on 2 threads against 1 (shared-memory build)

let gen2 = { available: false, why: 'not available: this build exports no setThreads' };
if (typeof lib.setThreads === 'function' && typeof SharedArrayBuffer !== 'undefined') {
  try {
    await lib.init({ threads: 2 });
    gen2 = { available: true };
  } catch (e) {
    gen2 = { available: false, why: `not available: init({ threads: 2 }) failed: ${e.message}` };
  }
}
if (gen2.available) {
  const m = loadModel().model;
  const runThreads = (t) => {
    lib.setThreads(t);
    for (const g of GEN.contexts) {
      record(`cacheMt${t}`, g.key, oursGenerate(m, prompts[g.key], g.newTokens, true));
      record(`nocacheMt${t}`, g.key, oursGenerate(m, prompts[g.key], GEN.noCacheTokens[g.key], false));
    }
  };
  runThreads(1);
  runThreads(2);
  for (const k of ['cacheMt1', 'cacheMt2', 'nocacheMt1', 'nocacheMt2']) delete gen[k];
  for (let r = 0; r < GEN.rounds; r++) {
    for (const t of r % 2 === 0 ? [2, 1] : [1, 2]) runThreads(t);
    log(
      `generation threads round ${r + 1}/${GEN.rounds}: ` +
        GEN.contexts
          .map(
            (g) =>
              `${g.key} t1 ${ms(gen.cacheMt1[g.key].decode.at(-1))}, t2 ${ms(gen.cacheMt2[g.key].decode.at(-1))} ms/token`,
          )
          .join('; '),
    );
  }
  lib.setThreads(1);
  m.dispose();
  lib.shutdown();
}

// ---------------------------------------------------------------- generation: checks and ratios

const long = GEN.contexts[0];
const ratioOf = (a, b, key, field = 'decode') => {
  // the median over rounds of the within-round ratio b / a (how many times faster a is)
  const xa = gen[a]?.[key]?.[field];
  const xb = gen[b]?.[key]?.[field];
  if (!xa || !xb) return NaN;
  return median(xa.map((x, i) => xb[i] / x));
};
const checks = [];
const genSame = firstDifference(viaGenerate, gen.cache1[short.key].tokens);
checks.push(
  `\`generate(prompt, { maxNewTokens: ${short.newTokens + 1} })\` and the timed session loop: ${genSame < 0 && viaGenerate.length === short.newTokens + 1 ? 'the same tokens' : `**differ** at token ${genSame}`}`,
);
for (const g of GEN.contexts) {
  const d = firstDifference(gen.cache1[g.key].tokens, gen.nocache1[g.key].tokens);
  checks.push(
    `KV cache vs no cache, prompt ${g.prompt}: the first ${GEN.noCacheTokens[g.key] + 1} greedy tokens ${d < 0 ? 'identical' : `**differ** at token ${d}`}; prefill logits max |Δ| ${maxAbsDiff(gen.cache1[g.key].first, gen.nocache1[g.key].first).toExponential(1)}`,
  );
}
if (gen.cacheMt2) {
  for (const g of GEN.contexts) {
    const d = firstDifference(gen.cache1[g.key].tokens, gen.cacheMt2[g.key].tokens);
    checks.push(
      `ours, 2 threads (shared-memory build) vs 1 thread (release build), prompt ${g.prompt}: ${d < 0 ? `all ${g.newTokens + 1} greedy tokens identical` : `**differ** at token ${d}`}; prefill logits max |Δ| ${maxAbsDiff(gen.cache1[g.key].first, gen.cacheMt2[g.key].first).toExponential(1)}`,
    );
  }
}
let tokensMatch = null;
if (gen.ort1) {
  tokensMatch = true;
  for (const g of GEN.contexts) {
    const d = firstDifference(gen.cache1[g.key].tokens, gen.ort1[g.key].tokens);
    const d2 = gen.ort2 ? firstDifference(gen.ort1[g.key].tokens, gen.ort2[g.key].tokens) : -1;
    if (d >= 0) tokensMatch = false;
    checks.push(
      `ours vs onnxruntime-web, prompt ${g.prompt}: ${d < 0 ? `all ${g.newTokens + 1} greedy tokens identical` : `**greedy tokens differ** from token ${d} on (of ${g.newTokens + 1})`}` +
        `; prefill logits max |Δ| ${maxAbsDiff(gen.cache1[g.key].first, gen.ort1[g.key].first).toExponential(1)}` +
        `${d2 >= 0 ? `; onnxruntime-web's 1 and 2 threads differ at token ${d2}` : ''}`,
    );
  }
}
for (const line of checks) log(line.replace(/\*\*/g, ''));

const cacheRatio = ratioOf('cache1', 'nocache1', long.key);
const ortRatio = ratioOf('cache1', 'ort1', long.key);
const criteria = [
  `- KV cache vs no cache, prompt ${long.prompt} + ${long.newTokens} new (1 thread, ms per new token): ≥ ${CACHE_BAR}×: **${cacheRatio >= CACHE_BAR ? 'PASS' : 'FAIL'}** (${cacheRatio.toFixed(1)}×)`,
  gen.ort1
    ? `- ours vs onnxruntime-web, 1 thread each, ms per new token at prompt ${long.prompt} + ${long.newTokens}: ≥ ${ORT_BAR}×: **${ortRatio >= ORT_BAR ? 'PASS' : 'FAIL'}** (${ortRatio.toFixed(2)}×)`
    : `- ours vs onnxruntime-web: ${ortInfo[1]?.na ?? 'not run'}`,
  tokensMatch === null
    ? '- ours and onnxruntime-web, the same greedy tokens: not checked (no onnxruntime-web run)'
    : `- ours and onnxruntime-web, the same greedy tokens at both contexts: **${tokensMatch ? 'PASS' : 'FAIL'}**`,
];
if (QUICK)
  criteria.push('- (quick mode: tiny shapes, where per-call overheads dominate; the bars are meant for the full run)');
for (const line of criteria) log(line.replace(/\*\*/g, ''));

// ---------------------------------------------------------------- report

const trainingSections = training.map(({ c, losses, checks: lossChecks, res, params, t2, mem }) => {
  const tokens = c.B * c.S;
  const { median: sec, spread: sp, ratio } = res;
  const rows = [
    {
      name: 'ours, bare step, 1 thread (release build)',
      sec: sec.ours,
      spread: spreadCell(sp.ours),
      vs: '1.00×',
      speedup: '—',
    },
    {
      name: 'ours, `GptLM.fit`, 1 thread (release build)',
      sec: sec.fit,
      spread: spreadCell(sp.fit, 'round'),
      vs: `fit's overhead ${(((sec.fit - sec.ours) / sec.ours) * 100).toFixed(0)}%; ours ${ratio.fit.tfjs.toFixed(2)}× faster than tfjs-wasm`,
      speedup: '—',
    },
    ...tfjsRows(res),
    ...twoThreadRows(
      t2,
      ['ours, bare step, 1 thread (shared-memory build)', 'ours, bare step, 2 threads (shared-memory build)'],
      sec.tfjs,
      t2.available ? [spreadCell(t2.spread1), spreadCell(t2.spread2)] : undefined,
    ),
  ];
  const table = trainingTable([['tokens/s', (s) => fmt(tokens / s)]], rows);
  log(`\n${caseTitle(c)}\n${table}`);
  return `### Training: ${caseTitle(c)}

${fmt(params)} parameters; ${fmt(tokens)} tokens (targets) a step; ${(trainFlops(c) / 1e9).toFixed(1)} GFLOP of GEMM-shaped work a step (projections and the tied output layer):
ours's bare step runs at an effective ${(trainFlops(c) / sec.ours / 1e9).toFixed(1)} GFLOP/s. Wasm memory of ours after its timed steps: ${(mem.bytesInUse / 2 ** 20).toFixed(0)} MiB in use, peak ${(mem.peakBytesInUse / 2 ** 20).toFixed(0)} MiB.

${table}

- ours ${ratio.ours.tfjs.toFixed(2)}× tfjs-wasm's training tokens/s (1 thread each; against the NN-gradient variant ${ratio.ours.tfjsNN.toFixed(2)}×); \`GptLM.fit\` ${ratio.fit.tfjs.toFixed(2)}× (${ratio.fit.tfjsNN.toFixed(2)}×).
- 2 threads: ${t2.available ? `**${t2.speedup.toFixed(2)}×** 1 thread (shared-memory build, \`setThreads(2)\` vs \`setThreads(1)\` on the same model, interleaved)` : t2.why}
${sameComputationText({
  intro:
    "tfjs's variables are ours's initial parameters (by Hugging Face name); all take the first step on the same batch.",
  losses,
  checks: lossChecks,
  gate1: GATES[0].toExponential(),
  step2: 'after one Adam update, on the second batch, informative',
  params,
  t2,
})}`;
});

/** A generation table row: prefill ms, ms / new token, tokens/s, spread, a ratio cell. */
function genRow(name, who, key, vs) {
  const e = gen[who]?.[key];
  if (!e) return null;
  const d = median(e.decode);
  return [name, ms(median(e.prefill)), ms(d), fmt(1e3 / d, d >= 10 ? 1 : 0), spreadCell(spread(e.decode), 'round'), vs];
}
const timesFaster = (x) => (Number.isNaN(x) ? '—' : `${x.toFixed(2)}×`);
const genTables = GEN.contexts.map((g) => {
  const nc = GEN.noCacheTokens[g.key];
  const rows = [
    genRow(
      'ours, KV cache, 1 thread (release build)',
      'cache1',
      g.key,
      gen.ort1 ? `${timesFaster(ratioOf('cache1', 'ort1', g.key))} onnxruntime-web's speed` : '—',
    ),
    genRow(
      `ours, no cache (first ${nc} new tokens), 1 thread`,
      'nocache1',
      g.key,
      `KV cache ${timesFaster(ratioOf('cache1', 'nocache1', g.key))} no cache's speed`,
    ),
    gen.ort1
      ? genRow('onnxruntime-web, 1 thread', 'ort1', g.key, '—')
      : ['onnxruntime-web, 1 thread', '—', '—', '—', '—', ortInfo[1]?.na ?? 'not run'],
    genRow('ours, KV cache, 1 thread (shared-memory build)', 'cacheMt1', g.key, '—'),
    genRow(
      'ours, KV cache, 2 threads (shared-memory build)',
      'cacheMt2',
      g.key,
      `${timesFaster(ratioOf('cacheMt2', 'cacheMt1', g.key))} 1 thread's speed${gen.ort2 ? `; ${(median(gen.ort2[g.key].decode) / median(gen.cacheMt2[g.key].decode)).toFixed(2)}× onnxruntime-web 2 threads (across phases)` : ''}`,
    ),
    genRow(
      `ours, no cache (first ${nc} new tokens), 2 threads (shared-memory build)`,
      'nocacheMt2',
      g.key,
      `${timesFaster(ratioOf('nocacheMt2', 'nocacheMt1', g.key))} 1 thread's speed`,
    ),
    gen.ort2
      ? genRow(
          'onnxruntime-web, 2 threads',
          'ort2',
          g.key,
          `${timesFaster(ratioOf('ort2', 'ort1', g.key))} 1 thread's speed`,
        )
      : ['onnxruntime-web, 2 threads', '—', '—', '—', '—', ortInfo[2]?.na ?? 'not run'],
  ].filter((r) => r !== null);
  if (!gen2.available) rows.push(['ours, 2 threads', '—', '—', '—', '—', gen2.why]);
  const table = markdownTable(
    ['contender', 'prefill ms', 'ms / new token', 'new tokens/s', 'spread', 'ratio (same round)'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'l'],
  );
  log(`\nprompt ${g.prompt} + ${g.newTokens} new\n${table}`);
  return `### Generation: prompt ${g.prompt} + ${g.newTokens} new tokens\n\n${table}`;
});

const wall = elapsed(args);
const ortVersion = ortInfo[1]?.version ?? ortInfo[2]?.version;
const ortThreadsText = [1, 2]
  .filter((t) => ortInfo[t]?.threads !== undefined)
  .map((t) => `numThreads ${t} → ${ortInfo[t].threads}, session created in ${ortInfo[t].loadSeconds.toFixed(1)} s`)
  .join('; ');
const md = `
## GPT: training throughput and generation

- date: ${isoDate()}
- mode: ${modeText(QUICK, 'bench:gpt')}; training: ${RUN.rounds} interleaved round${plural(RUN.rounds)} per shape, each ${RUN.steps.ours} bare steps and one \`fit\` call of ${RUN.fitSteps} steps of ours, ${RUN.steps.tfjs} step${plural(RUN.steps.tfjs)} of tfjs-wasm and ${RUN.steps.tfjsNN} of its NN-gradient variant, after the 2 checked steps (and ${RUN.warmup} more warm-up step${plural(RUN.warmup)} and a ${RUN.warmup}-step \`fit\` of ours); generation: ${GEN.rounds} interleaved round${plural(GEN.rounds)} after one untimed run of ours; wall time ${wall.toFixed(0)} s
- CPU: ${cpuText()}; Node ${process.version}; load average at the start ${args.load0}, at the end ${loadAverage()}${QUICK ? ' — quick mode on a shared machine: noisy figures' : ''}
- wasm-nlp: release build, SIMD128, 1 thread (and the shared-memory build for 2 threads); ${tfjs.version}: threads ${tfjs.threads}, SIMD ${tfjs.simd ? 'on' : 'off'}; onnxruntime-web ${ortVersion ?? '(not run)'} (wasm backend${ortThreadsText ? `; ${ortThreadsText}` : ''})

Training: \`GptLM\` (GPT-2's architecture over word ids: token + learned position embeddings, pre-norm blocks with causal
self-attention, FFN 4·d with GELU tanh form, ln_f, the output layer tied to the token embeddings; layer-norm eps ${EPS_LN}, dropout 0)
on fixed random windows (${N_BATCHES} batches cycled), mean cross-entropy over every position, Adam (lr ${LR}, β 0.9/0.999, eps 1e-8).
**tokens/s = B · context / median step time** (a step: forward, loss, backward, optimizer update, the loss read back).

${trainingSections.join('\n\n')}

Generation: \`GPT2LMHeadModel\` ${HAVE_DIR ? `from \`${modelWhere}\` (random weights written by \`scripts/gpt2-onnx.py\`${HAVE_ONNX ? '; onnxruntime-web runs its `model.onnx`, the same weights' : ''})` : `with seeded random weights (no \`${modelWhere}\`)`}${HAVE_ONNX ? '' : ` — run \`${SCRIPT_CMD}\` for the onnxruntime-web rows on the same weights`}:
${GCFG.nLayer} layers, d ${GCFG.nEmbd}, ${GCFG.nHead} heads, vocab ${fmt(GCFG.vocabSize)}, ${fmt(loaded.model.parameterCount())} parameters (loaded in ${loaded.seconds.toFixed(1)} s). Batch 1, greedy (argmax, ties to the lowest id),
a seeded random prompt, then one token a call. "prefill ms": the prompt's call (logits of the first new token); "ms / new token": the mean of the
one-token calls after it (positions prompt … prompt + new − 1), whose median over rounds the cell shows.

${genTables.join('\n\n')}

### Criteria

${criteria.join('\n')}

### Same computation

${checks.map((c) => `- ${c}`).join('\n')}

Wasm memory of ours after phase 3's generations (release build): ${(genMem.bytesInUse / 2 ** 20).toFixed(0)} MiB in use, peak ${(genMem.peakBytesInUse / 2 ** 20).toFixed(0)} MiB.

### How to read this

- **ours, training**: \`GptLM\` (src/models/gpt) \`forward\` + \`F.crossEntropy\`, \`loss.backward()\`, \`AdamW.step()\` (weight decay 0, which is
  Adam) inside \`step()\`, from \`dist/wasm-nlp.node.js\`; **\`GptLM.fit\`**: \`await lm.fit(stream, { epochs: 1, batchSize, context, lr: ${LR}, maxSteps: ${RUN.fitSteps} })\`
  on a random stream, one call a round (seconds per step = its wall time / ${RUN.fitSteps}: fit's own windows and shuffle, a fresh AdamW, clipping at 1).
- **tfjs-wasm**: the same model from \`@tensorflow/tfjs-core\` ops (bench/tfjs-gpt.mjs: \`gather\`, \`matMul\`, \`split\`/\`reshape\`/\`transpose\`
  for the heads, a −1e9 causal mask and \`softmax\`, layer norm from \`moments\`, GELU from \`tanh\`, the tied output layer as a product with
  an explicit transpose of the token table, \`losses.softmaxCrossEntropy\`), trained by \`tf.train.adam().minimize\` on
  \`@tensorflow/tfjs-backend-wasm\` with one thread; projection weights are kept as [in, out] so every forward GEMM is an NN \`matMul\` (XNNPACK),
  while the gradients of \`matMul\` are tfjs's own transposed products, which its wasm backend runs in a scalar loop: that is what a tfjs user gets.
  **NN-only matMul gradients**: every \`matMul\` a \`tf.customGrad\` whose gradients are NN products of explicit transposes, all on XNNPACK:
  the strongest tfjs baseline we know how to write with its public API. The embedding lookup's gradient is \`scatterND\` in both
  (the wasm backend has no \`UnsortedSegmentSum\`).
- **ours, generation**: \`model.startSession({ useCache })\` and \`session.feed(ids)\` (what \`generate\` runs; the check above compares
  their tokens); the KV cache keeps every layer's keys and values in Wasm memory, so a new token costs one row through every projection plus
  attention over the cache; **no cache** recomputes the whole prefix at every token, so only the first ${GEN.noCacheTokens[long.key]} new tokens
  are timed at prompt ${long.prompt} (the ratio is conservative: later tokens would cost more).
- **onnxruntime-web**: \`InferenceSession.create(model.onnx)\` (wasm backend, graph optimisations at their default) and \`session.run\`
  with \`input_ids\` int64 and \`past_key_values.{i}.key/value\` (empty for the prompt, then the previous run's \`present.{i}.*\`), one
  child process per thread count (\`env.wasm.numThreads\` is read once per process), a 4-token warm-up generation first. Its timings
  include copying the past keys and values into its Wasm memory and the present ones out at every call: that is its public API's cost.
- 2 threads: ours's 1- and 2-thread rows come from a later phase on the shared-memory build, in rounds of their own (2, 1 and 1, 2 alternating);
  ratios against onnxruntime-web on 2 threads are therefore across phases.
${encoderRoundsNote('gpt.bench.mjs', " A generation cell is the median over rounds of a run's mean ms per new token.")}
`;
saveSection(args, 'gpt', md, wall);
