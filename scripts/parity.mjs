#!/usr/bin/env node
// Parity: the same seeded computation (scripts/parity/task.js: a fastText
// classifier trained for a fixed number of steps, a Transformer encoder's
// forward pass and a few AdamW steps) in Node, in Chromium and in workerd, each
// from its own bundle in dist/ (wasm-nlp.node.js, .browser.js, .workerd.js,
// one thread, dist/wasm-nlp.wasm). Prints one SHA-256 digest per runtime and
// exits 1 unless the three are identical. Needs `npm run build` first.
//
//   node scripts/parity.mjs [--seed N] [--runtimes node,chromium,workerd] [--json] [--verbose]
//                           [--perturb <runtime>]   (that runtime uses seed N+1: shows the check fails)
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { ROOT, launchChromium, serveStatic, startWorkerd, workerdPath } from './lib/runtimes.mjs';

const RUNTIMES = ['node', 'chromium', 'workerd'];
const PARTS = ['fasttextModel', 'fasttextProbs', 'transformerForward', 'transformerWeights', 'transformerForwardAfter'];

function parseArgs(argv) {
  const o = { seed: 1, runtimes: RUNTIMES, json: false, verbose: false, perturb: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`parity: ${a} needs a value`);
      return v;
    };
    if (a === '--seed') o.seed = Number(value());
    else if (a === '--runtimes') o.runtimes = value().split(',');
    else if (a === '--perturb') o.perturb = value();
    else if (a === '--json') o.json = true;
    else if (a === '--verbose') o.verbose = true;
    else throw new Error(`parity: unknown argument ${a}`);
  }
  if (!Number.isInteger(o.seed) || o.seed < 0)
    throw new Error(`parity: --seed must be a non-negative integer, got ${o.seed}`);
  for (const r of [...o.runtimes, ...(o.perturb ? [o.perturb] : [])]) {
    if (!RUNTIMES.includes(r)) throw new Error(`parity: runtimes must be among ${RUNTIMES.join(', ')}, got ${r}`);
  }
  return o;
}

async function runNode(seed) {
  const w = await import(pathToFileURL(join(ROOT, 'dist/wasm-nlp.node.js')).href);
  const { parityTask } = await import(pathToFileURL(join(ROOT, 'scripts/parity/task.js')).href);
  await w.init({ threads: 1 });
  try {
    const r = await parityTask(w, { seed });
    return { ...r, version: `Node ${process.versions.node} (V8 ${process.versions.v8})` };
  } finally {
    w.shutdown();
  }
}

async function runChromium(seed) {
  const server = await serveStatic({
    mounts: { '/dist/': join(ROOT, 'dist'), '/parity/': join(ROOT, 'scripts/parity') },
  });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}parity/?seed=${seed}`);
    const handle = await page
      .waitForFunction(() => globalThis.__parity, undefined, { timeout: 30_000 })
      .catch((e) => {
        throw new Error(`parity: Chromium page did not finish: ${e.message}; page errors: ${errors.join('; ')}`);
      });
    const r = await handle.jsonValue();
    if (r.error) throw new Error(`parity: Chromium page failed: ${r.error}`);
    return { ...r, version: `Chromium ${browser.version()}` };
  } finally {
    await browser?.close();
    await server.close();
  }
}

async function runWorkerd(seed) {
  // The version first: nothing to stop if it fails.
  const version = (await promisify(execFile)(workerdPath(), ['--version'])).stdout.trim();
  const wd = await startWorkerd(join(ROOT, 'scripts/parity/config.capnp'));
  try {
    const res = await fetch(`${wd.url}?seed=${seed}`);
    const r = await res.json();
    if (!res.ok || r.error) throw new Error(`parity: workerd answered ${res.status}: ${r.error}\n${wd.output()}`);
    return { ...r, version };
  } finally {
    await wd.stop();
  }
}

const RUN = { node: runNode, chromium: runChromium, workerd: runWorkerd };

/** Run the task in each runtime (one after another: the machine is small); a result per runtime. */
export async function parity({ seed = 1, runtimes = RUNTIMES, perturb } = {}) {
  for (const f of [
    'dist/wasm-nlp.node.js',
    'dist/wasm-nlp.browser.js',
    'dist/wasm-nlp.workerd.js',
    'dist/wasm-nlp.wasm',
  ]) {
    if (!existsSync(join(ROOT, f))) throw new Error(`parity: ${f} is missing; run npm run build first`);
  }
  const results = [];
  for (const name of runtimes) {
    const t0 = performance.now();
    const r = await RUN[name](name === perturb ? seed + 1 : seed);
    results.push({
      runtime: name,
      seed: name === perturb ? seed + 1 : seed,
      wallMs: Math.round(performance.now() - t0),
      ...r,
    });
  }
  const same = results.every((r) => r.digest === results[0].digest);
  return { same, results };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const { same, results } = await parity(o);
  if (o.json) {
    console.log(JSON.stringify({ same, seconds: (performance.now() - t0) / 1000, results }, null, 2));
  } else {
    for (const r of results) {
      console.log(`${r.runtime.padEnd(9)}${r.digest}  seed ${r.seed}  task ${r.ms} ms  (${r.version})`);
      if (o.verbose) {
        for (const k of PARTS) console.log(`  ${k.padEnd(24)}${r[k]}`);
        console.log(`  ${'matmul'.padEnd(24)}${r.matmul.join(' ')}`);
        console.log(`  ${'fastText predict'.padEnd(24)}${r.fasttextPredict}`);
        console.log(
          `  ${'transformer fit'.padEnd(24)}${r.transformerSteps} steps, train loss ${r.transformerTrainLoss}`,
        );
      }
    }
    if (!same) {
      const diff = PARTS.filter((k) => results.some((r) => r[k] !== results[0][k]));
      console.log(`DIFFERENT: ${diff.join(', ')}`);
    } else {
      console.log(`identical in ${results.length} runtimes (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  process.exitCode = same ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  // SIGTERM (a test's timeout) or Ctrl-C: exit, and the exit hooks kill workerd (scripts/lib/runtimes.mjs) and Chromium (playwright).
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => process.exit(130));
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(2); // an open server or browser must not keep a failed run alive
  });
}
