// The cross-runtime determinism probe for the training kernels: every family
// runs forward and backward on seeded inputs (Philox in Wasm), and the SHA-256
// of each result's bytes is compared between the page and Node. Dropout masks
// come from the counter-based RNG, so they are covered too.
import type { Tensor as TensorT } from '../../src/core/tensor.js';

type Lib = typeof import('../../src/index.js');

/** name -> SHA-256 of the bytes of the results of that computation. */
export async function computeKernelDigests(
  lib: Lib,
  sha256: (b: Uint8Array) => Promise<string>,
): Promise<Record<string, string>> {
  const { Tensor } = lib;
  const results: Record<string, Uint8Array[]> = {};
  const keep = (name: string, ...ts: (TensorT | number)[]) => {
    results[name] = ts.map((t) =>
      typeof t === 'number' ? new Uint8Array(new Float64Array([t]).buffer) : new Uint8Array(t.toArray().buffer),
    );
  };
  lib.tidy(() => {
    const randn = (shape: number[], stream: number, std = 1) => {
      const t = Tensor.randn(shape, { seed: 77, stream });
      if (std !== 1) lib.ops.scale(t, std, { out: t });
      return t;
    };
    // softmax family
    const logits = randn([37, 1001], 1, 3);
    const targets = Tensor.fromArray(
      Int32Array.from({ length: 37 }, (_, i) => (i * 389) % 1001),
      [37],
      'int32',
    );
    const xent = lib.ops.softmaxXent(logits, targets, { labelSmoothing: 0.1 });
    const dlogits = Tensor.zeros([37, 1001]);
    lib.ops.softmaxXentBackward(logits, targets, xent.lse, dlogits, { labelSmoothing: 0.1 });
    keep('softmaxXent', xent.loss, xent.rowLoss, dlogits);
    const sm = lib.ops.softmax(logits);
    const dsm = Tensor.zeros([37, 1001]);
    lib.ops.softmaxBackward(sm, randn([37, 1001], 2), dsm);
    keep('softmax', sm, dsm);

    // attention with key mask, causal mask and dropout, then rotary
    const [b, h, s, d] = [2, 3, 45, 24];
    const q = randn([b, h, s, d], 3),
      k = randn([b, h, s, d], 4),
      v = randn([b, h, s, d], 5);
    const mask = Tensor.fromArray(
      Int32Array.from({ length: b * s }, (_, i) => (i % s < s - 1 - (i % 7) ? 1 : 0)),
      [b, s],
      'int32',
    );
    const opts = { keyMask: mask, causal: true, dropout: { p: 0.1, seed: 5 } };
    const att = lib.ops.attention(q, k, v, opts);
    const dq = Tensor.zeros([b, h, s, d]),
      dk = Tensor.zeros([b, h, s, d]),
      dv = Tensor.zeros([b, h, s, d]);
    lib.ops.attentionBackward(q, k, v, att.out, att.lse, randn([b, h, s, d], 6), { dq, dk, dv }, opts);
    keep('attention', att.out, att.lse, dq, dk, dv);
    const rq = lib.ops.rotary(q, { offset: 3 });
    const drq = Tensor.zeros([b, h, s, d]);
    lib.ops.rotaryBackward(randn([b, h, s, d], 7), drq, { offset: 3 });
    keep('rotary', rq, drq);

    // incremental decoding: the KV cache fed in chunks (prefill 5, then 1s), attending at each step
    const cache = new lib.ops.KVCache({ layers: 1, batch: b, heads: h, headDim: d, maxLength: 50 });
    const outs: TensorT[] = [];
    const rows = (x: TensorT, t0: number, n: number) =>
      lib.ops.reshape(lib.ops.sliceLast(lib.ops.reshape(x, [b, h, s * d]), t0 * d, n * d), [b, h, n, d]);
    for (const [t0, n] of [
      [0, 5],
      [5, 1],
      [6, 1],
      [7, 3],
    ] as const) {
      cache.append(0, rows(k, t0, n), rows(v, t0, n));
      outs.push(cache.attend(0, rows(q, t0, n)));
    }
    keep('kv cache decode', ...outs);
    cache.dispose();

    // layer norm and activations
    const x = randn([19, 77], 8, 2);
    const gamma = randn([77], 9),
      beta = randn([77], 10);
    const ln = lib.ops.layerNorm(x, gamma, beta);
    const dx = Tensor.zeros([19, 77]),
      dgamma = Tensor.zeros([77]),
      dbeta = Tensor.zeros([77]);
    const dy = randn([19, 77], 11);
    lib.ops.layerNormBackward(x, gamma, ln.mean, ln.rstd, dy, { dx, dgamma, dbeta });
    keep('layerNorm', ln.y, ln.mean, ln.rstd, dx, dgamma, dbeta);
    for (const approximate of ['none', 'tanh'] as const) {
      const g = lib.ops.gelu(x, { approximate });
      const dg = Tensor.zeros([19, 77]);
      lib.ops.geluBackward(x, dy, dg, { approximate });
      keep(`gelu ${approximate}`, g, dg);
    }
    const th = lib.ops.tanh(x),
      sg = lib.ops.sigmoid(x);
    const dth = Tensor.zeros([19, 77]),
      dsg = Tensor.zeros([19, 77]);
    lib.ops.tanhBackward(th, dy, dth);
    lib.ops.sigmoidBackward(sg, dy, dsg);
    keep('tanh sigmoid', th, sg, dth, dsg);

    // embedding, dropout, optimizers
    const weight = randn([50, 13], 12);
    const ids = Tensor.fromArray(
      Int32Array.from({ length: 31 }, (_, i) => ((i * 7) % 50) % 17),
      [31],
      'int32',
    );
    const emb = lib.ops.embedding(weight, ids);
    const dweight = Tensor.zeros([50, 13]);
    lib.ops.embeddingBackward(ids, randn([31, 13], 13), dweight);
    keep('embedding', emb, dweight);
    const dr = lib.ops.dropout(x, { p: 0.3, seed: 9, stream: 2, counter: 5 });
    const ddr = Tensor.zeros([19, 77]);
    lib.ops.dropoutBackward(dy, ddr, { p: 0.3, seed: 9, stream: 2, counter: 5 });
    keep('dropout', dr, ddr);
    const p = randn([1003], 14),
      g = randn([1003], 15);
    const m = Tensor.zeros([1003]),
      vv = Tensor.zeros([1003]);
    for (let step = 1; step <= 3; step++)
      lib.ops.adamStep(p, g, { m, v: vv }, { lr: 1e-2, step, weightDecay: 0.01, decoupled: true });
    const p2 = randn([1003], 14),
      mom = Tensor.zeros([1003]);
    for (let step = 0; step < 3; step++)
      lib.ops.sgdStep(p2, g, { momentum: mom }, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, nesterov: true });
    const norm = lib.ops.clipGradNorm([g], 1);
    keep('optim', p, m, vv, p2, mom, g, norm);

    // word2vec: skip-gram/NS and CBOW/HS with subsampling, over sentences of seeded ids
    const V = 40;
    const rng = new lib.Philox(21, 3);
    const w2vIds = Int32Array.from({ length: 5000 }, (_, i) => (i % 13 === 12 ? V - 1 : rng.nextInt(V - 1)));
    const counts = new Array<number>(V).fill(0);
    for (const id of w2vIds) counts[id]!++;
    for (const [model, loss] of [
      ['skipgram', 'ns'],
      ['cbow', 'hs'],
    ] as const) {
      const win = lib.Tensor.fromArray(
        Float32Array.from({ length: V * 16 }, () => (rng.nextFloat() - 0.5) / 16),
        [V, 16],
      );
      const wout = Tensor.zeros([loss === 'hs' ? V - 1 : V, 16]);
      const tr = new lib.SgnsTrainer(win, wout, {
        window: 4,
        negative: 5,
        model,
        loss,
        sample: 1e-2,
        lr: 0.05,
        totalWords: w2vIds.length,
        seed: 5,
        eosId: V - 1,
        counts,
      });
      tr.train(w2vIds);
      tr.dispose();
      keep(`word2vec ${model} ${loss}`, win, wout);
    }

    // supervised fastText: softmax and ns over seeded examples
    for (const loss of ['softmax', 'ns'] as const) {
      const input = lib.Tensor.randn([30, 12], { seed: 8, stream: 1 });
      const output = Tensor.zeros([4, 12]);
      const tr = new lib.SupervisedTrainer(input, output, { loss, labelCounts: [5, 3, 2, 1], seed: 4 });
      const rows = Int32Array.from({ length: 300 }, (_, i) => (i * 7) % 30);
      const offsets = Int32Array.from({ length: 101 }, (_, i) => i * 3);
      const labels = Int32Array.from({ length: 100 }, (_, i) => (i * 5) % 4);
      const labelOffsets = Int32Array.from({ length: 101 }, (_, i) => i);
      const lrs = Float32Array.from({ length: 100 }, (_, i) => 0.1 * (1 - i / 100));
      tr.step({ rows, offsets, labels, labelOffsets, lrs });
      keep(
        `fasttext supervised ${loss}`,
        input,
        output,
        Tensor.fromArray(tr.predict(rows.subarray(0, 30), offsets.subarray(0, 11)), [10, 4]),
      );
      tr.dispose();
    }
  });
  const out: Record<string, string> = {};
  for (const [name, parts] of Object.entries(results)) {
    const len = parts.reduce((a, p) => a + p.length, 0);
    const all = new Uint8Array(len);
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
    out[name] = await sha256(all);
  }
  return out;
}

/** The Node side: the built Node bundle, as a user would load it. */
export async function kernelDigests(): Promise<Record<string, string>> {
  const bundle = new URL('../../dist/wasm-nlp.node.js', import.meta.url).href;
  const lib = (await import(/* @vite-ignore */ bundle)) as Lib;
  await lib.init();
  const { createHash } = await import('node:crypto');
  return computeKernelDigests(lib, async (b) => createHash('sha256').update(b).digest('hex'));
}
