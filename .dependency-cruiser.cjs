// dependency-cruiser: the import rules of src/ (docs/architecture.md).
// Run: npx depcruise src --config .dependency-cruiser.cjs   (part of `npm run lint`)
//
// 1. No import circles in src/ (type-only imports count too: a circle of types
//    is still two modules that cannot be understood one without the other).
// 2. No upward import between layers. From low to high:
//      core < (text, data, platform) < ops < autograd < nn < optim < io < train
//        < models < pipelines < (cli, node, entry, index)
//    A module may import its own layer and any lower one. Layers on one rung
//    (text/data/platform; cli/node/entry/index) may import each other, and the
//    families of src/models/ (vectors, fasttext, lm, encoder, bert) too: rule 1
//    keeps all of those free of circles.
// 3. Node built-ins only from the Node-only modules listed in NODE_ONLY.
//    (depcruise resolves 'node:fs' and 'fs' alike to the core module 'fs', so
//    it cannot require the `node:` prefix; grep or ESLint would have to.)
// 4. Every import resolves, and every module of src/ belongs to a layer.

/** Layers from low to high; each is a list of path regexes (relative to the repo root). */
const LAYERS = [
  { name: 'core', paths: ['^src/core/'] },
  { name: 'text|data|platform', paths: ['^src/text/', '^src/data/', '^src/platform/'] },
  { name: 'ops', paths: ['^src/ops/'] },
  { name: 'autograd', paths: ['^src/autograd/'] },
  { name: 'nn', paths: ['^src/nn/'] },
  { name: 'optim', paths: ['^src/optim/'] },
  { name: 'io', paths: ['^src/io/'] },
  { name: 'train', paths: ['^src/train/'] },
  { name: 'models', paths: ['^src/models/'] },
  { name: 'pipelines', paths: ['^src/pipelines\\.ts$', '^src/pipelines/'] },
  {
    name: 'cli|node|entry|index',
    paths: ['^src/cli\\.ts$', '^src/cli/', '^src/node/', '^src/entry/', '^src/index\\.ts$'],
  },
];

/** The modules that may import `node:` built-ins. */
const NODE_ONLY = [
  '^src/platform/node\\.ts$',
  '^src/io/node\\.ts$',
  '^src/io/node-fs\\.ts$',
  '^src/data/node\\.ts$',
  '^src/models/bert/node\\.ts$',
  '^src/node/',
  '^src/cli\\.ts$',
  '^src/cli/',
  '^src/entry/',
];

const any = (regexes) => `(${regexes.join('|')})`;

const upward = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `no-upward-from-${layer.name.replace(/\|/g, '-')}`,
  comment: `${layer.name} may import only ${LAYERS.slice(0, i + 1)
    .map((l) => l.name)
    .join(', ')}: not ${LAYERS.slice(i + 1)
    .map((l) => l.name)
    .join(', ')}.`,
  severity: 'error',
  from: { path: any(layer.paths) },
  to: { path: any(LAYERS.slice(i + 1).flatMap((l) => l.paths)) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle in src/ (possibly through type-only imports).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'node-builtins-only-in-node-modules',
      comment: `node: built-ins may be imported only from ${NODE_ONLY.join(' ')} (the rest of src/ runs in browsers and workerd too).`,
      severity: 'error',
      from: { path: '^src/', pathNot: any(NODE_ONLY) },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve to a file or package.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
    {
      name: 'src-outside-layers',
      comment: 'A module of src/ in no layer: add its folder to LAYERS in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: any(LAYERS.flatMap((l) => l.paths)) },
      to: {},
    },
    {
      name: 'no-import-of-tests-or-build',
      comment: 'src/ must not import tests/, scripts/, bench/, examples/, build/ or dist/.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(tests|scripts|bench|examples|build|dist)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|build)/' },
    // Count `import type` and type-only uses as dependencies (layering is about
    // what a module needs to be understood, not only what it loads at run time).
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
