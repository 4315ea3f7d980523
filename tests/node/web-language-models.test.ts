// The Language models demo (examples/web/language-models/) in headless Chromium: train the neural LM and a
// tiny BERT for a few seconds through the page's own controls and check what the page shows; load a BERT
// from files written here in Node and check the page's probe equals Node's fill-mask on the same model.
// Needs `npm run build` (the demos are served from examples/web/dist).
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { initForTests } from '../helpers/runtime.js';
import { demoSession, saveScreenshot, type DemoSession } from '../helpers/web-demo.js';
import { ROOT } from '../../scripts/lib/runtimes.mjs';
import { BertForMaskedLM } from '../../src/models/bert/index.js';
import { WordPiece } from '../../src/text/wordpiece.js';
import { pipeline, type FillMaskResult } from '../../src/pipelines.js';
import { NeuralLM } from '../../src/models/lm/neural-lm.js';
import { GptLM } from '../../src/models/gpt/lm.js';
import { generate, type CausalLM } from '../../src/models/gpt/generate.js';

const PROBES = [
  '[MASK] is poor.',
  '[MASK] is rich.',
  '[MASK] is an actor.',
  '[MASK] is an actress.',
  '[MASK] is a doctor.',
  '[MASK] is a nurse.',
];
const FREE = 'the [MASK] is a doctor .';
const K = 5;
/** `npm run screenshots` (UPDATE_SCREENSHOTS=1): train longer, for a screenshot that shows a model worth looking at. */
const LONG = process.env.UPDATE_SCREENSHOTS === '1';
// The models of `npm run bengio` and `npm run bert`, when they have been trained in this checkout.
const RUN_LM = join(ROOT, 'runs', 'bengio', 'model.safetensors');
const RUN_BERT = join(ROOT, 'runs', 'bert', 'model');
const HAVE_RUNS = existsSync(RUN_LM) && existsSync(join(RUN_BERT, 'config.json'));

let session: DemoSession;
let dir: string;
let model: BertForMaskedLM;
let files: string[];

beforeAll(async () => {
  await initForTests();
  // A tiny random BERT with a vocabulary that covers the probes; a large init range so the fills are far apart.
  const words = [
    'he',
    'she',
    'it',
    'they',
    'who',
    'is',
    'a',
    'an',
    'the',
    'poor',
    'rich',
    'actor',
    'actress',
    'doctor',
    'nurse',
    '.',
    ',',
    'man',
    'woman',
    'city',
  ];
  const tok = WordPiece.fromVocabTxt(
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words, '##s', '##e'].join('\n') + '\n',
  );
  model = new BertForMaskedLM(
    {
      vocabSize: tok.size,
      hiddenSize: 32,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      intermediateSize: 64,
      maxPositionEmbeddings: 32,
      initializerRange: 0.5,
    },
    { seed: 7 },
  );
  model.tokenizer = tok;
  model.eval();
  dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-lm-demo-'));
  files = [];
  for (const [name, content] of Object.entries(model.toPretrained())) {
    writeFileSync(join(dir, name), content as string | Uint8Array);
    files.push(join(dir, name));
  }
  session = await demoSession();
}, 60_000);

afterAll(async () => {
  await session?.close();
  model?.dispose();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** The probe cards as the page shows them: sentence → [token, displayed probability][]. */
async function probeCards(page: Page): Promise<{ text: string; fills: [string, string][] }[]> {
  return page.$$eval('#probes .probe', (cards) =>
    cards.map((c) => ({
      text: (c as HTMLElement).dataset.text ?? '',
      fills: [...c.querySelectorAll('tbody tr')].map((tr) => {
        const td = tr.querySelectorAll('td');
        return [td[0]!.textContent ?? '', td[2]!.textContent ?? ''] as [string, string];
      }),
    })),
  );
}

/** Load the Node-written model through the file input and compare every probe with Node's pipeline. */
async function crossCheck(page: Page): Promise<void> {
  await page.fill('#probe-k', String(K));
  await page.fill('#probe-text', FREE);
  await page.setInputFiles('#bert-files', files);
  await page.waitForFunction(
    () => document.querySelector('#bert-status')?.textContent?.startsWith('loaded'),
    undefined,
    { timeout: 20_000 },
  );
  await page.waitForFunction((n) => document.querySelectorAll('#probes .probe').length === n, PROBES.length + 1, {
    timeout: 20_000,
  });
  const cards = await probeCards(page);
  const fill = pipeline('fill-mask', model);
  expect(cards.map((c) => c.text)).toEqual([...PROBES, FREE]);
  for (const c of cards) {
    const node = (await fill(c.text, { top_k: K })) as FillMaskResult[];
    expect(c.fills).toEqual(node.map((r) => [r.token_str, r.score.toFixed(3)]));
  }
}

/** `model` with the logits of `banned` at −∞ in every session (what the page's worker samples from: no <unk>, no <s>). */
function suppressing(model: GptLM, banned: number[]): CausalLM {
  return {
    vocabSize: model.vocabSize,
    maxLength: model.maxLength,
    startSession(options) {
      const s = model.startSession(options);
      return {
        feed(ids: Int32Array) {
          const logits = s.feed(ids);
          for (const b of banned) logits[b] = -Infinity;
          return logits;
        },
        get length() {
          return s.length;
        },
        dispose: () => s.dispose(),
      };
    },
  };
}

/** The page's sample of `n` words after `prompt`, in Node: windows of nPositions, the k-th with seed + k·2³¹, sliding by half. */
function nodeSample(lm: GptLM, prompt: string, n: number, seed: number): string[] {
  const c = lm.config;
  const m = suppressing(lm, [c.unk, c.bos]);
  const half = c.nPositions >> 1;
  let ctx = [c.bos, ...lm.encode(prompt)].slice(-half);
  const out: string[] = [];
  for (let k = 0; out.length < n; k++) {
    const ids = generate(m, ctx, {
      maxNewTokens: Math.min(n - out.length, c.nPositions - ctx.length),
      doSample: true,
      temperature: 0.8,
      topK: 40,
      topP: 0.95,
      seed: seed + k * 2 ** 31,
    });
    for (const id of ids) out.push(lm.vocab![id]!);
    ctx = [...ctx, ...ids].slice(-half);
  }
  return out;
}

/**
 * Generate in the GPT section and record what the page shows while the words arrive: the word count at each
 * DOM mutation of the output (MutationObserver callbacks run after each task, so one per worker message).
 */
async function streamedSample(
  page: Page,
  length: number,
  stopAfter = 0,
): Promise<{ words: string[]; counts: number[] }> {
  await page.fill('#gpt-length', String(length));
  await page.evaluate((stopAt) => {
    const out = document.querySelector('#gpt-out') as HTMLElement;
    const w = window as unknown as { __gptCounts: number[]; __gptObserver?: MutationObserver };
    w.__gptObserver?.disconnect();
    w.__gptCounts = [];
    w.__gptObserver = new MutationObserver(() => {
      const status = document.querySelector('#gpt-gen-status')!;
      // only updates seen while the sample is still coming (not the final status)
      if (status.getAttribute('data-kind') === 'done') return;
      const n = Number(out.dataset.words);
      const counts = w.__gptCounts;
      if (n > 0 && n !== counts[counts.length - 1]) counts.push(n);
      if (stopAt > 0 && n === stopAt) (document.querySelector('#gpt-gen-stop') as HTMLButtonElement).click();
    });
    w.__gptObserver.observe(out, { subtree: true, childList: true, characterData: true, attributes: true });
  }, stopAfter);
  await page.click('#gpt-go');
  await page.waitForFunction(
    () => document.querySelector('#gpt-gen-status')?.getAttribute('data-kind') === 'done',
    undefined,
    { timeout: 30_000 },
  );
  const counts = await page.evaluate(() => {
    const w = window as unknown as { __gptCounts: number[]; __gptObserver?: MutationObserver };
    w.__gptObserver?.disconnect();
    return w.__gptCounts;
  });
  const text = (await page.textContent('#gpt-out .sample'))!;
  return { words: text === '' ? [] : text.split(' '), counts };
}

/**
 * The small GPT through the page's controls: a bad head count refused, a short training with live validation
 * perplexity (finite, falling), Stop, samples streamed word by word, the same words in Node from the saved model.
 */
async function gptPart(page: Page, dir: string): Promise<{ saved: string; seed2: string }> {
  await page.selectOption('#gpt-tokens', LONG ? '200000' : '50000');
  await page.selectOption('#gpt-dim', LONG ? '64' : '32');
  await page.selectOption('#gpt-context', '32');
  await page.fill('#gpt-layers', '2');
  await page.fill('#gpt-heads', '3');
  await page.click('#gpt-train');
  await expect.poll(() => page.getAttribute('#gpt-status', 'data-kind')).toBe('error');
  expect(await page.textContent('#gpt-status')).toContain('heads must divide the embedding size');
  await page.fill('#gpt-heads', '2');
  await page.click('#gpt-train');
  // two validation estimates after training started (~2.5 s apart), then Stop
  await page.waitForFunction(
    (n) => ((window as unknown as { __gptRuns?: { validPpl: unknown[] }[] }).__gptRuns?.[0]?.validPpl.length ?? 0) >= n,
    LONG ? 8 : 2,
    { timeout: 90_000 },
  );
  expect(await page.isEnabled('#gpt-go')).toBe(false);
  expect(await page.isEnabled('#lm-train')).toBe(false); // one model trains at a time
  await page.click('#gpt-stop');
  await page.waitForFunction(
    () => document.querySelector('#gpt-status')?.getAttribute('data-kind') === 'done',
    undefined,
    { timeout: 20_000 },
  );
  const status = (await page.textContent('#gpt-status'))!;
  console.log(`small GPT in Chromium: ${status}`);
  expect(status).toMatch(/^stopped: /);
  expect(Number(/([\d,]+) tokens\/s/.exec(status)?.[1]?.replace(/,/g, ''))).toBeGreaterThan(0);
  expect(Number(await page.getAttribute('#gpt-plot', 'data-points'))).toBeGreaterThan(0);
  const [run] = await page.evaluate(
    () =>
      (window as unknown as { __gptRuns: { initialPpl: number; validPpl: [number, number][]; finalPpl: number }[] })
        .__gptRuns,
  );
  const est = run!.validPpl.map((e) => e[1]);
  for (const p of [run!.initialPpl, ...est, run!.finalPpl]) {
    expect(Number.isFinite(p)).toBe(true);
    expect(p).toBeGreaterThan(1);
  }
  expect(est[0]!).toBeLessThan(run!.initialPpl); // training lowers it
  // (not that the last estimate is below the first: the run stops on the wall clock, and two estimates of a loaded machine can tie)
  expect(run!.finalPpl).toBeLessThan(run!.initialPpl);
  // the sample after training (default 40 words) is done before Generate is enabled again
  await page.waitForFunction(
    () =>
      document.querySelector('#gpt-gen-status')?.getAttribute('data-kind') === 'done' &&
      !(document.querySelector('#gpt-go') as HTMLButtonElement).disabled,
    undefined,
    { timeout: 30_000 },
  );

  // save the model (a real download) and load it in Node: the page's samples are Node's
  const download = await Promise.all([page.waitForEvent('download'), page.click('#gpt-save')]).then(([d]) => d.path());
  const saved = join(dir, 'gpt-lm.safetensors');
  copyFileSync(download, saved);
  const lm = GptLM.fromSafetensors(new Uint8Array(readFileSync(saved)));
  try {
    expect(lm.config.nPositions).toBe(32);
    const vocab = new Set(lm.vocab);
    const ok = (w: string) => vocab.has(w) && w !== '<unk>' && w !== '<s>';
    // a 12-word sample, in one window: streamed (at least two updates seen before the end), equal to Node's
    const a = await streamedSample(page, 12);
    expect(a.words).toHaveLength(12);
    expect(a.words.every(ok)).toBe(true);
    expect(a.counts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < a.counts.length; i++) expect(a.counts[i]).toBeGreaterThan(a.counts[i - 1]!);
    expect(a.words).toEqual(nodeSample(lm, 'the president', 12, 1));
    expect(await page.textContent('#gpt-gen-status')).toMatch(/^seed 1 · 12 words · /);
    // 45 words: past the 32-word window (29 + 16), as Node slides it
    const b = await streamedSample(page, 45);
    expect(b.words).toEqual(nodeSample(lm, 'the president', 45, 1));
    expect(b.counts.length).toBeGreaterThanOrEqual(2);
    // Stop sampling ends the stream after the words so far
    const c = await streamedSample(page, 1000, 5);
    expect(await page.textContent('#gpt-gen-status')).toContain('(stopped)');
    expect(c.words.length).toBeGreaterThanOrEqual(5);
    expect(c.words.length).toBeLessThan(1000);
    expect(c.words).toEqual(nodeSample(lm, 'the president', c.words.length, 1));
  } finally {
    lm.dispose();
  }
  // Sample again: the next seed, another sample
  await page.fill('#gpt-length', '25');
  const first = (await page.textContent('#gpt-out .sample'))!;
  await page.click('#gpt-again');
  await expect.poll(() => page.inputValue('#gpt-seed')).toBe('2');
  await page.waitForFunction(
    () => document.querySelector('#gpt-gen-status')?.textContent?.startsWith('seed 2 · 25 words'),
    undefined,
    { timeout: 20_000 },
  );
  const seed2 = (await page.textContent('#gpt-out .sample'))!;
  expect(seed2).not.toBe(first);
  return { saved, seed2 };
}

/** The GPT file saved by gptPart, loaded back through Load model…: the page samples the same words (seed 2, 25 words). */
async function gptLoadBack(page: Page, { saved, seed2 }: { saved: string; seed2: string }): Promise<void> {
  await page.setInputFiles('#gpt-load', saved);
  await expect.poll(() => page.textContent('#gpt-status'), { timeout: 10_000 }).toMatch(/^loaded gpt-lm\.safetensors/);
  await expect.poll(() => page.textContent('#gpt-gen-status'), { timeout: 20_000 }).toMatch(/^seed 2 · 25 words/);
  expect(await page.textContent('#gpt-out .sample')).toBe(seed2);
}

test('language models demo: neural LM, small GPT and tiny BERT trained in the tab; a BERT loaded from files probes as in Node', async () => {
  const { page, errors } = await session.open('language-models');
  await page.waitForFunction(
    () => document.querySelector('#runtime')?.getAttribute('data-threads') !== null,
    undefined,
    { timeout: 20_000 },
  );
  const threads = Number(await page.getAttribute('#runtime', 'data-threads'));
  expect(threads).toBeGreaterThanOrEqual(1);
  expect(await page.textContent('#runtime')).toContain('cross-origin isolated (SharedArrayBuffer');

  // ---- BERT: a model from files (the cross-runtime check), then a tiny one trained here
  await crossCheck(page);

  await page.selectOption('#bert-sentences', LONG ? '20000' : '5000');
  await page.fill('#bert-seconds', LONG ? '12' : '5');
  await page.click('#bert-train');
  await page.waitForFunction(
    () => document.querySelector('#bert-status')?.getAttribute('data-kind') === 'done',
    undefined,
    { timeout: 40_000 },
  );
  expect(Number(await page.getAttribute('#bert-plot', 'data-points'))).toBeGreaterThan(0);
  console.log(`tiny BERT in Chromium: ${await page.textContent('#bert-status')}`);
  await page.waitForFunction(() => (document.querySelector('#bert-model')?.textContent ?? '').includes('trained here'));
  // the probe list is redrawn after training: k fills per sentence, probabilities in (0, 1], descending
  await page.waitForFunction(
    (k) => {
      const cards = [...document.querySelectorAll('#probes .probe')];
      return (
        cards.length === 7 &&
        cards.every((c) => c.querySelectorAll('tbody tr').length === k) &&
        document.querySelector('#probe-status')?.textContent?.startsWith('top')
      );
    },
    K,
    { timeout: 10_000 },
  );
  const cards = await probeCards(page);
  expect(cards.map((c) => c.text)).toEqual([...PROBES, FREE]);
  for (const c of cards) {
    const ps = c.fills.map((f) => Number(f[1]));
    expect(ps.every((p) => p >= 0 && p <= 1)).toBe(true);
    for (let i = 1; i < ps.length; i++) expect(ps[i]).toBeLessThanOrEqual(ps[i - 1]!);
    expect(c.fills.every((f) => f[0].length > 0)).toBe(true);
  }
  // a free text without [MASK] is refused with a visible message
  await page.fill('#probe-text', 'no mask here');
  await page.click('#probe-go');
  await expect.poll(() => page.getAttribute('#probe-status', 'data-kind')).toBe('error');
  await page.fill('#probe-text', FREE);
  await page.click('#probe-go');
  await expect.poll(() => page.getAttribute('#probe-status', 'data-kind')).toBe('info');

  // ---- the neural LM: small settings through the page's controls (bigger ones for the README screenshot)
  await page.selectOption('#lm-tokens', LONG ? '200000' : '100000');
  await page.fill('#lm-epochs', LONG ? '3' : '5'); // never finished before the Stop below
  await page.fill('#lm-dim', LONG ? '32' : '16');
  await page.fill('#lm-hidden', LONG ? '64' : '32');
  // a bad value is refused with a visible message
  await page.fill('#lm-context', '0');
  await page.click('#lm-train');
  await expect.poll(() => page.getAttribute('#lm-status', 'data-kind')).toBe('error');
  expect(await page.textContent('#lm-status')).toContain('context must be a whole number');
  await page.fill('#lm-context', '4');
  await page.click('#lm-train');
  // train a few seconds (progress comes ~4 times a second), then Stop: the model is kept
  await page.waitForFunction(
    (n) => Number(document.querySelector('#lm-plot')?.getAttribute('data-points')) >= n,
    LONG ? 80 : 14,
    { timeout: 60_000 },
  );
  expect(await page.isEnabled('#next-go')).toBe(false);
  await page.click('#lm-stop');
  await page.waitForFunction(
    () => document.querySelector('#lm-status')?.getAttribute('data-kind') === 'done',
    undefined,
    { timeout: 20_000 },
  );
  const lmStatus = (await page.textContent('#lm-status'))!;
  expect(lmStatus).toMatch(/^stopped: /);
  expect(Number(await page.getAttribute('#lm-plot', 'data-points'))).toBeGreaterThan(0);
  const ppl = Number(/validation perplexity ([\d.]+)/.exec(lmStatus)?.[1]);
  expect(ppl).toBeGreaterThan(1);
  expect(ppl).toBeLessThan(5000);
  const wps = Number(/([\d,]+) words\/s/.exec(lmStatus)?.[1]?.replace(/,/g, ''));
  expect(wps).toBeGreaterThan(0);
  console.log(`neural LM in Chromium (${threads} threads): ${lmStatus}`);

  // the next word: training's end fills it for the default prompt; a new prompt on Predict
  await page.fill('#next-prompt', 'he said that the');
  await page.click('#next-go');
  await page.waitForFunction(
    () => document.querySelector('#next-status')?.textContent?.startsWith('after “he said that the”'),
    undefined,
    { timeout: 10_000 },
  );
  const nextRows = async () =>
    page.$$eval('#next-table tbody tr', (trs) =>
      trs.map((tr) => {
        const td = tr.querySelectorAll('td');
        return { word: td[0]!.textContent ?? '', prob: Number((td[2] as HTMLElement).dataset.value) };
      }),
    );
  const next = await nextRows();
  expect(next).toHaveLength(10);
  expect(next.every((r) => r.word.length > 0)).toBe(true);
  expect(next.reduce((s, r) => s + r.prob, 0)).toBeLessThanOrEqual(1 + 1e-6);
  for (let i = 1; i < 10; i++) expect(next[i]!.prob).toBeLessThanOrEqual(next[i - 1]!.prob);
  expect(next[0]!.prob).toBeGreaterThan(0);

  // sampling: non-empty, vocabulary words only, the same words as Node samples from the saved model and seed
  await page.fill('#gen-length', '12');
  await page.click('#gen-go');
  await page.waitForFunction(
    () => document.querySelector('#gen-status')?.textContent?.startsWith('seed 1 · 12 words'),
    undefined,
    { timeout: 10_000 },
  );
  const sample1 = (await page.textContent('#sample-out .sample'))!;
  const download = await Promise.all([page.waitForEvent('download'), page.click('#lm-save')]).then(([d]) => d.path());
  const saved = join(dir, 'neural-lm.safetensors');
  copyFileSync(download, saved);
  const lm = NeuralLM.fromSafetensors(new Uint8Array(readFileSync(saved)));
  const vocab = new Set(lm.vocab);
  const sampleWords = sample1.split(' ');
  expect(sampleWords).toHaveLength(12);
  expect(sampleWords.every((w) => vocab.has(w) && w !== '<unk>' && w !== '<s>')).toBe(true);
  expect(lm.generate('the president', { length: 12, temperature: 0.8, topK: 40, seed: 1 }).join(' ')).toBe(sample1);
  const nodeNext = lm.topNext('he said that the', 10);
  expect(next.map((r) => r.word)).toEqual(nodeNext.map((r) => r.word));
  lm.dispose();
  await page.click('#gen-again');
  await expect.poll(() => page.inputValue('#gen-seed')).toBe('2');
  await page.waitForFunction(
    () => document.querySelector('#gen-status')?.textContent?.startsWith('seed 2 · 12 words'),
    undefined,
    { timeout: 10_000 },
  );
  expect(await page.textContent('#sample-out .sample')).not.toBe(sample1);

  // ---- the small GPT (its saved file is loaded back after the screenshot)
  const gptSaved = await gptPart(page, dir);

  const shot = await saveScreenshot(page, 'demo-language-models');
  console.log(`screenshot: ${shot}`);
  // load the saved file back through the file input: the same next words
  await page.setInputFiles('#lm-load', saved);
  await page.waitForFunction(
    () => document.querySelector('#lm-status')?.textContent?.startsWith('loaded neural-lm.safetensors'),
    undefined,
    { timeout: 10_000 },
  );
  await page.click('#next-go');
  await page.waitForFunction(
    () => document.querySelector('#next-status')?.textContent?.startsWith('after “he said that the”'),
    undefined,
    { timeout: 10_000 },
  );
  expect(await nextRows()).toEqual(next);
  await gptLoadBack(page, gptSaved);

  expect(errors).toEqual([]);
  await page.close();
}, 240_000);

test('language models demo on one thread (not cross-origin isolated): runtime line, and the loaded BERT probes as in Node', async () => {
  const { page, errors } = await session.open('language-models', { isolated: false });
  await page.waitForFunction(
    () => document.querySelector('#runtime')?.getAttribute('data-threads') !== null,
    undefined,
    { timeout: 20_000 },
  );
  expect(await page.getAttribute('#runtime', 'data-threads')).toBe('1');
  expect(await page.textContent('#runtime')).toContain('not cross-origin isolated');
  await crossCheck(page);
  expect(errors).toEqual([]);
  await page.close();
}, 60_000);

// `npm run screenshots` with the full models trained: a second screenshot with them loaded through the file inputs.
// Defined only then (not a skipped test in every other run).
if (LONG && HAVE_RUNS)
  test('language models demo with the models of npm run bengio and npm run bert loaded (screenshot)', async () => {
    const { page, errors } = await session.open('language-models');
    await page.waitForFunction(
      () => document.querySelector('#runtime')?.getAttribute('data-threads') !== null,
      undefined,
      { timeout: 20_000 },
    );
    await page.setInputFiles('#lm-load', RUN_LM);
    await page.waitForFunction(
      () => document.querySelector('#lm-status')?.textContent?.startsWith('loaded'),
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForFunction(
      () =>
        document.querySelectorAll('#next-table tbody tr').length === 10 &&
        (document.querySelector('#sample-out')?.textContent ?? '') !== '',
      undefined,
      { timeout: 30_000 },
    );
    await page.setInputFiles(
      '#bert-files',
      readdirSync(RUN_BERT).map((f) => join(RUN_BERT, f)),
    );
    await page.waitForFunction(
      () => document.querySelector('#bert-status')?.textContent?.startsWith('loaded'),
      undefined,
      { timeout: 30_000 },
    );
    await page.waitForFunction((n) => document.querySelectorAll('#probes .probe tbody tr').length === n, 7 * 5, {
      timeout: 30_000,
    });
    console.log(`screenshot: ${await saveScreenshot(page, 'demo-language-models-pretrained')}`);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
