// The Gradient flow demo's worker: all training happens here (the page only draws).
//  - mlp.train: a deep MLP (input layer, `depth` blocks of width `width`, a head) on a fixed synthetic
//    4-class task (1,024 seeded Gaussian points labelled by a random tanh teacher). Each block is
//    act(W·h + b), with an optional residual (h + act(...)) and LayerNorm before (pre) or after (post).
//    Every step measures the L2 norm of each block's weight gradients (gradientNorms: one Wasm pass per
//    parameter, no tensor read out) and the statistics of each block's output (observe inside
//    recordActivations: mean, std, fraction of exact zeros = dead ReLUs), and emits them with the loss.
//  - rnn.train: an Elman RNN (tanh) and an LSTM of the same width on "remember the first token": a
//    sequence of T one-hot symbols, the first one of 4 "key" symbols (the class), the others of 4 distinct
//    noise symbols; the loss reads the last step's output. The gradient of the loss with respect to the
//    input at each time step shows how far back the signal reaches.
// Stop: a 'stop' message sets a flag the loops check between steps (they yield to the event loop every ~50 ms).
import {
  Adam,
  F,
  LSTM,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  Philox,
  RNN,
  SGD,
  Tensor,
  gradientNorms,
  noGrad,
  observe,
  recordActivations,
  step,
  tape,
  variable,
} from 'wasm-nlp';
import { serve } from '../common/rpc.js';
import { initCore } from '../common/core.js';

let info = null;
const ready = async () => (info ??= await initCore({ maxThreads: 1 }));
let busy = false;
let stopRequested = false;

const int = (v, lo, hi, name) => {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new RangeError(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
};
const num = (v, lo, hi, name) => {
  if (!Number.isFinite(v) || v < lo || v > hi)
    throw new RangeError(`${name} must be a number in [${lo}, ${hi}], got ${v}`);
  return v;
};
const oneOf = (v, options, name) => {
  if (!options.includes(v)) throw new RangeError(`${name} must be one of ${options.join(', ')}, got ${v}`);
  return v;
};

/** Standard normal numbers from a Philox stream (Box-Muller). */
function normals(rng, n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - rng.nextFloat();
    const v = rng.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

// ---------------------------------------------------------------- the deep MLP

const INPUTS = 16;
const CLASSES = 4;
const POINTS = 1024;

/** The fixed task: POINTS × INPUTS Gaussian inputs; labels = argmax of B·tanh(A·x) for a random teacher (A, B). */
function mlpTask() {
  const rng = new Philox(2024, 1);
  const x = normals(rng, POINTS * INPUTS);
  const A = normals(rng, INPUTS * INPUTS);
  const B = normals(rng, CLASSES * INPUTS);
  const y = new Int32Array(POINTS);
  const z = new Float64Array(INPUTS);
  for (let p = 0; p < POINTS; p++) {
    for (let j = 0; j < INPUTS; j++) {
      let s = 0;
      for (let k = 0; k < INPUTS; k++) s += A[j * INPUTS + k] * x[p * INPUTS + k];
      z[j] = Math.tanh(s / Math.sqrt(INPUTS));
    }
    let best = 0,
      bestV = -Infinity;
    for (let c = 0; c < CLASSES; c++) {
      let s = 0;
      for (let j = 0; j < INPUTS; j++) s += B[c * INPUTS + j] * z[j];
      if (s > bestV) [best, bestV] = [c, s];
    }
    y[p] = best;
  }
  return { x, y };
}

const ACT = { sigmoid: (h) => F.sigmoid(h), tanh: (h) => F.tanh(h), relu: (h) => F.relu(h) };

/** One block: a Linear (`linear`) and, with a norm, a LayerNorm (`norm`). */
class Block extends Module {
  constructor(width, norm) {
    super();
    this.linear = this.addModule('linear', new Linear(width, width));
    this.norm = norm === 'none' ? null : this.addModule('norm', new LayerNorm(width));
  }
}

/** input → depth blocks (`layers.{i}`) → (pre-norm: a final LayerNorm) → head. */
class DeepMlp extends Module {
  constructor({ depth, width, activation, residual, norm, seed }) {
    super();
    this.act = ACT[activation];
    this.residual = residual;
    this.normMode = norm;
    this.input = this.addModule('input', new Linear(INPUTS, width));
    this.layers = this.addModule('layers', new ModuleList());
    for (let i = 0; i < depth; i++) this.layers.push(new Block(width, norm));
    this.final = norm === 'pre' ? this.addModule('final', new LayerNorm(width)) : null;
    this.head = this.addModule('head', new Linear(width, CLASSES));
    this.resetParameters(seed);
  }

  forward(x) {
    let h = this.act(this.input.forward(x));
    let i = 0;
    for (const b of this.layers) {
      const a = observe(`layers.${i}`, this.act(b.linear.forward(this.normMode === 'pre' ? b.norm.forward(h) : h)));
      h = this.residual ? F.add(h, a) : a;
      if (this.normMode === 'post') h = b.norm.forward(h);
      i++;
    }
    if (this.final !== null) h = this.final.forward(h);
    return this.head.forward(h);
  }
}

/** Rows `idx` of a row-major [rows, cols] Float32Array as a Tensor. */
function gatherRows(src, cols, idx) {
  const out = new Float32Array(idx.length * cols);
  for (let r = 0; r < idx.length; r++) out.set(src.subarray(idx[r] * cols, (idx[r] + 1) * cols), r * cols);
  return Tensor.fromArray(out, [idx.length, cols]);
}

/** A seeded shuffle of 0..n-1. */
function permutation(rng, n) {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const yieldNow = () => new Promise((r) => setTimeout(r, 0));

/** Training-set accuracy of the MLP (noGrad, one batch). */
function mlpAccuracy(model, task) {
  return noGrad(() => {
    const x = Tensor.fromArray(task.x, [POINTS, INPUTS]);
    try {
      const logits = model.forward(x).value.toArray();
      let ok = 0;
      for (let p = 0; p < POINTS; p++) {
        let best = 0;
        for (let c = 1; c < CLASSES; c++) if (logits[p * CLASSES + c] > logits[p * CLASSES + best]) best = c;
        if (best === task.y[p]) ok++;
      }
      return ok / POINTS;
    } finally {
      x.dispose();
    }
  });
}

async function trainMlp(p, emit) {
  const depth = int(p.depth, 1, 64, 'depth');
  const width = int(p.width, 4, 256, 'width');
  const activation = oneOf(p.activation, Object.keys(ACT), 'activation');
  const residual = p.residual === true;
  const norm = oneOf(p.norm, ['none', 'pre', 'post'], 'norm');
  const steps = int(p.steps, 1, 5000, 'steps');
  const batchSize = int(p.batchSize ?? 64, 1, POINTS, 'batch size');
  const optimizer = oneOf(p.optimizer, ['sgd', 'adam'], 'optimizer');
  const lr = num(p.lr, 1e-6, 10, 'learning rate');
  const task = mlpTask();
  const model = new DeepMlp({ depth, width, activation, residual, norm, seed: 7 });
  const opt =
    optimizer === 'sgd'
      ? new SGD(model.namedParameters(), { lr, momentum: 0.9 })
      : new Adam(model.namedParameters(), { lr });
  const rng = new Philox(7, 2);
  let order = permutation(rng, POINTS),
    at = 0;
  const t0 = performance.now();
  let lastYield = t0;
  let done = 0;
  emit({ kind: 'start', params: model.parameterCount(), depth });
  try {
    for (let s = 0; s < steps && !stopRequested; s++) {
      if (at + batchSize > POINTS) {
        order = permutation(rng, POINTS);
        at = 0;
      }
      const idx = order.subarray(at, at + batchSize);
      at += batchSize;
      const point = step(() => {
        const x = tape.own(gatherRows(task.x, INPUTS, idx));
        const y = tape.own(
          Tensor.fromArray(
            Int32Array.from(idx, (i) => task.y[i]),
            [batchSize],
            'int32',
          ),
        );
        const { result: loss, activations } = recordActivations(() => F.crossEntropy(model.forward(x), y));
        loss.backward();
        const g = gradientNorms(model);
        const grads = Array.from({ length: depth }, (_, i) => g.groups[`layers.${i}`]);
        const acts = Array.from({ length: depth }, (_, i) => activations[`layers.${i}`]);
        opt.step();
        opt.zeroGrad();
        return {
          step: s + 1,
          loss: loss.item(),
          grads,
          total: g.total,
          std: acts.map((a) => a.std),
          dead: acts.map((a) => a.zeroFraction),
        };
      });
      done = s + 1;
      emit({ kind: 'step', ...point });
      if (performance.now() - lastYield > 50) {
        await yieldNow();
        lastYield = performance.now();
      }
    }
    const seconds = (performance.now() - t0) / 1e3;
    return {
      steps: done,
      seconds,
      accuracy: mlpAccuracy(model, task),
      stopped: done < steps,
      params: model.parameterCount(),
    };
  } finally {
    opt.dispose();
    model.dispose();
  }
}

// ---------------------------------------------------------------- RNN vs LSTM

/** Key symbols (the classes); the noise symbols are as many more. */
const TOKENS = 4;
/** Input width: one-hot over the keys and the noise symbols. */
const SYMBOLS = 2 * TOKENS;

/** A batch of "remember the first token": one-hot [B, T, SYMBOLS] (a key first, then noise) and the keys [B]. */
function sequenceBatch(rng, B, T) {
  const x = new Float32Array(B * T * SYMBOLS);
  const y = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const tok = rng.nextInt(TOKENS);
      if (t === 0) y[b] = tok;
      x[(b * T + t) * SYMBOLS + (t === 0 ? tok : TOKENS + tok)] = 1;
    }
  }
  return { x, y };
}

/**
 * The recurrent classifier: `rnn` (RNN or LSTM) → the last step's output → `head`. `forgetBias`: the LSTM's
 * forget-gate part of bias_ih (rows [H, 2H) in PyTorch's gate order i, f, g, o) starts at this value
 * instead of U(-1/√H, 1/√H) (1 is the usual choice, Jozefowicz et al. 2015).
 */
class SeqModel extends Module {
  constructor(kind, hidden, seed, forgetBias) {
    super();
    this.kind = kind;
    this.hidden = hidden;
    this.rnn = this.addModule('rnn', kind === 'lstm' ? new LSTM(SYMBOLS, hidden) : new RNN(SYMBOLS, hidden));
    this.head = this.addModule('head', new Linear(hidden, TOKENS));
    this.resetParameters(seed);
    if (kind === 'lstm' && forgetBias !== null) {
      const [, b] = this.rnn.namedParameters().find(([n]) => n === 'bias_ih_l0');
      b.value.view().fill(forgetBias, hidden, 2 * hidden);
    }
  }

  forward(x) {
    const [B, T] = x.shape;
    const r = this.rnn.forward(x);
    r.h.dispose();
    r.c?.dispose();
    const last = F.slice(F.reshape(r.output, [B, T * this.hidden]), (T - 1) * this.hidden, this.hidden);
    return this.head.forward(last);
  }
}

/** One step of `model` on a batch: loss, accuracy, ‖d loss / d x_t‖ per time step t (over the batch); updates the weights. */
function seqStep(model, opt, batch, B, T) {
  return step(() => {
    const x = variable(tape.own(Tensor.fromArray(batch.x, [B, T, SYMBOLS])), { requiresGrad: true });
    const y = tape.own(Tensor.fromArray(batch.y, [B], 'int32'));
    const logits = model.forward(x);
    const loss = F.crossEntropy(logits, y);
    loss.backward();
    const g = x.grad.view();
    const perStep = new Array(T).fill(0);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) for (let k = 0; k < SYMBOLS; k++) perStep[t] += g[(b * T + t) * SYMBOLS + k] ** 2;
    const l = logits.value.view();
    let ok = 0;
    for (let b = 0; b < B; b++) {
      let best = 0;
      for (let c = 1; c < TOKENS; c++) if (l[b * TOKENS + c] > l[b * TOKENS + best]) best = c;
      if (best === batch.y[b]) ok++;
    }
    const total = gradientNorms(model).total;
    opt.step();
    opt.zeroGrad();
    return { loss: loss.item(), accuracy: ok / B, perStep: perStep.map(Math.sqrt), gradNorm: total };
  });
}

async function trainRnn(p, emit) {
  const T = int(p.length, 2, 400, 'sequence length');
  const hidden = int(p.hidden, 2, 256, 'hidden size');
  const steps = int(p.steps, 1, 5000, 'steps');
  const lr = num(p.lr, 1e-6, 1, 'learning rate');
  const B = int(p.batchSize ?? 32, 1, 1024, 'batch size');
  const forgetBias = p.forgetBias === null ? null : num(p.forgetBias, -10, 10, 'forget-gate bias');
  const models = [new SeqModel('rnn', hidden, 5, null), new SeqModel('lstm', hidden, 5, forgetBias)];
  const opts = models.map((m) => new Adam(m.namedParameters(), { lr }));
  const rng = new Philox(11, 3);
  const t0 = performance.now();
  let lastYield = t0;
  let done = 0;
  emit({ kind: 'start', params: models.map((m) => m.parameterCount()) });
  try {
    for (let s = 0; s < steps && !stopRequested; s++) {
      const batch = sequenceBatch(rng, B, T);
      const [rnn, lstm] = models.map((m, i) => seqStep(m, opts[i], batch, B, T));
      done = s + 1;
      emit({ kind: 'step', step: s + 1, rnn, lstm });
      if (performance.now() - lastYield > 50) {
        await yieldNow();
        lastYield = performance.now();
      }
    }
    return { steps: done, seconds: (performance.now() - t0) / 1e3, stopped: done < steps };
  } finally {
    for (const o of opts) o.dispose();
    for (const m of models) m.dispose();
  }
}

/** Runs one training at a time; a Stop ends the run under way at its next step. */
const exclusive = (f) => async (p, emit) => {
  if (busy) throw new Error('a training run is under way: stop it first');
  busy = true;
  stopRequested = false;
  try {
    await ready();
    return await f(p, emit);
  } finally {
    busy = false;
  }
};

serve({
  init: ready,
  'mlp.train': exclusive(trainMlp),
  'rnn.train': exclusive(trainRnn),
  stop() {
    stopRequested = busy;
    return busy;
  },
});
