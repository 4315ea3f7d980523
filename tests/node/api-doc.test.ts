// docs/api.md is generated from the barrels (npm run api-doc, scripts/api-doc.mjs): regenerate
// it in memory and compare, so the page cannot drift from what src/index.ts and
// src/node/index.ts export. Reads the TypeScript sources only; no build needed.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { API_DOC, apiAreas, firstSentence, renderApiDoc } from '../../scripts/api-doc.mjs';

describe('docs/api.md', () => {
  const areas = apiAreas();

  test('is up to date with the sources (run `npm run api-doc` when this fails)', () => {
    expect(readFileSync(API_DOC, 'utf8')).toBe(renderApiDoc(areas));
  });

  test('covers every area of the root barrel and the wasm-nlp/node subpath', () => {
    const keys = areas.map((a) => a.key);
    expect(keys).toEqual([
      'core',
      'ops',
      'autograd',
      'nn',
      'optim',
      'io',
      'text',
      'data',
      'train',
      'models/vectors',
      'models/fasttext',
      'models/lm',
      'models/encoder',
      'models/bert',
      'models/gpt',
      'pipelines',
      'node',
    ]);
    const names = (key: string) => areas.find((a) => a.key === key)!.entries.map((e) => e.name);
    expect(names('core')).toContain('init');
    expect(names('ops')).toContain('matmul');
    expect(names('autograd')).toContain('F');
    expect(names('node')).toEqual(
      expect.arrayContaining(['readBytes', 'writeBytesAtomic', 'loadBrown', 'loadBertFromDirectory']),
    );
    // A name is listed once, in the first area that exports it.
    const all = areas.filter((a) => !a.namespace && a.key !== 'node').flatMap((a) => a.entries.map((e) => e.name));
    expect(new Set(all).size).toBe(all.length);
  });

  test('first sentences', () => {
    expect(firstSentence('One step. Then more.')).toBe('One step.');
    expect(firstSentence('Bengio et al. 2003 split, e.g. Brown. Rest.')).toBe('Bengio et al. 2003 split, e.g. Brown.');
    expect(firstSentence('x = a, ... b. More')).toBe('x = a, ... b.');
    expect(firstSentence('No period')).toBe('No period');
  });
});
