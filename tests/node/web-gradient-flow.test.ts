// The Gradient flow demo (examples/web/gradient-flow) in headless Chromium: the two presets
// through the page's own buttons — a 20-layer sigmoid MLP without residual connections, whose
// first block gets a vanishing share of the gradient, and a 20-layer ReLU MLP with residual
// connections and pre-norm, whose gradient reaches the first block — and the RNN-vs-LSTM panel,
// read from the numbers the page keeps in window.__gradientFlow.
// Needs `npm run build` (the demos' bundle in examples/web/dist).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { demoSession, saveScreenshot, type DemoSession } from '../helpers/web-demo.js';

let session: DemoSession;
beforeAll(async () => {
  session = await demoSession();
}, 30_000);
afterAll(async () => {
  await session?.close();
});

interface MlpRun {
  label: string;
  steps: number;
  ratioFirst: number;
  ratioMedian: number;
  ratios: number[];
  losses: number[];
  accuracy: number;
  firstGrads: number[];
  lastGrads: number[];
  lastDead: number[];
}
interface RnnRun {
  steps: number;
  forgetBias: number | null;
  firstRatio: { rnn: number; lstm: number };
  lastRatio: { rnn: number; lstm: number };
  accuracy: { rnn: number; lstm: number };
}

const runs = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { __gradientFlow: { mlp: MlpRun[]; rnn: RnnRun[] } }).__gradientFlow);

/** Wait until `status` is no longer 'info'; expect 'done'; returns its text. */
async function finished(page: Page, status: string, timeout: number): Promise<string> {
  await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-kind') !== 'info', status, {
    timeout,
  });
  const text = (await page.textContent(status)) ?? '';
  expect(await page.getAttribute(status, 'data-kind'), text).toBe('done');
  return text;
}

async function preset(page: Page, name: string): Promise<MlpRun> {
  const before = (await runs(page)).mlp.length;
  await page.click(`button[data-preset="${name}"]`);
  const text = await finished(page, '#mlp-status', 30_000);
  console.log(`gradient-flow demo, ${name}: ${text}`);
  const all = (await runs(page)).mlp;
  expect(all.length).toBe(before + 1);
  return all[all.length - 1]!;
}

describe('web demo: gradient flow', () => {
  it('shows a vanishing gradient in a deep sigmoid MLP and a healthy one with ReLU + residual + pre-norm; RNN vs LSTM', async () => {
    const { page, errors } = await session.open('gradient-flow');
    await page.waitForFunction(() => !(document.querySelector('#mlp-train') as HTMLButtonElement).disabled, undefined, {
      timeout: 30_000,
    });

    const sig = await preset(page, 'sigmoid');
    expect(sig.label).toContain('20-layer sigmoid, no residual');
    expect(sig.steps).toBe(200);
    expect(sig.firstGrads).toHaveLength(20);
    for (const g of sig.firstGrads) expect(g).toBeGreaterThan(0);
    // vanishing: block 1 gets a tiny fraction of the last block's gradient, at the start and throughout
    expect(sig.ratioFirst).toBeLessThan(1e-3);
    expect(Math.max(...sig.ratios)).toBeLessThan(1e-3);
    // at step 1 the norm shrinks block by block towards the input (each sigmoid block scales the signal down)
    const rises = sig.firstGrads.filter((g, i) => i > 0 && g < sig.firstGrads[i - 1]!).length;
    expect(rises).toBeLessThanOrEqual(2);
    expect(Number(await page.getAttribute('#heatmap', 'data-columns'))).toBe(200);

    const res = await preset(page, 'relu-res');
    expect(res.label).toContain('20-layer ReLU + residual, pre-norm');
    // healthy: the gradient reaches block 1 with a size comparable to the last block's
    expect(res.ratioFirst).toBeGreaterThan(0.1);
    expect(Math.min(...res.ratios)).toBeGreaterThan(0.1);
    // ReLU outputs have dead units (exact zeros), sigmoid ones none
    expect(Math.max(...res.lastDead)).toBeGreaterThan(0);
    expect(Math.max(...sig.lastDead)).toBe(0);
    // and it learns the task, which the sigmoid network barely does
    expect(res.losses[res.losses.length - 1]!).toBeLessThan(res.losses[0]! * 0.7);
    expect(res.accuracy).toBeGreaterThan(sig.accuracy);
    await expect(page.locator('#runs tbody tr').count()).resolves.toBe(2);

    // RNN vs LSTM on "remember the first token" (60 steps; a short run): at the start the RNN's gradient at
    // t = 0 is a vanishing share of the one at the last step (measured 1e-14), the LSTM's (forget-gate bias 1)
    // a billion times larger (2e-5).
    await page.fill('#seq-length', '60');
    await page.fill('#seq-steps', '40');
    await page.click('#rnn-train');
    const text = await finished(page, '#rnn-status', 30_000);
    console.log(`gradient-flow demo, RNN vs LSTM: ${text}`);
    const rnn = (await runs(page)).rnn[0]!;
    expect(rnn.steps).toBe(40);
    expect(rnn.forgetBias).toBe(1);
    expect(rnn.firstRatio.rnn).toBeLessThan(1e-8);
    expect(rnn.firstRatio.lstm).toBeGreaterThan(1e4 * rnn.firstRatio.rnn);
    expect(rnn.firstRatio.lstm).toBeGreaterThan(1e-7);
    expect(Number(await page.getAttribute('#seq-grad-plot', 'data-points'))).toBe(60);
    await saveScreenshot(page, 'demo-gradient-flow');

    // a bad input is refused with a visible message
    await page.fill('#depth', '0');
    await page.click('#mlp-train');
    await expect.poll(() => page.getAttribute('#mlp-status', 'data-kind')).toBe('error');
    await expect(page.textContent('#mlp-status')).resolves.toContain('depth must be a whole number from 1 to 64');

    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
