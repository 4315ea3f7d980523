// BERT from a Hugging Face model directory (src/models/bert-node.ts), on the committed PyTorch fixture.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { noGrad, tape } from '../../src/autograd/tape.js';
import { BertForMaskedLM, BertModel } from '../../src/models/bert.js';
import { loadBertFromDirectory } from '../../src/models/bert-node.js';

const DIR = fileURLToPath(new URL('../fixtures/bert/', import.meta.url));

beforeAll(async () => {
  await initForTests();
});

test('loadBertFromDirectory: BertForMaskedLM matches the PyTorch logits; eval mode; a bad directory rejects', async () => {
  const ex = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as { inputIds: number[]; tokenTypeIds: number[]; attentionMask: number[]; logits: number[] };
  const m = await loadBertFromDirectory(DIR, BertForMaskedLM);
  expect(m.training).toBe(false);
  const t = (a: number[]) => Tensor.fromArray(Int32Array.from(a), [2, 8], 'int32');
  const x = { inputIds: t(ex.inputIds), tokenTypeIds: t(ex.tokenTypeIds), attentionMask: t(ex.attentionMask) };
  const got = noGrad(() => m.forward(x).toArray());
  tape.release();
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - ex.logits[i]!));
  expect(d).toBeLessThan(1e-4);
  for (const v of Object.values(x)) v.dispose();
  m.dispose();
  const base = await loadBertFromDirectory(DIR, BertModel);
  expect(base.pooler).not.toBeNull();
  base.dispose();
  await expect(loadBertFromDirectory(`${DIR}/missing`, BertModel)).rejects.toThrow(/ENOENT/);
});
