#!/usr/bin/env node
// After `tsc -p tsconfig.build.json`: delete the declarations in dist/types whose source is
// gone (a module moved or removed), so the tarball ships only today's types. Deletes only
// such stale files, never fresh ones, so it is safe while another build writes dist/types.
import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const TYPES = join(ROOT, 'dist/types');
const SRC = join(ROOT, 'src');

/** Prune `dir`; true when it is left empty (then removed). */
function prune(dir) {
  let empty = true;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!prune(p)) empty = false;
    } else if (e.name.endsWith('.d.ts') && !existsSync(join(SRC, relative(TYPES, p)).replace(/\.d\.ts$/, '.ts'))) {
      rmSync(p, { force: true });
      console.log(`prune-types: removed stale ${relative(ROOT, p)}`);
    } else {
      empty = false;
    }
  }
  if (empty && dir !== TYPES) rmdirSync(dir);
  return empty;
}

if (existsSync(TYPES)) prune(TYPES);
