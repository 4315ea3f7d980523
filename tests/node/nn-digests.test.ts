// The Node side of the nn bit-identity probe: the src modules and the built
// Node bundle give the same digests, and a rerun gives the same digests again.
import { expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { initForTests } from '../helpers/runtime.js';
import { nnDigests, nodeNnDigests } from '../helpers/nn-tiny.js';
import * as lib from '../../src/index.js';

test('nn digests: src = built bundle, and reruns agree', async () => {
  await initForTests();
  const sha = async (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  const a = await nnDigests(lib, sha);
  const b = await nnDigests(lib, sha);
  expect(b).toEqual(a);
  expect(await nodeNnDigests()).toEqual(a);
});
