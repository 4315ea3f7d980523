// Saves that survive SIGKILL: a child process (tests/helpers/save-child.mjs) saves one target over
// and over and is killed, at seeded random times and just before each fs call of a save in turn;
// then the target loads, holds one complete version, and the next save leaves no temp or old file.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { ROOT } from '../helpers/node-process.js';
import { ArgumentError } from '../../src/core/errors.js';
import { BertForMaskedLM } from '../../src/models/bert/index.js';
import type { BertPretrainedFiles, BertPretrainedOutput } from '../../src/models/bert/modeling.js';
import { loadBertFromDirectory, readBertFiles, saveBertToDirectory } from '../../src/models/bert/node.js';
import { loadSafetensors, saveSafetensors, writeBytesAtomic } from '../../src/io/node.js';
import { WordPiece } from '../../src/text/wordpiece.js';

const CHILD = fileURLToPath(new URL('../helpers/save-child.mjs', import.meta.url));
const FLOATS = 1 << 19; // 2 MiB of weights per file save
const KILLS = 20; // per target kind, at random times (and as many more as a save has fs calls)
const work = mkdtempSync(join(tmpdir(), 'wasm-nlp-atomic-'));
const lib = join(work, 'lib');
const fixture = join(work, 'bert-versions.json');
const versions: Record<'A' | 'B', BertPretrainedOutput> = {} as never;
const fileDigest: Record<string, string> = {};
const dirDigest: Record<string, { files: string; weights: string }> = {};

const sha = (...parts: (Uint8Array | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/** The payload formula of save-child.mjs. */
function payload(version: number, floats: number): Float32Array {
  const data = new Float32Array(floats);
  let x = version * 0x9e3779b9;
  for (let i = 0; i < floats; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + i) | 0;
    data[i] = (x >>> 8) / 16777216;
  }
  return data;
}

/** Seeded uniform [0, 1) (mulberry32): the kill times are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const asModel = (files: BertPretrainedOutput) => ({ toPretrained: () => files });
const filesDigest = (f: BertPretrainedFiles) =>
  sha(JSON.stringify([f.config, f.vocab ?? null, f.tokenizer ?? null, f.lowercase ?? null]), f.weights as Uint8Array);
function weightsDigest(m: BertForMaskedLM): string {
  const sd = m.stateDict();
  return sha(
    ...Object.keys(sd)
      .sort()
      .flatMap((k) => [k, new Uint8Array(sd[k]!.toArray().buffer)]),
  );
}

beforeAll(async () => {
  await initForTests();
  // The child runs src/ itself (dist/ is the last build, without these changes): transpiled to JS here.
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : [],
    );
  const src = join(ROOT, 'src');
  for (const f of walk(src)) {
    const out = join(lib, relative(src, f)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    const js = ts.transpileModule(readFileSync(f, 'utf8'), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      fileName: f,
    });
    writeFileSync(out, js.outputText);
  }
  writeFileSync(join(lib, 'package.json'), '{"type":"module"}');
  // Two BERT versions that cannot be mixed unnoticed: A has a vocabulary and 12 tokens, B none and 14.
  const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const config = { hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16 };
  const a = new BertForMaskedLM({ ...config, vocabSize: 12, maxPositionEmbeddings: 16 }, { seed: 3 });
  a.tokenizer = new WordPiece([...specials, 'big', 'dog', '##s', '.', 'a', 'the', 'cat'], {
    specialTokens: specials,
  });
  const b = new BertForMaskedLM({ ...config, vocabSize: 14, maxPositionEmbeddings: 16 }, { seed: 4 });
  versions.A = a.toPretrained();
  versions.B = b.toPretrained();
  a.dispose();
  b.dispose();
  const json: Record<string, Record<string, string | { base64: string }>> = {};
  for (const v of ['A', 'B'] as const) {
    json[v] = {};
    for (const [name, c] of Object.entries(versions[v]))
      if (c !== undefined) json[v][name] = typeof c === 'string' ? c : { base64: Buffer.from(c).toString('base64') };
    const clean = join(work, `clean-${v}`);
    await saveBertToDirectory(clean, asModel(versions[v]));
    const m = await loadBertFromDirectory(clean, BertForMaskedLM);
    dirDigest[v] = { files: filesDigest(await readBertFiles(clean)), weights: weightsDigest(m) };
    m.dispose();
    fileDigest[v] = sha(new Uint8Array(payload(v === 'A' ? 1 : 2, FLOATS).buffer));
  }
  writeFileSync(fixture, JSON.stringify(json));
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ChildEnd {
  signal: NodeJS.Signals | null;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run save-child.mjs; with `delayMs`, SIGKILL it that long after it prints "ready". */
function runChild(opts: Record<string, unknown>, delayMs?: number): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify({ lib, fixture, floats: FLOATS, ...opts })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (delayMs !== undefined && stdout.includes('ready')) {
        setTimeout(() => child.kill('SIGKILL'), delayMs);
        delayMs = undefined;
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

type Outcome = 'A' | 'B' | 'missing';
interface Tally {
  kills: number;
  outcomes: Record<Outcome, number>;
  recovered: number;
  leftovers: number;
}
const tally = (): Tally => ({ kills: 0, outcomes: { A: 0, B: 0, missing: 0 }, recovered: 0, leftovers: 0 });

/** After a kill: `path` loads as version A or B exactly; one more save leaves only `path` in its directory. */
async function checkFile(path: string, t: Tally): Promise<void> {
  t.kills++;
  t.leftovers += readdirSync(dirname(path)).length - 1;
  const sf = await loadSafetensors(path);
  const v = sf.metadata.version as 'A' | 'B';
  expect(['A', 'B']).toContain(v);
  expect(sha(new Uint8Array(sf.tensors.w!.data.buffer))).toBe(fileDigest[v]);
  t.outcomes[v]++;
  await saveSafetensors(path, { w: { shape: [FLOATS], data: payload(1, FLOATS) } }, { version: 'A' });
  expect(readdirSync(dirname(path))).toEqual([basename(path)]);
}

/** After a kill: `dir` loads (recovered if need be) as A or B exactly, or is missing when no save ever finished. */
async function checkDir(dir: string, t: Tally, mayBeMissing: boolean): Promise<void> {
  t.kills++;
  const before = readdirSync(dirname(dir));
  const present = before.includes(basename(dir));
  t.leftovers += before.length - Number(present);
  if (!present && before.some((n) => n.endsWith('.old'))) t.recovered++;
  let files: BertPretrainedFiles | undefined;
  try {
    files = await readBertFiles(dir);
  } catch (e) {
    if (!mayBeMissing || present || !/ENOENT/.test(String(e))) throw e;
  }
  if (files === undefined) t.outcomes.missing++;
  else {
    const m = await loadBertFromDirectory(dir, BertForMaskedLM);
    const d = { files: filesDigest(files), weights: weightsDigest(m) };
    m.dispose();
    const v = d.files === dirDigest.A!.files ? 'A' : 'B';
    expect(d).toEqual(dirDigest[v]);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(versions[v]).sort());
    t.outcomes[v]++;
  }
  await saveBertToDirectory(dir, asModel(versions.A));
  expect(readdirSync(dirname(dir))).toEqual([basename(dir)]);
  expect(readdirSync(dir).sort()).toEqual(Object.keys(versions.A).sort());
}

const summary: string[] = [];
afterAll(() => console.log(`atomic-save kills:\n${summary.join('\n')}`));

describe('SIGKILL during saves', () => {
  test('saveSafetensors (2 MiB): 20 kills at seeded random times, then before each fs call of a replace', async () => {
    const dir = join(work, 'file');
    mkdirSync(dir);
    const path = join(dir, 'model.safetensors');
    const random = tally();
    const next = rng(7);
    for (let i = 0; i < KILLS; i++) {
      const r = await runChild({ mode: 'file', target: path }, Math.floor(next() * 100));
      expect(r.signal, r.stderr).toBe('SIGKILL');
      await checkFile(path, random);
    }
    const stepped = tally();
    let finished = 0; // stepped runs that got through a whole save: one per kind
    for (let k = 1; k < 100; k++) {
      const r = await runChild({ mode: 'file', target: path, killAt: k });
      if (r.code === 0) {
        expect(r.stdout).toMatch(/^done \d+/);
        finished++;
        break;
      }
      expect(r.signal, r.stderr).toBe('SIGKILL');
      await checkFile(path, stepped);
    }
    summary.push(`  file random ${JSON.stringify(random)}`, `  file stepped ${JSON.stringify(stepped)}`);
    expect(random.kills).toBe(KILLS);
    expect(finished).toBe(1);
    expect(stepped.kills).toBeGreaterThanOrEqual(3); // open, write, rename at least
    expect(stepped.outcomes.B).toBeGreaterThanOrEqual(1); // a kill after the rename keeps the new file
  }, 60_000);

  test('saveBertToDirectory: 20 kills at seeded random times, then before each fs call of a create and of a replace', async () => {
    const parent = join(work, 'dir');
    mkdirSync(parent);
    const dir = join(parent, 'bert');
    const random = tally();
    const next = rng(11);
    for (let i = 0; i < KILLS; i++) {
      const r = await runChild({ mode: 'dir', target: dir }, Math.floor(next() * 40));
      expect(r.signal, r.stderr).toBe('SIGKILL');
      await checkDir(dir, random, false);
    }
    const stepped = tally();
    let finished = 0; // stepped runs that got through a whole save: one per kind
    for (let k = 1; k < 100; k++) {
      const r = await runChild({ mode: 'dir', target: dir, killAt: k });
      if (r.code === 0 && ++finished) break;
      expect(r.signal, r.stderr).toBe('SIGKILL');
      await checkDir(dir, stepped, false);
    }
    // The first save into a missing directory: killed, the directory is missing or complete.
    const created = tally();
    for (let k = 1; k < 100; k++) {
      rmSync(dir, { recursive: true, force: true });
      const r = await runChild({ mode: 'dir', target: dir, killAt: k, create: true });
      if (r.code === 0 && ++finished) break;
      expect(r.signal, r.stderr).toBe('SIGKILL');
      await checkDir(dir, created, true);
    }
    summary.push(
      `  dir random ${JSON.stringify(random)}`,
      `  dir stepped ${JSON.stringify(stepped)}`,
      `  dir create stepped ${JSON.stringify(created)}`,
    );
    expect(random.kills).toBe(KILLS);
    expect(finished).toBe(2);
    expect(stepped.recovered).toBeGreaterThanOrEqual(1); // the kill between the two renames
    expect(created.outcomes.missing).toBeGreaterThanOrEqual(1);
  }, 90_000);
});

describe('saveBertToDirectory: what it replaces', () => {
  test('a directory with files of the user is refused, naming them, and left as it was', async () => {
    const dir = join(work, 'user');
    await saveBertToDirectory(dir, asModel(versions.A));
    writeFileSync(join(dir, 'README.md'), '# mine');
    const err = await saveBertToDirectory(dir, asModel(versions.B)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArgumentError);
    expect((err as Error).message).toMatch(/^saveBertToDirectory: dir must hold only .* got README\.md in /);
    expect(readdirSync(dir).sort()).toEqual([...Object.keys(versions.A), 'README.md'].sort());
    expect(filesDigest(await readBertFiles(dir))).toBe(dirDigest.A!.files);
    expect(readdirSync(dirname(dir)).filter((n) => n.startsWith('.user.'))).toEqual([]);
  });

  test('a symlink is followed: the directory it names is replaced, the link stays', async () => {
    const real = join(work, 'real-bert');
    const link = join(work, 'link-bert');
    await saveBertToDirectory(real, asModel(versions.A));
    symlinkSync(real, link);
    await saveBertToDirectory(link, asModel(versions.B));
    expect(readdirSync(work)).toContain('link-bert');
    expect(filesDigest(await readBertFiles(real))).toBe(dirDigest.B!.files);
    expect(filesDigest(await readBertFiles(link))).toBe(dirDigest.B!.files);
  });
});

test('a missing dir with two interrupted saves is not guessed: FormatError naming both; a save supersedes them', async () => {
  const parent = join(work, 'two-olds');
  const dir = join(parent, 'bert');
  await saveBertToDirectory(dir, asModel(versions.A));
  const exited = spawn(process.execPath, ['-e', '']);
  const pid = await new Promise<number>((r) => exited.on('close', () => r(exited.pid!)));
  const id = (n: number) => `${pid.toString(16).padStart(8, '0')}00000000000${n}`;
  await saveBertToDirectory(join(work, 'second'), asModel(versions.B));
  renameSync(dir, join(parent, `.bert.${id(1)}.old`));
  renameSync(join(work, 'second'), join(parent, `.bert.${id(2)}.old`));
  await expect(readBertFiles(dir)).rejects.toThrow(
    new RegExp(
      `^readBertFiles: .* must be missing with at most one interrupted save to recover, got 2: \\.bert\\.${id(1)}\\.old, \\.bert\\.${id(2)}\\.old`,
    ),
  );
  await saveBertToDirectory(dir, asModel(versions.B));
  expect(readdirSync(parent)).toEqual(['bert']);
  expect(filesDigest(await readBertFiles(dir))).toBe(dirDigest.B!.files);
});

describe('writeBytesAtomic: fsync and stale temp files', () => {
  test('the file and its directory are fsynced', async () => {
    const probe = await open(join(work, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as { sync(): Promise<void> };
    await probe.close();
    const sync = vi.spyOn(proto, 'sync');
    try {
      await writeBytesAtomic(join(work, 'synced.bin'), Uint8Array.of(1, 2, 3));
      expect(sync.mock.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      sync.mockRestore();
    }
    expect(readFileSync(join(work, 'synced.bin'))).toEqual(Buffer.from([1, 2, 3]));
  });

  test("a dead process's temp files go; a live one's and a young pid-less one stay", async () => {
    const dir = join(work, 'stale');
    mkdirSync(dir);
    const exited = spawn(process.execPath, ['-e', '']); // its pid, once it has exited, is a dead writer's
    const pid = await new Promise<number>((r) => exited.on('close', () => r(exited.pid!)));
    const hex = (p: number) => p.toString(16).padStart(8, '0');
    const names = {
      dead: `.m.bin.${hex(pid)}0123456789ab.tmp`,
      live: `.m.bin.${hex(process.pid)}0123456789ab.tmp`,
      oldLegacy: '.m.bin.0123456789ab.tmp',
      youngLegacy: '.m.bin.ba9876543210.tmp',
      other: '.other.bin.0000000100123456789a.tmp',
    };
    for (const n of Object.values(names)) writeFileSync(join(dir, n), 'partial');
    const twoHoursAgo = (Date.now() - 7_200_000) / 1000;
    utimesSync(join(dir, names.oldLegacy), twoHoursAgo, twoHoursAgo);
    await writeBytesAtomic(join(dir, 'm.bin'), Uint8Array.of(7));
    expect(readdirSync(dir).sort()).toEqual(['m.bin', names.live, names.youngLegacy, names.other].sort());
  });
});
