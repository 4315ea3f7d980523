#!/usr/bin/env node
// Writes docs/api.md, the public surface by area, from the sources: the exports of
// src/index.ts (the `wasm-nlp` entry) and src/node/index.ts (`wasm-nlp/node`), walked
// with the TypeScript compiler API. `export *` is followed into the module it names,
// `export * as X` becomes a namespace (the root's become areas of their own), and each
// line carries the first sentence of the symbol's JSDoc (else of the comment above its
// declaration). Order is the barrels' order, so the output depends on the sources only.
//
//   node scripts/api-doc.mjs           write docs/api.md   (npm run api-doc)
//   node scripts/api-doc.mjs --check   exit 1 if docs/api.md is not up to date
//   node scripts/api-doc.mjs --missing list the exports that have no doc comment
//
// tests/node/api-doc.test.ts runs the check, so the page cannot drift from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const API_DOC = join(ROOT, 'docs', 'api.md');

/** Area titles and one-line blurbs, by the folder (or file) the root barrel re-exports. */
const AREAS = {
  core: [
    'core',
    'The runtime (`init`, memory, threads, platforms), `Tensor` and its scopes, the error classes, the RNG.',
  ],
  ops: [
    'ops (the `ops` namespace)',
    "Raw operations on Tensors over the Wasm kernels, each forward with its backward (backward functions accumulate). Imported as `import { ops } from 'wasm-nlp'`, called as `ops.matmul(...)`.",
  ],
  autograd: [
    'autograd and F',
    'Parameters, Variables and the tape; `F` is the namespace of differentiable ops ([autograd.md](autograd.md)).',
  ],
  nn: ['nn', 'Modules and layers with Hugging Face parameter names ([nn.md](nn.md)).'],
  optim: [
    'optim',
    'Optimizers, parameter groups, learning-rate schedules, clipping, accumulation ([optim.md](optim.md)).',
  ],
  io: [
    'io',
    'File formats as bytes in, bytes out, in every runtime ([formats.md](formats.md)); files on disk are `wasm-nlp/node`.',
  ],
  text: ['text', 'Tokenizers, vocabularies, fastText sub-word hashing, WordPiece ([wordpiece.md](wordpiece.md)).'],
  data: ['data', 'The canonical corpora and splits as pure functions over file contents ([data.md](data.md)).'],
  train: [
    'train',
    'The shared training loop: its options, results, progress reports and hooks ([models.md](models.md)).',
  ],
  'models/vectors': [
    'models: vectors',
    'Word vectors: word2vec and fastText sub-word vectors ([word2vec.md](word2vec.md), [fasttext.md](fasttext.md)).',
  ],
  'models/fasttext': [
    'models: fasttext',
    "fastText's supervised classifier and lookups over a fastText model ([fasttext.md](fasttext.md)).",
  ],
  'models/lm': [
    'models: lm',
    'Language models: Kneser-Ney n-grams, the neural LM, the LSTM LM, mixtures, the LM vocabulary ([ngram.md](ngram.md), [neural-lm.md](neural-lm.md)).',
  ],
  'models/encoder': ['models: encoder', 'Transformer encoders trained from scratch ([models.md](models.md)).'],
  'models/bert': [
    'models: bert',
    'BERT and its heads with Hugging Face names, masked-LM masking and training ([bert.md](bert.md), [mlm.md](mlm.md)).',
  ],
  'models/gpt': [
    'models: gpt',
    'Causal Transformer language models: GPT-2 with Hugging Face names, GptLM over words, KV-cached decoding and generation ([gpt.md](gpt.md)).',
  ],
  pipelines: [
    'pipelines',
    'transformers.js-style `pipeline(task, model)` over the BERT models ([pipelines.md](pipelines.md)).',
  ],
  node: [
    '`wasm-nlp/node`',
    "Node-only helpers: files and directories, atomic saves, the corpus loaders, BERT model directories. `import { ... } from 'wasm-nlp/node'`.",
  ],
};

const SRC = join(ROOT, 'src');
const rel = (file) => relative(SRC, file).replace(/\\/g, '/');

/** The area key of a module the root barrel re-exports: 'core' for src/core/index.ts, 'pipelines' for src/pipelines.ts. */
function areaKey(file) {
  return rel(file)
    .replace(/\/index\.ts$/, '')
    .replace(/\.ts$/, '');
}

function createProgram() {
  const options = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  return ts.createProgram([join(SRC, 'index.ts'), join(SRC, 'node', 'index.ts')], options);
}

/** The source file an export declaration's module specifier names. */
function targetFile(program, from, spec) {
  const r = ts.resolveModuleName(spec, from.fileName, program.getCompilerOptions(), ts.sys);
  const name = r.resolvedModule?.resolvedFileName;
  const sf = name && program.getSourceFile(name);
  if (!sf) throw new Error(`api-doc: cannot resolve '${spec}' from ${rel(from.fileName)}`);
  return sf;
}

const hasExport = (node) => (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Export) !== 0;

function kindOf(decl) {
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isInterfaceDeclaration(decl)) return 'interface';
  if (ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isEnumDeclaration(decl)) return 'enum';
  if (ts.isModuleDeclaration(decl) || ts.isSourceFile(decl)) return 'namespace';
  if (ts.isVariableDeclaration(decl)) {
    const list = decl.parent;
    return list && (list.flags & ts.NodeFlags.Const) !== 0 ? 'const' : 'let';
  }
  return 'value';
}

/**
 * A JSDoc comment's text as one line: `{@link X}` / `{@link X text}` resolved, and only its
 * first paragraph up to any indented block (a formula or a list), a colon before one read as
 * the end of the sentence.
 */
function jsDocText(parts) {
  let text = ts.displayPartsToString(parts);
  const block = text.search(/\n(?:[ \t]*\n| {2,}|\t)/);
  if (block >= 0) text = text.slice(0, block).replace(/:\s*$/, '.');
  return text
    .replace(/\{@link(?:code|plain)?\s+([^}\s|]+)(?:[\s|]+([^}]*))?\}/g, (_, name, text) =>
      text ? text.trim() : `\`${name}\``,
    )
    .replace(/\s+/g, ' ')
    .trim();
}

/** The `//` comment lines right above a declaration (its statement), joined. */
function lineCommentText(decl) {
  let node = decl;
  if (ts.isVariableDeclaration(node)) node = node.parent.parent;
  const sf = node.getSourceFile();
  const ranges = ts.getLeadingCommentRanges(sf.text, node.getFullStart()) ?? [];
  const lines = [];
  for (const r of ranges) {
    const text = sf.text.slice(r.pos, r.end);
    if (r.kind === ts.SyntaxKind.SingleLineCommentTrivia) lines.push(text.replace(/^\/\/\s?/, ''));
    else lines.length = 0; // a block comment that is not JSDoc: only line comments after it count
  }
  // A comment block separated from the declaration by a blank line is about something else.
  if (ranges.length) {
    const last = ranges[ranges.length - 1];
    if (/\n\s*\n/.test(sf.text.slice(last.end, node.getStart()))) return '';
  }
  return lines.join(' ').replace(/\s+/g, ' ').trim();
}

/**
 * The first sentence of a comment: up to the first '.', '!' or '?' that ends a word and is
 * followed by the end or by a space and a capital (or a backtick), skipping e.g., i.e., vs.,
 * et al. and ellipses.
 */
export function firstSentence(text) {
  const re = /(?<=\S)[.!?](?=$|\s+[A-Z`'"(])/g;
  let m;
  while ((m = re.exec(text))) {
    const before = text.slice(0, m.index + 1);
    if (/(?:\be\.g|\bi\.e|\bvs|\betc|\bcf|\bal|\.\.)\.$/i.test(before)) continue;
    return before.trim();
  }
  return text.trim();
}

function describe(checker, symbol, decl) {
  let text = jsDocText(symbol.getDocumentationComment(checker));
  // `/** doc */ export const A = 1, B = 2;`: the doc is the statement's, for every name in it.
  if (!text && decl && ts.isVariableDeclaration(decl)) {
    const docs = ts.getJSDocCommentsAndTags(decl.parent.parent).filter(ts.isJSDoc);
    text = docs.length
      ? jsDocText([{ text: ts.getTextOfJSDocComment(docs[docs.length - 1].comment) ?? '', kind: 'text' }])
      : '';
  }
  if (!text && decl && !ts.isSourceFile(decl)) text = lineCommentText(decl);
  return text ? firstSentence(text) : '';
}

function resolveAlias(checker, symbol) {
  return symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
}

/**
 * The exports of one module in source order: `{ name, kind, doc, members? }`, where
 * `members` lists a namespace's exports. `export *` is followed; names seen twice keep
 * their first place.
 */
function moduleExports(program, checker, sf, seen = new Set()) {
  const out = [];
  const push = (entry) => {
    if (seen.has(entry.name)) return;
    seen.add(entry.name);
    out.push(entry);
  };
  const entryOf = (name, symbol, typeOnly) => {
    const target = resolveAlias(checker, symbol);
    const decl = target.declarations?.[0] ?? target.valueDeclaration;
    let kind = decl ? kindOf(decl) : 'value';
    if (typeOnly && kind === 'class') kind = 'type (class)';
    const where = decl
      ? `src/${rel(decl.getSourceFile().fileName)}:${decl.getSourceFile().getLineAndCharacterOfPosition(decl.getStart()).line + 1}`
      : '';
    return { name, kind, doc: describe(checker, target, decl), where };
  };
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      const clause = st.exportClause;
      if (!clause) {
        out.push(...moduleExports(program, checker, targetFile(program, sf, st.moduleSpecifier.text), seen));
      } else if (ts.isNamespaceExport(clause)) {
        const inner = targetFile(program, sf, st.moduleSpecifier.text);
        const doc = firstSentence(statementDoc(st)) || moduleDoc(inner);
        push({
          name: clause.name.text,
          kind: 'namespace',
          doc,
          where: `src/${rel(sf.fileName)}`,
          members: moduleExports(program, checker, inner),
        });
      } else {
        for (const el of clause.elements) {
          const symbol = checker.getSymbolAtLocation(el.name);
          if (!symbol) throw new Error(`api-doc: no symbol for ${el.name.text} in ${rel(sf.fileName)}`);
          push(entryOf(el.name.text, symbol, st.isTypeOnly || el.isTypeOnly));
        }
      }
      continue;
    }
    if (!hasExport(st) || ts.isExportAssignment(st)) continue;
    const decls = ts.isVariableStatement(st) ? st.declarationList.declarations : [st];
    for (const d of decls) {
      if (!d.name || !ts.isIdentifier(d.name)) continue;
      const symbol = checker.getSymbolAtLocation(d.name);
      if (symbol) push(entryOf(d.name.text, symbol, false));
    }
  }
  return out;
}

/** The text of the `/** ... *\/` comment right before a statement (export declarations carry no symbol to ask). */
function statementDoc(st) {
  const sf = st.getSourceFile();
  const ranges = ts.getLeadingCommentRanges(sf.text, st.getFullStart()) ?? [];
  const last = ranges[ranges.length - 1];
  if (!last || !sf.text.startsWith('/**', last.pos)) return '';
  return sf.text
    .slice(last.pos + 3, last.end - 2)
    .replace(/^\s*\* ?/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The first sentence of a module's opening comment (its header), for namespaces. */
function moduleDoc(sf) {
  const ranges = ts.getLeadingCommentRanges(sf.text, 0) ?? [];
  const lines = [];
  for (const r of ranges) {
    const text = sf.text.slice(r.pos, r.end);
    if (r.kind === ts.SyntaxKind.SingleLineCommentTrivia) lines.push(text.replace(/^\/\/\s?/, ''));
    else lines.push(text.replace(/^\/\*\*?|\*\/$/g, '').replace(/^\s*\* ?/gm, ''));
  }
  return firstSentence(lines.join(' ').replace(/\s+/g, ' ').trim());
}

/** The areas of the public API: `{ key, title, blurb, entries }`, in the root barrel's order, then `wasm-nlp/node`. */
export function apiAreas() {
  const program = createProgram();
  const checker = program.getTypeChecker();
  const root = program.getSourceFile(join(SRC, 'index.ts'));
  const areas = [];
  const seen = new Set();
  const area = (key, entries, namespace) => {
    const meta = AREAS[key];
    if (!meta) throw new Error(`api-doc: no title for area '${key}' (add it to AREAS in scripts/api-doc.mjs)`);
    areas.push({ key, title: meta[0], blurb: meta[1], entries, namespace });
  };
  const walk = (sf) => {
    for (const st of sf.statements) {
      if (!ts.isExportDeclaration(st) || !st.moduleSpecifier) continue;
      const inner = targetFile(program, sf, st.moduleSpecifier.text);
      const key = areaKey(inner.fileName);
      if (st.exportClause && ts.isNamespaceExport(st.exportClause)) {
        area(key, moduleExports(program, checker, inner), st.exportClause.name.text);
      } else if (!st.exportClause && key === 'models') {
        walk(inner); // one area per model family
      } else if (!st.exportClause) {
        area(key, moduleExports(program, checker, inner, seen));
      } else {
        throw new Error(`api-doc: src/${rel(sf.fileName)} re-exports names directly; give them an area barrel`);
      }
    }
  };
  walk(root);
  area('node', moduleExports(program, checker, program.getSourceFile(join(SRC, 'node', 'index.ts'))));
  return areas;
}

const cell = (s) => s.replace(/\|/g, '\\|');

function table(entries, prefix = '') {
  const rows = ['| export | kind | what it is |', '|---|---|---|'];
  for (const e of entries) rows.push(`| \`${prefix}${e.name}\` | ${e.kind} | ${cell(e.doc || '')} |`);
  return rows;
}

/** docs/api.md as a string. */
export function renderApiDoc(areas = apiAreas()) {
  const lines = [
    '# API',
    '',
    '<!-- Generated by `npm run api-doc` (scripts/api-doc.mjs) from the barrels under src/; do not edit by hand.',
    '     tests/node/api-doc.test.ts fails when this file is out of date. -->',
    '',
    'Generated by `npm run api-doc` from the sources: every export of `wasm-nlp` (src/index.ts) by',
    "area, in the order of each area's barrel (`src/<area>/index.ts`), and of the `wasm-nlp/node`",
    'subpath (src/node/index.ts). "what it is" is the first sentence of the symbol\'s doc comment.',
    'What is stable is in the README\'s "Stability" section; the layers are in',
    '[architecture.md](architecture.md).',
    '',
  ];
  for (const a of areas) {
    const n = a.entries.length;
    lines.push(`- [${a.title.replace(/`/g, '')}](#${anchor(a.title)}) (${n})`);
  }
  for (const a of areas) {
    lines.push('', `## ${a.title}`, '', a.blurb, '');
    const prefix = a.namespace ? `${a.namespace}.` : '';
    lines.push(...table(a.entries, prefix));
    for (const e of a.entries) {
      if (!e.members) continue;
      lines.push(
        '',
        `### ${prefix}${e.name}`,
        '',
        `${e.doc ? `${e.doc} ` : ''}Members, as \`${prefix}${e.name}.<name>\`:`,
        '',
      );
      lines.push(...table(e.members, `${prefix}${e.name}.`));
    }
  }
  return `${lines.join('\n')}\n`;
}

/** GitHub's heading anchor: lower case, punctuation other than '-' and '_' dropped, spaces to '-'. */
function anchor(title) {
  return title
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Exports without a doc comment, as `where name` lines (node scripts/api-doc.mjs --missing). */
export function undocumented(areas = apiAreas()) {
  const out = [];
  const visit = (entries, prefix) => {
    for (const e of entries) {
      if (!e.doc) out.push(`${e.where || '?'} ${prefix}${e.name}`);
      if (e.members) visit(e.members, `${prefix}${e.name}.`);
    }
  };
  for (const a of areas) visit(a.entries, a.namespace ? `${a.namespace}.` : '');
  return out;
}

function main() {
  const args = process.argv.slice(2);
  for (const a of args) if (a !== '--check' && a !== '--missing') throw new Error(`api-doc: unknown argument ${a}`);
  if (args.includes('--missing')) {
    for (const line of undocumented()) console.log(line);
    return;
  }
  const text = renderApiDoc();
  if (args.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(API_DOC, 'utf8');
    } catch {}
    if (current !== text) {
      console.error('docs/api.md is out of date: run npm run api-doc');
      process.exit(1);
    }
    console.log('docs/api.md is up to date');
    return;
  }
  writeFileSync(API_DOC, text);
  console.log(`wrote ${relative(ROOT, API_DOC)} (${text.split('\n').length} lines)`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();
