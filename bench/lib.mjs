// Helpers shared by the benchmarks: timing with benchmark.js, plain-JS baselines,
// the SIMD128 peak probe and markdown output. Plain ESM so `node` runs it as is.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import Benchmark from 'benchmark';
import { writeMarkedSection } from '../scripts/sections.mjs';

export function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Seconds per call of `fn`: the median of benchmark.js's samples (each sample is
 * the mean of one calibrated cycle, so one slow outlier cycle cannot move it).
 * `estimate` (seconds per call, from an earlier call) marks slow cases. Those take
 * a few single-call samples instead of benchmark.js's default minimum of 5, and
 * run as deferred benchmarks: a plain benchmark makes one untimed trial call
 * before every cycle, which doubles the cost when a cycle is one call of seconds.
 */
export async function timeCall(name, fn, timing, estimate) {
  const { minTime, maxTime, minSamples } = timing;
  if (estimate * minSamples <= maxTime) {
    const bench = new Benchmark(name, fn, { minTime, maxTime, minSamples, initCount: 1 });
    bench.run();
    if (bench.error) throw bench.error;
    return median(bench.stats.sample);
  }
  const samples = Math.max(timing.slowSamples, Math.min(minSamples, Math.ceil(maxTime / estimate)));
  const bench = new Benchmark(name, {
    defer: true,
    fn: (deferred) => {
      fn();
      deferred.resolve();
    },
    minTime,
    maxTime: 0,
    minSamples: samples,
    initCount: 1,
  });
  await new Promise((resolve) => bench.on('complete', resolve).run({ async: true }));
  if (bench.error) throw bench.error;
  return median(bench.stats.sample);
}

/** C = A B, i-j-k: the textbook loop, B walked down a column (stride n) in the inner loop. */
export function naiveMatmul(a, b, c, m, n, k) {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      c[i * n + j] = sum;
    }
  }
}

/** C = A B, i-k-j: every inner loop walks a row of B and of C contiguously. */
export function ikjMatmul(a, b, c, m, n, k) {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    c.fill(0, ci, ci + n);
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
}

/** (rows, cols) row-major -> (cols, rows) row-major, so a transposed operand holds the same matrix. */
export function transpose(x, rows, cols) {
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  return t;
}

/** Largest |got - want| and where it is; NaN anywhere counts as infinite. */
export function maxError(got, want) {
  let err = 0;
  let idx = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= err)) {
      err = Number.isNaN(e) ? Infinity : e;
      idx = i;
      if (err === Infinity) break;
    }
  }
  return { err, idx };
}

/**
 * Compiles bench/peak.ts to build/bench/peak.wasm. asc runs inside bench/ because
 * in the repository root it would also pick up asconfig.json, whose entries
 * would compile the whole library into the probe.
 */
export function compilePeak(root) {
  const benchDir = join(root, 'bench');
  const out = join(root, 'build', 'bench', 'peak.wasm');
  mkdirSync(dirname(out), { recursive: true });
  const asc = join(root, 'node_modules', '.bin', 'asc');
  const args = ['peak.ts', '--runtime', 'stub', '--enable', 'simd', '-O3', '--importMemory', '--use', 'abort=', '-o', relative(benchDir, out)];
  execFileSync(asc, args, { cwd: benchDir, stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

/**
 * The f32x4 mul+add probe, warmed up and sized so one run takes about
 * `runSeconds`; each call of the returned function does one run and returns its
 * GFLOP/s. The caller keeps the best: on a shared machine a slow run means
 * interference, not a lower ceiling.
 */
export function peakProbe(wasmPath, runSeconds) {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const { exports } = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(wasmPath)), { env: { memory } });
  const x = 1024;
  const out = 2048;
  // Values near 1 keep the accumulators finite and normal for any run length.
  new Float32Array(memory.buffer, x, 20).set(Array.from({ length: 20 }, (_, i) => 1 - i / 1024));
  const FLOPS_PER_ITER = 10 * 8;
  const seconds = (iters) => {
    const t0 = process.hrtime.bigint();
    exports.peak_f32x4(x, out, iters);
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  // V8 first runs Wasm in its baseline compiler (Liftoff, ~5 GFLOP/s here) and
  // swaps in optimised code only for later calls, never inside a running loop.
  // Many short calls trigger that tier-up before anything is timed.
  for (let i = 0; i < 4000; i++) exports.peak_f32x4(x, out, 1000);
  let iters = 1 << 16;
  while (seconds(iters) < runSeconds / 4) iters *= 2;
  iters = Math.min(2 ** 30, Math.ceil((iters * runSeconds) / Math.max(seconds(iters), 1e-6)));
  return () => (iters * FLOPS_PER_ITER) / seconds(iters) / 1e9;
}

/** A markdown table with padded columns; `align` holds 'l' or 'r' per column. */
export function markdownTable(header, rows, align) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => String(r[c]).length)));
  const pad = (s, c) => (align[c] === 'r' ? String(s).padStart(widths[c]) : String(s).padEnd(widths[c]));
  const line = (cells) => `| ${cells.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, c) => (align[c] === 'r' ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/**
 * Replace one benchmark's section of docs/benchmarks.md (between
 * `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`), keeping the others, so
 * each benchmark rewrites only its own figures. A missing section is appended.
 */
export function writeSection(root, name, markdown) {
  return writeMarkedSection(join(root, 'docs', 'benchmarks.md'), 'bench', name, markdown, '# Benchmarks\n');
}

/** Milliseconds with 0–2 decimals by size (10+ → 0, 1+ → 1, else 2). */
export const ms = (x) => (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

// ---------------------------------------------------------------- per-kernel profiles (the training benches)

/**
 * tfjs's own per-kernel times (tf.profile, wall clock around each kernel of one
 * step `run`), grouped by kernel name: where the tfjs step goes.
 */
export async function profileTfjs(tf, run) {
  const info = await tf.profile(run);
  const byName = new Map();
  let total = 0;
  let wrappers = 0;
  for (const k of info.kernels) {
    const t = await k.kernelTimeMs;
    // tf.customGrad's forward is recorded as one more "kernel" named "forward"
    // whose time contains the kernels it ran (also recorded): not counted.
    if (k.name === 'forward') {
      wrappers++;
      continue;
    }
    const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += t;
    e.calls++;
    total += t;
    byName.set(k.name, e);
  }
  return { total, kernels: info.kernels.length - wrappers, byName: [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms) };
}

/**
 * Times every Wasm kernel call of a step of ours (`make()` → { step(hooks) },
 * `warmup` steps untimed, then `steps` timed): init() is run with
 * WebAssembly.instantiate wrapped so the runtime gets an exports object whose
 * functions record their time under the current phase. The wrapper costs about
 * a microsecond per call (included in the kernel times; there are ~10³ calls a step).
 */
export async function profileWasmKernels({ init, shutdown, make, warmup, steps }) {
  shutdown();
  const table = new Map(); // kernel -> { forward, backward, optimizer, release, calls }
  const gemms = new Map(); // "phase|M×K×N|op" -> { ms, calls, flops }
  const phases = { forward: 0, backward: 0, optimizer: 0, release: 0 };
  let phase = 'forward';
  let on = false;
  const orig = WebAssembly.instantiate;
  WebAssembly.instantiate = async (...args) => {
    const result = await orig.apply(WebAssembly, args);
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    const wrapped = {};
    for (const [name, f] of Object.entries(instance.exports)) {
      if (typeof f !== 'function') { wrapped[name] = f; continue; }
      wrapped[name] = (...a) => {
        if (!on) return f(...a);
        const t0 = performance.now();
        try {
          return f(...a);
        } finally {
          const dt = performance.now() - t0;
          let e = table.get(name);
          if (e === undefined) table.set(name, (e = { forward: 0, backward: 0, optimizer: 0, release: 0, calls: 0 }));
          e[phase] += dt;
          e.calls++;
          if (name === 'gemm_f32') {
            // (a, b, bias, c, work, m, n, k, lda, ldb, ldc, transA, transB, alpha, beta, act)
            const [m, n, k, tA, tB, beta] = [a[5], a[6], a[7], a[11], a[12], a[14]];
            const key = `${phase}|${m}×${k}×${n}|${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}${beta !== 0 ? ', β=1' : ''}`;
            const g = gemms.get(key) ?? { ms: 0, calls: 0, flops: 0 };
            g.ms += dt;
            g.calls++;
            g.flops += 2 * m * n * k;
            gemms.set(key, g);
          }
        }
      };
    }
    const fake = { exports: wrapped };
    return result instanceof WebAssembly.Instance ? fake : { module: result.module, instance: fake };
  };
  try {
    await init();
  } finally {
    WebAssembly.instantiate = orig;
  }
  const o = make();
  for (let w = 0; w < warmup + 1; w++) o.step();
  let mark = 0;
  const hooks = {
    phase(p) {
      const now = performance.now();
      if (p !== 'forward') phases[phase] += now - mark;
      mark = now;
      phase = p;
    },
  };
  on = true;
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    o.step(hooks);
    phases.release += performance.now() - mark; // release: tape.release() inside step() after the last hook
  }
  const total = (performance.now() - t0) / steps;
  on = false;
  for (const k of Object.keys(phases)) phases[k] /= steps;
  for (const e of table.values()) for (const k of Object.keys(phases)) e[k] /= steps;
  for (const g of gemms.values()) { g.ms /= steps; g.calls /= steps; g.flops /= steps; }
  shutdown();
  return { table, gemms, phases, total, calls: [...table.values()].reduce((n, e) => n + e.calls, 0) / steps };
}

/**
 * The profile of profileWasmKernels as two markdown tables: kernels grouped by
 * `group(name)` per phase, with the JS outside the kernels and the whole step,
 * and the GEMM calls by shape. Returns the groups too (for a GFLOP/s row).
 */
export function profileTables(prof, group, fmt) {
  const groups = new Map();
  for (const [name, e] of prof.table) {
    const g = group(name);
    const acc = groups.get(g) ?? { forward: 0, backward: 0, optimizer: 0, release: 0, kernels: new Set() };
    for (const k of ['forward', 'backward', 'optimizer', 'release']) acc[k] += e[k];
    acc.kernels.add(name);
    groups.set(g, acc);
  }
  const kernelSum = { forward: 0, backward: 0, optimizer: 0, release: 0 };
  for (const e of prof.table.values()) for (const k of Object.keys(kernelSum)) kernelSum[k] += e[k];
  const pct = (x) => `${((100 * x) / prof.total).toFixed(1)}%`;
  const profRows = [...groups.entries()]
    .map(([g, e]) => ({ g, e, all: e.forward + e.backward + e.optimizer + e.release }))
    .sort((a, b) => b.all - a.all)
    .map(({ g, e, all }) => [g, ms(e.forward), ms(e.backward), ms(e.optimizer + e.release), ms(all), pct(all), [...e.kernels].sort().join(', ')]);
  const jsRow = (k) => prof.phases[k] - kernelSum[k];
  profRows.push(['JS outside kernels (tape, allocation, dispatch)', ms(jsRow('forward')), ms(jsRow('backward')), ms(jsRow('optimizer') + jsRow('release')),
    ms(jsRow('forward') + jsRow('backward') + jsRow('optimizer') + jsRow('release')),
    pct(jsRow('forward') + jsRow('backward') + jsRow('optimizer') + jsRow('release')), '—']);
  profRows.push(['**whole step**', ms(prof.phases.forward), ms(prof.phases.backward), ms(prof.phases.optimizer + prof.phases.release), ms(prof.total), '100%', '']);
  const profTable = markdownTable(['what', 'forward ms', 'backward ms', 'optimizer + release ms', 'total ms', 'share', 'kernels'], profRows, ['l', 'r', 'r', 'r', 'r', 'r', 'l']);
  const gemmRows = [...prof.gemms.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([key, g]) => {
      const [ph, shape, op] = key.split('|');
      return [ph, shape, op, fmt(g.calls), ms(g.ms), (g.flops / (g.ms / 1e3) / 1e9).toFixed(1)];
    });
  const gemmTable = markdownTable(['phase', 'M×K×N', 'op', 'calls', 'ms', 'GFLOP/s'], gemmRows, ['l', 'l', 'l', 'r', 'r', 'r']);
  return { groups, profTable, gemmTable };
}
