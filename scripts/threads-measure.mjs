// One-off measurement of setThreads(2) against one thread (not a benchmark of
// the suite): fork-join overhead, GEMM sizes around the default threshold and
// the transformer benchmark sizes (up to B=8, H=4, S=128, D=64), attention forward and backward. Prints
// medians in microseconds. Needs `npm run build` (uses dist/wasm-nlp.node.js).
//   node scripts/threads-measure.mjs
import { performance } from 'node:perf_hooks';
import * as w from '../dist/wasm-nlp.node.js';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

/** Median µs per call of f over `samples` samples of `inner` calls each, after a warm-up. */
function time(f, { samples = 31, inner = 1, gapMs = 0 } = {}) {
  for (let i = 0; i < 3; i++) f();
  const xs = [];
  for (let s = 0; s < samples; s++) {
    if (gapMs > 0) {
      const until = performance.now() + gapMs;
      while (performance.now() < until) {
        /* let the worker fall asleep in Atomics.wait */
      }
    }
    const t0 = performance.now();
    for (let i = 0; i < inner; i++) f();
    xs.push(((performance.now() - t0) * 1000) / inner);
  }
  return median(xs);
}

/** Time f with one thread and with two (every size split). */
function compare(name, f, opts) {
  w.setThreads(1);
  const one = time(f, opts);
  w.setThreads(2, { gemmMinMacs: 0, attentionMinMacs: 0 });
  const two = time(f, opts);
  w.setThreads(1);
  console.log(`| ${name} | ${one.toFixed(1)} | ${two.toFixed(1)} | ${(one / two).toFixed(2)} |`);
}

await w.init({ threads: 2 });
console.log('| case | 1 thread µs | 2 threads µs | speed-up |');
console.log('|---|---|---|---|');

const tiny = w.Tensor.randn([8, 16], { seed: 1 });
const tinyB = w.Tensor.randn([16, 16], { seed: 2 });
const tinyOut = w.Tensor.empty([8, 16]);
compare('GEMM 8x16x16 (fork-join cost), worker spinning', () => w.ops.matmul(tiny, tinyB, { out: tinyOut }), {
  inner: 200,
});
compare('GEMM 8x16x16, worker asleep (2 ms idle before each call)', () => w.ops.matmul(tiny, tinyB, { out: tinyOut }), {
  gapMs: 2,
  samples: 101,
});

for (const [m, n, k] of [
  [32, 32, 32],
  [64, 64, 64],
  [64, 128, 128],
  [128, 128, 128],
  [128, 256, 256],
  [512, 256, 256],
  [128, 1024, 256],
  [128, 256, 1024],
]) {
  const a = w.Tensor.randn([m, k], { seed: 1 });
  const b = w.Tensor.randn([n, k], { seed: 2 });
  const out = w.Tensor.empty([m, n]);
  const inner = Math.max(1, Math.round(2e6 / (m * n * k)));
  compare(
    `GEMM ${m}x${n}x${k} (NT, ${((m * n * k) / 2 ** 20).toFixed(2)} M MACs)`,
    () => w.ops.matmul(a, b, { transposeB: true, out }),
    { inner },
  );
}

for (const [B, H, S, D] of [
  [1, 2, 32, 32],
  [1, 2, 64, 64],
  [2, 4, 64, 64],
  [8, 4, 128, 64],
]) {
  const shape = [B, H, S, D];
  const q = w.Tensor.randn(shape, { seed: 1 });
  const k = w.Tensor.randn(shape, { seed: 2 });
  const v = w.Tensor.randn(shape, { seed: 3 });
  const dout = w.Tensor.randn(shape, { seed: 4 });
  const out = w.Tensor.empty(shape);
  const grads = { dq: w.Tensor.zeros(shape), dk: w.Tensor.zeros(shape), dv: w.Tensor.zeros(shape) };
  const macs = (B * H * S * S * D) / 2 ** 20;
  const inner = Math.max(1, Math.round(1 / macs));
  let lse;
  compare(
    `attention fwd B=${B} H=${H} S=${S} D=${D} (${macs.toFixed(2)} M MACs in qk^T)`,
    () => {
      lse?.dispose();
      lse = w.ops.attention(q, k, v, { out, causal: false }).lse;
    },
    { inner, samples: 21 },
  );
  compare(`attention bwd B=${B} H=${H} S=${S} D=${D}`, () => w.attentionBackward(q, k, v, out, lse, dout, grads), {
    inner,
    samples: 21,
  });
}
w.shutdown();
