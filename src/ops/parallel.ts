import type { Runtime } from '../core/runtime.js';
import { generation } from '../core/runtime.js';
import { getThreads, parallelMin, runChunks, splitRange } from '../core/threads.js';

// The threaded GEMM under matmul, gemm and linear: the output is cut into
// row blocks (or column blocks when it is wide and short), claimed by the
// threads in turn, each computed by gemm_f32 with the packing workspace of the
// thread that runs it. A row or column of C
// sees exactly the same sequence of operations as in the one-call GEMM (the
// micro-kernel's lanes are independent elements of C and the k loop is not
// split), so the result is bit-identical to one thread.
//
// Short products (at most GEMV_MAX_M_NT or _NN rows of op(A), A not
// transposed: batch-1 decoding's x W^T) run gemv_f32 instead, which reads B
// where it is stored rather than packing it; threaded by column ranges
// (gemv_range_f32), whose sums depend on k only, so they too are bit-identical
// to one thread.

/** Rows of the micro-kernel tile: row blocks start at multiples of it. */
const MR = 4;
/** Columns of the micro-kernel tile: column blocks start at multiples of it. */
const NR = 8;

/** Packing workspaces of the workers (index = worker), made on first use and kept for the runtime. */
let workerWork: { gen: number; ptrs: number[] } = { gen: -1, ptrs: [] };

function workspaceOfWorker(r: Runtime, w: number): number {
  if (workerWork.gen !== generation) workerWork = { gen: generation, ptrs: [] };
  let p = workerWork.ptrs[w];
  if (p === undefined) {
    p = r.heap.alloc(r.kernels.gemm_workspace_bytes());
    workerWork.ptrs[w] = p;
  }
  return p;
}

/**
 * Rows of op(A) up to which gemmF32 runs gemv_f32, by layout of B (measured against gemm_f32 at
 * GPT-2-small's shapes, interleaved: with B (n, k), 1.5-5x faster at 1-3 rows and about even at 4,
 * slower from 8; with B (k, n) gemv walks B down its columns and loses to the GEMM from 3 rows
 * when B does not fit in the cache).
 */
const GEMV_MAX_M_NT = 4;
const GEMV_MAX_M_NN = 2;
/** Column ranges of the threaded gemv start at multiples of 16 (a cache line of an NN row of B). */
const GEMV_ALIGN = 16;

/** Chunks per thread: more than one, so a thread that starts late (asleep, descheduled) is made up for by the others. */
const CHUNKS_PER_THREAD = 2;

/**
 * gemm_f32 with the same arguments (`work` is the calling thread's workspace),
 * split over getThreads() threads when m n k >= the gemmMinMacs of setThreads:
 * C is cut into 2 blocks per thread, of rows (multiples of 4) or, when C has
 * more 8-column panels than 4-row panels, of columns (multiples of 8).
 * With at most GEMV_MAX_M_NT (B transposed) or GEMV_MAX_M_NN rows and A not
 * transposed, gemv_f32 computes it instead (`work` unused).
 */
export function gemmF32(
  r: Runtime,
  a: number,
  b: number,
  bias: number,
  c: number,
  work: number,
  m: number,
  n: number,
  k: number,
  lda: number,
  ldb: number,
  ldc: number,
  ta: number,
  tb: number,
  alpha: number,
  beta: number,
  act: number,
): void {
  if (ta === 0 && m <= (tb !== 0 ? GEMV_MAX_M_NT : GEMV_MAX_M_NN)) {
    gemvF32(r, a, b, bias, c, m, n, k, lda, ldb, ldc, tb, alpha, beta, act);
    return;
  }
  const threads = getThreads();
  if (threads < 2 || m * n * k < parallelMin().gemmMacs) {
    r.kernels.gemm_f32(a, b, bias, c, work, m, n, k, lda, ldb, ldc, ta, tb, alpha, beta, act);
    return;
  }
  const chunks: number[][] = [];
  if (m / MR >= n / NR) {
    const cut = splitRange(m, threads * CHUNKS_PER_THREAD, MR);
    for (let t = 0; t + 1 < cut.length; t++) {
      const i0 = cut[t]!;
      chunks.push([
        a + 4 * (ta ? i0 : i0 * lda),
        b,
        bias,
        c + 4 * i0 * ldc,
        0,
        cut[t + 1]! - i0,
        n,
        k,
        lda,
        ldb,
        ldc,
        ta,
        tb,
        alpha,
        beta,
        act,
      ]);
    }
  } else {
    const cut = splitRange(n, threads * CHUNKS_PER_THREAD, NR);
    for (let t = 0; t + 1 < cut.length; t++) {
      const j0 = cut[t]!;
      chunks.push([
        a,
        b + 4 * (tb ? j0 * ldb : j0),
        bias === 0 ? 0 : bias + 4 * j0,
        c + 4 * j0,
        0,
        m,
        cut[t + 1]! - j0,
        k,
        lda,
        ldb,
        ldc,
        ta,
        tb,
        alpha,
        beta,
        act,
      ]);
    }
  }
  if (chunks.length < 2) {
    r.kernels.gemm_f32(a, b, bias, c, work, m, n, k, lda, ldb, ldc, ta, tb, alpha, beta, act);
    return;
  }
  const works = [work];
  for (let t = 1; t < threads; t++) works.push(workspaceOfWorker(r, t - 1));
  runChunks(r, 'gemm_f32', chunks, 4, works);
}

/**
 * gemv_f32 (gemm_f32's arguments without work and transA), split over getThreads() threads when
 * m n k >= the gemmMinMacs of setThreads: the columns of C in 2 ranges per thread (gemv_range_f32).
 */
function gemvF32(
  r: Runtime,
  a: number,
  b: number,
  bias: number,
  c: number,
  m: number,
  n: number,
  k: number,
  lda: number,
  ldb: number,
  ldc: number,
  tb: number,
  alpha: number,
  beta: number,
  act: number,
): void {
  const threads = getThreads();
  const split = threads >= 2 && m * n * k >= parallelMin().gemmMacs;
  const cut = split ? splitRange(n, threads * CHUNKS_PER_THREAD, GEMV_ALIGN) : [];
  if (cut.length < 3) {
    r.kernels.gemv_f32(a, b, bias, c, m, n, k, lda, ldb, ldc, tb, alpha, beta, act);
    return;
  }
  const chunks: number[][] = [];
  for (let t = 0; t + 1 < cut.length; t++) {
    chunks.push([a, b, bias, c, m, n, k, lda, ldb, ldc, tb, alpha, beta, act, cut[t]!, cut[t + 1]!]);
  }
  runChunks(r, 'gemv_range_f32', chunks, -1, []);
}
