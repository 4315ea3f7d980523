// Helpers shared by the benchmarks, so each bench/*.bench.mjs keeps only its
// model, FLOP counts, baselines and thresholds: the command line, the machine
// header, tfjs-wasm set-up, timing with benchmark.js, interleaved rounds,
// plain-JS baselines, the SIMD128 peak probe, per-kernel profiles, the
// training benches' phases (loss gate, rounds against tfjs-wasm, the 2-thread
// variant, the report pieces) and markdown output. Plain ESM so `node` runs it as is.
//
// Flags every bench takes (parsed by benchArgs):
//   --quick      fewer rounds and steps, shorter timings (each bench's header says how much)
//   --no-write   leave docs/benchmarks.md alone: the section goes to $TMPDIR/wasm-nlp-bench-<name>.md
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Benchmark from 'benchmark';
import { writeMarkedSection } from '../scripts/sections.mjs';

// ---------------------------------------------------------------- command line, machine, formatting

/**
 * The flags of a bench run: `root` (the repository, from the bench's
 * `import.meta.url`), `quick` (--quick) and `write` (false with --no-write);
 * with the run's start, `t0` (Date.now()) and `load0` (loadAverage()).
 * Other arguments are left to the bench (embeddings.bench.mjs's --child).
 */
export function benchArgs(metaUrl, argv = process.argv.slice(2)) {
  return {
    root: join(dirname(fileURLToPath(metaUrl)), '..'),
    quick: argv.includes('--quick'),
    write: !argv.includes('--no-write'),
    t0: Date.now(),
    load0: loadAverage(),
  };
}

/** Seconds since benchArgs was called (the run's wall time so far). */
export const elapsed = (args) => (Date.now() - args.t0) / 1e3;

/** The "mode" of the docs header: 'quick (`npm run <script> -- --quick`)' or 'full (`npm run <script>`)'. */
export const modeText = (quick, script) =>
  quick ? `quick (\`npm run ${script} -- --quick\`)` : `full (\`npm run ${script}\`)`;

/** Now, as 2026-01-31T12:00:00Z (no milliseconds). */
export const isoDate = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** The 1, 5 and 15 minute load averages, one decimal each. */
export const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** 'AMD EPYC (2 logical cores), linux x64': the CPU line of every docs header. */
export function cpuText() {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'} (${cpus.length} logical cores), ${os.platform()} ${os.arch()}`;
}

/** The training benches' log: stdout, a line a call. */
export const log = (s) => console.log(s);

/** A number with `d` decimals and thousands separators (en-US). */
export const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

/** 's' when n > 1: `round${plural(n)}`. */
export const plural = (n) => (n > 1 ? 's' : '');

/**
 * A seeded xorshift32 stream of u32 (the seed is scrambled by multiplying with
 * `mult`), for benchmark inputs that are the same on every run without Math.random.
 */
export function xorshift(seed, mult = 2654435761) {
  let s = (seed * mult) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/**
 * tfjs on its wasm backend with one thread (setThreadsCount must precede the
 * backend's initialisation) in PROD mode, which skips tfjs's debug checks (and
 * its Node banner), as tfjs recommends for timing. `wasmBackend` is the
 * @tensorflow/tfjs-backend-wasm module. Returns its thread count, whether it
 * has SIMD, and `version` ('tfjs 4.22.0 (backend-wasm 4.22.0)') for the header.
 */
export async function setupTfjsWasm(tf, wasmBackend) {
  wasmBackend.setThreadsCount(1);
  tf.enableProdMode();
  await tf.setBackend('wasm');
  return {
    threads: wasmBackend.getThreadsCount(),
    simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    version: `tfjs ${tf.version_core} (backend-wasm ${wasmBackend.version_wasm})`,
  };
}

export function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

// ---------------------------------------------------------------- timing with benchmark.js, interleaved rounds (gemm, kernels)

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

/** The timing settings of a benchmark.js bench as its docs header states them. */
export const timingText = (t) =>
  `benchmark.js minTime ${t.minTime} s, maxTime ${t.maxTime} s, minSamples ${t.minSamples}`;

/**
 * Interleaved rounds: `body(r)` for r = 0 … n−1, every contender once per round,
 * so a burst of load from another process hits all contenders rather than one.
 * After each round "round r/n: 12.3 s" goes to stderr (`suffix(r)` before the colon).
 */
export async function rounds(n, body, suffix = () => '') {
  for (let r = 0; r < n; r++) {
    const start = performance.now();
    await body(r);
    console.error(`round ${r + 1}/${n}${suffix(r)}: ${((performance.now() - start) / 1e3).toFixed(1)} s`);
  }
}

/**
 * timeCall with a time estimate remembered per case `key`: `seed(key, seconds)`
 * sets one (from a correctness check's call, say); `time(key, fn, name)` makes one
 * untimed call of a key it has no estimate for, then times `fn`. With `refine`
 * each timing becomes the key's next estimate; without, the first one stays.
 */
export function caseTimer(timing, { refine = false } = {}) {
  const estimates = new Map();
  return {
    seed: (key, seconds) => estimates.set(key, seconds),
    async time(key, fn, name = key) {
      if (!estimates.has(key)) {
        const start = performance.now();
        fn();
        estimates.set(key, (performance.now() - start) / 1e3);
      }
      const t = await timeCall(name, fn, timing, estimates.get(key));
      if (refine) estimates.set(key, t);
      return t;
    },
  };
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
  const args = [
    'peak.ts',
    '--runtime',
    'stub',
    '--enable',
    'simd',
    '-O3',
    '--importMemory',
    '--use',
    'abort=',
    '-o',
    relative(benchDir, out),
  ];
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

/**
 * The end of a run: writes the `name` section with writeSection and says so on
 * stderr, with the run's wall time in seconds and `note`. With --no-write,
 * docs/benchmarks.md is left alone and the section goes to a file of its own
 * in the system's temporary directory instead, to be read or diffed.
 */
export function saveSection(args, name, markdown, seconds, note = '') {
  let where = `the "${name}" section of docs/benchmarks.md`;
  if (args.write) writeSection(args.root, name, markdown);
  else {
    const path = join(os.tmpdir(), `wasm-nlp-bench-${name}.md`);
    writeFileSync(path, `${markdown.trim()}\n`);
    where = `${path} (--no-write: docs/benchmarks.md left alone)`;
  }
  console.error(`wrote ${where} (${seconds.toFixed(0)} s)${note}`);
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
  return {
    total,
    kernels: info.kernels.length - wrappers,
    byName: [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms),
  };
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
      if (typeof f !== 'function') {
        wrapped[name] = f;
        continue;
      }
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
  for (const g of gemms.values()) {
    g.ms /= steps;
    g.calls /= steps;
    g.flops /= steps;
  }
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
    .map(({ g, e, all }) => [
      g,
      ms(e.forward),
      ms(e.backward),
      ms(e.optimizer + e.release),
      ms(all),
      pct(all),
      [...e.kernels].sort().join(', '),
    ]);
  const jsRow = (k) => prof.phases[k] - kernelSum[k];
  profRows.push([
    'JS outside kernels (tape, allocation, dispatch)',
    ms(jsRow('forward')),
    ms(jsRow('backward')),
    ms(jsRow('optimizer') + jsRow('release')),
    ms(jsRow('forward') + jsRow('backward') + jsRow('optimizer') + jsRow('release')),
    pct(jsRow('forward') + jsRow('backward') + jsRow('optimizer') + jsRow('release')),
    '—',
  ]);
  profRows.push([
    '**whole step**',
    ms(prof.phases.forward),
    ms(prof.phases.backward),
    ms(prof.phases.optimizer + prof.phases.release),
    ms(prof.total),
    '100%',
    '',
  ]);
  const profTable = markdownTable(
    ['what', 'forward ms', 'backward ms', 'optimizer + release ms', 'total ms', 'share', 'kernels'],
    profRows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
  const gemmRows = [...prof.gemms.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([key, g]) => {
      const [ph, shape, op] = key.split('|');
      return [ph, shape, op, fmt(g.calls), ms(g.ms), (g.flops / (g.ms / 1e3) / 1e9).toFixed(1)];
    });
  const gemmTable = markdownTable(['phase', 'M×K×N', 'op', 'calls', 'ms', 'GFLOP/s'], gemmRows, [
    'l',
    'l',
    'l',
    'r',
    'r',
    'r',
  ]);
  return { groups, profTable, gemmTable };
}

// ---------------------------------------------------------------- training benches: ours against tfjs-wasm, step by step
//
// transformer, bert and neural-lm run the same phases: (1) ours and two tfjs-wasm
// variants, one thread each, gated on the same first losses, then timed in
// interleaved rounds; (2) a per-kernel profile of ours's step; (3) ours on 2
// threads against 1 on the shared-memory build. Each bench brings its model, data,
// FLOPs and thresholds; the functions below are the phases and the report pieces.

/** The tfjs variants of the training benches (their keys in `runners`) and their names. */
export const TFJS_NAMES = { tfjs: 'tfjs-wasm', tfjsNN: 'tfjs-wasm, NN-only matMul gradients' };

/** The kernel group whose time profileOurs reads as GEMM time (every bench's group() returns it for GEMMs). */
export const GEMM_GROUP = 'GEMM (linear layers and their gradients)';

/**
 * Ours's training step over `data` (cycled, a batch a call): `loss(batch)` (a
 * scalar Variable), its value read back, `backward()`, `opt.step()` and
 * `opt.zeroGrad()`, inside the bundle's `step` (which releases the tape).
 * `hooks.phase(...)` marks forward / backward / optimizer / release for
 * profileWasmKernels. Returns the loss value.
 */
export function oursStep(step, opt, data, loss) {
  let i = 0;
  return (hooks) =>
    step(() => {
      const batch = data[i++ % data.length];
      hooks?.phase('forward');
      const l = loss(batch);
      const value = l.item();
      hooks?.phase('backward');
      l.backward();
      hooks?.phase('optimizer');
      opt.step();
      opt.zeroGrad();
      hooks?.phase('release');
      return value;
    });
}

/**
 * A tfjs model's training: `step()` is `tf.train.adam(lr, 0.9, 0.999, eps).minimize`
 * of `loss(batch)` over `varList`, one batch of `data` a call (cycled), the loss
 * read back; `params` counts the variables' elements.
 */
export function tfjsAdam(tf, varList, data, loss, lr, eps = 1e-8) {
  const opt = tf.train.adam(lr, 0.9, 0.999, eps);
  let i = 0;
  const step = () => {
    const batch = data[i++ % data.length];
    const l = opt.minimize(() => loss(batch), true, varList);
    const value = l.dataSync()[0];
    l.dispose();
    return value;
  };
  return { step, params: varList.reduce((n, v) => n + v.size, 0) };
}

/**
 * The two tfjs variants, `tfjs` (tfjs's registered gradients) and `tfjsNN`
 * (NN-only matMul gradients): `make({ nnGrads })` -> { step, params, … }. Their
 * parameter counts must equal ours's `params`. Returns their step functions by key;
 * each made model is also handed to `made(m)` (to free it later).
 */
export function tfjsVariants(make, params, made = () => {}) {
  const runners = {};
  for (const [key, nnGrads] of [
    ['tfjs', false],
    ['tfjsNN', true],
  ]) {
    const m = make({ nnGrads });
    made(m);
    if (m.params !== params) throw new Error(`parameter counts differ: ours ${params}, ${TFJS_NAMES[key]} ${m.params}`);
    runners[key] = m.step;
  }
  return runners;
}

/** Seconds of each of `n` calls of `stepFn`. */
export function timeSteps(stepFn, n) {
  const times = [];
  for (let s = 0; s < n; s++) {
    const t0 = process.hrtime.bigint();
    stepFn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return times;
}

/** (slowest − fastest) / median; NaN for fewer than two values. */
export const spread = (xs) => (xs.length < 2 ? NaN : (Math.max(...xs) - Math.min(...xs)) / median(xs));

/** A spread as a table cell: '12%', or '— (1 step)' (`what`) when there was one value. */
export const spreadCell = (x, what = 'step') => (Number.isNaN(x) ? `— (1 ${what})` : `${(x * 100).toFixed(0)}%`);

/**
 * The loss gate before any timing: ours (`runners.ours`) and each tfjs variant
 * take their first two steps on the same batches from the same weights, and the
 * relative difference of step s's losses must be at most `gates[s]` (one gate:
 * the second step is informative only), or the run fails. Logs both steps.
 * Returns { losses: { who: [l1, l2] }, checks: { variant: [rel1, rel2] } }.
 */
export function gateLosses(runners, gates, log) {
  const why = ['the models do not compute the same thing', 'the gradients or the Adam update differ'];
  const losses = { ours: [runners.ours(), runners.ours()] };
  const checks = {};
  for (const key of Object.keys(TFJS_NAMES)) {
    losses[key] = [runners[key](), runners[key]()];
    const rel = losses[key].map((x, i) => Math.abs(losses.ours[i] - x) / Math.abs(x));
    checks[key] = rel;
    log(
      `${TFJS_NAMES[key]}: first-step loss ours ${losses.ours[0].toFixed(7)}, theirs ${losses[key][0].toFixed(7)}, relative difference ${rel[0].toExponential(2)}; ` +
        `second step ${losses.ours[1].toFixed(7)} vs ${losses[key][1].toFixed(7)} (${rel[1].toExponential(2)})`,
    );
    gates.forEach((gate, s) => {
      if (!(rel[s] <= gate)) {
        throw new Error(
          `FAIL: ${['first', 'second'][s]}-step losses of ours and ${TFJS_NAMES[key]} differ by ${rel[s]} relative (> ${gate.toExponential()}): ${why[s]}`,
        );
      }
    });
  }
  return { losses, checks };
}

/** The median of step times `xs` (seconds) as whole milliseconds, for round logs. */
export const msPerStep = (xs) => (median(xs) * 1e3).toFixed(0);

/**
 * Phase 1's timing: `rounds` rounds, each running every contender back to back
 * in `orders[r % 2]` (alternating, so a burst of load does not always land on
 * the same side); `run(who)` gives the seconds a step of that contender's turn.
 * A ratio is a tfjs variant's median over one of ours's (`bases`) within a round.
 * `describe(r, round, ratios)` is the round's log line (default: ours against
 * each variant). Returns { times, median, spread } by contender and
 * `ratio[base][variant]`, the median over rounds of the within-round ratios.
 */
export async function interleavedRounds({ rounds: n, orders, run, bases = ['ours'], describe, log }) {
  const variants = Object.keys(TFJS_NAMES);
  const times = Object.fromEntries(orders[0].map((who) => [who, []]));
  const ratios = Object.fromEntries(bases.map((b) => [b, Object.fromEntries(variants.map((k) => [k, []]))]));
  describe ??= (r, round) =>
    `round ${r + 1}/${n}: ours ${msPerStep(round.ours)} ms/step, ` +
    variants
      .map(
        (k) =>
          `${k === 'tfjs' ? 'tfjs-wasm' : 'tfjs-wasm NN grads'} ${msPerStep(round[k])} ms/step (${ratios.ours[k].at(-1).toFixed(2)}×)`,
      )
      .join(', ');
  for (let r = 0; r < n; r++) {
    const round = {};
    for (const who of orders[r % 2]) {
      round[who] = await run(who);
      times[who].push(...round[who]);
    }
    for (const b of bases) for (const k of variants) ratios[b][k].push(median(round[k]) / median(round[b]));
    log(describe(r, round, ratios));
  }
  const each = (f) => Object.fromEntries(Object.entries(times).map(([who, xs]) => [who, f(xs)]));
  const ratio = Object.fromEntries(
    bases.map((b) => [b, Object.fromEntries(variants.map((k) => [k, median(ratios[b][k])]))]),
  );
  return { times, median: each(median), spread: each(spread), ratio };
}

/**
 * tfjs's per-kernel profile (profileTfjs) of one step of each variant in `keys`,
 * logged with its top kernels; then tfjs's variables are disposed (phase 1 ends).
 */
export async function profileTfjsVariants(tf, runners, keys, log) {
  const tfProf = {};
  for (const key of keys) {
    tfProf[key] = await profileTfjs(tf, () => {
      runners[key]();
    });
    const top = tfProf[key].byName
      .slice(0, 8)
      .map(([n, e]) => `${n} ${e.ms.toFixed(0)} ms`)
      .join(', ');
    log(
      `tfjs profile, ${TFJS_NAMES[key]}: ${tfProf[key].total.toFixed(0)} ms in ${tfProf[key].kernels} kernels; ${top}`,
    );
  }
  tf.disposeVariables();
  return tfProf;
}

/**
 * Phase 2: profileWasmKernels of ours's step (`make()` in a fresh release
 * runtime), logged with its two tables (profileTables, kernels grouped by
 * `group`). Returns those and `gemmMs`, the GEMM_GROUP's forward + backward ms a step.
 */
export async function profileOurs({ init, shutdown, make, warmup, steps, group, log }) {
  const prof = await profileWasmKernels({ init, shutdown, make, warmup, steps });
  log(
    `profile of ours (release build, 1 thread; ${steps} step${plural(steps)}, ${fmt(prof.calls)} kernel calls a step): ${prof.total.toFixed(0)} ms/step`,
  );
  const { groups, profTable, gemmTable } = profileTables(prof, group, fmt);
  log(profTable);
  log(gemmTable);
  const gemm = groups.get(GEMM_GROUP);
  return { prof, groups, profTable, gemmTable, gemmMs: gemm ? gemm.forward + gemm.backward : NaN };
}

/**
 * Phase 3: ours with 2 threads, detected, not assumed: the bundle `lib` must
 * export setThreads, SharedArrayBuffer must exist and init({ threads: 2 })
 * must succeed. Then one model (`make()`) takes its first step on 2 threads
 * (compared with `firstLoss`, 1 thread's), `warmup(o)` runs, and in `rounds`
 * rounds `run(o, n)` gives the seconds a step on n threads, n = 2, 1 and 1, 2
 * alternating: the speed-up compares like with like. `describe(ms1, ms2)`
 * words a round's log line. Returns { available: false, why } or
 * { available: true, mt1, mt2, spread1, spread2, speedup, firstT2, t2Same }.
 */
export async function twoThreads({ lib, make, firstLoss, rounds: n, warmup, run, describe, log }) {
  describe ??= (ms1, ms2) => `mt build t1 ${ms1} ms/step, t2 ${ms2} ms/step`;
  let why = '';
  if (typeof lib.setThreads !== 'function') why = 'not available: this build exports no setThreads';
  else if (typeof SharedArrayBuffer === 'undefined') why = 'not available: no SharedArrayBuffer';
  else {
    try {
      await lib.init({ threads: 2 });
    } catch (e) {
      why = `not available: init({ threads: 2 }) failed: ${e.message}`;
    }
  }
  if (why !== '') return { available: false, why };
  const o = make();
  lib.setThreads(2);
  const firstT2 = o.step(); // the same first step as phase 1's, now on 2 threads
  const t2Same =
    firstT2 === firstLoss ? 'bit-identical' : `differs by ${Math.abs(firstT2 - firstLoss).toExponential(2)}`;
  log(`2 threads: first-step loss ${firstT2.toFixed(7)}, ${t2Same} to 1 thread's`);
  lib.setThreads(1);
  await warmup(o);
  const mt = { 1: [], 2: [] };
  const speedups = [];
  for (let r = 0; r < n; r++) {
    const round = {};
    for (const t of r % 2 === 0 ? [2, 1] : [1, 2]) {
      round[t] = await run(o, t);
      mt[t].push(...round[t]);
    }
    speedups.push(median(round[1]) / median(round[2]));
    log(
      `threads round ${r + 1}/${n}: ${describe(msPerStep(round[1]), msPerStep(round[2]))}, speed-up ${speedups.at(-1).toFixed(2)}×`,
    );
  }
  lib.setThreads(1);
  lib.shutdown();
  return {
    available: true,
    mt1: median(mt[1]),
    mt2: median(mt[2]),
    spread1: spread(mt[1]),
    spread2: spread(mt[2]),
    speedup: median(speedups),
    firstT2,
    t2Same,
  };
}

/** twoThreads' usual warm-up: `n` steps of `o` on 1 thread, then `n` on 2. */
export function warmBothThreads(lib, o, n) {
  for (let w = 0; w < n; w++) o.step();
  lib.setThreads(2);
  for (let w = 0; w < n; w++) o.step();
}

/** twoThreads' usual timing: the seconds of each of `n` steps of `o` after setThreads(`threads`). */
export function timeOnThreads(lib, o, threads, n) {
  lib.setThreads(threads);
  return timeSteps(o.step, n);
}

/**
 * Phase 1 against tfjs-wasm once ours (`ours.step`) and the tfjs variants are in
 * `runners`: the loss gate (gateLosses, `gates`), `warmup` more steps of ours
 * (and `warmupMore(ours)`), then interleavedRounds. Contenders are ordered tfjs,
 * ours, tfjsNN and back unless `orders` says otherwise; `run(who, { ours, runners })`
 * times `steps[who] ?? steps.tfjs` steps unless given. Returns { losses, checks, res }.
 */
export async function gateAndRounds({
  ours,
  runners,
  gates,
  rounds: n,
  steps,
  warmup,
  warmupMore,
  orders = [
    ['tfjs', 'ours', 'tfjsNN'],
    ['tfjsNN', 'ours', 'tfjs'],
  ],
  run = (who) => timeSteps(runners[who], steps[who] ?? steps.tfjs),
  bases,
  describe,
  log,
}) {
  const { losses, checks } = gateLosses(runners, gates, log);
  for (let w = 0; w < warmup; w++) ours.step();
  await warmupMore?.(ours);
  const res = await interleavedRounds({
    rounds: n,
    orders,
    run: (who) => run(who, { ours, runners }),
    bases,
    describe,
    log,
  });
  return { losses, checks, res };
}

/**
 * The three phases of a training bench, in order, logging as they go:
 * init() and tfjs-wasm (setupTfjsWasm); ours (`makeOurs()`: { step(hooks), … },
 * a fresh model + optimizer in the current runtime) and the two tfjs variants
 * on its weights (`makeTfjs(ours, { nnGrads })`: { step, params }, parameter
 * counts checked against `params(ours)`, by default `ours.model.parameterCount()`); gateAndRounds
 * (the loss gate, warm-up, interleavedRounds), which gets every other option (`gates`, `rounds`,
 * `steps`, `warmup`, `warmupMore`, `orders`, `run`, `bases`, `describe`);
 * memoryStats; tfjs's profile of the variants in `tfjsProfile`; phase 2,
 * profileOurs (`profileSteps`, `group`); phase 3, twoThreads.
 *
 * Defaults fit the encoder benches: gateAndRounds' orders and run;
 * `threads.warmup` runs `warmup` steps on 1 thread and on 2; `threads.run`
 * times `steps.ours` steps after setThreads(n). `banner(tfjs)` is the first line
 * of the log (`log`, default stdout).
 * Returns everything the report needs.
 */
export async function runTrainingBench({
  lib,
  tf,
  tfjsWasm,
  banner,
  makeOurs,
  makeTfjs,
  params = (ours) => ours.model.parameterCount(),
  profileSteps,
  group,
  tfjsProfile,
  threads = {},
  log = console.log,
  ...phase1
}) {
  const { rounds: n, steps, warmup } = phase1;
  await lib.init();
  const tfjs = await setupTfjsWasm(tf, tfjsWasm);
  log(banner(tfjs));
  const ours = makeOurs();
  const count = params(ours);
  const runners = { ours: ours.step, ...tfjsVariants((v) => makeTfjs(ours, v), count) };
  const { losses, checks, res } = await gateAndRounds({ ...phase1, ours, runners, log });
  const oursMem = lib.memoryStats();
  const tfProf = await profileTfjsVariants(tf, runners, tfjsProfile, log);
  const profile = await profileOurs({
    init: lib.init,
    shutdown: lib.shutdown,
    make: makeOurs,
    warmup,
    steps: profileSteps,
    group,
    log,
  });
  const t2 = await twoThreads({
    lib,
    make: makeOurs,
    firstLoss: losses.ours[0],
    rounds: n,
    log,
    describe: threads.describe,
    warmup: threads.warmup ?? ((o) => warmBothThreads(lib, o, warmup)),
    run: threads.run ?? ((o, t) => timeOnThreads(lib, o, t, steps.ours)),
  });
  return { tfjs, ours, params: count, runners, losses, checks, res, oursMem, tfProf, profile, t2 };
}

/**
 * The contenders table of a training bench. `rows`: { name, sec, spread, vs,
 * speedup } (cells) or { name, why } (not run). Columns: contender, ms / step,
 * the bench's own `figures` ([title, sec => cell]), spread, vs tfjs-wasm, 2-thread speed-up.
 */
export function trainingTable(figures, rows) {
  const header = [
    'contender',
    'ms / step',
    ...figures.map(([title]) => title),
    'spread',
    'vs tfjs-wasm',
    '2-thread speed-up',
  ];
  const cells = rows.map((r) =>
    r.why !== undefined
      ? [r.name, '—', ...figures.map(() => '—'), '—', '—', r.why]
      : [r.name, ms(r.sec * 1e3), ...figures.map(([, cell]) => cell(r.sec)), r.spread, r.vs, r.speedup],
  );
  return markdownTable(header, cells, ['l', 'r', ...figures.map(() => 'r'), 'r', 'l', 'l']);
}

/**
 * The two tfjs rows of trainingTable from interleavedRounds' `res`: each
 * variant's time a step, spread and how many times faster ours's `base` is;
 * `note(variant)` may add to that cell.
 */
export function tfjsRows(res, base = 'ours', note = () => '') {
  return Object.entries({ tfjs: 'tfjs-wasm, 1 thread', tfjsNN: 'tfjs-wasm, 1 thread, NN-only matMul gradients' }).map(
    ([k, name]) => ({
      name,
      sec: res.median[k],
      spread: spreadCell(res.spread[k]),
      vs: `ours ${res.ratio[base][k].toFixed(2)}× faster${note(k)}`,
      speedup: '—',
    }),
  );
}

/**
 * twoThreads' result as trainingTable rows: threads 1 and 2 on the shared-memory
 * build (`names`, `spreads` their spread cells; `tfjs1`: plain tfjs-wasm's
 * seconds a step in phase 1), or one row saying why not.
 */
export function twoThreadRows(t2, names, tfjs1, spreads = ['—', '—']) {
  if (!t2.available) return [{ name: 'ours, 2 threads', why: t2.why }];
  return [
    { name: names[0], sec: t2.mt1, spread: spreads[0], vs: '—', speedup: '1.00×' },
    {
      name: names[1],
      sec: t2.mt2,
      spread: spreads[1],
      vs: `${(tfjs1 / t2.mt2).toFixed(2)}× (across phases)`,
      speedup: `${t2.speedup.toFixed(2)}×`,
    },
  ];
}

/** The criterion bullet: ours ≥ `criterion`× plain tfjs-wasm (`ratio`), with the NN-gradient variant's ratio beside it. */
export function criterionLine(ratio, ratioNN, criterion) {
  return (
    `- ours ≥ ${criterion}× tfjs-wasm training throughput (1 thread each): **${ratio >= criterion ? 'PASS' : 'FAIL'}** (${ratio.toFixed(2)}×; ` +
    `against the faster tfjs variant with NN-only matMul gradients ${ratioNN.toFixed(2)}×: ${ratioNN >= criterion ? 'also ≥' : 'below'} ${criterion}×)`
  );
}

/** The 2-thread bullet: the speed-up and `how` it was measured (markdown), or why there is none. */
export function speedupLine(t2, how) {
  return `- 2-thread speed-up: ${t2.available ? `**${t2.speedup.toFixed(2)}×** (shared-memory build, ${how} on the same model, interleaved)` : t2.why}`;
}

/**
 * The docs header of a training bench: date, mode (`script`: the npm script;
 * `rounds`: what the rounds held), CPU, Node and the load averages at the start
 * (benchArgs' `load0`) and now, and both runtimes (`tfjs`: setupTfjsWasm's result).
 */
export function trainingHeader({ args, script, rounds: what, wall, tfjs }) {
  return `- date: ${isoDate()}
- mode: ${modeText(args.quick, script)}; ${what}; wall time ${wall.toFixed(0)} s
- CPU: ${cpuText()}; Node ${process.version}; load average at the start ${args.load0}, at the end ${loadAverage()}${args.quick ? ' — quick mode on a shared machine: noisy figures' : ''}
- wasm-nlp: release build, SIMD128, 1 thread; ${tfjs.version}: threads ${tfjs.threads} (\`setThreadsCount(1)\` before \`setBackend('wasm')\`), SIMD ${tfjs.simd ? 'on' : 'off'}`;
}

/**
 * The "Same computation" bullets: gateLosses' `losses` and `checks`, after the
 * bench's `intro`; `gate1` is the first-step threshold as the text states it,
 * `step2` what the second step is, `tail2` what follows its figures; `params`
 * the checked parameter count and `t2` twoThreads' first step.
 */
export function sameComputationText({ intro, losses, checks, gate1, step2, tail2 = '', params, t2 }) {
  const l = (who, s) => losses[who][s].toFixed(7);
  const c = (who, s) => checks[who][s].toExponential(2);
  return `- ${intro}
  First-step loss: ours ${l('ours', 0)}, tfjs-wasm ${l('tfjs', 0)} (relative difference **${c('tfjs', 0)}**),
  tfjs-wasm NN gradients ${l('tfjsNN', 0)} (**${c('tfjsNN', 0)}**); the bench fails above ${gate1}.
- Second step (${step2}): ours ${l('ours', 1)}, tfjs-wasm ${l('tfjs', 1)} (${c('tfjs', 1)}),
  NN gradients ${l('tfjsNN', 1)} (${c('tfjsNN', 1)})${tail2}.
- Parameter counts checked equal (${fmt(params)}).${
    t2.available
      ? `
- Ours on 2 threads (shared-memory build, same seed and batch): first-step loss ${t2.firstT2.toFixed(7)}, ${t2.t2Same} to 1 thread's.`
      : ''
  }`;
}

/**
 * The end of a training bench's profile sections: ours's GEMM calls by shape
 * (`gemmTable`), its Wasm memory after the timed steps (`memory`, memoryStats()),
 * then "### Where tfjs's step goes" from `tfProf` (profileTfjsVariants), `note`
 * closing its parenthesis.
 */
export function profileTail({ gemmTable, memory, tfProf, note }) {
  return `GEMM calls by shape (C[M×N] = op(A)[M×K] · op(B)[K×N]; β=1 accumulates into the gradient):

${gemmTable}

${memoryText(memory)}

### Where tfjs's step goes

${tfjsProfileText(tfProf, note)}`;
}

/** memoryStats() after the timed steps, as the docs state it. */
const memoryText = (m) =>
  `Wasm memory of ours after the timed steps: ${(m.bytesInUse / 2 ** 20).toFixed(0)} MiB in use, peak ${(m.peakBytesInUse / 2 ** 20).toFixed(0)} MiB.`;

/** "Where tfjs's step goes": a paragraph per profileTfjsVariants profile; `note` ends the closing parenthesis. */
function tfjsProfileText(tfProf, note) {
  const paragraphs = Object.entries(tfProf).map(
    ([key, p]) =>
      `${TFJS_NAMES[key]}: one step (\`tf.profile\`, wall clock around each kernel) spends ${p.total.toFixed(0)} ms in ${fmt(p.kernels)} kernel calls; ` +
      `by kernel: ${p.byName
        .slice(0, 12)
        .map(([n, e]) => `${n} ${ms(e.ms)} ms (${e.calls})`)
        .join(', ')}${p.byName.length > 12 ? ', …' : ''}.`,
  );
  return `${paragraphs.join('\n\n')}

(Profiled after the timed rounds; \`tf.customGrad\`'s own "forward" records, which contain the kernels they ran, are left out.
${note})`;
}

// ---------------------------------------------------------------- the encoder benches (transformer, bert, rnn)

/** What the encoder benches' rounds hold, for the docs header's mode line; `per` follows "rounds" (' per case'). */
export const encoderRoundsText = (n, steps, warmup, per = '') =>
  `${n} interleaved round${plural(n)}${per}, each ${steps.ours} steps of ours and ${steps.tfjs} of each tfjs variant, ` +
  `after the 2 checked steps (and ${warmup} more warm-up step${plural(warmup)} of ours)`;

/**
 * The encoder benches' contenders table: tokens/s (`tokens` a step) beside the time, ours 1 thread, the tfjs variants,
 * 2 threads (their spread cells from twoThreads when `threadSpreads`, else '—').
 */
export function encoderTable({ res, t2 }, tokens, { threadSpreads = false } = {}) {
  return trainingTable(
    [['tokens/s', (s) => fmt(tokens / s)]],
    [
      {
        name: 'ours, 1 thread (release build)',
        sec: res.median.ours,
        spread: spreadCell(res.spread.ours),
        vs: '1.00×',
        speedup: '—',
      },
      ...tfjsRows(res),
      ...twoThreadRows(
        t2,
        ['ours, 1 thread (shared-memory build)', 'ours, 2 threads (shared-memory build)'],
        res.median.tfjs,
        threadSpreads && t2.available ? [spreadCell(t2.spread1), spreadCell(t2.spread2)] : undefined,
      ),
    ],
  );
}

/** Kernel name -> what it is, for the grouped profile of an encoder's step (transformer, BERT). */
export function encoderKernelGroup(name) {
  if (/gemm|gemv|matmul/.test(name)) return GEMM_GROUP;
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

/** The opening of "Where ours's step goes" for the encoder benches (profile of `steps` steps, `calls` Wasm calls a step). */
export function encoderProfileIntro(steps, calls) {
  return `Kernel times of ours's step (release build, 1 thread, mean of ${steps} step${plural(steps)} after warm-up, ${fmt(calls)} Wasm calls a step),
measured by wrapping every Wasm export with a timer (under a microsecond per call: negligible at this call count; the profiled step differs from the table's by machine noise).
"forward" runs up to the loss value, "backward" is \`loss.backward()\`, "optimizer + release" is \`opt.step()\`, \`zeroGrad()\` and the tape release.`;
}

/**
 * The "How to read this" lines on the encoder benches' tfjs baselines after
 * their own op lists: why the forward GEMMs are NN and what the NN-gradient
 * variant changes; `extra` follows "its public API".
 */
export function encoderTfjsNote(extra = '') {
  return `  GEMM is tfjs's fast NN \`matMul\` (XNNPACK); the gradients of \`matMul\` are tfjs's own transposed products, which
  its wasm backend runs in a scalar loop (see the GEMM section): that is what a tfjs user gets.
  **tfjs-wasm, NN-only matMul gradients**: the same, with every \`matMul\` a \`tf.customGrad\` whose gradients are
  \`matMul(dy, transpose(B))\` and \`matMul(transpose(A), dy)\`, so the backward GEMMs also run on XNNPACK: the strongest
  tfjs baseline we know how to write with its public API${extra}.`;
}

/**
 * The closing bullets of an encoder bench's "How to read this": how cells and ratios are taken (`extra` follows the
 * spread's definition), and which `file` writes the section.
 */
export function encoderRoundsNote(file, extra = '') {
  return `- A cell is the median step time over all timed steps; a ratio is the median over rounds of the within-round ratio
  (the contenders run back to back, order alternating). "spread" = (slowest − fastest step) / median.${extra}
- This section is written by \`bench/${file}\`; rerun it rather than editing the numbers.`;
}
