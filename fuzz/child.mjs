// A fuzz worker process: loads the built library (dist/) and the seed corpus,
// warms every target up on its unmutated seeds, then runs the cases the parent
// sends ({ type: 'case', index }) one at a time and answers with the outcome.
// Also used in-process by `run.mjs --case K` (runCase / setup).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { planCase, TARGETS } from './mutate.mjs';
import { loadSeeds } from './seeds.mjs';
import { Mismatch, RUNNERS } from './targets.mjs';

const DIST = new URL('../dist/', import.meta.url);

/** Import the built library, init it with a memory limit, and prepare a case context. */
export async function setup(seeds, { maxMemory = 256 * 2 ** 20 } = {}) {
  const W = await import(new URL('wasm-nlp.node.js', DIST).href);
  const IO = await import(new URL('wasm-nlp.node-io.js', DIST).href);
  await W.init({ maxMemory });
  const tmp = mkdtempSync(join(tmpdir(), 'wasm-nlp-fuzz-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
  return { W, IO, ctx: { tmp, seeds, seedById: new Map(seeds.map((s) => [s.id, s])) } };
}

/** The first stack frame outside node internals, shortened to file:line. */
function firstFrame(e) {
  const lines = String(e?.stack ?? '')
    .split('\n')
    .slice(1);
  const frame = lines.find((l) => !l.includes('node:internal')) ?? lines[0] ?? '';
  return frame
    .trim()
    .replace(/^at /, '')
    .replace(/file:\/\/\S*\/(dist|fuzz)\//, '$1/')
    .replace(/\(file:\/\/\S*\/(dist|fuzz)\//, '($1/');
}

/** The outcome class of a thrown value. */
export function classify(W, e) {
  if (e instanceof Mismatch) return 'mismatch';
  if (e instanceof WebAssembly.RuntimeError) return 'trap';
  if (e instanceof W.WasmNlpError) return 'typed';
  // A Node system error (ENOENT of a file missing from a model directory): the platform's rejection.
  if (e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string') return 'typed';
  return 'untyped';
}

/**
 * Start Node's Buffer pool afresh, filled with a fixed pattern, so the Buffers that
 * readFileSync hands out during a case sit at the same pool offsets, among the same
 * bytes, whatever ran before: a reader that mishandles a Buffer's byteOffset then
 * fails the same way on every run.
 */
function resetBufferPool() {
  for (let k = 0; k < 8; k++) {
    const b = Buffer.allocUnsafe(4095);
    if (b.byteOffset === 0) {
      new Uint8Array(b.buffer).fill(0x5a);
      return;
    }
  }
}

/** Run one planned case and report { outcome, name, message, frame, leak }. */
export async function runPlanned(W, IO, ctx, plan) {
  resetBufferPool();
  const t0 = performance.now();
  const before = W.memoryStats();
  let outcome = 'accepted';
  let err;
  try {
    await RUNNERS[plan.target](W, IO, plan, ctx);
  } catch (e) {
    err = e;
    outcome = classify(W, e);
  }
  const after = W.memoryStats();
  const leak = { bytes: after.bytesInUse - before.bytesInUse, blocks: after.blocks - before.blocks };
  const leaked = leak.bytes !== 0 || leak.blocks !== 0;
  const result = {
    index: plan.index,
    target: plan.target,
    seedId: plan.seedId,
    muts: plan.muts,
    outcome,
    ms: performance.now() - t0,
  };
  if (err !== undefined) {
    result.name = err?.constructor?.name ?? typeof err;
    result.message = String(err?.message ?? err)
      .replaceAll(ctx.tmp, '<tmp>')
      .slice(0, 600);
    result.frame = firstFrame(err);
    result.stack = String(err?.stack ?? '');
  }
  if (leaked) {
    result.leak = leak;
    if (outcome === 'accepted' || outcome === 'typed') {
      result.leakAfter = outcome;
      result.outcome = 'leak';
    }
  }
  return result;
}

export function runCase(W, IO, ctx, runSeed, index, only, delivery) {
  return runPlanned(W, IO, ctx, planCase(runSeed, index, ctx.seeds, only, delivery));
}

/**
 * Run every target once on each of its seeds, unmutated, so lazily made state
 * (scratch buffers, caches) exists before memory is compared; a seed that fails
 * here is reported (the fuzzer or the library is broken).
 */
export async function warmUp(W, IO, ctx, only) {
  const problems = [];
  for (let pass = 0; pass < 2; pass++) {
    for (const t of TARGETS) {
      if (only !== undefined && t.name !== only) continue;
      for (const s of ctx.seeds.filter((x) => t.kinds.includes(x.kind))) {
        // both choices of each coin the targets flip (class, directory or files)
        for (const [delivery, coin] of [
          ['buffer-pool', (p) => p >= 0.5],
          ['uint8array', () => true],
          ['uint8array', (p) => p >= 0.5],
        ]) {
          const plan = {
            index: -1,
            target: t.name,
            seedId: s.id,
            seedKind: s.kind,
            input: s.bytes !== undefined ? { bytes: s.bytes } : { files: s.files },
            muts: [],
            canonical: s.canonical === true,
            delivery,
            rng: { chance: coin, pick: (a) => a[0], int: () => 0 },
          };
          const r = await runPlanned(W, IO, ctx, plan);
          if (pass === 1 && r.outcome !== 'accepted' && delivery === 'uint8array')
            problems.push(`${t.name} on seed ${s.id}: ${r.outcome} ${r.name ?? ''}: ${r.message ?? ''}`);
        }
      }
    }
  }
  return problems;
}

async function main() {
  const [seedsDir, runSeed, only, delivery] = process.argv.slice(2);
  const seeds = loadSeeds(seedsDir);
  const { W, IO, ctx } = await setup(seeds);
  const problems = await warmUp(W, IO, ctx, only || undefined);
  process.send({ type: 'ready', problems });
  // Self-test of the harness: FUZZ_INJECT="hang:5,crash:7" makes case 5 spin and case 7 kill the process.
  const inject = new Map(
    (process.env.FUZZ_INJECT ?? '')
      .split(',')
      .filter(Boolean)
      .map((x) => [Number(x.split(':')[1]), x.split(':')[0]]),
  );
  process.on('message', async (msg) => {
    if (msg.type !== 'case') return;
    if (inject.get(msg.index) === 'hang') for (;;);
    if (inject.get(msg.index) === 'crash') process.kill(process.pid, 'SIGSEGV');
    let r;
    try {
      r = await runCase(W, IO, ctx, Number(runSeed), msg.index, only || undefined, delivery || undefined);
      delete r.stack;
    } catch (e) {
      // planning the case failed: a bug of the fuzzer, reported as a crash with its own name
      r = { index: msg.index, target: 'fuzzer', outcome: 'crash', name: 'FuzzerError', message: String(e?.stack ?? e) };
    }
    process.send({ type: 'result', result: r });
  });
  process.on('disconnect', () => process.exit(0));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
