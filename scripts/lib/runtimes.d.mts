// Types for runtimes.mjs (imported by the TypeScript tests in tests/node/).
import type { Browser, LaunchOptions } from 'playwright-core';

export declare const ROOT: string;
export declare const ISOLATION_HEADERS: Record<string, string>;

export interface StaticServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}
export declare function serveStatic(options: {
  mounts: Record<string, string>;
  port?: number;
  host?: string;
  isolated?: boolean;
  log?: (line: string) => void;
}): Promise<StaticServer>;

export declare function chromiumPath(): string;
export declare function launchChromium(options?: LaunchOptions): Promise<Browser>;

export interface Workerd {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
  output(): string;
}
export declare function workerdPath(): string;
export declare function startWorkerd(
  config: string,
  options?: { socket?: string; timeoutMs?: number },
): Promise<Workerd>;
