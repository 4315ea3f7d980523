// Types for bundle.mjs (imported by tests/node/edge.test.ts).
export declare function bundleWorker(outDir: string): Promise<void>;
