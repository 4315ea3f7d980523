// Saving safetensors files and checkpoints to disk: atomic (temp file, then
// rename), nothing left behind on failure, the previous file intact.
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { expectSameBits } from '../helpers/assert.js';
import { seeded } from '../reference/gemm.js';
import { Tensor } from '../../src/core/tensor.js';
import { Parameter } from '../../src/autograd/parameter.js';
import { Adam } from '../../src/optim/optimizer.js';
import { loadCheckpoint, loadSafetensors, saveCheckpoint, saveSafetensors } from '../../src/io/node.js';

// writeFile passes through unless a test makes it fail.
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  return { ...orig, writeFile: vi.fn(orig.writeFile) };
});

const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-ckpt-'));
beforeAll(async () => {
  await initForTests();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('saveSafetensors / loadSafetensors', () => {
  test('round trip through a file; the file is the encoded bytes; no temp file left', async () => {
    const path = join(dir, 'model.safetensors');
    const w = seeded(12, 1);
    await saveSafetensors(
      path,
      { 'encoder.layer.0.output.dense.weight': { shape: [3, 4], data: w } },
      { format: 'pt' },
    );
    const back = await loadSafetensors(path);
    expect(back.metadata).toEqual({ format: 'pt' });
    expectSameBits(back.tensors['encoder.layer.0.output.dense.weight']!.data, w);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
  });
});

describe('saveCheckpoint / loadCheckpoint', () => {
  test('round trip with optimizer state and meta', async () => {
    const p = new Parameter(Tensor.fromArray(seeded(10, 2), [2, 5]));
    const opt = new Adam([{ params: [p], names: ['w'] }], { lr: 0.01 });
    p.ensureGrad().view().set(seeded(10, 3));
    opt.step();
    const path = join(dir, 'ckpt.safetensors');
    await saveCheckpoint(path, {
      weights: [['w', p]],
      optimizer: opt.stateDict(),
      meta: { step: 1, rng: { seed: 5, counter: 40 } },
    });
    const ck = await loadCheckpoint(path);
    expectSameBits(ck.weights.w!.data, p.value.toArray());
    expect(ck.meta).toEqual({ step: 1, rng: { seed: 5, counter: 40 } });
    expect(ck.optimizer).toEqual(opt.stateDict());
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    opt.dispose();
    p.dispose();
  });

  test('a write that fails half-way leaves the previous checkpoint intact and no temp file', async () => {
    const sub = join(dir, 'fail');
    mkdirSync(sub);
    const path = join(sub, 'ckpt.safetensors');
    const w = { shape: [4], data: Float32Array.of(1, 2, 3, 4) };
    await saveCheckpoint(path, { weights: { w }, meta: { step: 1 } });
    const before = readFileSync(path);
    const writeFile = vi.mocked(fsp.writeFile);
    writeFile.mockImplementationOnce(async (file, data) => {
      // Half the bytes reach the temp file, then the disk is full.
      const bytes = data as Uint8Array;
      const orig = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');
      await orig.writeFile(file, bytes.subarray(0, bytes.length >> 1));
      expect(String(file)).toMatch(/\.ckpt\.safetensors\.[0-9a-f]+\.tmp$/);
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    await expect(
      saveCheckpoint(path, { weights: { w: { shape: [2], data: Float32Array.of(9, 9) } }, meta: { step: 2 } }),
    ).rejects.toThrow(/ENOSPC/);
    expect(writeFile).toHaveBeenCalled();
    expect(readdirSync(sub)).toEqual(['ckpt.safetensors']);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect((await loadCheckpoint(path)).meta).toEqual({ step: 1 });
  });

  test('an encoding error writes nothing; a failing rename removes the temp file', async () => {
    const sub = join(dir, 'rename');
    mkdirSync(sub);
    await expect(
      saveCheckpoint(join(sub, 'x.safetensors'), {
        weights: { 'optimizer.w': { shape: [1], data: Float32Array.of(1) } },
      }),
    ).rejects.toThrow(/optimizer\./);
    expect(readdirSync(sub)).toEqual([]);
    // The target is a non-empty directory: the rename fails after the temp file is complete.
    mkdirSync(join(sub, 'busy.safetensors'));
    mkdirSync(join(sub, 'busy.safetensors', 'inner'));
    await expect(
      saveSafetensors(join(sub, 'busy.safetensors'), { w: { shape: [1], data: Float32Array.of(1) } }),
    ).rejects.toThrow();
    expect(readdirSync(sub)).toEqual(['busy.safetensors']);
  });
});
