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

/** Chunks per thread: more than one, so a thread that starts late (asleep, descheduled) is made up for by the others. */
const CHUNKS_PER_THREAD = 2;

/**
 * gemm_f32 with the same arguments (`work` is the calling thread's workspace),
 * split over getThreads() threads when m n k >= the gemmMinMacs of setThreads:
 * C is cut into 2 blocks per thread, of rows (multiples of 4) or, when C has
 * more 8-column panels than 4-row panels, of columns (multiples of 8).
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
