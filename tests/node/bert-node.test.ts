// BERT from a Hugging Face model directory (src/models/bert-node.ts), on the committed PyTorch fixture.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { Tensor } from '../../src/core/tensor.js';
import { noGrad, tape } from '../../src/autograd/tape.js';
import { BertForMaskedLM, BertModel } from '../../src/models/bert/index.js';
import { loadBertFromDirectory } from '../../src/models/bert/node.js';

const DIR = fileURLToPath(new URL('../fixtures/bert/', import.meta.url));

beforeAll(async () => {
  await initForTests();
});

test('loadBertFromDirectory: BertForMaskedLM matches the PyTorch logits; eval mode; a bad directory rejects', async () => {
  const ex = JSON.parse(readFileSync(`${DIR}/expected.json`, 'utf8')) as {
    inputIds: number[];
    tokenTypeIds: number[];
    attentionMask: number[];
    logits: number[];
  };
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

test('saveBertToDirectory → loadBertFromDirectory: weights, config and the tokenizer (vocab.txt, do_lower_case) round-trip', async () => {
  const { mkdtempSync, rmSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { WordPiece } = await import('../../src/text/wordpiece.js');
  const { saveBertToDirectory } = await import('../../src/models/bert/node.js');
  const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-bert-'));
  try {
    const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
    const m = new BertForMaskedLM(
      {
        vocabSize: 12,
        hiddenSize: 8,
        numHiddenLayers: 1,
        numAttentionHeads: 2,
        intermediateSize: 16,
        maxPositionEmbeddings: 16,
      },
      { seed: 3 },
    );
    m.tokenizer = new WordPiece([...specials, 'Big', 'dog', '##s', '.'], { specialTokens: specials, lowercase: false });
    await saveBertToDirectory(join(dir, 'model'), m);
    expect(readdirSync(join(dir, 'model')).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'tokenizer_config.json',
      'vocab.txt',
    ]);
    const back = await loadBertFromDirectory(join(dir, 'model'), BertForMaskedLM);
    expect(back.config).toEqual(m.config);
    expect(back.tokenizer!.lowercase).toBe(false);
    expect(back.tokenizer!.encode('Big dogs.').ids).toEqual(m.tokenizer.encode('Big dogs.').ids);
    const sa = m.stateDict(),
      sb = back.stateDict();
    for (const k of Object.keys(sa)) expect(sb[k]!.toArray()).toEqual(sa[k]!.toArray());
    // saved again without a tokenizer: the old vocabulary files go, so they are not paired with these weights
    back.tokenizer = null;
    await saveBertToDirectory(join(dir, 'model'), back);
    expect(readdirSync(join(dir, 'model')).sort()).toEqual(['config.json', 'model.safetensors']);
    expect((await loadBertFromDirectory(join(dir, 'model'), BertForMaskedLM)).tokenizer).toBeNull();
    m.dispose();
    back.dispose();
    await expect(saveBertToDirectory('', m)).rejects.toThrow(/dir must be a directory path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
