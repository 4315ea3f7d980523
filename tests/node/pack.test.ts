// The package as users get it: `npm pack`, the tarball installed offline in a
// fresh project, then used from Node ESM, CommonJS, TypeScript, the CLI, a
// rollup and a Vite browser bundle in Chromium and a rollup worker bundle in workerd. All
// run the parity task (scripts/parity/task.js: init, a matmul, a seeded
// fastText classifier trained and queried, a Transformer) and must agree
// digest for digest. Plus the tarball's file list and the size budget
// (docs/bundlers.md). tests/node/package.test.ts checks dist/ itself.
// Needs `npm run build` first.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROOT, type NodeRun, runNode } from '../helpers/node-process.js';
import { launchChromium, serveStatic, startWorkerd } from '../../scripts/lib/runtimes.mjs';
import { BUDGET, buildViteApp, bundleBrowserApp, bundleWorker, gzipSize, packAndInstall, type Bundle, type Installed } from '../../scripts/parity/package-smoke.mjs';

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
  const r = await runNode(['--input-type=module', '-e', `
    import * as w from './dist/wasm-nlp.node.js';
    import { parityTask } from './scripts/parity/task.js';
    await w.init();
    console.log((await parityTask(w)).digest);`]);
  expectOk(r);
  return r.stdout.trim();
}

describe('the tarball', () => {
  test('holds exactly what users need: the bundles, the .wasm builds, the types, README, docs; no sources, tests or data', () => {
    const files = pkg.files;
    for (const f of [
      'package.json', 'README.md', 'dist/wasm-nlp.node.js', 'dist/wasm-nlp.browser.js', 'dist/wasm-nlp.workerd.js', 'dist/wasm-nlp.cli.js',
      'dist/wasm-nlp.wasm', 'dist/wasm-nlp-mt.wasm', 'dist/wasm-nlp-debug.wasm', 'dist/types/index.d.ts',
    ]) {
      expect(files, f).toContain(f);
    }
    const allowed = [/^package\.json$/, /^README\.md$/, /^LICENSE(\.md)?$/, /^dist\/wasm-nlp(\.[a-z]+\.js|(-mt|-debug)?\.wasm)$/, /^dist\/types\/.+\.d\.ts$/, /^docs\/[\w-]+\.md$/];
    expect(files.filter((f) => !allowed.some((re) => re.test(f)))).toEqual([]);
    // spelled out: nothing from the working tree that users do not need
    for (const prefix of ['src/', 'assembly/', 'tests/', 'runs/', 'data/', 'build/', 'bench/', 'examples/', 'scripts/', 'node_modules/', 'docs/img/']) {
      expect(files.filter((f) => f.startsWith(prefix)), prefix).toEqual([]);
    }
    expect(files.filter((f) => f.endsWith('.wat') || f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  test('installs offline into a fresh project with no other package', () => {
    const project = JSON.parse(readFileSync(join(pkg.project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(project.dependencies)).toEqual(['wasm-nlp']);
    expect(readdirSync(join(pkg.project, 'node_modules')).filter((f) => !f.startsWith('.'))).toEqual(['wasm-nlp']);
    const installed = JSON.parse(readFileSync(join(pkg.pkgDir, 'package.json'), 'utf8')) as { dependencies?: object; version: string };
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

  test('TypeScript (module nodenext, no @types/node) type-checks an app against the installed types', async () => {
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = await runNode([tsc, '-p', 'tsconfig.json'], { cwd: pkg.project });
    expectOk(r);
  });

  test('the wasm-nlp command (package.json "bin") is installed and runs', async () => {
    const r = await promisify(execFile)(join(pkg.project, 'node_modules/.bin/wasm-nlp'), ['--help'], { cwd: pkg.project }).catch((e: { stdout: string; code: number }) => e);
    expect(r.stdout).toMatch(/^usage: wasm-nlp <command>/);
    expect(r.stdout).toContain('supervised');
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

  /** Serve `dir`, open it, wait for window.__result; the result and the .wasm paths the page fetched. */
  async function runPage(dir: string, query = ''): Promise<{ r: TaskResult & Record<string, unknown>; wasm: string[]; text: string | null }> {
    const server = await serveStatic({ mounts: { '/': dir } });
    const page = await browser.newPage();
    try {
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const wasm: string[] = [];
      page.on('request', (q) => q.url().endsWith('.wasm') && wasm.push(new URL(q.url()).pathname));
      await page.goto(`${server.url}${query}`);
      const handle = await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, undefined, { timeout: 30_000 });
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
      expect(statSync(path(f)).size, f).toBeLessThan(150 * 1024); // the limit
      expect(statSync(path(f)).size, f).toBeLessThanOrEqual(BUDGET.wasmRaw);
      expect(gzipSize(path(f)), f).toBeLessThan(BUDGET.wasmGzip);
    }
    for (const name of ['node', 'browser', 'workerd']) {
      const f = path(`dist/wasm-nlp.${name}.js`);
      expect(statSync(f).size, name).toBeLessThan(BUDGET.bundleRaw);
      expect(gzipSize(f), name).toBeLessThan(BUDGET.bundleGzip);
    }
    expect(pkg.size).toBeLessThan(BUDGET.tarball);
  });
});
