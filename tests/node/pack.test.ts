// The package as users get it: `npm pack`, the tarball installed offline in a
// fresh project, then used from Node ESM, CommonJS, TypeScript, the CLI, a
// rollup and a Vite browser bundle and the minified browser bundle (no bundler)
// in Chromium, and a rollup worker bundle in workerd. All run the parity task
// (scripts/parity/task.js: init, a matmul, a seeded fastText classifier trained
// and queried, a Transformer) and must agree digest for digest. The
// `wasm-nlp/node` entry loads a BERT directory and a native fastText .bin from
// disk (scripts/parity/smoke/node-io-task.mjs) and must give what src/ gives here.
// Plus the tarball's file list and the size budget (docs/bundlers.md).
// tests/node/package.test.ts checks dist/ itself.
// Needs `npm run build` first.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, type NodeRun, runNode } from '../helpers/node-process.js';
import { launchChromium, serveStatic, startWorkerd } from '../../scripts/lib/runtimes.mjs';
import {
  BUDGET,
  buildViteApp,
  bundleBrowserApp,
  bundleFiles,
  bundleSize,
  bundleWorker,
  gzipSize,
  packAndInstall,
  type Bundle,
  type Installed,
} from '../../scripts/parity/package-smoke.mjs';
import { nodeIoTask, type NodeIoOptions, type NodeIoResult } from '../../scripts/parity/smoke/node-io-task.mjs';
import * as src from '../../src/index.js';
import * as srcNode from '../../src/node/index.js';
import { initForTests } from '../helpers/runtime.js';
import { expectPrinted, parseRows } from '../io/printf.js';

interface TaskResult {
  matmul: number[];
  fasttextPredict: string;
  digest: string;
  fasttextModel: string;
  transformerForward: string;
  info?: { build: string; threads: number };
  platform?: string;
  resolved?: Record<string, string>;
  error?: string;
}

/** A static or dynamic import of a node: module (the worker-thread source string's require('node:...') is not one). */
const NODE_IMPORT = /\bimport\s*\(\s*['"`]node:|\bfrom\s*['"]node:/;

const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-pack-'));
let pkg: Installed;
let esm: TaskResult;
let app: Bundle;

beforeAll(async () => {
  pkg = await packAndInstall(dir);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectOk(r: NodeRun): void {
  expect(r.timedOut, `timed out; stderr: ${r.stderr}`).toBe(false);
  expect(r.code, `exit code; stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
}

/** The parity digest of the repository's own dist/ (in-process, seed 1): the value every install must reproduce. */
async function repoDigest(): Promise<string> {
  const r = await runNode([
    '--input-type=module',
    '-e',
    `
    import * as w from './dist/wasm-nlp.node.js';
    import { parityTask } from './scripts/parity/task.js';
    await w.init();
    console.log((await parityTask(w)).digest);`,
  ]);
  expectOk(r);
  return r.stdout.trim();
}

/** The JS files of dist/ in the tarball: the exports map's bundles, the `wasm-nlp/node` entry, the minified browser bundle, the CLI. */
const DIST_JS = ['node', 'node-io', 'browser', 'browser.min', 'workerd', 'cli']
  .map((n) => `dist/wasm-nlp.${n}.js`)
  .sort();

describe('the tarball', () => {
  test('holds exactly what users need: the bundles, the .wasm builds, the types, README, docs; no sources, tests or data', () => {
    const files = pkg.files;
    for (const f of [
      'package.json',
      'README.md',
      ...DIST_JS,
      'dist/wasm-nlp.wasm',
      'dist/wasm-nlp-mt.wasm',
      'dist/wasm-nlp-debug.wasm',
      'dist/types/index.d.ts',
      'dist/types/node/index.d.ts',
    ]) {
      expect(files, f).toContain(f);
    }
    // exactly these bundles, and the node build's shared chunk if it has one (wasm-nlp and wasm-nlp/node import it): no orphan file
    const chunk = /^dist\/wasm-nlp\.[\w-]+-chunk\.js$/;
    expect(files.filter((f) => /^dist\/[^/]+\.js$/.test(f) && !chunk.test(f))).toEqual(DIST_JS);
    const imported = bundleFiles(join(pkg.pkgDir, 'dist/wasm-nlp.node.js')).map((f) => f.slice(pkg.pkgDir.length + 1));
    expect(files.filter((f) => chunk.test(f)).filter((f) => !imported.includes(f))).toEqual([]);
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^LICENSE(\.md)?$/,
      /^dist\/wasm-nlp\.[a-z.-]+\.js$/,
      /^dist\/wasm-nlp(-mt|-debug)?\.wasm$/,
      /^dist\/types\/.+\.d\.ts$/,
      /^docs\/[\w-]+\.md$/,
    ];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    // the declarations are those of today's sources: none left over from a module that moved
    const stale = files
      .filter((f) => f.startsWith('dist/types/'))
      .filter((f) => !existsSync(join(ROOT, 'src', f.slice('dist/types/'.length).replace(/\.d\.ts$/, '.ts'))));
    expect(stale).toEqual([]);
    // spelled out: nothing from the working tree that users do not need
    for (const prefix of [
      'src/',
      'assembly/',
      'tests/',
      'runs/',
      'data/',
      'build/',
      'bench/',
      'examples/',
      'scripts/',
      'node_modules/',
      'docs/img/',
    ]) {
      expect(
        files.filter((f) => f.startsWith(prefix)),
        prefix,
      ).toEqual([]);
    }
    expect(
      files.filter((f) => f.endsWith('.wat') || f.endsWith('.map') || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
    ).toEqual([]);
  });

  test('installs offline into a fresh project with no other package', () => {
    const project = JSON.parse(readFileSync(join(pkg.project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(project.dependencies)).toEqual(['wasm-nlp']);
    expect(readdirSync(join(pkg.project, 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['wasm-nlp']);
    const installed = JSON.parse(readFileSync(join(pkg.pkgDir, 'package.json'), 'utf8')) as {
      dependencies?: object;
      version: string;
    };
    expect(installed.dependencies ?? {}).toEqual({});
    expect(pkg.installLog).toMatch(/added 1 package/);
  });
});

describe('Node', () => {
  test("ES module: import from 'wasm-nlp' resolves to the node bundle, init() finds the .wasm, and the task runs", async () => {
    const r = await runNode(['esm.mjs'], { cwd: pkg.project });
    expectOk(r);
    esm = JSON.parse(r.stdout) as TaskResult;
    const base = `file://${pkg.pkgDir}/`;
    expect(esm.platform).toBe('node');
    expect(esm.info).toEqual({ build: 'release', threads: 1, sharedMemory: false, maxMemory: 2 ** 32 });
    expect(esm.resolved).toEqual({
      main: `${base}dist/wasm-nlp.node.js`,
      wasm: `${base}dist/wasm-nlp.wasm`,
      mt: `${base}dist/wasm-nlp-mt.wasm`,
      pkg: `${base}package.json`,
    });
    expect(esm.matmul).toEqual([2.75, 7.5, 6.75, 17.5, 10.75, 27.5]);
    expect(esm.fasttextPredict).toMatch(/^__label__sport 0\.9\d+$/);
    expect(esm.digest).toBe(await repoDigest());
  });

  test("CommonJS: require('wasm-nlp') resolves to the same bundle and gives the same digest", async () => {
    const r = await runNode(['cjs.cjs'], { cwd: pkg.project });
    expectOk(r);
    expect(r.stderr).not.toContain('ERR_REQUIRE');
    const cjs = JSON.parse(r.stdout) as TaskResult;
    expect(cjs.platform).toBe('node');
    expect(cjs.resolved).toEqual({
      main: join(pkg.pkgDir, 'dist/wasm-nlp.node.js'),
      wasm: join(pkg.pkgDir, 'dist/wasm-nlp.wasm'),
      mt: join(pkg.pkgDir, 'dist/wasm-nlp-mt.wasm'),
      pkg: join(pkg.pkgDir, 'package.json'),
    });
    expect(cjs.digest).toBe(esm.digest);
  });

  test("TypeScript (module nodenext, no @types/node) type-checks apps against the installed types of 'wasm-nlp' and 'wasm-nlp/node'", async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = await runNode([tsc, '-p', 'tsconfig.json'], { cwd: pkg.project });
    expectOk(r);
  });

  test('the wasm-nlp command (package.json "bin") is installed and runs', async () => {
    const r = await promisify(execFile)(join(pkg.project, 'node_modules/.bin/wasm-nlp'), ['--help'], {
      cwd: pkg.project,
    }).catch((e: { stdout: string; code: number }) => e);
    expect(r.stdout).toMatch(/^usage: wasm-nlp <command>/);
    expect(r.stdout).toContain('supervised');
  });
});

describe("Node: 'wasm-nlp/node' of the installed package, files from disk", () => {
  const FIXTURES = join(ROOT, 'tests/fixtures');
  const ex = JSON.parse(readFileSync(join(FIXTURES, 'bert/expected.json'), 'utf8')) as NodeIoOptions['bert'] & {
    logits: number[];
  };
  const bert = {
    batch: ex.batch,
    seq: ex.seq,
    inputIds: ex.inputIds,
    tokenTypeIds: ex.tokenTypeIds,
    attentionMask: ex.attentionMask,
  };
  const lines = readFileSync(join(FIXTURES, 'fasttext/sup.sentences.txt'), 'utf8').trim().split('\n');
  /** What the repository's src/ gives for the same files, computed in this process. */
  let expected: NodeIoResult;
  let esmIo: NodeIoResult & { resolved: string };
  /** The task's options in the fresh project: the fixtures copied into it (a BERT directory of config.json + model.safetensors, a .bin). */
  const projectOptions = (out: string): NodeIoOptions => {
    const fx = join(pkg.project, 'fixtures');
    if (!existsSync(fx)) {
      mkdirSync(join(fx, 'bert'), { recursive: true });
      for (const f of ['config.json', 'model.safetensors'])
        copyFileSync(join(FIXTURES, 'bert', f), join(fx, 'bert', f));
      copyFileSync(join(FIXTURES, 'fasttext/sup.bin'), join(fx, 'sup.bin'));
    }
    mkdirSync(join(pkg.project, out), { recursive: true });
    return { bertDir: join(fx, 'bert'), bert, fastTextBin: join(fx, 'sup.bin'), lines, outDir: join(pkg.project, out) };
  };

  beforeAll(async () => {
    await initForTests();
    const out = join(dir, 'expected');
    mkdirSync(out, { recursive: true });
    expected = await nodeIoTask(src, srcNode, {
      bertDir: join(FIXTURES, 'bert'),
      bert,
      fastTextBin: join(FIXTURES, 'fasttext/sup.bin'),
      lines,
      outDir: out,
    });
  }, 30_000);
  afterAll(() => src.shutdown());

  test('the expected values themselves: PyTorch logits, native fastText sentence vectors, the labels of the .bin', () => {
    expect(expected.bert.logits.length).toBe(ex.logits.length);
    let d = 0;
    for (let i = 0; i < ex.logits.length; i++) d = Math.max(d, Math.abs(expected.bert.logits[i]! - ex.logits[i]!));
    expect(d).toBeLessThan(1e-4);
    const printed = parseRows(
      readFileSync(join(FIXTURES, 'fasttext/sup.sentence-vectors.txt'), 'utf8').replace(/^/gm, 'x '),
    );
    lines.forEach((l, i) => expectPrinted(Float32Array.from(expected.fastText.sentenceVectors[i]!), printed[i]![1], l));
    expect(expected.fastText.model).toBe('sup');
    expect(expected.fastText.labels).toEqual(['__label__great', '__label__neg', '__label__pos']);
    expect(expected.fastText.predictions.map((p) => p.length)).toEqual(lines.map(() => 3));
    expect(expected.fastText.sameBytes).toBe(true);
    expect(expected.oneLibrary).toBe(true);
  });

  test("ES module: import from 'wasm-nlp/node' resolves to dist/wasm-nlp.node-io.js; BERT and fastText from disk give what src/ gives", async () => {
    const r = await runNode(['node-io.mjs', JSON.stringify(projectOptions('out-esm'))], { cwd: pkg.project });
    expectOk(r);
    esmIo = JSON.parse(r.stdout) as NodeIoResult & { resolved: string };
    expect(esmIo.resolved).toBe(`file://${pkg.pkgDir}/dist/wasm-nlp.node-io.js`);
    expect(esmIo.bert.config).toEqual(expected.bert.config);
    expect(esmIo.bert.logits).toEqual(expected.bert.logits); // bit for bit: the same kernels and summation order
    expect(esmIo.fastText).toEqual(expected.fastText);
    expect(esmIo.oneLibrary).toBe(true); // 'wasm-nlp/node' throws the ArgumentError class of 'wasm-nlp'
    expect(esmIo.nodeExports).toEqual(Object.keys(srcNode).sort());
    for (const n of [
      'readBytes',
      'writeBytesAtomic',
      'loadFastTextBin',
      'saveFastTextBin',
      'loadSafetensors',
      'saveSafetensors',
      'loadCheckpoint',
      'saveCheckpoint',
      'loadBrown',
      'loadSpam',
      'readBertFiles',
      'loadBertFromDirectory',
      'saveBertToDirectory',
    ]) {
      expect(esmIo.nodeExports).toContain(n);
    }
    expect(readFileSync(join(pkg.project, 'out-esm/copy.bin'))).toEqual(
      readFileSync(join(FIXTURES, 'fasttext/sup.bin')),
    );
  });

  test("CommonJS: require('wasm-nlp/node') resolves to the same file and gives the same results", async () => {
    const r = await runNode(['node-io.cjs', JSON.stringify(projectOptions('out-cjs'))], { cwd: pkg.project });
    expectOk(r);
    expect(r.stderr).not.toContain('ERR_REQUIRE');
    const cjs = JSON.parse(r.stdout) as NodeIoResult & { resolved: string };
    expect(cjs.resolved).toBe(join(pkg.pkgDir, 'dist/wasm-nlp.node-io.js'));
    const { resolved: _a, ...a } = cjs;
    const { resolved: _b, ...b } = esmIo;
    expect(a).toEqual(b);
  });
});

describe('browser: bundles of the installed package in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** Serve `dir`, open `pagePath` in it ('' = index.html, '?threads=2', 'min.html'), wait for window.__result; the result and the .wasm paths the page fetched. */
  async function runPage(
    dir: string,
    pagePath = '',
  ): Promise<{ r: TaskResult & Record<string, unknown>; wasm: string[]; text: string | null }> {
    const server = await serveStatic({ mounts: { '/': dir } });
    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const wasm: string[] = [];
      page.on('request', (q) => q.url().endsWith('.wasm') && wasm.push(new URL(q.url()).pathname));
      await page.goto(`${server.url}${pagePath}`);
      const handle = await page.waitForFunction(
        () => (window as unknown as { __result?: unknown }).__result,
        undefined,
        { timeout: 30_000 },
      );
      const r = (await handle.jsonValue()) as TaskResult & Record<string, unknown>;
      expect(r.error, errors.join('\n')).toBeUndefined();
      expect(errors).toEqual([]);
      return { r, wasm, text: await page.textContent('#out') };
    } finally {
      await page.close();
      await server.close();
    }
  }

  test('rollup (browser condition): one file without node: imports or warnings, within the budget', async () => {
    app = await bundleBrowserApp(pkg.project);
    expect(app.warnings).toEqual([]);
    const src = readFileSync(app.file, 'utf8');
    expect(src).not.toMatch(NODE_IMPORT);
    expect(src).not.toMatch(/^\s*import\s/m); // one self-contained file
    // tree-shaking: the app is smaller than the whole browser bundle
    expect(app.bytes).toBeLessThan(readFileSync(join(pkg.pkgDir, 'dist/wasm-nlp.browser.js')).length);
    expect(app.bytes).toBeLessThan(BUDGET.browserAppRaw);
    expect(gzipSize(app.file)).toBeLessThan(BUDGET.browserAppGzip);
  });

  test('rollup: the page loads the copied .wasm with init({ url }) and computes the same digest as Node', async () => {
    const { r, wasm, text } = await runPage(app.dir);
    expect(wasm).toEqual(['/wasm-nlp.wasm']);
    expect(r.info).toMatchObject({ build: 'release', threads: 1 });
    expect(r.crossOriginIsolated).toBe(true);
    expect(r.matmul).toEqual(esm.matmul);
    expect(r.fasttextPredict).toBe(esm.fasttextPredict);
    expect(r.digest).toBe(esm.digest);
    expect(text).toBe(`${esm.fasttextPredict}\n${esm.digest}`);
  });

  test('rollup: init({ url, threads: 2 }) with the copied wasm-nlp-mt.wasm starts Web Workers and gives the same digest', async () => {
    const { r, wasm } = await runPage(app.dir, '?threads=2');
    expect(wasm).toEqual(['/wasm-nlp-mt.wasm']);
    expect(r.info).toMatchObject({ build: 'mt', threads: 2, sharedMemory: true });
    expect(r.digest).toBe(esm.digest);
  });

  test("Vite (defaults): 'wasm-nlp/wasm-nlp.wasm?url' becomes a hashed asset; the page computes the same digest", async () => {
    const vite = await buildViteApp(pkg.project);
    expect(vite.warnings).toEqual([]);
    expect(vite.wasm).toMatch(/^assets\/wasm-nlp-[\w-]+\.wasm$/);
    expect(readFileSync(join(vite.dir, vite.wasm!))).toEqual(readFileSync(join(pkg.pkgDir, 'dist/wasm-nlp.wasm')));
    const { r, wasm } = await runPage(vite.dir);
    expect(wasm).toEqual([`/${vite.wasm}`]);
    expect(r.wasmUrl).toBe(`/${vite.wasm}`);
    expect(r.digest).toBe(esm.digest);
  });

  test('the minified bundle, unbundled: min.html imports dist/wasm-nlp.browser.min.js; init() finds the .wasm next to it; same digest, errors keep their names', async () => {
    const { r, wasm, text } = await runPage(pkg.project, 'min.html');
    expect(wasm).toEqual(['/node_modules/wasm-nlp/dist/wasm-nlp.wasm']);
    expect(r.info).toMatchObject({ build: 'release', threads: 1 });
    expect(r.matmul).toEqual(esm.matmul);
    expect(r.digest).toBe(esm.digest);
    expect(text).toBe(`${esm.fasttextPredict}\n${esm.digest}`);
    expect(r.errorName).toBe('ArgumentError');
    expect(r.errorIsArgumentError).toBe(true);
  });
});

describe('workerd: a rollup worker bundle of the installed package', () => {
  test('bundles with the workerd condition; the .wasm stays a module import; a request gets the same digest as Node', async () => {
    const worker = await bundleWorker(pkg.project);
    expect(worker.warnings).toEqual([]);
    const src = readFileSync(worker.file, 'utf8');
    expect(src).toMatch(/^import \w+ from '\.\/wasm-nlp\.wasm';$/m);
    expect(src).not.toMatch(NODE_IMPORT);
    const wd = await startWorkerd(worker.config);
    try {
      const res = await fetch(wd.url);
      const r = (await res.json()) as TaskResult & { moduleIsModule: boolean };
      expect(res.status, `${r.error}\n${wd.output()}`).toBe(200);
      expect(r.moduleIsModule).toBe(true);
      expect(r.info).toMatchObject({ build: 'release', threads: 1 });
      expect(r.matmul).toEqual(esm.matmul);
      expect(r.digest).toBe(esm.digest);
      // a second request reuses the initialised runtime
      const again = (await (await fetch(wd.url)).json()) as TaskResult;
      expect(again.info).toBeUndefined();
      expect(again.digest).toBe(esm.digest);
    } finally {
      await wd.stop();
    }
  });
});

describe('size budget (docs/bundlers.md)', () => {
  test('core .wasm under 150 KB raw; the JS bundles and the tarball within their budgets', () => {
    const path = (f: string) => join(pkg.pkgDir, f);
    for (const f of ['dist/wasm-nlp.wasm', 'dist/wasm-nlp-mt.wasm']) {
      expect(statSync(path(f)).size, f).toBeLessThan(150 * 1024); // the core .wasm's hard limit (docs/bundlers.md)
      expect(statSync(path(f)).size, f).toBeLessThanOrEqual(BUDGET.wasmRaw);
      expect(gzipSize(path(f)), f).toBeLessThan(BUDGET.wasmGzip);
    }
    for (const name of ['node', 'browser', 'workerd']) {
      const b = bundleSize(path(`dist/wasm-nlp.${name}.js`)); // with the node build's shared chunk
      expect(b.raw, name).toBeLessThan(BUDGET.bundleRaw);
      expect(b.gzip, name).toBeLessThan(BUDGET.bundleGzip);
    }
    const min = path('dist/wasm-nlp.browser.min.js');
    expect(statSync(min).size).toBeLessThan(BUDGET.minBundleRaw);
    expect(gzipSize(min)).toBeLessThan(BUDGET.minBundleGzip);
    // minified: well under the readable bundle (measured: less than half raw, about 55% gzip)
    expect(statSync(min).size).toBeLessThan(0.6 * statSync(path('dist/wasm-nlp.browser.js')).size);
    expect(gzipSize(min)).toBeLessThan(0.7 * gzipSize(path('dist/wasm-nlp.browser.js')));
    expect(pkg.size).toBeLessThan(BUDGET.tarball);
  });
});
