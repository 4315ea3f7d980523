// Model checkpoints on disk: fit() hands its checkpoint bytes to an atomic file
// write (the Node pattern of the examples); a run resumed from the file in a
// fresh model ends bit-identical to one that never stopped; the final weights
// load back from a .safetensors file.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Philox } from '../../src/core/rng.js';
import { readBytes, writeBytesAtomic } from '../../src/io/node.js';
import { SequenceTagger, type TaggingExample } from '../../src/models/encoder/tagger.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-models-'));
beforeAll(async () => {
  await initForTests();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function data(n: number): TaggingExample[] {
  const rng = new Philox(12, 0);
  return Array.from({ length: n }, () => {
    const ids = Array.from({ length: 1 + rng.nextInt(9) }, () => 1 + rng.nextInt(8));
    return { ids, tags: ids.map((_, i) => (i === 0 ? 0 : ids[i - 1]! % 2)) };
  });
}

const bits = (m: SequenceTagger) =>
  m.namedParameters().map(([, p]) => Array.from(new Uint32Array((p.value.toArray() as Float32Array).buffer)));

test('checkpoint file written atomically every 2 steps; resume from the file after an interruption = uninterrupted run', async () => {
  const cfg = { vocabSize: 9, numTags: 2, dim: 8, heads: 2, layers: 1, ffn: 16, seed: 6 };
  const train = data(30);
  const opts = { epochs: 2, batchSize: 4, lr: 3e-3 };
  const full = new SequenceTagger(cfg);
  await full.fit(train, opts);
  const path = join(dir, 'tagger.ckpt');
  const a = new SequenceTagger(cfg);
  // "crash" after step 5: the callback throws once the file holds step 4 (mid-epoch 1)
  await expect(
    a.fit(train, {
      ...opts,
      checkpointEvery: 2,
      onCheckpoint: async (bytes, { step }) => {
        if (step > 4) throw new Error('interrupted');
        await writeBytesAtomic(path, bytes);
      },
    }),
  ).rejects.toThrow('interrupted');
  expect(readdirSync(dir)).toEqual(['tagger.ckpt']);
  const b = new SequenceTagger(cfg);
  await b.fit(train, { ...opts, resumeFrom: await readBytes(path) });
  expect(bits(b)).toEqual(bits(full));
  await writeBytesAtomic(join(dir, 'tagger.safetensors'), b.toSafetensors());
  const c = SequenceTagger.fromSafetensors(await readBytes(join(dir, 'tagger.safetensors')));
  expect(bits(c)).toEqual(bits(full));
  for (const m of [full, a, b, c]) m.dispose();
});
