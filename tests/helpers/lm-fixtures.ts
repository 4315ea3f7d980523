// Data and checks of the language-model tests (NeuralLM, LstmLM): a tiny grammar's
// vocabulary and seeded streams over it, random id streams that never hold bos, a model's
// weights as bits (for bit-identity checks), and the checks of fit's diagnostics reports.
import { expect } from 'vitest';
import { Philox } from '../../src/core/rng.js';
import type { Module } from '../../src/nn/module.js';
import type { TrainingDiagnostics } from '../../src/train/diagnostics.js';
import type { Progress } from '../../src/train/progress.js';

/** The vocabulary of the grammar streams: 0 = <unk>, 1 = <s> (bos), then the words. */
export const WORDS = ['<unk>', '<s>', 'the', 'cat', 'dog', 'sat', 'ran', 'on', 'mat', 'log', '.', 'a'];

/** A stream from a tiny grammar: "the|a cat|dog sat|ran on the|a mat|log ." repeated. */
export function grammarStream(seed: number, sentences: number): Int32Array {
  const rng = new Philox(seed, 11);
  const pick = (...ws: string[]) => WORDS.indexOf(ws[rng.nextInt(ws.length)]!);
  const out: number[] = [];
  for (let s = 0; s < sentences; s++) {
    out.push(
      pick('the', 'a'),
      pick('cat', 'dog'),
      pick('sat', 'ran'),
      WORDS.indexOf('on'),
      pick('the', 'a'),
      pick('mat', 'log'),
      WORDS.indexOf('.'),
    );
  }
  return Int32Array.from(out);
}

/** `n` seeded ids of 2..V-1 and 0 (<unk>): never bos (1). */
export function randomStream(seed: number, n: number, V: number): Int32Array {
  const rng = new Philox(seed, 7);
  return Int32Array.from({ length: n }, () => (rng.nextInt(V - 1) + 2) % V);
}

/** The model's parameters as [name, uint32 bits of each float]. */
export function weightBits(m: Module): [string, number[]][] {
  return m
    .namedParameters()
    .map(([n, p]) => [n, Array.from(new Uint32Array((p.value.toArray() as Float32Array).buffer))]);
}

/**
 * The progress reports of a fit with `diagnostics` that carry them, checked: made at the
 * global steps `steps`, each with the gradient norms of `groups` (in that order, finite and
 * > 0, their L2 combination the total norm) and the statistics of the outputs of `modules`
 * (in the order the forward pass ran them). Returns their diagnostics.
 */
export function checkedDiagnostics(
  reports: readonly Progress[],
  steps: number[],
  groups: string[],
  modules: string[],
): TrainingDiagnostics[] {
  const measured = reports.filter((p) => p.diagnostics !== undefined);
  expect(measured.map((p) => p.step)).toEqual(steps);
  return measured.map((p) => {
    const d = p.diagnostics!;
    expect(d.step).toBe(p.step);
    expect(Object.keys(d.gradNorms)).toEqual(groups);
    const norms = Object.values(d.gradNorms);
    expect(norms.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    expect(Math.abs(Math.hypot(...norms) - d.totalGradNorm) / d.totalGradNorm).toBeLessThan(1e-6);
    expect(Object.keys(d.activations!)).toEqual(modules);
    return d;
  });
}
