// Types for models.mjs (imported by tests/node/edge.test.ts).
export declare const ROOT: string;
export declare const BUILD_DIR: string;
export declare const MODEL_FILES: string[];
export declare const CLASSIFIER: {
  dim: number;
  wordNgrams: number;
  bucket: number;
  minCount: number;
  epoch: number;
  lr: number;
  seed: number;
};
export declare const VECTORS: {
  dim: number;
  window: number;
  negative: number;
  sample: number;
  minCount: number;
  epochs: number;
  seed: number;
  keep: number;
};

export interface EdgeModelsMeta {
  classifier: {
    file: string;
    settings: typeof CLASSIFIER;
    words: number;
    labels: string[];
    rows: number;
    testAccuracy: number;
    testN: number;
    bytes: number;
    gzipBytes: number;
    trainSeconds: number;
  };
  vectors: {
    file: string;
    settings: typeof VECTORS;
    words: number;
    vocabulary: number;
    tokens: number;
    bytes: number;
    gzipBytes: number;
    trainSeconds: number;
  };
  trainedAt: string;
  seconds: number;
}
export declare function trainEdgeModels(options?: {
  outDir?: string;
  log?: (line: string) => void;
}): Promise<EdgeModelsMeta>;
export declare function modelsExist(dir?: string): boolean;
