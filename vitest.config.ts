import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';

// One set of test files, two runtimes: Node, and Debian's headless Chromium
// driven by playwright-core. tests/node/ (fs, processes, worker_threads) runs in
// Node only. Tests import from src/ and load the .wasm built into dist/.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        test: { name: 'node', environment: 'node', include: ['tests/**/*.test.ts'] },
      },
      {
        // COOP/COEP at the project's top-level `server` make the page
        // cross-origin isolated (SharedArrayBuffer, shared Wasm memory).
        server: {
          headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
        },
        test: {
          name: 'chromium',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/node/**'],
          browser: {
            enabled: true,
            headless: true,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
                args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
