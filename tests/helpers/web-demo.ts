// Node-only helper for the demo tests (tests/node/web-*.test.ts): serve the built
// demos (examples/web/dist, written by `npm run build`) with COOP/COEP, open one
// in headless Chromium, collect page errors, and save screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, ROOT, serveStatic, type StaticServer } from '../../scripts/lib/runtimes.mjs';

export const WEB_DIST = join(ROOT, 'examples', 'web', 'dist');

export interface DemoSession {
  browser: Browser;
  server: StaticServer;
  /** Open `/<demo>/`; `errors` collects uncaught page errors and console errors (assert it stays empty). */
  open(demo: string, options?: { isolated?: boolean }): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** One browser and two servers (isolated and not) per test file. */
export async function demoSession(): Promise<DemoSession> {
  if (!existsSync(join(WEB_DIST, 'index.html'))) {
    throw new Error(`demo tests: ${WEB_DIST} is missing; run \`npm run build\` (it builds the demos)`);
  }
  const server = await serveStatic({ mounts: { '/': WEB_DIST }, isolated: true });
  const plain = await serveStatic({ mounts: { '/': WEB_DIST }, isolated: false });
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await server.close();
    await plain.close();
    throw e;
  }
  return {
    browser,
    server,
    async open(demo, { isolated = true } = {}) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      await page.goto(`${(isolated ? server : plain).url}${demo}/`);
      return { page, errors };
    },
    async close() {
      await browser.close();
      await server.close();
      await plain.close();
    },
  };
}

/**
 * Save a screenshot: into docs/img/<name>.png when UPDATE_SCREENSHOTS=1
 * (`npm run screenshots`), otherwise into the OS temp directory. Returns the path.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  const dir =
    process.env.UPDATE_SCREENSHOTS === '1' ? join(ROOT, 'docs', 'img') : join(tmpdir(), 'wasm-nlp-screenshots');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
