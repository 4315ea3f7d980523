// The word-vectors demo in headless Chromium (examples/web/word-vectors, built by
// `npm run build`): train word2vec and fastText on a small Brown slice through the
// page's own controls, then check what the page shows (live plot, neighbours,
// analogy, PCA scatter, the out-of-vocabulary behaviour) and the one-thread path.
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

/** Small settings through the page's controls: the first 500k tokens of Brown, dim 50, 3 epochs (a few seconds). */
async function setSmall(page: Page, algo: 'word2vec' | 'fasttext'): Promise<void> {
  await page.selectOption('#size', '500000');
  await page.selectOption('#algo', algo);
  await page.fill('#dim', '50');
  await page.fill('#epochs', '3');
  if (algo === 'fasttext') await page.fill('#bucket', '20000');
}

async function train(page: Page): Promise<string> {
  await page.waitForFunction(() => document.querySelector('#runtime')?.getAttribute('data-threads') !== null, null, {
    timeout: 20_000,
  });
  await page.click('#train');
  await page.waitForFunction(
    () => {
      const s = document.querySelector('#status');
      return s?.getAttribute('data-kind') === 'done' || s?.getAttribute('data-kind') === 'error';
    },
    null,
    { timeout: 40_000 },
  );
  const status = (await page.textContent('#status')) ?? '';
  expect(await page.getAttribute('#status', 'data-kind'), status).toBe('done');
  return status;
}

const rowCount = (page: Page, table: string) => page.locator(`${table} tbody tr`).count();

describe('web demo: word vectors', () => {
  it('trains word2vec in the worker (several threads when isolated), then shows neighbours, an analogy and the PCA map', async () => {
    const { page, errors } = await session.open('word-vectors', { isolated: true });
    // All of Brown (the default) with dim 50 and 3 epochs: a few seconds. `npm run screenshots` keeps the
    // page's defaults (dim 100, 5 epochs): the neighbours shown in the README.
    if (process.env.UPDATE_SCREENSHOTS !== '1') {
      await page.fill('#dim', '50');
      await page.fill('#epochs', '3');
    }
    const status = await train(page);
    expect(status).toMatch(/done: word2vec skip-gram on 1,161,192 tokens/);
    const threads = Number(await page.getAttribute('#runtime', 'data-threads'));
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(threads).toBe(Math.max(1, Math.min(4, cores))); // initCore: min(4, cores) threads when isolated (2 here)
    expect(status).toContain(`on ${threads} thread${threads === 1 ? '' : 's'}.`);
    expect(await page.textContent('#runtime')).toContain('cross-origin isolated');
    // The live plot got points (loss and words/s).
    expect(Number(await page.getAttribute('#plot', 'data-points'))).toBeGreaterThan(0);
    // Neighbours of "man" (the default query, run after training): ten rows with a word, a bar and a cosine.
    await expect.poll(() => rowCount(page, '#nnTable'), { timeout: 10_000 }).toBe(10);
    const first = await page.locator('#nnTable tbody tr').first().locator('td').allTextContents();
    expect(first[0]).toMatch(/^\S+$/);
    expect(Number(first[2])).toBeGreaterThan(0);
    expect(await page.locator('#nnTable tbody .bar').count()).toBe(10);
    // The default analogy king − man + woman lists results.
    await expect.poll(() => rowCount(page, '#anTable'), { timeout: 10_000 }).toBe(8);
    // A clickable Brown example: he − his + her.
    await page.getByRole('button', { name: 'he − his + her' }).click();
    await expect.poll(() => page.inputValue('#anA')).toBe('he');
    await expect
      .poll(async () => (await page.textContent('#anNote')) ?? '')
      .toContain('unit(he) − unit(his) + unit(her)');
    // The PCA scatter has a point for each of the 20 default words (all in Brown's vocabulary).
    await expect.poll(async () => Number(await page.getAttribute('#pca', 'data-points')), { timeout: 10_000 }).toBe(20);
    expect(await page.locator('#pca canvas').count()).toBe(1);
    // A misspelling is not in word2vec's vocabulary: said so, no rows.
    await page.fill('#nnWord', 'goverment');
    await page.click('#nnForm button[type=submit]');
    await expect.poll(async () => (await page.textContent('#nnNote')) ?? '').toContain('not in the vocabulary');
    expect(await rowCount(page, '#nnTable')).toBe(0);
    // Back to a frequent word for the screenshot.
    await page.fill('#nnWord', 'man');
    await page.click('#nnForm button[type=submit]');
    await expect.poll(() => rowCount(page, '#nnTable')).toBe(10);
    await page.getByRole('button', { name: 'went − go + come' }).click();
    await expect.poll(async () => (await page.textContent('#anNote')) ?? '').toContain('unit(went)');
    await page.getByRole('button', { name: 'he − his + her' }).click();
    await expect.poll(async () => (await page.textContent('#anNote')) ?? '').toContain('unit(he)');
    console.log(
      `he − his + her: ${(await page.locator('#anTable tbody tr td:first-child').allTextContents()).join(' ')}`,
    );
    console.log(`word2vec, isolated: ${status}`);
    console.log(`screenshot: ${await saveScreenshot(page, 'demo-word-vectors')}`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fastText gives a misspelt word a vector from its n-grams', async () => {
    const { page, errors } = await session.open('word-vectors', { isolated: true });
    await setSmall(page, 'fasttext');
    // Stop: FastText.train's signal ends training after the current kernel call and keeps the model (queries work).
    await page.fill('#epochs', '30');
    await page.waitForFunction(() => document.querySelector('#runtime')?.getAttribute('data-threads') !== null, null, {
      timeout: 20_000,
    });
    await page.click('#train');
    await page.waitForFunction(() => Number(document.querySelector('#plot')?.getAttribute('data-points')) >= 2, null, {
      timeout: 30_000,
    });
    await page.click('#stop');
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.querySelector('#status')?.getAttribute('data-kind') ?? ''),
      null,
      { timeout: 30_000 },
    );
    const stopped = (await page.textContent('#status')) ?? '';
    expect(await page.getAttribute('#status', 'data-kind'), stopped).toBe('done');
    expect(stopped).toMatch(/stopped early .*: fastText skip-gram/);
    await expect.poll(() => rowCount(page, '#nnTable'), { timeout: 10_000 }).toBe(10);
    await expect.poll(() => page.isEnabled('#train')).toBe(true);
    await page.fill('#epochs', '3');
    const status = await train(page);
    expect(status).toMatch(/done: fastText skip-gram/);
    expect(Number(await page.getAttribute('#plot', 'data-points'))).toBeGreaterThan(0);
    await expect.poll(() => rowCount(page, '#nnTable'), { timeout: 10_000 }).toBe(10);
    await page.fill('#nnWord', 'goverment');
    await page.click('#nnForm button[type=submit]');
    await expect.poll(async () => (await page.textContent('#nnNote')) ?? '').toContain('character n-gram');
    expect(await rowCount(page, '#nnTable')).toBe(10);
    console.log(
      `fastText, isolated: ${status}; goverment → ${(await page.locator('#nnTable tbody tr td:first-child').allTextContents()).slice(0, 5).join(' ')}`,
    );
    await saveScreenshot(page, 'demo-word-vectors-fasttext');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains on one thread when the page is not cross-origin isolated, validates inputs, and Stop keeps the model', async () => {
    const { page, errors } = await session.open('word-vectors', { isolated: false });
    await page.waitForFunction(() => document.querySelector('#runtime')?.getAttribute('data-threads') !== null, null, {
      timeout: 20_000,
    });
    expect(await page.getAttribute('#runtime', 'data-threads')).toBe('1');
    expect(await page.textContent('#runtime')).toContain('not cross-origin isolated');
    // A bad setting gets a visible message and no training.
    await page.fill('#dim', '0');
    await page.click('#train');
    expect(await page.getAttribute('#status', 'data-kind')).toBe('error');
    expect(await page.textContent('#status')).toContain('dim must be an integer');
    // Stop keeps the partially trained word2vec model: 30 epochs, stopped once the plot has a few points.
    await setSmall(page, 'word2vec');
    await page.fill('#epochs', '30');
    await page.click('#train');
    await page.waitForFunction(() => Number(document.querySelector('#plot')?.getAttribute('data-points')) >= 3, null, {
      timeout: 30_000,
    });
    await page.click('#stop');
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.querySelector('#status')?.getAttribute('data-kind') ?? ''),
      null,
      { timeout: 30_000 },
    );
    const status = (await page.textContent('#status')) ?? '';
    expect(await page.getAttribute('#status', 'data-kind'), status).toBe('done');
    expect(status).toContain('stopped early');
    expect(status).toContain('on 1 thread.');
    await expect.poll(() => rowCount(page, '#nnTable'), { timeout: 10_000 }).toBe(10);
    await expect
      .poll(async () => Number(await page.getAttribute('#pca', 'data-points')), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(15);
    console.log(`word2vec, not isolated, stopped: ${status}`);
    // Your own text: two topics, min count 2; neighbours come from the pasted text.
    const pets =
      'the cat chased the dog . the dog chased the cat . a kitten and a puppy play . the puppy likes the kitten .';
    const money =
      'the bank pays interest . the loan has interest . a bank gives a loan . money in the bank earns interest .';
    await page.check('input[name=corpus][value=text]');
    await page.fill('#text', Array.from({ length: 40 }, (_, i) => (i % 2 ? pets : money)).join('\n'));
    await page.fill('#minCount', '2');
    await page.fill('#epochs', '5');
    const own = await train(page);
    expect(own).toMatch(/done: word2vec skip-gram on [\d,]+ tokens/);
    await page.fill('#nnWord', 'bank');
    await page.click('#nnForm button[type=submit]');
    await expect.poll(async () => (await page.textContent('#nnNote')) ?? '').toContain('Nearest to "bank"');
    expect(await rowCount(page, '#nnTable')).toBeGreaterThan(5);
    expect(errors).toEqual([]);
    await page.close();
  });
});
