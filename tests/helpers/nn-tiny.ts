// A tiny Transformer classifier built from the nn modules of `lib` (the src
// modules, or the built Node bundle for the cross-runtime digests), seeded
// batches, and the SHA-256 digest of its parameters after seeded AdamW steps.
import type { Tensor as TensorT } from '../../src/core/tensor.js';
import type { Variable } from '../../src/autograd/tape.js';
import type { Module as ModuleT, TransformerEmbeddings, TransformerEncoder, Linear } from '../../src/nn/index.js';

type Lib = typeof import('../../src/index.js');

export interface TinyConfig {
  vocab: number;
  dim: number;
  heads: number;
  layers: number;
  dropout: number;
  norm: 'pre' | 'post';
  positions: 'learned' | 'sinusoidal' | 'rotary';
  classes?: number;
  ffnDim?: number;
  pool?: 'mean' | 'max' | 'first';
}

export interface TinyModel extends ModuleT {
  embeddings: TransformerEmbeddings;
  encoder: TransformerEncoder;
  classifier: Linear;
  logits(ids: TensorT, mask: TensorT): Variable;
  loss(ids: TensorT, mask: TensorT, labels: TensorT): Variable;
}

/** embeddings → encoder (key-padding mask) → masked pooling → linear. */
export function makeTiny(lib: Lib, cfg: TinyConfig, seed: number): TinyModel {
  const { F } = lib;
  class Tiny extends lib.Module {
    embeddings: TransformerEmbeddings;
    encoder: TransformerEncoder;
    classifier: Linear;
    constructor() {
      super();
      this.embeddings = this.addModule(
        'embeddings',
        new lib.TransformerEmbeddings(cfg.vocab, cfg.dim, {
          positions: cfg.positions === 'rotary' ? 'none' : cfg.positions,
          maxPositions: 32,
          paddingIdx: 0,
          dropout: cfg.dropout,
        }),
      );
      this.encoder = this.addModule(
        'encoder',
        new lib.TransformerEncoder({
          layers: cfg.layers,
          dim: cfg.dim,
          heads: cfg.heads,
          ffnDim: cfg.ffnDim ?? 2 * cfg.dim,
          dropout: cfg.dropout,
          norm: cfg.norm,
          rotary: cfg.positions === 'rotary',
          activation: 'gelu',
        }),
      );
      this.classifier = this.addModule('classifier', new lib.Linear(cfg.dim, cfg.classes ?? 2));
      this.resetParameters(seed);
    }

    logits(ids: TensorT, mask: TensorT): Variable {
      const h = this.encoder.forward(this.embeddings.forward(ids), { mask });
      const pooled =
        cfg.pool === 'first' ? F.firstPool(h) : cfg.pool === 'max' ? F.maxPool(h, { mask }) : F.meanPool(h, { mask });
      return this.classifier.forward(pooled);
    }

    loss(ids: TensorT, mask: TensorT, labels: TensorT): Variable {
      return F.crossEntropy(this.logits(ids, mask), labels);
    }
  }
  return new Tiny();
}

export interface Batch {
  ids: TensorT;
  mask: TensorT;
  labels: TensorT;
  dispose(): void;
}

/** B sequences of length <= S over ids 1..vocab-1, padded with id 0 (mask 0); labels: parity of the first token. */
export function makeBatchWith(lib: Lib, seed: number, B: number, S: number, vocab: number): Batch {
  const rng = new lib.Philox(seed, 1);
  const ids = new Int32Array(B * S),
    mask = new Int32Array(B * S),
    labels = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const len = 2 + rng.nextInt(S - 1);
    for (let i = 0; i < len; i++) {
      ids[b * S + i] = 1 + rng.nextInt(vocab - 1);
      mask[b * S + i] = 1;
    }
    labels[b] = ids[b * S]! % 2;
  }
  const t = {
    ids: lib.Tensor.fromArray(ids, [B, S], 'int32'),
    mask: lib.Tensor.fromArray(mask, [B, S], 'int32'),
    labels: lib.Tensor.fromArray(labels, [B], 'int32'),
    dispose() {
      t.ids.dispose();
      t.mask.dispose();
      t.labels.dispose();
    },
  };
  return t;
}

/** The bit-identity probe: a small pre-norm and a post-norm encoder classifier with dropout, 20 seeded AdamW steps each; SHA-256 of every parameter's bytes and of the losses. */
export async function nnDigests(lib: Lib, sha256: (b: Uint8Array) => Promise<string>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const cases: [string, TinyConfig][] = [
    [
      'pre rotary',
      { vocab: 20, dim: 16, heads: 2, layers: 2, dropout: 0.1, norm: 'pre', positions: 'rotary', pool: 'max' },
    ],
    ['post learned', { vocab: 20, dim: 16, heads: 4, layers: 2, dropout: 0.1, norm: 'post', positions: 'learned' }],
    [
      'post sinusoidal',
      { vocab: 20, dim: 16, heads: 2, layers: 1, dropout: 0.2, norm: 'post', positions: 'sinusoidal', pool: 'first' },
    ],
  ];
  for (const [name, cfg] of cases) {
    const m = makeTiny(lib, cfg, 5);
    const opt = new lib.AdamW(lib.defaultParamGroups(m.namedParameters()), { lr: 3e-3 });
    const losses = new Float64Array(20);
    for (let s = 0; s < 20; s++) {
      const b = makeBatchWith(lib, 1000 + s, 4, 9, cfg.vocab);
      losses[s] = lib.step(() => {
        const l = m.loss(b.ids, b.mask, b.labels);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l.item();
      });
      b.dispose();
    }
    const parts = m.namedParameters().map(([, p]) => new Uint8Array((p.value.toArray() as Float32Array).buffer));
    parts.push(new Uint8Array(losses.buffer));
    const all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    out[name] = await sha256(all);
    opt.dispose();
    m.dispose();
  }
  return out;
}

/** The Node side: the built Node bundle, as a user would load it. */
export async function nodeNnDigests(): Promise<Record<string, string>> {
  const bundle = new URL('../../dist/wasm-nlp.node.js', import.meta.url).href;
  const lib = (await import(/* @vite-ignore */ bundle)) as Lib;
  await lib.init();
  const { createHash } = await import('node:crypto');
  return nnDigests(lib, async (b) => createHash('sha256').update(b).digest('hex'));
}
