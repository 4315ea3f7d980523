// Float64 references for the recurrent layers over a sequence (PyTorch's LSTM,
// GRU and Elman RNN cells, batch-first), forward and backward through time, with
// the step mask (masked steps carry the state) and the reverse direction.

export type RefRnnMode = 'lstm' | 'gru' | 'rnn_tanh' | 'rnn_relu';

export interface RefRnnArgs {
  mode: RefRnnMode;
  B: number;
  T: number;
  I: number;
  H: number;
  /** [B, T, I] */
  x: ArrayLike<number>;
  /** [G H, I] */
  wih: ArrayLike<number>;
  /** [G H, H] */
  whh: ArrayLike<number>;
  /** [G H] or null */
  bih: ArrayLike<number> | null;
  bhh: ArrayLike<number> | null;
  /** [B, H]; zeros when absent. */
  h0?: ArrayLike<number>;
  c0?: ArrayLike<number>;
  /** [B, T] 0/1; all kept when absent. */
  mask?: ArrayLike<number>;
  reverse?: boolean;
}

export interface RefRnnGrads {
  dx: Float64Array;
  dwih: Float64Array;
  dwhh: Float64Array;
  dbih: Float64Array;
  dbhh: Float64Array;
  dh0: Float64Array;
  dc0: Float64Array;
}

export const refGates = (mode: RefRnnMode): number => (mode === 'lstm' ? 4 : mode === 'gru' ? 3 : 1);

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** What one kept step of one batch row computed (for the backward). */
interface Step {
  kept: boolean;
  hp: Float64Array;
  cp: Float64Array;
  /** Activated gates (LSTM i, f, g, o; GRU r, z, n; RNN h). */
  act: Float64Array;
  /** GRU: h W_hn^T + b_hn. */
  hn: Float64Array;
  c: Float64Array;
}

/** Steps in loop order: 0 ... T-1, or T-1 ... 0 in reverse. */
const order = (T: number, reverse: boolean) => Array.from({ length: T }, (_, s) => (reverse ? T - 1 - s : s));

function forward(a: RefRnnArgs) {
  const { mode, B, T, I, H } = a;
  const G = refGates(mode);
  const out = new Float64Array(B * T * H);
  const hLast = new Float64Array(B * H);
  const cLast = new Float64Array(B * H);
  const steps: Step[][] = [];
  for (let b = 0; b < B; b++) {
    let h = Float64Array.from({ length: H }, (_, j) => a.h0?.[b * H + j] ?? 0);
    let c = Float64Array.from({ length: H }, (_, j) => a.c0?.[b * H + j] ?? 0);
    const row: Step[] = new Array<Step>(T);
    for (const t of order(T, a.reverse === true)) {
      const kept = a.mask === undefined || a.mask[b * T + t] !== 0;
      const aih = new Float64Array(G * H);
      const ahh = new Float64Array(G * H);
      for (let j = 0; j < G * H; j++) {
        let s = a.bih?.[j] ?? 0;
        for (let i = 0; i < I; i++) s += a.wih[j * I + i]! * a.x[(b * T + t) * I + i]!;
        aih[j] = s;
        let u = a.bhh?.[j] ?? 0;
        for (let k = 0; k < H; k++) u += a.whh[j * H + k]! * h[k]!;
        ahh[j] = u;
      }
      const act = new Float64Array(G * H);
      const hn = new Float64Array(H);
      const hNew = new Float64Array(H);
      const cNew = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        if (mode === 'lstm') {
          const gi = sigmoid(aih[j]! + ahh[j]!);
          const gf = sigmoid(aih[H + j]! + ahh[H + j]!);
          const gg = Math.tanh(aih[2 * H + j]! + ahh[2 * H + j]!);
          const go = sigmoid(aih[3 * H + j]! + ahh[3 * H + j]!);
          act[j] = gi;
          act[H + j] = gf;
          act[2 * H + j] = gg;
          act[3 * H + j] = go;
          cNew[j] = gf * c[j]! + gi * gg;
          hNew[j] = go * Math.tanh(cNew[j]!);
        } else if (mode === 'gru') {
          const r = sigmoid(aih[j]! + ahh[j]!);
          const z = sigmoid(aih[H + j]! + ahh[H + j]!);
          hn[j] = ahh[2 * H + j]!;
          const n = Math.tanh(aih[2 * H + j]! + r * hn[j]!);
          act[j] = r;
          act[H + j] = z;
          act[2 * H + j] = n;
          hNew[j] = (1 - z) * n + z * h[j]!;
        } else {
          const p = aih[j]! + ahh[j]!;
          hNew[j] = mode === 'rnn_relu' ? Math.max(p, 0) : Math.tanh(p);
          act[j] = hNew[j]!;
        }
      }
      row[t] = { kept, hp: h, cp: c, act, hn, c: kept ? cNew : c };
      if (kept) {
        h = hNew;
        c = cNew;
      }
      out.set(h, (b * T + t) * H);
    }
    steps.push(row);
    hLast.set(h, b * H);
    cLast.set(c, b * H);
  }
  return { out, hLast, cLast, steps };
}

/** out [B, T, H], the final h [B, H] and (LSTM) c [B, H]. */
export function refRnn(a: RefRnnArgs): { out: Float64Array; h: Float64Array; c: Float64Array | null } {
  const f = forward(a);
  return { out: f.out, h: f.hLast, c: a.mode === 'lstm' ? f.cLast : null };
}

/**
 * Gradients of sum(out * dout) + sum(h * dh) + sum(c * dc) (each term absent when its
 * gradient is) with respect to every input, by backpropagation through time.
 */
export function refRnnBackward(
  a: RefRnnArgs,
  dout: ArrayLike<number> | undefined,
  dh: ArrayLike<number> | undefined,
  dc: ArrayLike<number> | undefined,
): RefRnnGrads {
  const { mode, B, T, I, H } = a;
  const G = refGates(mode);
  const GH = G * H;
  const { steps } = forward(a);
  const g: RefRnnGrads = {
    dx: new Float64Array(B * T * I),
    dwih: new Float64Array(GH * I),
    dwhh: new Float64Array(GH * H),
    dbih: new Float64Array(GH),
    dbhh: new Float64Array(GH),
    dh0: new Float64Array(B * H),
    dc0: new Float64Array(B * H),
  };
  for (let b = 0; b < B; b++) {
    let gh = Float64Array.from({ length: H }, (_, j) => dh?.[b * H + j] ?? 0);
    let gc = Float64Array.from({ length: H }, (_, j) => dc?.[b * H + j] ?? 0);
    for (const t of order(T, a.reverse === true).reverse()) {
      if (dout !== undefined) for (let j = 0; j < H; j++) gh[j]! += dout[(b * T + t) * H + j]!;
      const st = steps[b]![t]!;
      if (!st.kept) continue;
      const dih = new Float64Array(GH);
      const dhh = new Float64Array(GH);
      const direct = new Float64Array(H);
      const gcNew = new Float64Array(H);
      for (let j = 0; j < H; j++) {
        const d = gh[j]!;
        if (mode === 'lstm') {
          const [gi, gf, gg, go] = [st.act[j]!, st.act[H + j]!, st.act[2 * H + j]!, st.act[3 * H + j]!];
          const tc = Math.tanh(st.c[j]!);
          const dct = gc[j]! + d * go * (1 - tc * tc);
          dih[j] = dct * gg * gi * (1 - gi);
          dih[H + j] = dct * st.cp[j]! * gf * (1 - gf);
          dih[2 * H + j] = dct * gi * (1 - gg * gg);
          dih[3 * H + j] = d * tc * go * (1 - go);
          gcNew[j] = dct * gf;
        } else if (mode === 'gru') {
          const [r, z, n] = [st.act[j]!, st.act[H + j]!, st.act[2 * H + j]!];
          const dan = d * (1 - z) * (1 - n * n);
          dih[j] = dan * st.hn[j]! * r * (1 - r);
          dih[H + j] = d * (st.hp[j]! - n) * z * (1 - z);
          dih[2 * H + j] = dan;
          direct[j] = d * z;
        } else {
          const y = st.act[j]!;
          dih[j] = mode === 'rnn_relu' ? (y > 0 ? d : 0) : d * (1 - y * y);
        }
      }
      dhh.set(dih);
      if (mode === 'gru') for (let j = 0; j < H; j++) dhh[2 * H + j] = dih[2 * H + j]! * st.act[j]!;
      for (let j = 0; j < GH; j++) {
        g.dbih[j]! += dih[j]!;
        g.dbhh[j]! += dhh[j]!;
        for (let i = 0; i < I; i++) {
          g.dx[(b * T + t) * I + i]! += dih[j]! * a.wih[j * I + i]!;
          g.dwih[j * I + i]! += dih[j]! * a.x[(b * T + t) * I + i]!;
        }
        for (let k = 0; k < H; k++) {
          g.dwhh[j * H + k]! += dhh[j]! * st.hp[k]!;
          direct[k]! += dhh[j]! * a.whh[j * H + k]!;
        }
      }
      gh = direct;
      if (mode === 'lstm') gc = gcNew;
    }
    g.dh0.set(gh, b * H);
    g.dc0.set(gc, b * H);
  }
  return g;
}
