/**
 * Batch providers of the training loop: padded-sequence batches (shuffled, bucketed by
 * length), shuffled position streams for language models, and the id pieces the SGD
 * trainers (word2vec, fastText) feed their Wasm passes. Plus the hash a resumed run
 * checks its data against.
 */
import { Philox } from '../core/rng.js';
import type { HostYield } from './abort.js';

/** One batch unit of a sequence model: tokens [start, start + len) of example `ex`. */
export interface Unit {
  ex: number;
  start: number;
  len: number;
}

/** Stream of the sequence models' shuffling generator ("shuf" in ASCII); its key is the config seed. */
const SEQUENCE_SHUFFLE_STREAM = 0x73687566;
/** Stream of the language models' shuffling generator ("lmsh"); its key is the config seed. */
export const LM_SHUFFLE_STREAM = 0x6c6d7368;

/**
 * The batches of one epoch (lists of unit indices): a Fisher–Yates shuffle of all
 * units, windows of `sortWindow · batchSize` sorted by length (stable, longest
 * first), cut into batches, and the batch order shuffled. Draws from a fresh
 * Philox at `counter`; returns the counter after the last block used.
 */
export function epochBatches(
  units: readonly Unit[],
  batchSize: number,
  sortWindow: number,
  seed: number,
  counter: number,
): { batches: number[][]; counter: number } {
  const rng = new Philox(seed, SEQUENCE_SHUFFLE_STREAM, counter);
  const n = units.length;
  const perm = rng.shuffle(Array.from({ length: n }, (_, i) => i));
  const batches: number[][] = [];
  const w = batchSize * sortWindow;
  for (let s = 0; s < n; s += w) {
    const win = perm.slice(s, Math.min(n, s + w));
    if (sortWindow > 1) win.sort((a, b) => units[b]!.len - units[a]!.len);
    for (let i = 0; i < win.length; i += batchSize) batches.push(win.slice(i, i + batchSize));
  }
  if (sortWindow > 1) rng.shuffle(batches);
  return { batches, counter: rng.counter };
}

/** A Philox shuffle of the positions [0, n) of a token stream from `counter` (one epoch of a language model); returns the counter after it. */
export function shuffledPositions(n: number, seed: number, counter: number): { perm: Int32Array; counter: number } {
  const rng = new Philox(seed, LM_SHUFFLE_STREAM, counter);
  const perm = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
  return { perm, counter: rng.counter };
}

/** FNV-1a (32 bits) over every sequence's length and ids: resuming checks that the data are the same. */
export function idsHash(data: readonly { ids: ArrayLike<number> }[]): number {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    h = Math.imul(h ^ (x & 0xffff), 0x01000193);
    h = Math.imul(h ^ (x >>> 16), 0x01000193);
  };
  for (const e of data) {
    mix(e.ids.length);
    for (let i = 0; i < e.ids.length; i++) mix(e.ids[i]!);
  }
  return h >>> 0;
}

/** Ids copied into Wasm per kernel call of `SgnsTrainer.train` at most (the length of its pieces, see `pieceEnd`). @internal */
export const ID_BUFFER = 1 << 16;
/**
 * End (exclusive) of the piece of `ids` that starts at `start`: at most `max` ids, cut just
 * after the last EOS id in the piece so that no sentence is split, unless the piece has no EOS
 * after its first id (then it is cut at `max`) or it reaches the end of the stream. The stream
 * ends at `ids.length` unless `more` says it goes on after `ids` (trainParallel's pieces, copied
 * from several chunks into one buffer). `eos` < 0: never cut at an EOS. Used by
 * `SgnsTrainer.train`, `trainParallel` and `chunkPass`, whose pieces
 * must match bit for bit.
 * @internal
 */
export function pieceEnd(ids: Int32Array, start: number, max: number, eos: number, more = false): number {
  const end = Math.min(ids.length, start + max);
  if ((end < ids.length || more) && eos >= 0) {
    let k = end - 1;
    while (k > start && ids[k] !== eos) k--;
    if (k > start) return k + 1;
  }
  return end;
}

/** What `chunkPass` drives: an SGD trainer over id chunks (SgnsTrainer). */
export interface ChunkTrainer {
  train(ids: Int32Array, after?: () => void): unknown;
  trainParallel(chunks: readonly Int32Array[], threads: number, after?: () => void): Promise<unknown>;
}

/**
 * One pass of an SGD trainer over `chunks` (word2vec and fastText word vectors). Without a
 * signal: one `train` per chunk (threads 1) or one `trainParallel` over all chunks. With one:
 * threads 1 feeds the kernel the very pieces `SgnsTrainer.train` would (at most ID_BUFFER ids,
 * cut after the last EOS), so the vectors are bit-identical, checking the signal and yielding
 * between pieces; threads > 1 trains groups of threads × ID_BUFFER ids (cut after an EOS),
 * checked between groups. `after` runs after every kernel call (progress). Resolves to true
 * when the signal stopped the pass.
 */
export async function chunkPass(
  tr: ChunkTrainer,
  chunks: readonly Int32Array[],
  threads: number,
  eos: number,
  after: (() => void) | undefined,
  signal: AbortSignal | undefined,
  host: HostYield,
): Promise<boolean> {
  if (signal === undefined) {
    if (threads > 1) await tr.trainParallel(chunks, threads, after);
    else for (const c of chunks) tr.train(c, after);
    return false;
  }
  if (threads === 1) {
    for (const c of chunks) {
      for (let start = 0; start < c.length;) {
        await host.maybe();
        if (signal.aborted) return true;
        const end = pieceEnd(c, start, ID_BUFFER, eos);
        tr.train(c.subarray(start, end), after);
        start = end;
      }
    }
    return false;
  }
  const groupIds = threads * ID_BUFFER;
  let group: Int32Array[] = [];
  let n = 0;
  const flush = async (): Promise<boolean> => {
    await host.maybe();
    if (signal.aborted) return true;
    await tr.trainParallel(group, threads, after);
    group = [];
    n = 0;
    return false;
  };
  for (const c of chunks) {
    for (let start = 0; start < c.length;) {
      const end = pieceEnd(c, start, groupIds - n, eos);
      group.push(c.subarray(start, end));
      n += end - start;
      start = end;
      if ((n >= groupIds || start < c.length) && (await flush())) return true;
    }
  }
  return group.length > 0 ? flush() : false;
}
