/**
 * Masked-language-model masking (BERT; Hugging Face DataCollatorForLanguageModeling); docs/mlm.md.
 *
 * Each eligible token (not special, not padding) is chosen with `probability`; of the chosen,
 * `maskFraction` become `maskId`, `randomFraction` a uniformly drawn non-special id and the rest
 * stay as they are, decided per chosen token by one uniform draw. Labels hold the original id at
 * chosen positions and `ignoreIndex` elsewhere. When a sequence has an eligible token but none was
 * chosen (and `probability > 0`), one eligible token (a word in whole-word mode) is picked uniformly,
 * so every sequence contributes to the loss. Whole-word mode chooses words (a word-start piece and
 * the continuation pieces after it) with `probability`, all pieces together; the 80/10/10 decision
 * is still made per piece. docs/mlm.md.
 *
 * Randomness: Philox4x32-10 (src/core/rng.ts) under (seed, stream). In a call on N = B·S tokens
 * starting at counter c, token t of the flat batch uses block c + t (lane 0: chosen?, lane 1: the
 * 80/10/10 decision, lanes 2–3: the random id) and sequence b's fallback uses block c + N + b
 * (lanes 0–1); the call returns c + N + B as the next counter. The same (seed, stream, counter)
 * and input give the same output in every runtime.
 */
import { checkBool, checkInt, checkNumber, checkObject, describe, typeName } from '../../core/check.js';
import { ArgumentError, ShapeError, VocabError } from '../../core/errors.js';
import { philox4x32 } from '../../core/rng.js';

/** Default Philox stream of the masking: fnv1a32("mlm-masking"), apart from the dropout modules' streams (fnv1a32(path)). */
export const MLM_MASKING_STREAM = 0x8a517a4e;

/** Options fixed for a run (MlmMasker holds them; maskTokens takes them with the per-batch inputs). */
export interface MlmMaskingOptions {
  /** Id of `[MASK]` (treated as special: never chosen, never drawn). */
  maskId: number;
  /** Ids are in [0, vocabSize). */
  vocabSize: number;
  /** Ids never chosen and never drawn as the random replacement (`[PAD] [UNK] [CLS] [SEP] [MASK]`...). */
  specialIds: readonly number[];
  /** Chance that an eligible token (a word in whole-word mode) is chosen; default 0.15. */
  probability?: number;
  /** Of the chosen, the fraction replaced by `maskId`; default 0.8. */
  maskFraction?: number;
  /** Of the chosen, the fraction replaced by a random non-special id; default 0.1 (the rest, 0.1, unchanged). */
  randomFraction?: number;
  /** Philox seed, integer in [0, 2^53); default 0. */
  seed?: number;
  /** Philox stream, integer in [0, 2^32); default MLM_MASKING_STREAM. */
  stream?: number;
  /** First Philox block to use; default 0. maskTokens returns the next one. */
  counter?: number;
  /** Label of positions that are not chosen; default -100. */
  ignoreIndex?: number;
  /** Batch laid out [B, seqLen] row-major; default: one sequence of ids.length. */
  seqLen?: number;
  /** Tokens equal to padId are padding (never chosen; padId also never drawn). */
  padId?: number;
  /** Choose whole words (needs `wordStarts`); default false. */
  wholeWord?: boolean;
}

/** Per-batch inputs, the same length as ids. */
export interface MlmBatchInput {
  /** 0 at padding positions (never chosen), non-zero elsewhere. */
  attentionMask?: ArrayLike<number>;
  /** Whole-word mode: non-zero where a token starts a word (not a `##` piece). A piece after padding or a special token starts a word. */
  wordStarts?: ArrayLike<number>;
}

/** Options of `maskTokens`: the run's masking options and the batch's inputs. */
export interface MaskTokensOptions extends MlmMaskingOptions, MlmBatchInput {}

/** What masking returns: the masked ids, the labels (the original ids at the chosen positions) and the next Philox counter. */
export interface MaskedTokens {
  /** ids with the chosen positions replaced (mask / random / unchanged). */
  inputIds: Int32Array;
  /** Original id at chosen positions, ignoreIndex elsewhere. */
  labels: Int32Array;
  /** Philox counter for the next call (counter + N + B). */
  nextCounter: number;
}

/** What MlmMasker.state() returns and loadState() restores. */
export interface MlmMaskerState {
  seed: number;
  stream: number;
  counter: number;
}

interface Resolved {
  maskId: number;
  vocabSize: number;
  probability: number;
  maskFraction: number;
  randomFraction: number;
  ignoreIndex: number;
  seqLen: number | undefined;
  padId: number | undefined;
  wholeWord: boolean;
  /** 1 at special ids (specialIds, maskId, padId). */
  isSpecial: Uint8Array;
  /** The special ids, ascending, distinct. */
  sortedSpecial: Int32Array;
  /** vocabSize minus the special ids: the range of the random replacement. */
  nonSpecial: number;
}

const inUnit = (x: number): boolean => x >= 0 && x <= 1;

function resolve(fn: string, o: MlmMaskingOptions): Resolved {
  checkObject(fn, 'options', o);
  const vocabSize = checkInt(fn, 'options.vocabSize', o.vocabSize, 1, 2 ** 31 - 1);
  const maskId = checkInt(fn, 'options.maskId', o.maskId, 0, vocabSize - 1);
  if (!Array.isArray(o.specialIds))
    throw new ArgumentError(`${fn}: options.specialIds must be an array of ids, got ${describe(o.specialIds)}`);
  const padId = o.padId === undefined ? undefined : checkInt(fn, 'options.padId', o.padId, 0, vocabSize - 1);
  const isSpecial = new Uint8Array(vocabSize);
  o.specialIds.forEach((s, i) => {
    isSpecial[checkInt(fn, `options.specialIds[${i}]`, s, 0, vocabSize - 1)] = 1;
  });
  isSpecial[maskId] = 1;
  if (padId !== undefined) isSpecial[padId] = 1;
  const special: number[] = [];
  for (const s of new Set([...o.specialIds, maskId, ...(padId === undefined ? [] : [padId])])) special.push(s);
  const sortedSpecial = Int32Array.from(special).sort();
  const probability = checkNumber(fn, 'options.probability', o.probability ?? 0.15, inUnit, 'a number in [0, 1]');
  const maskFraction = checkNumber(fn, 'options.maskFraction', o.maskFraction ?? 0.8, inUnit, 'a number in [0, 1]');
  const randomFraction = checkNumber(
    fn,
    'options.randomFraction',
    o.randomFraction ?? 0.1,
    inUnit,
    'a number in [0, 1]',
  );
  if (maskFraction + randomFraction > 1 + 1e-9) {
    throw new ArgumentError(
      `${fn}: options.maskFraction + options.randomFraction must be <= 1, got ${maskFraction} + ${randomFraction}`,
    );
  }
  const nonSpecial = vocabSize - sortedSpecial.length;
  if (randomFraction > 0 && nonSpecial === 0) {
    throw new ArgumentError(
      `${fn}: options.specialIds must leave a non-special id to draw when randomFraction > 0, got all ${vocabSize} ids special`,
    );
  }
  const ignoreIndex = checkInt(fn, 'options.ignoreIndex', o.ignoreIndex ?? -100, -(2 ** 31), 2 ** 31 - 1);
  const seqLen = o.seqLen === undefined ? undefined : checkInt(fn, 'options.seqLen', o.seqLen, 1, 2 ** 31 - 1);
  if (o.wholeWord !== undefined) checkBool(fn, 'options.wholeWord', o.wholeWord);
  return {
    maskId,
    vocabSize,
    probability,
    maskFraction,
    randomFraction,
    ignoreIndex,
    seqLen,
    padId,
    wholeWord: o.wholeWord ?? false,
    isSpecial,
    sortedSpecial,
    nonSpecial,
  };
}

function checkRng(fn: string, prefix: string, seed: unknown, stream: unknown, counter: unknown): void {
  checkInt(fn, `${prefix}seed`, seed, 0, Number.MAX_SAFE_INTEGER);
  checkInt(fn, `${prefix}stream`, stream, 0, 0xffffffff);
  checkInt(fn, `${prefix}counter`, counter, 0, Number.MAX_SAFE_INTEGER);
}

/** floor(u · n) for u in [0, 1) made of 53 bits of two words (bias below n / 2^53). */
function index53(hi: number, lo: number, n: number): number {
  const u = (hi * 2 ** 21 + (lo >>> 11)) * 2 ** -53;
  return Math.min(n - 1, Math.floor(u * n));
}

function run(
  fn: string,
  r: Resolved,
  ids: Int32Array,
  batch: MlmBatchInput,
  seed: number,
  stream: number,
  counter: number,
): MaskedTokens {
  if (!(ids instanceof Int32Array)) throw new ArgumentError(`${fn}: ids must be an Int32Array, got ${typeName(ids)}`);
  const n = ids.length;
  const seqLen = r.seqLen ?? n;
  if (r.seqLen !== undefined && n % seqLen !== 0)
    throw new ShapeError(`${fn}: ids.length must be a multiple of options.seqLen ${seqLen}, got ${n}`);
  const nSeq = r.seqLen === undefined ? 1 : n / seqLen;
  const { attentionMask, wordStarts } = batch;
  if (
    attentionMask !== undefined &&
    (attentionMask === null || typeof attentionMask.length !== 'number' || attentionMask.length !== n)
  ) {
    throw new ShapeError(
      `${fn}: attentionMask.length must be ids.length ${n}, got ${attentionMask === null || typeof attentionMask.length !== 'number' ? describe(attentionMask) : attentionMask.length}`,
    );
  }
  if (r.wholeWord) {
    if (wordStarts === undefined || wordStarts === null)
      throw new ArgumentError(`${fn}: wordStarts must be given when wholeWord is true, got ${describe(wordStarts)}`);
    if (typeof wordStarts.length !== 'number' || wordStarts.length !== n)
      throw new ShapeError(`${fn}: wordStarts.length must be ids.length ${n}, got ${String(wordStarts.length)}`);
  }
  if (counter + n + nSeq > Number.MAX_SAFE_INTEGER)
    throw new ArgumentError(`${fn}: counter must leave room for ${n + nSeq} blocks below 2^53, got ${counter}`);
  for (let t = 0; t < n; t++) {
    const id = ids[t]!;
    if (id < 0 || id >= r.vocabSize)
      throw new VocabError(`${fn}: ids[${t}] must be an id in [0, ${r.vocabSize}), got ${id}`);
  }

  const key0 = seed >>> 0;
  const key1 = Math.floor(seed / 2 ** 32) >>> 0;
  const blk = new Uint32Array(4);
  const block = (c: number): Uint32Array =>
    philox4x32(key0, key1, c >>> 0, Math.floor(c / 2 ** 32) >>> 0, stream, 0, blk);
  const inputIds = ids.slice();
  const labels = new Int32Array(n).fill(r.ignoreIndex);
  const threshold = r.probability * 2 ** 32;
  const maskCut = r.maskFraction * 2 ** 32;
  const randomCut = (r.maskFraction + r.randomFraction) * 2 ** 32;
  const { isSpecial, sortedSpecial, padId, maskId } = r;
  const eligible = (t: number): boolean => {
    const id = ids[t]!;
    return isSpecial[id] === 0 && id !== padId && (attentionMask === undefined || attentionMask[t] !== 0);
  };
  /** Replace token t (chosen) by the decision of its block. */
  const apply = (t: number): void => {
    const b = block(counter + t);
    labels[t] = ids[t]!;
    const u = b[1]!;
    if (u < maskCut) inputIds[t] = maskId;
    else if (u < randomCut) {
      let id = index53(b[2]!, b[3]!, r.nonSpecial);
      for (let k = 0; k < sortedSpecial.length && sortedSpecial[k]! <= id; k++) id++;
      inputIds[t] = id;
    }
  };
  /** Word (whole-word mode) or token starting at t, which is eligible: does it start a unit? */
  const startsUnit = (t: number, start: number): boolean =>
    !r.wholeWord || wordStarts![t] !== 0 || t === start || !eligible(t - 1);

  for (let s = 0; s < nSeq; s++) {
    const start = s * seqLen;
    const end = start + seqLen;
    let units = 0;
    let any = false;
    let chosen = false;
    for (let t = start; t < end; t++) {
      if (!eligible(t)) continue;
      if (startsUnit(t, start)) {
        units++;
        chosen = block(counter + t)[0]! < threshold;
      }
      if (chosen) {
        apply(t);
        any = true;
      }
    }
    if (!any && units > 0 && r.probability > 0) {
      const b = block(counter + n + s);
      const pick = index53(b[0]!, b[1]!, units);
      let u = -1;
      for (let t = start; t < end; t++) {
        if (!eligible(t)) continue;
        if (startsUnit(t, start)) u++;
        if (u === pick) apply(t);
        else if (u > pick) break;
      }
    }
  }
  return { inputIds, labels, nextCounter: counter + n + nSeq };
}

/**
 * Mask one sequence, or a batch [B, seqLen] row-major, for masked-LM training (see the file comment).
 * Returns new arrays (ids is not modified) and the next Philox counter.
 * Throws ArgumentError (options), ShapeError (lengths), VocabError (an id outside [0, vocabSize)).
 */
export function maskTokens(ids: Int32Array, options: MaskTokensOptions): MaskedTokens {
  const fn = 'maskTokens';
  const r = resolve(fn, options);
  const seed = options.seed ?? 0;
  const stream = options.stream ?? MLM_MASKING_STREAM;
  const counter = options.counter ?? 0;
  checkRng(fn, 'options.', seed, stream, counter);
  return run(fn, r, ids, options, seed, stream, counter);
}

/** maskTokens with the options checked once and the Philox counter carried from batch to batch. */
export class MlmMasker {
  private readonly r: Resolved;
  private seed: number;
  private stream: number;
  private counter: number;

  constructor(options: MlmMaskingOptions) {
    const fn = 'MlmMasker';
    this.r = resolve(fn, options);
    this.seed = options.seed ?? 0;
    this.stream = options.stream ?? MLM_MASKING_STREAM;
    this.counter = options.counter ?? 0;
    checkRng(fn, 'options.', this.seed, this.stream, this.counter);
  }

  /** Mask the next batch (layout from options.seqLen) and advance the counter. */
  next(ids: Int32Array, batch: MlmBatchInput = {}): { inputIds: Int32Array; labels: Int32Array } {
    const out = run('MlmMasker.next', this.r, ids, batch ?? {}, this.seed, this.stream, this.counter);
    this.counter = out.nextCounter;
    return { inputIds: out.inputIds, labels: out.labels };
  }

  /** (seed, stream, counter) for a checkpoint. */
  state(): MlmMaskerState {
    return { seed: this.seed, stream: this.stream, counter: this.counter };
  }

  /** Restore what state() returned: the following batches are masked as they would have been. */
  loadState(state: MlmMaskerState): void {
    const fn = 'MlmMasker.loadState';
    checkObject(fn, 'state', state, '{ seed, stream, counter }');
    checkRng(fn, 'state.', state.seed, state.stream, state.counter);
    this.seed = state.seed;
    this.stream = state.stream;
    this.counter = state.counter;
  }
}
