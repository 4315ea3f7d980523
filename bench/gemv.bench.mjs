// GEMV benchmark: one row times a weight matrix (batch-1 decoding's x W^T), at
// GPT-2-small's shapes: gemv_f32 against gemm_f32 (which packs W every call),
// tfjs-wasm's matMul and onnxruntime-web's MatMul, one thread each, and ours on
// two threads.
//
//   node bench/gemv.bench.mjs              5 interleaved rounds (~3 min here)
//   node bench/gemv.bench.mjs --quick      2 rounds, short timings
//   add --no-write to leave docs/benchmarks.md alone
//
// M = 1 at (K, N) = (768, 2304) (attention qkv), (768, 768) (attention out),
// (768, 3072) (MLP up), (3072, 768) (MLP down), (768, 50257) (LM head). Figures
// are GB/s of weights read (4 K N bytes a call) and GFLOP/s (2 K N a call).
// "warm": the same W every call, so W up to a few MB stays in the caches;
// "cold": ours cycles through copies of W spanning >= 160 MB, so every call reads
// W from DRAM, as a model's 500 MB of weights are read in decoding.
//
// Contenders: ours gemv_f32 and gemm_f32 (raw kernels of the release build, W
// (N, K), NT); ours matmul(x, W, { transposeB: true }) on the shared-memory build
// with 1 and 2 threads (setThreads(2, { gemmMinMacs: 0 }): every product split);
// tfjs-wasm matMul with W (K, N) (its XNNPACK path) and with transposeB (W (N, K));
// onnxruntime-web MatMul with W (K, N) as an initializer (a model built here, in
// memory: ONNX protobuf written by hand), numThreads 1. Every result is checked
// against a float64 product before timing. Needs dist/ (npm run build).
import * as tf from '@tensorflow/tfjs-core';
import * as tfjsWasm from '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lib from '../dist/wasm-nlp.node.js';
import {
  benchArgs,
  caseTimer,
  cpuText,
  elapsed,
  fmt,
  isoDate,
  loadAverage,
  markdownTable,
  median,
  rounds,
  saveSection,
  setupTfjsWasm,
  timingText,
  xorshift,
} from './lib.mjs';

const args = benchArgs(import.meta.url);
const QUICK = args.quick;
const ROUNDS = QUICK ? 2 : 5;
const TIMING = QUICK
  ? { minTime: 0.03, maxTime: 0.1, minSamples: 3, slowSamples: 1 }
  : { minTime: 0.1, maxTime: 0.5, minSamples: 5, slowSamples: 2 };
const SHAPES = [
  [768, 2304, 'attention qkv'],
  [768, 768, 'attention out'],
  [768, 3072, 'MLP up'],
  [3072, 768, 'MLP down'],
  [768, 50257, 'LM head'],
].map(([k, n, what]) => ({ k, n, what }));
/** Bytes of W copies the cold cases cycle through. */
const COLD_BYTES = 160 * 2 ** 20;
const MiB = 2 ** 20;

// ---------------------------------------------------------------- the raw release build (its own memory)

const wasmBytes = readFileSync(join(args.root, 'dist', 'wasm-nlp.wasm'));
const wasmModule = new WebAssembly.Module(wasmBytes);
const maxW = Math.max(...SHAPES.map((s) => s.k * s.n * 4));
const rawPages = Math.ceil((Math.max(COLD_BYTES, maxW) + maxW + 8 * MiB) / 65536);
const rawMemory = new WebAssembly.Memory({ initial: rawPages });
const imports = {};
for (const imp of WebAssembly.Module.imports(wasmModule)) {
  imports[imp.module] ??= {};
  imports[imp.module][imp.name] =
    imp.kind === 'memory'
      ? rawMemory
      : () => {
          throw new Error(`gemv bench: import ${imp.module}.${imp.name} called`);
        };
}
const K = new WebAssembly.Instance(wasmModule, imports).exports;
const RAW_X = 1 << 16; // x (up to 3072 f32) and y (up to 50257 f32) below the workspace
const RAW_Y = RAW_X + 4 * 4096;
const RAW_WORK = RAW_Y + 4 * 51200;
const RAW_W = RAW_WORK + K.gemm_workspace_bytes() + 4096;

/** Seeded values in [-1, 1). */
function values(n, seed) {
  const next = xorshift(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() / 2 ** 31 - 1;
  return out;
}

/** y[j] = sum_p x[p] W[j, p] in float64, W (n, k) row-major. */
function reference(x, w, k, n) {
  const y = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += x[p] * w[j * k + p];
    y[j] = s;
  }
  return y;
}

/** Largest |got - want| / (sqrt(k) 2^-20): about 1 for float32 sums of k unit terms; a wrong kernel is far above. */
function checkResult(name, got, want, k) {
  let worst = 0;
  for (let j = 0; j < want.length; j++)
    worst = Math.max(worst, Math.abs(got[j] - want[j]) || (got[j] === want[j] ? 0 : Infinity));
  const bound = Math.sqrt(k) * 2 ** -14;
  if (!(worst <= bound)) throw new Error(`gemv bench: ${name} is off by ${worst} (bound ${bound})`);
}

// ---------------------------------------------------------------- ONNX: a one-node MatMul model, protobuf by hand

/** Protobuf varint of a non-negative integer. */
function varint(v) {
  const out = [];
  let n = BigInt(v);
  do {
    let b = Number(n & 0x7fn);
    n >>= 7n;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return Uint8Array.from(out);
}
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const pbInt = (field, v) => concat([varint(field << 3), varint(v)]);
const pbBytes = (field, b) => concat([varint((field << 3) | 2), varint(b.length), b]);
const pbString = (field, s) => pbBytes(field, new TextEncoder().encode(s));
/** ValueInfoProto of a float tensor: name, TypeProto.tensor_type { elem_type FLOAT, shape }. */
const valueInfo = (name, dims) =>
  concat([
    pbString(1, name),
    pbBytes(2, pbBytes(1, concat([pbInt(1, 1), pbBytes(2, concat(dims.map((d) => pbBytes(1, pbInt(1, d)))))]))),
  ]);

/** ModelProto (IR 8, opset 17) of y [1, n] = MatMul(x [1, k], W [k, n]) with W an initializer. */
function matmulModel(k, n, wKN) {
  const weight = concat([
    pbInt(1, k),
    pbInt(1, n),
    pbInt(2, 1),
    pbString(8, 'W'),
    pbBytes(9, new Uint8Array(wKN.buffer, wKN.byteOffset, wKN.byteLength)),
  ]);
  const node = concat([
    pbString(1, 'x'),
    pbString(1, 'W'),
    pbString(2, 'y'),
    pbString(3, 'matmul'),
    pbString(4, 'MatMul'),
  ]);
  const graph = concat([
    pbBytes(1, node),
    pbString(2, 'gemv'),
    pbBytes(5, weight),
    pbBytes(11, valueInfo('x', [1, k])),
    pbBytes(12, valueInfo('y', [1, n])),
  ]);
  return concat([pbInt(1, 8), pbBytes(8, pbInt(2, 17)), pbBytes(7, graph)]);
}

/** Median over `samples` of the mean seconds per call of the async `fn`, each sample >= minTime long. */
async function timeAsync(fn, { minTime, minSamples }) {
  let t0 = performance.now();
  await fn();
  const one = (performance.now() - t0) / 1e3;
  const calls = Math.max(1, Math.ceil(minTime / Math.max(one, 1e-6)));
  const samples = [];
  for (let s = 0; s < minSamples; s++) {
    t0 = performance.now();
    for (let i = 0; i < calls; i++) await fn();
    samples.push((performance.now() - t0) / 1e3 / calls);
  }
  return median(samples);
}

// ---------------------------------------------------------------- set-up

await lib.init({ threads: 2 });
const { Tensor, setThreads, ops } = lib;
const tfInfo = await setupTfjsWasm(tf, tfjsWasm);
ort.env.wasm.numThreads = 1;
ort.env.wasm.simd = true;
const ortVersion = ort.env.versions?.web ?? 'unknown';

const CONTENDERS = [
  ['gemv', 'ours gemv_f32 (release build)'],
  ['gemm', 'ours gemm_f32 (release build, packs W)'],
  ['gemvCold', 'ours gemv_f32, cold W'],
  ['gemmCold', 'ours gemm_f32, cold W'],
  ['matmul1', 'ours matmul, 1 thread (shared-memory build)'],
  ['matmul2', 'ours matmul, 2 threads (shared-memory build)'],
  ['tfjsNN', 'tfjs-wasm matMul, W (K, N), 1 thread'],
  ['tfjsNT', 'tfjs-wasm matMul transposeB, W (N, K), 1 thread'],
  ['ort', 'onnxruntime-web MatMul, W (K, N), 1 thread'],
];

/** Everything one shape needs; `dispose()` frees it before the next shape. */
async function makeCase(shape, index) {
  const { k, n } = shape;
  const x = values(k, 10 + index);
  const w = values(n * k, 20 + index); // (n, k)
  const wKN = new Float32Array(k * n);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) wKN[p * n + j] = w[j * k + p];
  const want = reference(x, w, k, n);
  const bytes = 4 * k * n;
  const f = new Float32Array(rawMemory.buffer);
  f.set(x, RAW_X / 4);
  const copies = Math.max(1, Math.floor(Math.max(COLD_BYTES, bytes) / bytes));
  const stride = Math.ceil(bytes / 64) * 64;
  const rawW = (c) => RAW_W + c * stride;
  for (let c = 0; c < copies; c++) f.set(w, rawW(c) / 4);
  const rawY = () => new Float32Array(rawMemory.buffer, RAW_Y, n);
  const gemv = (wp) => K.gemv_f32(RAW_X, wp, 0, RAW_Y, 1, n, k, k, k, n, 1, 1, 0, 0);
  const gemm = (wp) => K.gemm_f32(RAW_X, wp, 0, RAW_Y, RAW_WORK, 1, n, k, k, k, n, 0, 1, 1, 0, 0);
  let cold = 0;
  const next = () => rawW((cold = (cold + 1) % copies));
  const tx = Tensor.fromArray(x, [1, k]);
  const tw = Tensor.fromArray(w, [n, k]);
  const out = Tensor.empty([1, n]);
  const matmul = () => ops.matmul(tx, tw, { transposeB: true, out });
  const fx = tf.tensor2d(x, [1, k]);
  const fwKN = tf.tensor2d(wKN, [k, n]);
  const fwNK = tf.tensor2d(w, [n, k]);
  const tfjs = (nt) => () => tf.matMul(fx, nt ? fwNK : fwKN, false, nt).dispose();
  const session = await ort.InferenceSession.create(matmulModel(k, n, wKN));
  const feeds = { x: new ort.Tensor('float32', x, [1, k]) };
  const run = {
    gemv: () => gemv(RAW_W),
    gemm: () => gemm(RAW_W),
    gemvCold: () => gemv(next()),
    gemmCold: () => gemm(next()),
    matmul1: matmul,
    matmul2: matmul,
    tfjsNN: tfjs(false),
    tfjsNT: tfjs(true),
  };
  // Check every contender once.
  for (const id of ['gemv', 'gemm', 'gemvCold', 'gemmCold']) {
    run[id]();
    checkResult(id, rawY(), want, k);
  }
  for (const t of [1, 2]) {
    setThreads(t, { gemmMinMacs: 0 });
    checkResult(`matmul ${t} threads`, matmul().toArray(), want, k);
  }
  setThreads(1);
  for (const nt of [false, true]) {
    const y = tf.matMul(fx, nt ? fwNK : fwKN, false, nt);
    checkResult(`tfjs ${nt ? 'NT' : 'NN'}`, y.dataSync(), want, k);
    y.dispose();
  }
  checkResult('ort', (await session.run(feeds)).y.data, want, k);
  return {
    shape,
    bytes,
    copies,
    run,
    ort: async () => {
      await session.run(feeds);
    },
    dispose: async () => {
      for (const t of [tx, tw, out]) t.dispose();
      for (const t of [fx, fwKN, fwNK]) t.dispose();
      await session.release();
    },
  };
}

// ---------------------------------------------------------------- rounds

console.error(`gemv bench: ${cpuText()}, Node ${process.version}, load ${loadAverage()}`);
const times = new Map(); // `${shape}|${id}` -> seconds per call, one per round
const copiesOf = new Map();
for (const [index, shape] of SHAPES.entries()) {
  const d = await makeCase(shape, index);
  copiesOf.set(shape.what, d.copies);
  const timer = caseTimer(TIMING, { refine: true });
  await rounds(
    ROUNDS,
    async (r) => {
      // Contenders in turn, the order reversed every other round.
      const order = r % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
      for (const [id] of order) {
        let t;
        if (id === 'ort') t = await timeAsync(d.ort, TIMING);
        else {
          setThreads(id === 'matmul2' ? 2 : 1, { gemmMinMacs: 0 });
          t = await timer.time(id, d.run[id]);
          setThreads(1);
        }
        const key = `${shape.what}|${id}`;
        times.set(key, [...(times.get(key) ?? []), t]);
      }
    },
    () => ` (${shape.what}, K=${shape.k} N=${shape.n})`,
  );
  await d.dispose();
}

// ---------------------------------------------------------------- report

const rows = [];
for (const shape of SHAPES) {
  const { k, n, what } = shape;
  const t = (id) => median(times.get(`${what}|${id}`));
  for (const [id, label] of CONTENDERS) {
    const s = t(id);
    rows.push([
      `${what} ${k}×${n}`,
      label,
      fmt(s * 1e6, 0),
      fmt((4 * k * n) / s / 1e9, 1),
      fmt((2 * k * n) / s / 1e9, 1),
      id === 'gemv' ? '1.00×' : `${(s / t(id.endsWith('Cold') ? 'gemvCold' : 'gemv')).toFixed(2)}×`,
    ]);
  }
}
const table = markdownTable(
  ['shape (M = 1, K×N)', 'contender', 'µs / call', 'GB/s of W', 'GFLOP/s', 'time vs gemv_f32'],
  rows,
  ['l', 'l', 'r', 'r', 'r', 'r'],
);
const summary = SHAPES.map(({ k, n, what }) => {
  const t = (id) => median(times.get(`${what}|${id}`));
  return `${what}: gemv ${(t('gemm') / t('gemv')).toFixed(2)}× gemm_f32 (cold ${(t('gemmCold') / t('gemvCold')).toFixed(2)}×), ${(t('tfjsNN') / t('gemv')).toFixed(2)}× tfjs-wasm NN, ${(t('ort') / t('gemv')).toFixed(2)}× onnxruntime-web; 2 threads ${(t('matmul1') / t('matmul2')).toFixed(2)}× 1 thread (${fmt((4 * k * n) / MiB, 1)} MiB of W, cold: ${copiesOf.get(what)} copies)`;
});
const wall = elapsed(args);
const doc = `## GEMV (batch-1 decoding)

- date: ${isoDate()}; mode: ${QUICK ? 'quick (`--quick`)' : 'full'}, ${ROUNDS} interleaved rounds, a cell the median over rounds; ${timingText(TIMING)}; wall time ${wall.toFixed(0)} s
- CPU: ${cpuText()}; Node ${process.version}; load average at the start ${args.load0}, at the end ${loadAverage()}
- ${tfInfo.version}: threads ${tfInfo.threads}, SIMD ${tfInfo.simd ? 'on' : 'off'}; onnxruntime-web ${ortVersion} (wasm, numThreads 1)
- warm = the same W every call (cache-resident up to a few MB); cold = ${COLD_BYTES / MiB} MiB of copies of W cycled, read from DRAM

${table}

${summary.map((s) => `- ${s}`).join('\n')}

This section is written by \`bench/gemv.bench.mjs\`; rerun it rather than editing the numbers.
`;
console.log(doc);
saveSection(args, 'gemv', doc, wall);
lib.shutdown();
