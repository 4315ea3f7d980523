// The built package as a user gets it: the dist/ bundles, the default .wasm
// location, require() from CommonJS, the exports map, and no top-level await.
// Needs `npm run build` first.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, type NodeRun, runNode } from '../helpers/node-process.js';

const DIST = new URL('../../dist/', import.meta.url);
const BUNDLES = ['node', 'browser', 'workerd'] as const;
const bundlePath = (name: string) => fileURLToPath(new URL(`wasm-nlp.${name}.js`, DIST));



function expectOk(r: NodeRun): void {
  expect(r.timedOut, `timed out; stderr: ${r.stderr}`).toBe(false);
  expect(r.code, `exit code; stderr: ${r.stderr}`).toBe(0);
}

/** The public API, as `import * as w from 'wasm-nlp'` sees it. */
type Api = typeof import('../../src/index.js');

describe('the node bundle, imported', () => {
  let w: Api;
  afterAll(() => w?.shutdown());

  test('init() with no options finds dist/wasm-nlp.wasm next to the bundle', async () => {
    w = (await import(/* @vite-ignore */ new URL('wasm-nlp.node.js', DIST).href)) as Api;
    expect(w.isInitialized()).toBe(false);
    expect(w.getPlatform()?.name).toBe('node');
    const info = await w.init();
    expect(info).toEqual({ build: 'release', threads: 1, sharedMemory: false, maxMemory: 2 ** 32 });
    const a = w.Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = w.Tensor.fromArray([7, 8, 9, 10, 11, 12], [3, 2]);
    expect(w.ops.matmul(a, b).toNested()).toEqual([[58, 64], [139, 154]]);
  });

  test('the bundle exports the typed errors, and they work with instanceof', async () => {
    await expect(w.init({ threads: 0 })).resolves.toBeDefined(); // already initialized: the first promise
    w.shutdown();
    const e = await w.init({ threads: 0 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(w.ArgumentError);
    expect(e).toBeInstanceOf(w.WasmNlpError);
    expect(() => w.Tensor.zeros([1])).toThrow(w.NotInitializedError);
  });
});

describe('CommonJS', () => {
  test('require() of the ESM node bundle works (no top-level await) and init() runs', async () => {
    const code = `
      const w = require(${JSON.stringify(bundlePath('node'))});
      w.init().then((info) => {
        const a = w.Tensor.fromArray([1, 2, 3, 4], [2, 2]);
        console.log(info.build, JSON.stringify(w.ops.matmul(a, a).toNested()));
      }, (e) => { console.error(e); process.exit(2); });`;
    const r = await runNode(['--input-type=commonjs', '-e', code]);
    expectOk(r);
    expect(r.stdout.trim()).toBe('release [[7,10],[15,22]]');
  });

  test("require('wasm-nlp') resolves through the exports map to the node bundle", async () => {
    const r = await runNode(['--input-type=commonjs', '-e', "console.log(require.resolve('wasm-nlp')); console.log(typeof require('wasm-nlp').init)"]);
    expectOk(r);
    expect(r.stdout.trim().split('\n')).toEqual([bundlePath('node'), 'function']);
  });

  test.each(BUNDLES)('the %s bundle can be require()d: it has no top-level await', async (name) => {
    // require(esm) throws ERR_REQUIRE_ASYNC_MODULE for a graph with a top-level await.
    const code = `const w = require(${JSON.stringify(bundlePath(name))}); console.log(Object.keys(w).sort().join(','));`;
    const r = await runNode(['--input-type=commonjs', '-e', code]);
    expectOk(r);
    expect(r.stderr).not.toContain('ERR_REQUIRE_ASYNC_MODULE');
    const names = r.stdout.trim().split(',');
    for (const n of ['init', 'shutdown', 'checkSimd', 'Tensor', 'matmul', 'gemm', 'WasmNlpError', 'ArgumentError', 'NotInitializedError']) {
      expect(names).toContain(n);
    }
  });

  test('the three bundles export the same names', async () => {
    const lists = await Promise.all(
      BUNDLES.map(async (name) => {
        const r = await runNode(['--input-type=commonjs', '-e', `console.log(Object.keys(require(${JSON.stringify(bundlePath(name))})).sort().join(','))`]);
        expectOk(r);
        return r.stdout.trim();
      }),
    );
    expect(lists[1]).toBe(lists[0]);
    expect(lists[2]).toBe(lists[0]);
  });
});

describe('package.json and dist/', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8')) as {
    name: string;
    type: string;
    main?: string;
    types?: string;
    exports: Record<string, string | Record<string, string>>;
  };

  test('is an ES module package named wasm-nlp', () => {
    expect(pkg.name).toBe('wasm-nlp');
    expect(pkg.type).toBe('module');
  });

  test('"." has the types, workerd, browser, node and default conditions, types first and default last', () => {
    const dot = pkg.exports['.'];
    expect(typeof dot).toBe('object');
    const keys = Object.keys(dot as Record<string, string>);
    for (const c of ['types', 'node', 'workerd', 'browser', 'default']) expect(keys).toContain(c);
    expect(keys[0]).toBe('types');
    expect(keys[keys.length - 1]).toBe('default');
    // workerd and browser must come before node: Node resolves conditions in object order.
    expect(keys.indexOf('workerd')).toBeLessThan(keys.indexOf('node'));
    expect(keys.indexOf('browser')).toBeLessThan(keys.indexOf('node'));
    const d = dot as Record<string, string>;
    expect(d.node).toBe('./dist/wasm-nlp.node.js');
    expect(d.browser).toBe('./dist/wasm-nlp.browser.js');
    expect(d.workerd).toBe('./dist/wasm-nlp.workerd.js');
    expect(d.types).toMatch(/^\.\/dist\/.*\.d\.ts$/);
  });

  test('every file the exports map, main and types name exists', () => {
    const files: string[] = [];
    for (const v of Object.values(pkg.exports)) files.push(...(typeof v === 'string' ? [v] : Object.values(v)));
    if (pkg.main !== undefined) files.push(pkg.main);
    if (pkg.types !== undefined) files.push(pkg.types);
    expect(files.length).toBeGreaterThanOrEqual(5);
    const missing = files.filter((f) => !existsSync(new URL(f, `file://${ROOT}`)));
    expect(missing).toEqual([]);
  });

  test('the three .wasm builds are exported and are valid Wasm', () => {
    for (const f of ['wasm-nlp.wasm', 'wasm-nlp-mt.wasm', 'wasm-nlp-debug.wasm']) {
      expect(pkg.exports[`./${f}`]).toBe(`./dist/${f}`);
      const bytes = readFileSync(new URL(f, DIST));
      expect(WebAssembly.validate(bytes), f).toBe(true);
    }
  });

  test.each([
    [[], 'node'],
    [['-C', 'browser'], 'browser'],
    [['-C', 'workerd'], 'workerd'],
  ] as const)("import 'wasm-nlp' with conditions %j resolves to the %s bundle", async (flags, name) => {
    const r = await runNode([...flags, '--input-type=module', '-e', "console.log(import.meta.resolve('wasm-nlp'))"]);
    expectOk(r);
    expect(r.stdout.trim()).toBe(new URL(`wasm-nlp.${name}.js`, DIST).href);
  });

  test('the bundles are self-contained: no static imports (so no node: modules in the browser and workerd bundles)', () => {
    for (const name of BUNDLES) {
      const src = readFileSync(bundlePath(name), 'utf8');
      expect(src, name).not.toMatch(/^\s*import\s*(?:[\w*{][^;]*?\bfrom\s*)?['"]/m);
      expect(src, name).toMatch(/^export \{[^}]*\binit\b/m);
    }
  });

  test('the types entry declares the public API', () => {
    const dts = readFileSync(new URL((pkg.exports['.'] as Record<string, string>).types!, `file://${ROOT}`), 'utf8');
    for (const n of ['init', 'Tensor', 'matmul', 'WasmNlpError']) expect(dts).toContain(n);
  });
});
