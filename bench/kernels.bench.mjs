// Training-kernel benchmark: fused softmax-cross-entropy, attention, layer norm,
// GELU and the Adam step against TensorFlow.js's wasm backend (the same maths
// composed from its ops, forward + tf.grad) and plain JS, in one run, one thread.
//
//   npm run bench:kernels              5 interleaved rounds (~10 min here)
//   npm run bench:kernels -- --quick   3 rounds, shorter timings (~3 min)
//   (-- --no-write: either, with docs/benchmarks.md left alone)
//
// Every contender is checked against a reference before it is timed. A cell is
// the median over rounds of benchmark.js's median time per call; a ratio is the
// median over rounds of the ratio within the round (the contenders of a case run
// back to back, so both sides of a ratio see the same phase of a shared machine).
// Writes the "kernels" section of docs/benchmarks.md. Needs `npm run build` first.
// Rounds, timing, the machine header and output are bench/lib.mjs's.
import * as tf from '@tensorflow/tfjs-core';
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import './tfjs-grads.mjs';
import * as lib from '../dist/wasm-nlp.node.js';
import {
  benchArgs,
  caseTimer,
  cpuText,
  isoDate,
  markdownTable,
  maxError,
  median,
  modeText,
  rounds,
  saveSection,
  setupTfjsWasm,
  timingText,
  xorshift,
} from './lib.mjs';

// The raw ops, wherever the bundle keeps them (the root, or its `ops` namespace).
const {
  softmaxXent,
  softmaxXentBackward,
  softmaxXentInplace,
  attention,
  attentionBackward,
  attentionWorkspaceBytes,
  layerNorm,
  layerNormBackward,
  gelu,
  geluBackward,
  adamStep,
} = lib.ops ?? lib;
const { init, Tensor, memoryStats, resetPeakMemory } = lib;

const args = benchArgs(import.meta.url);
const QUICK = args.quick;
const ROUNDS = QUICK ? 3 : 5;
const TIMING = QUICK
  ? { minTime: 0.05, maxTime: 0.2, minSamples: 3, slowSamples: 1 }
  : { minTime: 0.1, maxTime: 1, minSamples: 5, slowSamples: 2 };

const runtime = await init();
const tfjs = await setupTfjsWasm(tf, tfjsWasm);

/** Deterministic N(0, 1)-ish floats (sum of uniforms) for inputs; seeded, no Math.random. */
function seededNormal(n, seed) {
  const next = xorshift(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() + next() + next() + next()) / 2 ** 32 - 2;
  return out;
}

function seededInts(n, max, seed) {
  const next = xorshift(seed, 2246822519);
  return Int32Array.from({ length: n }, () => next() % max);
}

/** Fails the run when a contender disagrees with the reference. */
function check(what, got, want, tol) {
  const { err, idx } = maxError(got, want);
  const scale = Math.max(1e-30, ...Array.from({ length: Math.min(want.length, 4096) }, (_, i) => Math.abs(want[i])));
  if (!(err <= tol * Math.max(1, scale))) {
    throw new Error(`${what}: max |error| ${err} at ${idx} (got ${got[idx]}, want ${want[idx]}), tolerance ${tol}`);
  }
  return err;
}

const checks = [];

// ---------------------------------------------------------------- cases

/** Softmax-cross-entropy forward + backward over logits [n, v], mean over rows. */
function xentCase(n, v) {
  const logitsF = seededNormal(n * v, n + v).map((x) => 3 * x);
  const targetsI = seededInts(n, v, n * v);
  const logits = Tensor.fromArray(logitsF, [n, v]);
  const logitsIn = Tensor.fromArray(logitsF, [n, v]);
  const targets = Tensor.fromArray(targetsI, [n], 'int32');
  const dlogits = Tensor.zeros([n, v]);

  // plain JS: stable softmax per row, loss and (P - onehot) / n
  const jsGrad = new Float32Array(n * v);
  const js = () => {
    let loss = 0;
    for (let r = 0; r < n; r++) {
      const o = r * v;
      let mx = -Infinity;
      for (let j = 0; j < v; j++) mx = Math.max(mx, logitsF[o + j]);
      let sum = 0;
      for (let j = 0; j < v; j++) sum += Math.exp(logitsF[o + j] - mx);
      const lse = mx + Math.log(sum);
      loss += lse - logitsF[o + targetsI[r]];
      for (let j = 0; j < v; j++) jsGrad[o + j] = Math.exp(logitsF[o + j] - lse) / n;
      jsGrad[o + targetsI[r]] -= 1 / n;
    }
    return loss / n;
  };
  const jsLoss = js();

  const tl = tf.tensor2d(logitsF, [n, v]);
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(targetsI, 'int32'), v), 'float32');
  const tfFn = tf.valueAndGrad((x) => tf.losses.softmaxCrossEntropy(onehot, x));
  const tfjs = () =>
    tf.tidy(() => {
      tfFn(tl);
    });

  const ours = () => {
    const r = softmaxXent(logits, targets);
    softmaxXentBackward(logits, targets, r.lse, dlogits);
    r.rowLoss.dispose();
    r.lse.dispose();
  };
  const oursInplace = () => {
    softmaxXentInplace(logitsIn, targets);
  };

  // checks: ours and tfjs against plain JS (loss and gradient)
  {
    const r = softmaxXent(logits, targets);
    dlogits.view().fill(0);
    softmaxXentBackward(logits, targets, r.lse, dlogits);
    checks.push(
      `xent ${n}×${v} ours loss |err| ${Math.abs(r.loss - jsLoss).toExponential(1)}, ` +
        `grad ${check('xent ours grad', dlogits.toArray(), jsGrad, 1e-6).toExponential(1)}`,
    );
    if (Math.abs(r.loss - jsLoss) > 1e-4 * Math.abs(jsLoss)) throw new Error(`xent ours loss ${r.loss} vs ${jsLoss}`);
    r.rowLoss.dispose();
    r.lse.dispose();
    const ip = softmaxXentInplace(logitsIn, targets);
    check('xent inplace grad', logitsIn.toArray(), jsGrad, 1e-6);
    if (Math.abs(ip.loss - jsLoss) > 1e-4 * Math.abs(jsLoss))
      throw new Error(`xent inplace loss ${ip.loss} vs ${jsLoss}`);
    const { value, grad } = tfFn(tl);
    check('xent tfjs grad', grad.dataSync(), jsGrad, 1e-5);
    if (Math.abs(value.dataSync()[0] - jsLoss) > 1e-4 * Math.abs(jsLoss)) throw new Error('xent tfjs loss');
    value.dispose();
    grad.dispose();
  }
  return {
    group: 'softmax-cross-entropy fwd+bwd',
    name: `[${n}, ${v}]`,
    criterion: 1.5,
    contenders: { ours, 'ours inplace': oursInplace, 'tfjs-wasm': tfjs, 'plain JS': js },
  };
}

/** Multi-head attention [b, h, s, d], forward or forward + backward. */
function attentionCases(b, h, s, d) {
  const n = b * h * s * d;
  const qF = seededNormal(n, 1 + s),
    kF = seededNormal(n, 2 + s),
    vF = seededNormal(n, 3 + s),
    dyF = seededNormal(n, 4 + s);
  const q = Tensor.fromArray(qF, [b, h, s, d]);
  const k = Tensor.fromArray(kF, [b, h, s, d]);
  const v = Tensor.fromArray(vF, [b, h, s, d]);
  const dout = Tensor.fromArray(dyF, [b, h, s, d]);
  const dq = Tensor.zeros([b, h, s, d]),
    dk = Tensor.zeros([b, h, s, d]),
    dv = Tensor.zeros([b, h, s, d]);
  const out = Tensor.empty([b, h, s, d]);
  const scale = 1 / Math.sqrt(d);

  const tq = tf.tensor3d(qF, [b * h, s, d]),
    tk = tf.tensor3d(kF, [b * h, s, d]),
    tv = tf.tensor3d(vF, [b * h, s, d]);
  const tdy = tf.tensor3d(dyF, [b * h, s, d]);
  const f = (q_, k_, v_) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q_, k_, false, true), scale)), v_);
  const g = tf.grads(f);
  const tfFwd = () =>
    tf.tidy(() => {
      f(tq, tk, tv);
    });
  const tfBoth = () =>
    tf.tidy(() => {
      g([tq, tk, tv], tdy);
    });

  const oursFwd = () => {
    attention(q, k, v, { out }).lse.dispose();
  };
  const oursBoth = () => {
    const r = attention(q, k, v, { out });
    attentionBackward(q, k, v, out, r.lse, dout, { dq, dk, dv });
    r.lse.dispose();
  };

  // checks against tfjs (float32 both; a different summation order)
  {
    const r = attention(q, k, v, { out });
    const want = tf.tidy(() => f(tq, tk, tv).dataSync());
    const e1 = check(`attention ${s} out`, out.toArray(), want, 1e-4);
    for (const t of [dq, dk, dv]) t.view().fill(0);
    attentionBackward(q, k, v, out, r.lse, dout, { dq, dk, dv });
    const [gq, gk, gv] = tf.tidy(() => g([tq, tk, tv], tdy).map((t) => t.dataSync()));
    const e2 = Math.max(
      check('attention dq', dq.toArray(), gq, 1e-3),
      check('attention dk', dk.toArray(), gk, 1e-3),
      check('attention dv', dv.toArray(), gv, 1e-3),
    );
    r.lse.dispose();
    checks.push(`attention s=${s} vs tfjs: out |err| ${e1.toExponential(1)}, grads ${e2.toExponential(1)}`);
  }
  const name = `b${b} h${h} s${s} d${d}`;
  return [
    { group: 'attention fwd', name, contenders: { ours: oursFwd, 'tfjs-wasm': tfFwd } },
    {
      group: 'attention fwd+bwd',
      name,
      criterion: s >= 256 ? 5 : undefined,
      contenders: { ours: oursBoth, 'tfjs-wasm': tfBoth },
    },
  ];
}

/** Peak Wasm bytes allocated by one attention forward + backward beyond its inputs and outputs. */
function attentionMemory(b, h, s, d) {
  const n = b * h * s * d;
  const mk = (seed) => Tensor.fromArray(seededNormal(n, seed), [b, h, s, d]);
  const q = mk(11),
    k = mk(12),
    v = mk(13),
    dout = mk(14);
  const dq = Tensor.zeros([b, h, s, d]),
    dk = Tensor.zeros([b, h, s, d]),
    dv = Tensor.zeros([b, h, s, d]);
  const out = Tensor.empty([b, h, s, d]);
  const before = memoryStats().bytesInUse;
  resetPeakMemory();
  const r = attention(q, k, v, { out });
  attentionBackward(q, k, v, out, r.lse, dout, { dq, dk, dv });
  const peak = memoryStats().peakBytesInUse - before;
  const lseBytes = r.lse.byteLength;
  r.lse.dispose();
  for (const t of [q, k, v, dout, dq, dk, dv, out]) t.dispose();
  return {
    peak,
    lseBytes,
    scratch: peak - lseBytes,
    declared: attentionWorkspaceBytes(s, d),
    naive: b * h * s * s * 4,
  };
}

/** Layer norm over rows [r, c]: forward + backward (dx, dgamma, dbeta). */
function layerNormCase(r, c) {
  const xF = seededNormal(r * c, 7),
    dyF = seededNormal(r * c, 8);
  const gF = seededNormal(c, 9).map((x) => 1 + 0.1 * x),
    bF = seededNormal(c, 10).map((x) => 0.1 * x);
  const eps = 1e-5;
  const x = Tensor.fromArray(xF, [r, c]),
    gamma = Tensor.fromArray(gF, [c]),
    beta = Tensor.fromArray(bF, [c]);
  const dy = Tensor.fromArray(dyF, [r, c]);
  const y = Tensor.empty([r, c]),
    dx = Tensor.zeros([r, c]),
    dgamma = Tensor.zeros([c]),
    dbeta = Tensor.zeros([c]);
  const ours = () => {
    const o = layerNorm(x, gamma, beta, { eps, out: y });
    layerNormBackward(x, gamma, o.mean, o.rstd, dy, { dx, dgamma, dbeta });
    o.mean.dispose();
    o.rstd.dispose();
  };
  const tx = tf.tensor2d(xF, [r, c]),
    tg = tf.tensor1d(gF),
    tb = tf.tensor1d(bF),
    tdy = tf.tensor2d(dyF, [r, c]);
  const f = (x_, g_, b_) => {
    const { mean, variance } = tf.moments(x_, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x_, mean), tf.rsqrt(tf.add(variance, eps))), g_), b_);
  };
  const g = tf.grads(f);
  const tfjs = () =>
    tf.tidy(() => {
      g([tx, tg, tb], tdy);
    });
  // plain JS, the textbook two passes per row and the backward formula
  const jy = new Float32Array(r * c),
    jdx = new Float32Array(r * c),
    jdg = new Float32Array(c),
    jdb = new Float32Array(c);
  const js = () => {
    jdg.fill(0);
    jdb.fill(0);
    for (let i = 0; i < r; i++) {
      const o = i * c;
      let mean = 0;
      for (let j = 0; j < c; j++) mean += xF[o + j];
      mean /= c;
      let vr = 0;
      for (let j = 0; j < c; j++) vr += (xF[o + j] - mean) ** 2;
      const rstd = 1 / Math.sqrt(vr / c + eps);
      let sg = 0,
        sgx = 0;
      for (let j = 0; j < c; j++) {
        const xh = (xF[o + j] - mean) * rstd;
        jy[o + j] = xh * gF[j] + bF[j];
        const gj = dyF[o + j] * gF[j];
        sg += gj;
        sgx += gj * xh;
        jdg[j] += dyF[o + j] * xh;
        jdb[j] += dyF[o + j];
      }
      sg /= c;
      sgx /= c;
      for (let j = 0; j < c; j++) {
        const xh = (xF[o + j] - mean) * rstd;
        jdx[o + j] = rstd * (dyF[o + j] * gF[j] - sg - xh * sgx);
      }
    }
  };
  js();
  {
    for (const t of [dx, dgamma, dbeta]) t.view().fill(0);
    ours();
    const e = Math.max(
      check('layer norm y', y.toArray(), jy, 1e-5),
      check('layer norm dx', dx.toArray(), jdx, 1e-4),
      check('layer norm dgamma', dgamma.toArray(), jdg, 1e-4),
      check('layer norm dbeta', dbeta.toArray(), jdb, 1e-4),
    );
    const [tdx] = tf.tidy(() => g([tx, tg, tb], tdy).map((t) => t.dataSync()));
    check('layer norm tfjs dx', tdx, jdx, 1e-3);
    checks.push(`layer norm ${r}×${c}: ours vs plain JS |err| ${e.toExponential(1)}`);
  }
  return {
    group: 'layer norm fwd+bwd',
    name: `[${r}, ${c}]`,
    criterion: 1.5,
    contenders: { ours, 'tfjs-wasm': tfjs, 'plain JS': js },
  };
}

/** GELU (erf form, as BERT) over n floats: forward + backward. */
function geluCase(n, approximate) {
  const xF = seededNormal(n, 21).map((x) => 2 * x),
    dyF = seededNormal(n, 22);
  const x = Tensor.fromArray(xF, [n]),
    dy = Tensor.fromArray(dyF, [n]);
  const y = Tensor.empty([n]),
    dx = Tensor.zeros([n]);
  const ours = () => {
    gelu(x, { approximate, out: y });
    geluBackward(x, dy, dx, { approximate });
  };
  const tx = tf.tensor1d(xF),
    tdy = tf.tensor1d(dyF);
  const c = Math.sqrt(2 / Math.PI);
  const f =
    approximate === 'tanh'
      ? (x_) => tf.mul(tf.mul(x_, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x_, tf.mul(tf.pow(x_, 3), 0.044715)), c)), 1))
      : (x_) => tf.mul(tf.mul(x_, 0.5), tf.add(tf.erf(tf.mul(x_, Math.SQRT1_2)), 1));
  const g = tf.grads(f);
  const tfjs = () =>
    tf.tidy(() => {
      g([tx], tdy);
    }); // tf.grads runs the forward too
  // plain JS: erf from the same A&S 7.1.26 form in float64 (JS has no Math.erf)
  const erf = (z) => {
    const a = Math.abs(z),
      t = 1 / (1 + 0.3275911 * a);
    const p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    const e = 1 - p * Math.exp(-a * a);
    return z < 0 ? -e : e;
  };
  const jy = new Float32Array(n),
    jdx = new Float32Array(n);
  const js =
    approximate === 'tanh'
      ? () => {
          for (let i = 0; i < n; i++) {
            const z = xF[i],
              u = c * (z + 0.044715 * z * z * z),
              t = Math.tanh(u);
            jy[i] = 0.5 * z * (1 + t);
            jdx[i] = dyF[i] * (0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z));
          }
        }
      : () => {
          for (let i = 0; i < n; i++) {
            const z = xF[i],
              cdf = 0.5 * (1 + erf(z * Math.SQRT1_2));
            jy[i] = z * cdf;
            jdx[i] = dyF[i] * (cdf + (z * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI));
          }
        };
  js();
  {
    dx.view().fill(0);
    ours();
    const e = Math.max(check('gelu y', y.toArray(), jy, 2e-6), check('gelu dx', dx.toArray(), jdx, 2e-6));
    const tdx = tf.tidy(() => g([tx], tdy)[0].dataSync());
    check('gelu tfjs dx', tdx, jdx, 1e-4);
    checks.push(`GELU (${approximate === 'tanh' ? 'tanh' : 'erf'}) ${n}: ours vs plain JS |err| ${e.toExponential(1)}`);
  }
  const label = `GELU ${approximate === 'tanh' ? 'tanh form' : 'erf form'} fwd+bwd`;
  return {
    group: label,
    name: `${(n / 2 ** 20).toFixed(0)}M floats`,
    criterion: 1.5,
    contenders: { ours, 'tfjs-wasm': tfjs, 'plain JS': js },
  };
}

/** One Adam step over n parameters (bias-corrected, PyTorch's update). */
function adamCase(n) {
  const lr = 1e-3,
    beta1 = 0.9,
    beta2 = 0.999,
    eps = 1e-8;
  const pF = seededNormal(n, 31),
    gF = seededNormal(n, 32);
  const p = Tensor.fromArray(pF, [n]),
    grad = Tensor.fromArray(gF, [n]);
  const m = Tensor.zeros([n]),
    v = Tensor.zeros([n]);
  let step = 0;
  const ours = () => {
    adamStep(p, grad, { m, v }, { lr, step: ++step, beta1, beta2, eps });
  };
  const tp = tf.variable(tf.tensor1d(pF)),
    tg = tf.tensor1d(gF);
  const opt = tf.train.adam(lr, beta1, beta2, eps);
  const tfjs = () => {
    opt.applyGradients({ [tp.name]: tg });
  };
  const jp = Float32Array.from(pF),
    jm = new Float32Array(n),
    jv = new Float32Array(n);
  let jstep = 0;
  const js = () => {
    jstep++;
    const bc1 = 1 - beta1 ** jstep,
      bc2 = 1 - beta2 ** jstep;
    const stepSize = lr / bc1,
      rbc2 = 1 / Math.sqrt(bc2);
    for (let i = 0; i < n; i++) {
      const g = gF[i];
      const mi = (jm[i] = beta1 * jm[i] + (1 - beta1) * g);
      const vi = (jv[i] = beta2 * jv[i] + (1 - beta2) * g * g);
      jp[i] -= (stepSize * mi) / (Math.sqrt(vi) * rbc2 + eps);
    }
  };
  {
    ours();
    js();
    tfjs();
    const e = check('adam param', p.toArray(), jp, 1e-6);
    check('adam tfjs param', tp.dataSync(), jp, 1e-5);
    checks.push(`Adam ${n}: one step, ours vs plain JS |err| ${e.toExponential(1)}`);
  }
  return {
    group: 'Adam step',
    name: `${(n / 1e6).toFixed(0)}M params`,
    criterion: 1.5,
    contenders: { ours, 'tfjs-wasm': tfjs, 'plain JS': js },
  };
}

// ---------------------------------------------------------------- run

const t0 = performance.now();
const CASES = [
  xentCase(512, 16384),
  xentCase(128, 30522),
  ...attentionCases(8, 4, 128, 64),
  ...attentionCases(8, 4, 256, 64),
  ...attentionCases(8, 4, 512, 64),
  layerNormCase(4096, 768),
  geluCase(4 * 2 ** 20, 'none'),
  geluCase(4 * 2 ** 20, 'tanh'),
  adamCase(10_000_000),
];
const memory = attentionMemory(8, 4, 512, 64);
for (const c of checks) console.error(`check: ${c}`);

const times = CASES.map((c) => Object.fromEntries(Object.keys(c.contenders).map((k) => [k, []])));
const timer = caseTimer(TIMING); // a case's first call is its time estimate
await rounds(ROUNDS, async () => {
  for (let i = 0; i < CASES.length; i++) {
    const c = CASES[i];
    for (const [who, fn] of Object.entries(c.contenders)) {
      times[i][who].push(await timer.time(`${i}/${who}`, fn, `${c.group} ${c.name} ${who}`));
    }
  }
});
const wallSeconds = (performance.now() - t0) / 1e3;

const ms = (s) => (s * 1e3 >= 100 ? (s * 1e3).toFixed(0) : s * 1e3 >= 10 ? (s * 1e3).toFixed(1) : (s * 1e3).toFixed(2));
/** Median over rounds of (their time / our time) in the same round. */
const speedup = (i, who) => median(times[i][who].map((t, r) => t / times[i].ours[r]));
const rows = [];
const criteria = [];
for (let i = 0; i < CASES.length; i++) {
  const c = CASES[i];
  const med = (who) => (times[i][who] ? median(times[i][who]) : undefined);
  const spread = (Math.max(...times[i].ours) - Math.min(...times[i].ours)) / med('ours');
  const vsTf = speedup(i, 'tfjs-wasm');
  const vsJs = times[i]['plain JS'] ? speedup(i, 'plain JS') : undefined;
  rows.push([
    c.group,
    c.name,
    ms(med('ours')),
    `${(spread * 100).toFixed(0)}%`,
    times[i]['ours inplace'] ? ms(med('ours inplace')) : '—',
    ms(med('tfjs-wasm')),
    times[i]['plain JS'] ? ms(med('plain JS')) : '—',
    `${vsTf.toFixed(2)}×`,
    vsJs !== undefined ? `${vsJs.toFixed(1)}×` : '—',
  ]);
  if (c.criterion !== undefined) {
    criteria.push({
      text: `${c.group} ${c.name}: ${vsTf.toFixed(2)}× tfjs-wasm (need ≥ ${c.criterion}×)`,
      ok: vsTf >= c.criterion,
    });
  }
}
const table = markdownTable(
  [
    'kernel',
    'shape',
    'ours ms',
    'spread',
    'ours inplace ms',
    'tfjs-wasm ms',
    'plain JS ms',
    'ours vs tfjs-wasm',
    'ours vs JS',
  ],
  rows,
  ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
);
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const kib = (b) => `${(b / 2 ** 10).toFixed(1)} KiB`;
const memoryLines = [
  `- attention fwd+bwd, batch 8, heads 4, seq 512, headDim 64: peak Wasm bytes allocated beyond inputs, outputs and`,
  `  gradients: **${kib(memory.peak)}** = saved log-sum-exp ${kib(memory.lseBytes)} (O(seq) per head) + scratch ${kib(memory.scratch)}`,
  `  (attentionWorkspaceBytes(512, 64) = ${kib(memory.declared)}, independent of batch × heads).`,
  `- Materialising the scores: one seq×seq f32 matrix per head is ${kib(512 * 512 * 4)}; for all 32 heads ${mib(memory.naive)}`,
  `  (tfjs's composition keeps scores and probabilities of every head for its backward: ≥ ${mib(2 * memory.naive)}).`,
];
const allOk = criteria.every((c) => c.ok);
const criteriaLines = criteria.map((c) => `- ${c.text}: **${c.ok ? 'PASS' : 'FAIL'}**`);
const machine = [
  `- date: ${isoDate()}`,
  `- mode: ${modeText(QUICK, 'bench:kernels')}; ${ROUNDS} interleaved rounds; ${timingText(TIMING)}; wall time ${wallSeconds.toFixed(0)} s`,
  `- CPU: ${cpuText()}; Node ${process.version}`,
  `- wasm-nlp: ${runtime.build} build, SIMD128, threads ${runtime.threads}; ${tfjs.version}: threads ${tfjs.threads}, SIMD ${tfjs.simd ? 'on' : 'off'}`,
];
const notes = [
  '### How to read this',
  '',
  '- Milliseconds per call, median over rounds of benchmark.js\'s median sample; "spread" is (slowest − fastest',
  '  round) / median for ours. Ratios are medians over rounds of the within-round ratio (their time / ours).',
  '- **ours**: the ops of `src/ops` on Tensors already in Wasm memory, outputs reused where the op takes `out`;',
  '  backward kernels accumulate into gradient buffers made once. **ours inplace**: `softmaxXentInplace`, which',
  '  writes d logits over the logits in the same pass (no second [N, V] buffer).',
  '- **tfjs-wasm**: `@tensorflow/tfjs-backend-wasm`, one thread, the same maths composed from tfjs ops, forward',
  '  and `tf.grads` inside `tf.tidy` on tensors made beforehand, no `dataSync`: `tf.losses.softmaxCrossEntropy`',
  '  (one-hot labels), attention as `matMul(softmax(matMul(q, k, false, true) · scale), v)` on [batch·heads, seq,',
  '  headDim], layer norm from `tf.moments`, GELU from `tf.erf` / `tf.tanh`, and `tf.train.adam().applyGradients`.',
  '- **plain JS**: straightforward loops over Float32Arrays with `Math.exp`/`Math.tanh` (float64 arithmetic).',
  '- Before timing every contender is checked: ours and tfjs against plain JS (attention: ours against tfjs).',
  `  ${checks.length} checks passed.`,
  '- This section is written by `bench/kernels.bench.mjs`; rerun it rather than editing the numbers.',
];
const section = [
  '## Training kernels',
  '',
  ...machine,
  '',
  table,
  '',
  '### Attention memory',
  '',
  ...memoryLines,
  '',
  '### Criteria',
  '',
  ...criteriaLines,
  '',
  ...notes,
  '',
].join('\n');
console.log(section);
saveSection(args, 'kernels', section, wallSeconds, `; criteria ${allOk ? 'all pass' : 'NOT all met'}`);
