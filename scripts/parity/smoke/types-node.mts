// Type-checked with tsc (module nodenext, no @types/node) against the installed
// package's 'wasm-nlp/node' types: each helper used with the types of 'wasm-nlp'.
import {
  init,
  BertForMaskedLM,
  BertModel,
  FastTextClassifier,
  Tensor,
  writeFastTextBin,
  type BrownCorpus,
  type Checkpoint,
  type FastTextModelData,
  type Safetensors,
  type SpamEmail,
} from 'wasm-nlp';
import {
  readBytes,
  writeBytesAtomic,
  loadFastTextBin,
  saveFastTextBin,
  loadSafetensors,
  saveSafetensors,
  loadCheckpoint,
  saveCheckpoint,
  loadBrown,
  loadSpam,
  readBertFiles,
  loadBertFromDirectory,
  saveBertToDirectory,
} from 'wasm-nlp/node';
// @ts-expect-error the Node-only helpers are not in the root API (it is the same for every runtime)
import { loadBertFromDirectory as notAtRoot } from 'wasm-nlp';

await init();
const mlm: BertForMaskedLM = await loadBertFromDirectory('bert', BertForMaskedLM);
const base: BertModel = await loadBertFromDirectory('bert', BertModel, { strict: false });
await saveBertToDirectory('out', mlm);
const files = await readBertFiles('bert');
const fromFiles: BertModel = BertModel.fromPretrained(files);

const data: FastTextModelData = await loadFastTextBin('sup.bin');
await saveFastTextBin('copy.bin', data);
const clf = FastTextClassifier.fromBytes(writeFastTextBin(data));
const label: string | undefined = clf.predict('i love this film')[0]?.label;

const bytes: Uint8Array = await readBytes('sup.bin');
await writeBytesAtomic('copy2.bin', bytes);
await saveSafetensors('w.safetensors', { w: Tensor.zeros([2, 2]) });
const st: Safetensors = await loadSafetensors('w.safetensors');
const ck: Checkpoint = await loadCheckpoint('run.ckpt');
await saveCheckpoint('run2.ckpt', { weights: ck.weights, meta: { epoch: 1 } });
const brown: BrownCorpus = loadBrown();
const spam: SpamEmail[] = loadSpam();

export const out = [base, fromFiles, label, st, brown.ntokens, spam.length, notAtRoot];
