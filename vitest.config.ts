import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { gemmDigests } from './tests/helpers/digests.js';
import { kernelDigests } from './tests/helpers/kernel-digests.js';
import { nodeNnDigests } from './tests/helpers/nn-tiny.js';
import { CountReporter } from './tests/helpers/count-reporter.js';

// One set of test files, two runtimes: Node, and Debian's headless Chromium
// driven by playwright-core. tests/node/ (fs, processes, worker_threads) runs in
// Node only; tests/browser/ (compares the page with Node) in Chromium only. Tests import from src/ and load the .wasm built into dist/.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    reporters: ['default', new CountReporter()],
    projects: [
      {
        // Projects do not inherit the root `test` options: each sets the timeout (a bound on hangs, not a speed assertion).
        test: {
          name: 'node',
          environment: 'node',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/browser/**'],
          testTimeout: 60_000,
        },
      },
      {
        // Pre-bundle what the browser tests import, so Vite does not reload mid-run.
        optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-layers'] },
        // COOP/COEP at the project's top-level `server` make the page
        // cross-origin isolated (SharedArrayBuffer, shared Wasm memory).
        server: {
          headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        },
        test: {
          name: 'chromium',
          testTimeout: 60_000,
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/node/**'],
          browser: {
            // Runs in the Node process that drives the browser: the same
            // computation on the Node build, for the bit-identity test.
            commands: {
              nodeGemmDigests: (_ctx, cases: unknown) => gemmDigests(cases as never),
              nodeKernelDigests: () => kernelDigests(),
              nodeNnDigests: () => nodeNnDigests(),
            },
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: [
                  '--no-sandbox',
                  '--disable-gpu',
                  '--disable-background-networking',
                  '--disable-component-update',
                  '--no-first-run',
                ],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
