// Rewrite one marked section of a generated markdown file, keeping the others:
// docs/benchmarks.md (bench/lib.mjs writeSection) and docs/results.md
// (examples/lib.mjs writeResultsSection) are each written a section at a time.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Replace the text between `<!-- <kind>:<name> -->` and `<!-- /<kind>:<name> -->`
 * in `path` with `markdown`; a missing section is appended, a missing file
 * starts with `title`. Returns `path`.
 */
export function writeMarkedSection(path, kind, name, markdown, title) {
  mkdirSync(dirname(path), { recursive: true });
  const open = `<!-- ${kind}:${name} -->`;
  const close = `<!-- /${kind}:${name} -->`;
  const block = `${open}\n${markdown.trim()}\n${close}`;
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : title;
  const i = doc.indexOf(open);
  const j = doc.indexOf(close);
  if (i >= 0 && j > i) doc = doc.slice(0, i) + block + doc.slice(j + close.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, doc);
  return path;
}
