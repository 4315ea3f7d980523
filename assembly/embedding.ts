// Embedding lookup: gather rows of a (V, D) table by int32 ids, and its
// backward, a scatter-add of the upstream rows into the table's gradient.
//
// Ids are checked against [0, V) in TypeScript before either kernel runs
// (src/ops/embedding.ts); the kernels trust them (debug builds assert).

/**
 * Embedding forward: out[i, :] = weight[ids[i], :].
 *   weight (V, dim) f32 row-major, read
 *   ids    (n) i32 in [0, V), read (any shape flattened)
 *   out    (n, dim) f32, written; must not overlap weight
 * Ptrs 4-byte aligned (16 gives aligned vectors); any dim (scalar tail).
 * A pure copy: the output bits equal the table's bits.
 */
export function embedding_fwd_f32(weight: usize, ids: usize, out: usize, n: i32, dim: i32, vocab: i32): void {
  assert(n >= 0 && dim >= 0 && vocab >= 0, 'embedding_fwd_f32: n, dim and vocab must be >= 0');
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    assert(id >= 0 && id < vocab, 'embedding_fwd_f32: id out of range');
    const src = weight + <usize>id * rowBytes;
    const dst = out + <usize>i * rowBytes;
    let c = 0;
    for (; c + 4 <= dim; c += 4) {
      const o = <usize>c << 2;
      v128.store(dst + o, v128.load(src + o));
    }
    for (; c < dim; c++) {
      const o = <usize>c << 2;
      store<f32>(dst + o, load<f32>(src + o));
    }
  }
}

/**
 * Embedding backward: dweight[ids[i], :] += dy[i, :] for i = 0, 1, ..., n-1 in
 * that order, so a repeated id sums its rows in position order and the result
 * is deterministic (and a lane's value does not depend on the vector path:
 * every element is one f32 add per occurrence).
 *   ids     (n) i32 in [0, V), read
 *   dy      (n, dim) f32, read
 *   dweight (V, dim) f32, read and written: ACCUMULATES (+=); zeroGrad() clears
 * No alias between dy and dweight. Any dim (scalar tail).
 */
export function embedding_bwd_f32(ids: usize, dy: usize, dweight: usize, n: i32, dim: i32, vocab: i32): void {
  assert(n >= 0 && dim >= 0 && vocab >= 0, 'embedding_bwd_f32: n, dim and vocab must be >= 0');
  const rowBytes = <usize>dim << 2;
  for (let i = 0; i < n; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    assert(id >= 0 && id < vocab, 'embedding_bwd_f32: id out of range');
    const src = dy + <usize>i * rowBytes;
    const dst = dweight + <usize>id * rowBytes;
    let c = 0;
    for (; c + 4 <= dim; c += 4) {
      const o = <usize>c << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
    for (; c < dim; c++) {
      const o = <usize>c << 2;
      store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
    }
  }
}
