// scripts/parity.mjs, as .ci/run runs it: the seeded fastText training and the
// Transformer forward pass give the same digest in Node, Chromium and workerd,
// and the check can fail (a different seed in one runtime -> exit 1).
// Needs `npm run build` (dist/).
import { describe, expect, test } from 'vitest';
import { type NodeRun, runNode } from '../helpers/node-process.js';

interface RuntimeResult {
  runtime: string;
  seed: number;
  version: string;
  digest: string;
  fasttextModel: string;
  fasttextProbs: string;
  transformerForward: string;
  transformerWeights: string;
  transformerForwardAfter: string;
  matmul: number[];
  transformerSteps: number;
}
interface ParityOutput {
  same: boolean;
  seconds: number;
  results: RuntimeResult[];
}

function parse(r: NodeRun): ParityOutput {
  expect(r.timedOut, `timed out; stderr: ${r.stderr}`).toBe(false);
  return JSON.parse(r.stdout) as ParityOutput;
}

const PARTS = [
  'fasttextModel',
  'fasttextProbs',
  'transformerForward',
  'transformerWeights',
  'transformerForwardAfter',
] as const;

describe('parity script', () => {
  test('prints three identical digests (Node, Chromium, workerd) and exits 0', async () => {
    const r = await runNode(['scripts/parity.mjs', '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r);
    expect(out.same).toBe(true);
    expect(out.results.map((x) => x.runtime)).toEqual(['node', 'chromium', 'workerd']);
    expect(out.results[0]!.version).toMatch(/^Node \d+\./);
    expect(out.results[1]!.version).toMatch(/^Chromium \d+/);
    expect(out.results[2]!.version).toMatch(/^workerd \d{4}-\d{2}-\d{2}/);
    for (const x of out.results) {
      expect(x.digest).toMatch(/^[0-9a-f]{64}$/);
      expect(x.digest).toBe(out.results[0]!.digest);
      for (const k of PARTS) expect(x[k], `${x.runtime} ${k}`).toBe(out.results[0]![k]);
      expect(x.matmul).toEqual([2.75, 7.5, 6.75, 17.5, 10.75, 27.5]);
      expect(x.transformerSteps).toBe(6);
    }
    // the five parts are different computations, not one value repeated
    expect(new Set(PARTS.map((k) => out.results[0]![k])).size).toBe(5);
    expect(out.seconds).toBeLessThan(60);
  }, 70_000);

  test('a different seed in one runtime changes every digest, and the script exits 1', async () => {
    const r = await runNode(['scripts/parity.mjs', '--json', '--runtimes', 'node,chromium', '--perturb', 'chromium'], {
      timeoutMs: 60_000,
    });
    expect(r.code, r.stderr).toBe(1);
    const out = parse(r);
    expect(out.same).toBe(false);
    const [a, b] = out.results;
    expect(a!.seed).toBe(1);
    expect(b!.seed).toBe(2);
    expect(b!.digest).not.toBe(a!.digest);
    for (const k of PARTS) expect(b![k], k).not.toBe(a![k]);
    expect(b!.matmul).toEqual(a!.matmul); // not seeded
  }, 70_000);

  test('bad arguments exit 2 with a message', async () => {
    const r = await runNode(['scripts/parity.mjs', '--runtimes', 'deno']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('parity: runtimes must be among node, chromium, workerd, got deno');
  });
});
