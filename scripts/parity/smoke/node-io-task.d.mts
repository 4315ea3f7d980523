// Types for node-io-task.mjs (imported by tests/node/pack.test.ts).
import type { Prediction } from '../../../src/index.js';

export interface NodeIoResult {
  bert: { config: Record<string, unknown>; logits: number[] };
  fastText: {
    model: string;
    labels: string[];
    predictions: Prediction[][];
    sentenceVectors: number[][];
    sameBytes: boolean;
  };
  oneLibrary: boolean;
  nodeExports: string[];
}
export interface NodeIoOptions {
  bertDir: string;
  bert: { batch: number; seq: number; inputIds: number[]; tokenTypeIds: number[]; attentionMask: number[] };
  fastTextBin: string;
  lines: string[];
  outDir: string;
}
export declare function nodeIoTask(w: unknown, n: unknown, o: NodeIoOptions): Promise<NodeIoResult>;
