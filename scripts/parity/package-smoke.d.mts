// Types for package-smoke.mjs (imported by tests/node/pack.test.ts).
export interface Installed {
  readonly tarball: string;
  readonly project: string;
  readonly pkgDir: string;
  readonly files: string[];
  readonly size: number;
  readonly unpackedSize: number;
  readonly installLog: string;
}
export interface Bundle {
  readonly file: string;
  readonly bytes: number;
  readonly warnings: string[];
  readonly dir: string;
}
export declare function packAndInstall(dir: string): Promise<Installed>;
export declare function bundleBrowserApp(project: string): Promise<Bundle>;
export declare function bundleWorker(project: string): Promise<Bundle & { readonly config: string }>;
export declare function buildViteApp(project: string): Promise<Bundle & { readonly wasm: string | undefined }>;

export declare const BUDGET: Readonly<{
  wasmRaw: number;
  wasmGzip: number;
  bundleRaw: number;
  bundleGzip: number;
  minBundleRaw: number;
  minBundleGzip: number;
  browserAppRaw: number;
  browserAppGzip: number;
  tarball: number;
}>;
export declare function gzipSize(file: string): number;
export declare function staticImports(file: string): string[];
export declare function bundleFiles(file: string): string[];
export declare function bundleSize(file: string): { files: string[]; raw: number; gzip: number };
export interface SizeRow {
  label: string;
  raw: number;
  gzip: number;
  budget: string;
}
export declare function sizeRows(o: {
  pkgDir: string;
  browserApp?: string;
  worker?: string;
  viteApp?: string;
  tarball?: number;
  unpacked?: number;
}): SizeRow[];
export declare function sizesTable(rows: SizeRow[]): string;
