// Plain-JS reference of assembly/sgns.ts: the same sentence cutting, RNG word
// order, subsampling, dynamic window, targets and updates, in float64 (the
// kernel is f32, so vectors agree within float tolerance, decisions exactly).
import { Philox } from '../../src/core/rng.js';

export interface RefSgnsConfig {
  V: number;
  dim: number;
  window: number;
  negative: number;
  cbow: boolean;
  hs: boolean;
  eos: number;
  lr0: number;
  total: number;
  seed: number;
  stream?: number;
  keep?: Float32Array;
  prob?: Uint32Array;
  alias?: Int32Array;
  hsOff?: Int32Array;
  hsCodes?: Int32Array;
  hsPoints?: Int32Array;
  subOff?: Int32Array;
  subRows?: Int32Array;
  /** fastText rules: EOS is the last word of its sentence; a negative equal to the true word is drawn again (64 times at most). */
  fasttext?: boolean;
}

export interface RefSgnsState {
  processed: number;
  lossSum: number;
  lossCount: number;
  lr: number;
  rngWord: number;
}

const MAX_SENTENCE = 1000;

/** The RNG word stream from word index `w` on. */
function stream(seed: number, s: number, w: number): { next: () => number; pos: () => number } {
  const p = new Philox(seed, s, Math.floor(w / 4));
  for (let k = 0; k < w % 4; k++) p.nextU32();
  let used = w;
  return { next: () => (used++, p.nextU32()), pos: () => used };
}

const sigmoid = (f: number) => 1 / (1 + Math.exp(-f));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

/** One kernel call: updates win/wout (float64 copies) and state in place. */
export function refSgnsTrain(
  ids: Int32Array,
  win: Float64Array,
  wout: Float64Array,
  cfg: RefSgnsConfig,
  st: RefSgnsState,
): void {
  const { V, dim, window, negative, eos } = cfg;
  const rng = stream(cfg.seed, cfg.stream ?? 0, st.rngWord);
  const rowsOf = (w: number): number[] => {
    if (!cfg.subOff) return [w];
    return Array.from(cfg.subRows!.subarray(cfg.subOff[w]!, cfg.subOff[w + 1]!));
  };
  const targetsOf = (w: number): [number[], number[]] => {
    if (cfg.hs) {
      const t: number[] = [],
        l: number[] = [];
      for (let j = cfg.hsOff![w]!; j < cfg.hsOff![w + 1]!; j++) {
        t.push(cfg.hsPoints![j]!);
        l.push(1 - cfg.hsCodes![j]!);
      }
      return [t, l];
    }
    const t = [w],
      l = [1];
    for (let d = 0; d < negative; d++) {
      const draw = (): number => {
        const prod = rng.next() * V; // exact while r * V < 2^53
        const idx = Math.floor(prod / 2 ** 32);
        const frac = prod - idx * 2 ** 32;
        return frac < cfg.prob![idx]! ? idx : cfg.alias![idx]!;
      };
      let x = draw();
      for (let a = 0; cfg.fasttext && x === w && a < 64; a++) x = draw();
      if (x === w) continue;
      t.push(x);
      l.push(0);
    }
    return [t, l];
  };
  const update = (rows: number[], targets: number[], labels: number[], lr: number): void => {
    const h = new Float64Array(dim);
    for (const r of rows) for (let c = 0; c < dim; c++) h[c] = h[c]! + win[r * dim + c]!;
    if (cfg.subOff || cfg.cbow) for (let c = 0; c < dim; c++) h[c] = h[c]! / rows.length;
    const g = targets.map((t) => {
      let f = 0;
      for (let c = 0; c < dim; c++) f += h[c]! * wout[t * dim + c]!;
      return f;
    });
    for (let k = 0; k < targets.length; k++) {
      st.lossSum += softplus(-(2 * labels[k]! - 1) * g[k]!);
      g[k] = lr * (labels[k]! - sigmoid(g[k]!));
    }
    const e = new Float64Array(dim);
    for (let k = 0; k < targets.length; k++) {
      const o = targets[k]! * dim;
      for (let c = 0; c < dim; c++) {
        e[c] = e[c]! + g[k]! * wout[o + c]!;
        wout[o + c] = wout[o + c]! + g[k]! * h[c]!;
      }
    }
    st.lossCount++;
    for (const r of rows) for (let c = 0; c < dim; c++) win[r * dim + c] = win[r * dim + c]! + e[c]!;
  };

  let i = 0;
  const n = ids.length;
  while (i < n) {
    let end = i;
    while (end < n && end - i < MAX_SENTENCE && ids[end] !== eos) end++;
    if (cfg.fasttext && end < n && ids[end] === eos) end++;
    const lr = Math.fround(cfg.lr0 * Math.max(1e-4, 1 - st.processed / cfg.total));
    st.lr = lr;
    const sent: number[] = [];
    for (let j = i; j < end; j++) {
      const w = ids[j]!;
      if (cfg.keep) {
        const u = (rng.next() >>> 8) * 2 ** -24;
        if (!(u < cfg.keep[w]!)) continue;
      }
      sent.push(w);
    }
    st.processed += end - i;
    i = !cfg.fasttext && end < n && ids[end] === eos ? end + 1 : end;
    const m = sent.length;
    for (let p = 0; p < m; p++) {
      const b = Math.floor((rng.next() * window) / 2 ** 32);
      const span = window - b;
      const c0 = Math.max(0, p - span),
        c1 = Math.min(m - 1, p + span);
      if (!cfg.cbow) {
        for (let c = c0; c <= c1; c++) {
          if (c === p) continue;
          const [t, l] = targetsOf(sent[c]!);
          update(rowsOf(sent[p]!), t, l, lr);
        }
      } else {
        const rows: number[] = [];
        for (let c = c0; c <= c1; c++) if (c !== p) rows.push(...rowsOf(sent[c]!));
        if (rows.length === 0) continue;
        const [t, l] = targetsOf(sent[p]!);
        update(rows, t, l, lr);
      }
    }
  }
  st.rngWord = rng.pos();
}

/** Pairs (centre position, context position) the kernel would visit with no subsampling, for the EOS test. */
export function refWindowPairs(ids: Int32Array, window: number, eos: number, seed: number): [number, number][] {
  const rng = stream(seed, 0, 0);
  const pairs: [number, number][] = [];
  let i = 0;
  while (i < ids.length) {
    let end = i;
    while (end < ids.length && end - i < MAX_SENTENCE && ids[end] !== eos) end++;
    for (let p = i; p < end; p++) {
      const span = window - Math.floor((rng.next() * window) / 2 ** 32);
      for (let c = Math.max(i, p - span); c <= Math.min(end - 1, p + span); c++) if (c !== p) pairs.push([p, c]);
    }
    i = end < ids.length && ids[end] === eos ? end + 1 : end;
  }
  return pairs;
}
