#!/usr/bin/env node
// The file-format fuzzer of the built library (dist/). See docs/reliability.md "Fuzzing".
//
//   node fuzz/run.mjs [--cases N] [--seed S] [--jobs J] [--timeout MS] [--only TARGET]
//                     [--json FILE] [--case K] [--findings DIR]
//
// Builds the seed corpus (the library's writers and native fastText), then runs
// cases 0..N-1 in J child processes; case i's target, seed and mutations depend
// only on (S, i). The parent kills a child that takes longer than --timeout on a
// case (hang) and respawns children that die (crash). Failures are saved under
// fuzz/findings/ with a one-line repro. Exit code 1 on any untyped error, trap,
// mismatch, leak, hang or crash.
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planCase, TARGETS } from './mutate.mjs';
import { buildSeeds, loadSeeds, saveSeeds } from './seeds.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CLASSES = ['accepted', 'typed', 'untyped', 'mismatch', 'trap', 'leak', 'hang', 'crash'];
const DELIVERIES = ['buffer-pool', 'buffer-offset', 'uint8array', 'file'];
const FAILURES = ['untyped', 'mismatch', 'trap', 'leak', 'hang', 'crash'];

function parseArgs(argv) {
  const o = { cases: 60000, seed: 1, jobs: 2, timeout: 20000, only: undefined, json: undefined, case: undefined };
  o.delivery = undefined;
  o.verbose = false;
  o.log = undefined;
  o.findings = join(HERE, 'findings');
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(val());
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${a} must be a non-negative integer`);
      return v;
    };
    if (a === '--cases') o.cases = int();
    else if (a === '--seed') o.seed = int();
    else if (a === '--jobs') o.jobs = Math.max(1, int());
    else if (a === '--timeout') o.timeout = Math.max(100, int());
    else if (a === '--only') o.only = val();
    else if (a === '--json') o.json = val();
    else if (a === '--case') o.case = int();
    else if (a === '--findings') o.findings = val();
    else if (a === '--delivery') o.delivery = val();
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--log') o.log = val();
    else if (a === '--help' || a === '-h') {
      console.log(
        'node fuzz/run.mjs [--cases N=60000] [--seed S=1] [--jobs J=2] [--timeout MS=20000] [--only TARGET] [--json FILE] [--case K] [--findings DIR]\n' +
          '  [--delivery buffer-pool|buffer-offset|uint8array|file] (force how inputs are passed) [--verbose] (top typed errors)\n' +
          '  [--log FILE] (one line per case: index, target, outcome, error; sorted by index)\n' +
          `targets: ${TARGETS.map((t) => t.name).join(', ')}`,
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.delivery !== undefined && !DELIVERIES.includes(o.delivery))
    throw new Error(`--delivery must be one of ${DELIVERIES.join(', ')}, got ${o.delivery}`);
  if (o.only !== undefined && !TARGETS.some((t) => t.name === o.only))
    throw new Error(`--only must be one of ${TARGETS.map((t) => t.name).join(', ')}, got ${o.only}`);
  return o;
}

/** Digits and quoted values out, so messages that differ only in offsets group together. */
function signature(r) {
  const msg = (r.message ?? '')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/(?<![A-Za-z0-9_.-])-?\d+(\.\d+)?(e[+-]?\d+)?|\b(NaN|undefined|null|-?Infinity)\b/gi, 'N')
    .slice(0, 200);
  if (r.outcome === 'hang' || r.outcome === 'crash') return `${r.outcome} ${r.target}: ${msg}`;
  if (r.outcome === 'leak') return `leak ${r.target} (after ${r.leakAfter}${r.name ? ` ${r.name}: ${msg}` : ''})`;
  return `${r.outcome} ${r.target} ${r.name}: ${msg} @ ${r.frame}`;
}

function saveFinding(o, seeds, r, saved) {
  const sig = signature(r);
  const n = saved.get(sig) ?? 0;
  if (n >= 3) return;
  saved.set(sig, n + 1);
  mkdirSync(o.findings, { recursive: true });
  const plan = planCase(o.seed, r.index, seeds, o.only, o.delivery);
  const base = join(o.findings, `${r.outcome}-${r.target}-s${o.seed}-c${r.index}`);
  if (plan.input.bytes !== undefined) writeFileSync(`${base}.bin`, plan.input.bytes);
  else {
    mkdirSync(base, { recursive: true });
    for (const [name, b] of Object.entries(plan.input.files)) writeFileSync(join(base, name), b);
  }
  const only =
    (o.only === undefined ? '' : ` --only ${o.only}`) + (o.delivery === undefined ? '' : ` --delivery ${o.delivery}`);
  writeFileSync(
    `${base}.txt`,
    [
      `repro: node fuzz/run.mjs --seed ${o.seed} --case ${r.index}${only}`,
      `target: ${r.target}  seed: ${plan.seedId}  delivery: ${plan.delivery}  canonical: ${plan.canonical}`,
      `mutations: ${plan.muts.join('; ') || '(none)'}`,
      `outcome: ${r.outcome}${r.leak ? ` (leak ${r.leak.bytes} bytes, ${r.leak.blocks} blocks)` : ''}`,
      `error: ${r.name ?? ''}: ${r.message ?? ''}`,
      `at: ${r.frame ?? ''}`,
      '',
    ].join('\n'),
  );
}

function table(rows, header) {
  const all = [header, ...rows];
  const w = header.map((_, c) => Math.max(...all.map((r) => String(r[c]).length)));
  const line = (r) => r.map((x, c) => (c === 0 ? String(x).padEnd(w[c]) : String(x).padStart(w[c]))).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

async function single(o, seeds) {
  const { setup, runCase, warmUp } = await import('./child.mjs');
  const { W, IO, ctx } = await setup(seeds);
  const plan = planCase(o.seed, o.case, seeds, o.only, o.delivery);
  await warmUp(W, IO, ctx, plan.target);
  console.log(
    `case ${o.case}: target ${plan.target}, seed ${plan.seedId}, delivery ${plan.delivery}, canonical ${plan.canonical}`,
  );
  console.log(`mutations: ${plan.muts.join('; ') || '(none)'}`);
  const r = await runCase(W, IO, ctx, o.seed, o.case, o.only, o.delivery);
  console.log(`outcome: ${r.outcome}${r.leak ? ` (leak ${r.leak.bytes} bytes, ${r.leak.blocks} blocks)` : ''}`);
  if (r.stack) console.log(r.stack);
  process.exitCode = FAILURES.includes(r.outcome) ? 1 : 0;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const seedDir = mkdtempSync(join(tmpdir(), 'wasm-nlp-fuzz-seeds-'));
  process.on('exit', () => rmSync(seedDir, { recursive: true, force: true }));
  const t0 = performance.now();
  const W = await import(new URL('../dist/wasm-nlp.node.js', import.meta.url).href);
  await W.init();
  const built = await buildSeeds(W);
  saveSeeds(seedDir, built.seeds);
  const seeds = loadSeeds(seedDir);
  if (!built.native.ok)
    console.error(
      `[fuzz] WARNING: native fastText seeds absent (${built.native.reason}); set FASTTEXT=/path/to/fasttext to include them`,
    );
  console.error(
    `[fuzz] ${seeds.length} seeds (${built.native.count} native) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  if (o.case !== undefined) return single(o, seeds);

  const counts = Object.fromEntries(TARGETS.map((t) => [t.name, Object.fromEntries(CLASSES.map((c) => [c, 0]))]));
  const distinct = new Map();
  const saved = new Map();
  let next = 0;
  let done = 0;
  const start = performance.now();
  const warmProblems = new Set();

  const typed = new Map();
  const log = [];
  const slowest = [];
  const record = (r) => {
    done++;
    if (r.ms !== undefined) {
      slowest.push({ index: r.index, target: r.target, outcome: r.outcome, ms: Math.round(r.ms) });
      if (slowest.length > 50) slowest.sort((a, b) => b.ms - a.ms).splice(5);
    }
    if (o.log !== undefined)
      log.push([r.index, `${r.index}\t${r.target}\t${r.outcome}\t${r.name ?? ''}: ${r.message ?? ''}`]);
    counts[r.target] ??= Object.fromEntries(CLASSES.map((c) => [c, 0]));
    counts[r.target][r.outcome]++;
    if (r.outcome === 'typed') {
      const sig = signature(r);
      typed.set(sig, (typed.get(sig) ?? 0) + 1);
    }
    if (FAILURES.includes(r.outcome)) {
      const sig = signature(r);
      const d = distinct.get(sig) ?? { sig, count: 0, example: r.index, outcome: r.outcome, target: r.target };
      d.count++;
      distinct.set(sig, d);
      if (r.target !== 'fuzzer') saveFinding(o, seeds, r, saved);
    }
  };

  await new Promise((resolve) => {
    let live = 0;
    const spawn = () => {
      const child = fork(join(HERE, 'child.mjs'), [seedDir, String(o.seed), o.only ?? '', o.delivery ?? ''], {
        execArgv: ['--max-old-space-size=1024'],
        serialization: 'advanced',
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
      live++;
      const state = { current: undefined, timer: undefined, killedForHang: false };
      const give = () => {
        if (next >= o.cases) {
          child.disconnect();
          return;
        }
        state.current = next++;
        child.send({ type: 'case', index: state.current });
        state.timer = setTimeout(() => {
          state.killedForHang = true;
          child.kill('SIGKILL');
        }, o.timeout);
      };
      child.on('message', (msg) => {
        if (msg.type === 'ready') {
          for (const p of msg.problems) warmProblems.add(p);
          give();
        } else if (msg.type === 'result') {
          clearTimeout(state.timer);
          state.current = undefined;
          record(msg.result);
          if (msg.result.outcome === 'trap') {
            // memory may be corrupt after a trap: start a fresh process
            child.removeAllListeners('exit');
            child.kill('SIGKILL');
            live--;
            spawn();
          } else give();
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(state.timer);
        live--;
        if (state.current !== undefined) {
          const plan = planCase(o.seed, state.current, seeds, o.only, o.delivery);
          const hang = state.killedForHang;
          record({
            index: state.current,
            target: plan.target,
            outcome: hang ? 'hang' : 'crash',
            message: hang
              ? `no answer within ${o.timeout} ms`
              : `child exited (code ${code}, signal ${signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
          });
        }
        if (next < o.cases) spawn();
        else if (live === 0) resolve();
      });
    };
    for (let j = 0; j < Math.min(o.jobs, Math.max(1, o.cases)); j++) spawn();
    const progress = setInterval(() => {
      const s = (performance.now() - start) / 1000;
      const tot = Object.fromEntries(CLASSES.map((c) => [c, 0]));
      for (const t of Object.values(counts)) for (const c of CLASSES) tot[c] += t[c];
      console.error(
        `[fuzz] ${done}/${o.cases} cases, ${(done / s).toFixed(1)}/s, ` +
          CLASSES.map((c) => `${c} ${tot[c]}`).join(', '),
      );
    }, 5000);
    progress.unref();
  });

  const seconds = (performance.now() - start) / 1000;
  const header = ['target', 'cases', ...CLASSES];
  const rows = [];
  const total = Object.fromEntries(CLASSES.map((c) => [c, 0]));
  for (const [name, c] of Object.entries(counts)) {
    const n = CLASSES.reduce((s, k) => s + c[k], 0);
    if (n === 0) continue;
    rows.push([name, n, ...CLASSES.map((k) => c[k])]);
    for (const k of CLASSES) total[k] += c[k];
  }
  rows.push(['total', done, ...CLASSES.map((k) => total[k])]);
  console.log(
    `\nfuzz: seed ${o.seed}, ${done} cases in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(1)} cases/s, ${o.jobs} jobs), ` +
      `${seeds.length} seeds${built.native.ok ? ` (${built.native.count} from native fastText)` : ' (native fastText seeds ABSENT)'}\n`,
  );
  console.log(table(rows, header));
  slowest.sort((a, b) => b.ms - a.ms).splice(5);
  console.log(
    `\nslowest cases: ${slowest.map((x) => `c${x.index} ${x.target} ${x.outcome} ${x.ms} ms`).join(', ') || 'none'}`,
  );
  if (warmProblems.size > 0) {
    console.log('\nseeds that fail unmutated (warm-up):');
    for (const p of warmProblems) console.log(`  ${p}`);
  }
  if (o.verbose) {
    console.log('\nmost frequent typed rejections:');
    for (const [sig, n] of [...typed].sort((a, b) => b[1] - a[1]).slice(0, 30))
      console.log(`  ${String(n).padStart(5)}  ${sig}`);
  }
  // the rarest kinds first (a crash, a hang, a trap), then by count
  const rank = (d) => ['crash', 'hang', 'trap', 'untyped', 'leak', 'mismatch'].indexOf(d.outcome);
  const top = [...distinct.values()].sort((a, b) => rank(a) - rank(b) || b.count - a.count);
  if (top.length > 0) {
    console.log(`\n${top.length} distinct failures (count, example case):`);
    for (const d of top.slice(0, 80)) console.log(`  ${String(d.count).padStart(5)}  c${d.example}  ${d.sig}`);
    console.log(`\nfindings saved under ${o.findings}; rerun one with: node fuzz/run.mjs --seed ${o.seed} --case K`);
  }
  if (o.log !== undefined)
    writeFileSync(
      o.log,
      log
        .sort((a, b) => a[0] - b[0])
        .map((x) => x[1].replace(/\n/g, ' '))
        .join('\n') + '\n',
    );
  if (o.json !== undefined) {
    writeFileSync(
      o.json,
      JSON.stringify(
        {
          seed: o.seed,
          cases: done,
          jobs: o.jobs,
          seconds,
          casesPerSecond: done / seconds,
          seeds: seeds.length,
          native: built.native,
          totals: total,
          perTarget: counts,
          distinct: top,
          slowest,
          warmUpProblems: [...warmProblems],
        },
        null,
        2,
      ),
    );
  }
  process.exitCode = FAILURES.some((k) => total[k] > 0) || warmProblems.size > 0 ? 1 : 0;
}

await main();
