// ESLint flat config: @eslint/js recommended + typescript-eslint recommended
// (syntactic only, no type information, so `npx eslint .` stays fast), over
// src/, tests/, scripts/, bench/, examples/, fuzz/ and the root config files.
// Formatting is prettier's job (.prettierrc.json): no stylistic rules here.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Globals per runtime, written out here (the `globals` package is not among the
// dev dependencies): the web-platform names each environment has that the code
// uses or may plausibly use. ES built-ins (Map, Atomics, ...) come from
// ESLint's default ecmaVersion; WebAssembly is not one of them.
// TypeScript files do not need these (typescript-eslint turns no-undef off for
// them: tsc checks names); they matter for the .js/.mjs/.cjs files.
const ro = (names) =>
  Object.fromEntries(
    names
      .trim()
      .split(/\s+/)
      .map((n) => [n, 'readonly']),
  );

/** In Node 20, browsers, Web Workers and workerd alike. */
const universal = ro(`
  AbortController AbortSignal atob Blob btoa BroadcastChannel clearInterval clearTimeout
  CompressionStream console crypto CustomEvent DecompressionStream DOMException Event EventTarget
  fetch File FormData Headers MessageChannel MessageEvent MessagePort navigator performance
  queueMicrotask ReadableStream Request Response setInterval setTimeout structuredClone
  TextDecoder TextDecoderStream TextEncoder TextEncoderStream TransformStream URL URLSearchParams
  WebAssembly WritableStream
`);

const node = {
  ...universal,
  ...ro('Buffer clearImmediate global process setImmediate'),
};

/** A dedicated Web Worker (examples/web/*\/worker.js). */
const worker = {
  ...universal,
  ...ro('close importScripts location onmessage postMessage self'),
};

const browser = {
  ...worker,
  ...ro(`
  alert cancelAnimationFrame devicePixelRatio document Element FileReader getComputedStyle history
  HTMLCanvasElement HTMLElement HTMLInputElement HTMLSelectElement HTMLTextAreaElement Image
  ImageData IntersectionObserver KeyboardEvent localStorage matchMedia MouseEvent MutationObserver
  Node requestAnimationFrame ResizeObserver sessionStorage window Worker
`),
};

/** Cloudflare workerd (a service-worker-like global scope). */
const workerd = {
  ...universal,
  ...ro('caches self'),
};

// Files that run outside Node (they get no `process`, `Buffer`, ...).
const notNode = [
  'tests/browser/**',
  'examples/web/**/*.js',
  'examples/edge/worker.js',
  'scripts/parity/worker.js',
  'scripts/parity/task.js',
  'scripts/parity/smoke/worker.mjs',
  'scripts/parity/smoke/browser-app.mjs',
  'scripts/parity/smoke/vite-main.mjs',
];

export default defineConfig(
  globalIgnores([
    '**/node_modules/',
    'dist/',
    'build/',
    'data/',
    'runs/',
    'coverage/',
    'fuzz/findings/',
    'examples/web/dist/',
    'examples/edge/build/',
    'tests/fixtures/',
    // AssemblyScript decorates top-level functions and constants
    // (`@inline export const X: i32 = 4;`), which the TypeScript parser
    // rejects ("Decorators are not valid here": 13 of its 17 files do not
    // parse), and its types (i32, usize, v128, load<T>, ...) are not
    // TypeScript's. asc type-checks the folder on every `npm run build:wasm`.
    'assembly/',
  ]),
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `_`-prefixed names are deliberately unused (interface-shaped callbacks,
      // destructuring that drops a field); rest siblings drop keys on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // With noUncheckedIndexedAccess, `a[i]!` on a checked index is the idiom.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // The code's style has one-line statements `cond ? x++ : y++;` and
      // `ok && n++;`: allowed. A bare `a.b;` or `x == y;` is still an error, and
      // so is a comma sequence `if (c) a(), b();` (no option for it: use a block).
      '@typescript-eslint/no-unused-expressions': [
        'error',
        { allowShortCircuit: true, allowTernary: true, allowTaggedTemplates: false },
      ],
      // `try { ... } catch {}`: "if it fails, keep the default" is deliberate here.
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  // Plain JS: CommonJS where the extension says so.
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // The library is runtime-neutral: only the universal globals, except where
  // a file is for one runtime.
  { files: ['src/**'], languageOptions: { globals: universal } },
  {
    files: [
      'src/platform/node.ts',
      'src/**/node.ts',
      'src/node/**',
      'src/cli.ts',
      'src/cli/**',
      'src/entry/node*.ts',
      'src/entry/cli.ts',
    ],
    languageOptions: { globals: node },
  },
  { files: ['src/platform/browser.ts', 'src/entry/browser.ts'], languageOptions: { globals: browser } },
  { files: ['src/platform/workerd.ts', 'src/entry/workerd.ts'], languageOptions: { globals: workerd } },

  // Node: tests (vitest, node project), scripts, benchmarks, examples' CLIs, root configs.
  {
    files: ['tests/**', 'scripts/**', 'bench/**', 'examples/**', 'fuzz/**', '*.js', '*.mjs', '*.cjs', '*.ts'],
    ignores: notNode,
    languageOptions: { globals: node },
  },
  // Tests feed deliberately ill-typed values to check the typed errors.
  { files: ['tests/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // Vitest's browser project runs tests/browser/ in Chromium.
  { files: ['tests/browser/**'], languageOptions: { globals: browser } },
  // The web demos: pages and their module workers (common/ is shared by both).
  { files: ['examples/web/**/*.js'], languageOptions: { globals: browser } },
  // Cloudflare Workers.
  {
    files: ['examples/edge/worker.js', 'scripts/parity/worker.js', 'scripts/parity/smoke/worker.mjs'],
    languageOptions: { globals: workerd },
  },
  // Browser pages of the parity run.
  {
    files: ['scripts/parity/smoke/browser-app.mjs', 'scripts/parity/smoke/vite-main.mjs'],
    languageOptions: { globals: browser },
  },
  // Runs in every runtime (Node, Chromium, workerd): universal globals only.
  { files: ['scripts/parity/task.js'], languageOptions: { globals: universal } },
);
