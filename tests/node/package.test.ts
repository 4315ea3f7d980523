// The built package as a user gets it: the dist/ bundles (and the minified
// browser bundle), the `wasm-nlp/node` entry, the default .wasm location,
// require() from CommonJS, the exports map, the declared API (resolved by
// TypeScript) against what the bundles export, and no top-level await.
// Needs `npm run build` first.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT, type NodeRun, runNode } from '../helpers/node-process.js';
import { bundleFiles, staticImports } from '../../scripts/parity/package-smoke.mjs';

const DIST = new URL('../../dist/', import.meta.url);
const BUNDLES = ['node', 'browser', 'workerd'] as const;
const bundlePath = (name: string) => fileURLToPath(new URL(`wasm-nlp.${name}.js`, DIST));
/** What moved out of the root into `ops` (a few of them), and the Node-only helpers of `wasm-nlp/node`. */
const RAW_OPS = ['matmul', 'gemm', 'softmax', 'attention', 'layerNorm', 'linear', 'embedding', 'gelu'];
const NODE_HELPERS = [
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
];

/**
 * The value exports a .d.ts entry declares, resolved by the TypeScript checker through every
 * `export *` and `export * as` (module nodenext, as a user's tsc resolves them); type-only exports
 * (interfaces, `export type`) are left out. A namespace export maps to its own value exports.
 */
function declaredValues(entry: string): Map<string, string[] | null> {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    strict: true,
    types: [],
  });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(diagnostics, entry).toEqual([]); // the declarations type-check on their own, without @types/node
  const checker = program.getTypeChecker();
  const typeOnly = (s: ts.Symbol) =>
    (s.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
  const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const values = (mod: ts.Symbol) =>
    checker.getExportsOfModule(mod).filter((s) => !typeOnly(s) && (resolve(s).flags & ts.SymbolFlags.Value) !== 0);
  const out = new Map<string, string[] | null>();
  for (const s of values(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!)) {
    const t = resolve(s);
    out.set(
      s.name,
      t.flags & ts.SymbolFlags.ValueModule
        ? values(t)
            .map((m) => m.name)
            .sort()
        : null,
    );
  }
  return out;
}

/** `names` of a module namespace (or namespace object) as `declaredValues` gives them. */
function runtimeValues(ns: Record<string, unknown>, namespaces: readonly string[]): Map<string, string[] | null> {
  return new Map(Object.keys(ns).map((k) => [k, namespaces.includes(k) ? Object.keys(ns[k] as object).sort() : null]));
}
const sorted = (m: Map<string, string[] | null>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

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
    expect(w.ops.matmul(a, b).toNested()).toEqual([
      [58, 64],
      [139, 154],
    ]);
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
    const r = await runNode([
      '--input-type=commonjs',
      '-e',
      "console.log(require.resolve('wasm-nlp')); console.log(typeof require('wasm-nlp').init)",
    ]);
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
    for (const n of [
      'init',
      'shutdown',
      'checkSimd',
      'Tensor',
      'ops',
      'F',
      'WasmNlpError',
      'ArgumentError',
      'NotInitializedError',
    ]) {
      expect(names).toContain(n);
    }
    for (const n of [...RAW_OPS, ...NODE_HELPERS]) expect(names, `${n} is not at the root`).not.toContain(n);
  });

  test.each(BUNDLES)('the %s bundle: the raw ops are in the ops namespace', async (name) => {
    const code = `const { ops } = require(${JSON.stringify(bundlePath(name))}); console.log(Object.keys(ops).filter((k) => typeof ops[k] === 'function').sort().join(','));`;
    const r = await runNode(['--input-type=commonjs', '-e', code]);
    expectOk(r);
    const names = r.stdout.trim().split(',');
    for (const n of RAW_OPS) expect(names).toContain(n);
  });

  test("require('wasm-nlp/node') gives the Node helpers from dist/wasm-nlp.node-io.js, over the same library as require('wasm-nlp')", async () => {
    const code = `
      const w = require('wasm-nlp');
      const n = require('wasm-nlp/node');
      console.log(require.resolve('wasm-nlp/node'));
      console.log(Object.keys(n).filter((k) => typeof n[k] === 'function').sort().join(','));
      n.readBertFiles('').catch((e) => console.log(e instanceof w.ArgumentError, e.name));`;
    const r = await runNode(['--input-type=commonjs', '-e', code]);
    expectOk(r);
    expect(r.stderr).not.toContain('ERR_REQUIRE');
    const [resolved, names, shared] = r.stdout.trim().split('\n');
    expect(resolved).toBe(bundlePath('node-io'));
    for (const n of NODE_HELPERS) expect(names!.split(',')).toContain(n);
    expect(shared).toBe('true ArgumentError'); // one copy of the library: the error class of 'wasm-nlp'
  });

  test('the three bundles export the same names', async () => {
    const lists = await Promise.all(
      BUNDLES.map(async (name) => {
        const r = await runNode([
          '--input-type=commonjs',
          '-e',
          `console.log(Object.keys(require(${JSON.stringify(bundlePath(name))})).sort().join(','))`,
        ]);
        expectOk(r);
        return r.stdout.trim();
      }),
    );
    expect(lists[1]).toBe(lists[0]);
    expect(lists[2]).toBe(lists[0]);
  });
});

describe('the minified browser bundle (dist/wasm-nlp.browser.min.js)', () => {
  test('is minified, exports the names of the readable browser bundle, and is not the default', async () => {
    const min = readFileSync(bundlePath('browser.min'), 'utf8');
    const readable = readFileSync(bundlePath('browser'), 'utf8');
    expect(min.length).toBeLessThan(0.6 * readable.length);
    expect(min.split('\n').length).toBeLessThan(readable.split('\n').length / 100);
    const keys = await Promise.all(
      ['browser', 'browser.min'].map(async (name) => {
        const r = await runNode([
          '--input-type=commonjs',
          '-e',
          `console.log(Object.keys(require(${JSON.stringify(bundlePath(name))})).sort().join(','))`,
        ]);
        expectOk(r);
        return r.stdout.trim();
      }),
    );
    expect(keys[1]).toBe(keys[0]);
    expect(min).not.toMatch(/^\s*import\s*(?:[\w*{][^;]*?\bfrom\s*)?['"]/m);
  });

  test('runs: in Node with init({ module }), the parity task gives the digest of the readable bundle; errors keep their class names', async () => {
    const script = (name: string) => `
      import { readFileSync } from 'node:fs';
      import * as w from ${JSON.stringify(bundlePath(name))};
      import { parityTask } from './scripts/parity/task.js';
      await w.init({ module: await WebAssembly.compile(readFileSync('dist/wasm-nlp.wasm')) });
      const r = await parityTask(w);
      console.log(r.digest, new w.ShapeError('x').name, w.Tensor.name);`;
    const [a, b] = await Promise.all(
      ['browser', 'browser.min'].map((name) => runNode(['--input-type=module', '-e', script(name)])),
    );
    expectOk(a!);
    expectOk(b!);
    expect(b!.stdout.trim()).toBe(a!.stdout.trim());
    expect(a!.stdout.trim()).toMatch(/^[0-9a-f]{64} ShapeError Tensor$/);
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

  test('"./node" (wasm-nlp/node): types first, then the node-io entry, which imports only the node bundle and node: modules', async () => {
    const sub = pkg.exports['./node'] as Record<string, string>;
    expect(Object.keys(sub)[0]).toBe('types');
    expect(sub.types).toBe('./dist/types/node/index.d.ts');
    expect(sub.node).toBe('./dist/wasm-nlp.node-io.js');
    // its code comes from the node bundle itself or the chunk the node bundle imports, never a copy
    const nodeFiles = bundleFiles(bundlePath('node'));
    const local = staticImports(bundlePath('node-io')).filter((i) => !i.startsWith('node:'));
    expect(local.length).toBeGreaterThan(0);
    for (const i of local) expect(nodeFiles, i).toContain(fileURLToPath(new URL(i, DIST)));
    const r = await runNode(['--input-type=module', '-e', "console.log(import.meta.resolve('wasm-nlp/node'))"]);
    expectOk(r);
    expect(r.stdout.trim()).toBe(new URL('wasm-nlp.node-io.js', DIST).href);
  });

  test('the minified browser bundle is not in the exports map (bundlers minify the readable one; pages load the file by its path)', () => {
    const named = Object.values(pkg.exports).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v)));
    expect(named).not.toContain('./dist/wasm-nlp.browser.min.js');
    expect(existsSync(bundlePath('browser.min'))).toBe(true);
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

  test('the bundles are self-contained: no static imports (so no node: modules in the browser and workerd bundles); the node bundle at most its shared chunk', () => {
    for (const name of BUNDLES) {
      const src = readFileSync(bundlePath(name), 'utf8');
      expect(src, name).toMatch(/^export \{[^}]*\binit\b/m);
      const files = bundleFiles(bundlePath(name));
      // node: the build it shares with wasm-nlp/node may move the library into dist/wasm-nlp.<name>-chunk.js
      const imported = files.slice(1).map((f) => basename(f));
      if (name === 'node') for (const f of imported) expect(f).toMatch(/^wasm-nlp\.[\w-]+-chunk\.js$/);
      else expect(imported, name).toEqual([]);
      for (const f of files)
        expect(
          staticImports(f).filter((i) => !i.startsWith('./')),
          f,
        ).toEqual([]);
    }
  });

  test("the types of 'wasm-nlp', resolved by TypeScript, declare exactly the values the bundle exports, namespaces (ops, F) member for member", async () => {
    const declared = declaredValues(
      fileURLToPath(new URL((pkg.exports['.'] as Record<string, string>).types!, `file://${ROOT}`)),
    );
    const w = (await import(/* @vite-ignore */ new URL('wasm-nlp.node.js', DIST).href)) as Record<string, unknown>;
    expect(sorted(declared)).toEqual(sorted(runtimeValues(w, ['ops', 'F'])));
    for (const n of [
      'init',
      'shutdown',
      'Tensor',
      'WasmNlpError',
      'ArgumentError',
      'FastTextClassifier',
      'BertModel',
      'BertForMaskedLM',
      'Module',
      'AdamW',
    ]) {
      expect(declared.get(n), n).toBeNull(); // declared, and not a namespace
    }
    for (const n of RAW_OPS) {
      expect(declared.has(n), `${n} is not at the root`).toBe(false);
      expect(declared.get('ops'), `ops.${n}`).toContain(n);
    }
    for (const n of NODE_HELPERS) expect(declared.has(n), `${n} is only in wasm-nlp/node`).toBe(false);
  });

  test("the types of 'wasm-nlp/node', resolved by TypeScript, declare exactly the values dist/wasm-nlp.node-io.js exports", async () => {
    const declared = declaredValues(
      fileURLToPath(new URL((pkg.exports['./node'] as Record<string, string>).types!, `file://${ROOT}`)),
    );
    const n = (await import(/* @vite-ignore */ new URL('wasm-nlp.node-io.js', DIST).href)) as Record<string, unknown>;
    expect(sorted(declared)).toEqual(sorted(runtimeValues(n, [])));
    for (const h of NODE_HELPERS) expect(declared.has(h), h).toBe(true);
  });
});
