// The edge example (examples/edge/, docs/edge.md) in the real runtime: train the
// Workers-sized models, bundle the worker with rollup, serve it with the workerd
// binary on 127.0.0.1, and check answers, errors, size and Wasm memory.
// Needs `npm run build` (dist/); about 20-40 s, most of it training.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Workerd, startWorkerd } from '../../scripts/lib/runtimes.mjs';
import { type EdgeModelsMeta, trainEdgeModels } from '../../examples/edge/models.mjs';
import { bundleWorker } from '../../examples/edge/bundle.mjs';
import { initForTests } from '../helpers/runtime.js';
import { loadSpam } from '../../src/data/node.js';
import { spamSplit } from '../../src/data/spam.js';
import { FastTextClassifier } from '../../src/models/fasttext/classifier.js';
import { Word2Vec } from '../../src/models/vectors/word2vec.js';

const EXAMPLE = new URL('../../examples/edge/', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'wasm-nlp-edge-'));
const build = join(dir, 'build');
const BUNDLE_FILES = ['worker.js', 'wasm-nlp.wasm', 'spam.bin', 'vectors.bin', 'meta.json'];
const MB = 1e6;
/** V8 heap cap of the workerd under test, MB (the burst below needs under 16). */
const JS_HEAP_MB = 32;

let wd: Workerd | undefined;
let meta: EdgeModelsMeta;
let testSet: { text: string; label: string }[] = [];
let reference: FastTextClassifier;
let vectors: Word2Vec;

beforeAll(async () => {
  const t0 = performance.now();
  meta = await trainEdgeModels({ outDir: build, log: (line) => console.log(`[edge] ${line}`) });
  await bundleWorker(build);
  // config.capnp embeds build/*, relative to itself: the same file next to the temporary build/, plus
  // one V8 flag capping the JavaScript heap at JS_HEAP_MB, so the whole file also checks that the
  // isolate's JS side stays small (past the cap, workerd aborts: "Reached heap limit").
  const config = readFileSync(new URL('config.capnp', EXAMPLE), 'utf8');
  expect(config).toContain('services = [');
  writeFileSync(
    join(dir, 'config.capnp'),
    config.replace('services = [', `v8Flags = ["--max-heap-size=${JS_HEAP_MB}"],\n  services = [`),
  );
  wd = await startWorkerd(join(dir, 'config.capnp'));
  console.log(
    `[edge] trained, bundled and started workerd (pid ${wd.pid}, V8 heap capped at ${JS_HEAP_MB} MB) in ${((performance.now() - t0) / 1e3).toFixed(1)} s`,
  );

  // The held-out e-mails (the canonical test split, never trained on) and the Node-side references.
  await initForTests();
  testSet = spamSplit(loadSpam()).test.map((line) => {
    const sp = line.indexOf(' ');
    return {
      label: (sp < 0 ? line : line.slice(0, sp)).slice('__label__'.length),
      text: sp < 0 ? '' : line.slice(sp + 1),
    };
  });
  reference = FastTextClassifier.fromBytes(readFileSync(join(build, 'spam.bin')));
  vectors = Word2Vec.fromWord2VecBin(readFileSync(join(build, 'vectors.bin')));
}, 180_000);

afterAll(async () => {
  await wd?.stop();
  reference?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function call(path: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: any }> {
  const r = await fetch(new URL(path, wd!.url), init);
  const text = await r.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(
      `${init?.method ?? 'GET'} ${path}: ${r.status}, not JSON: ${text.slice(0, 200)}\nworkerd output:\n${wd!.output()}`,
    );
  }
  expect(r.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: r.status, headers: r.headers, body };
}
const post = (path: string, body: unknown) =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** The test e-mails in requests of at most 100 texts and 512 KB. */
function batches(items: { text: string; label: string }[]): { text: string; label: string }[][] {
  const out: { text: string; label: string }[][] = [];
  let cur: { text: string; label: string }[] = [];
  let bytes = 0;
  for (const it of items) {
    if (cur.length === 100 || (cur.length > 0 && bytes + it.text.length > 512_000)) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(it);
    bytes += it.text.length + 4;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

describe('edge example in workerd', () => {
  test('/health reports the models and the Wasm memory', async () => {
    const { status, body } = await call('/health');
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.classifier).toMatchObject({
      labels: ['ham', 'spam'],
      dim: meta.classifier.settings.dim,
      buckets: meta.classifier.settings.bucket,
    });
    expect(body.vectors).toMatchObject({ words: meta.vectors.words, dim: meta.vectors.settings.dim });
    expect(body.wasm.memoryBytes).toBeGreaterThan(0);
    expect((await call('/stats')).body.classifier).toEqual(body.classifier);
  });

  test('/classify: a probability per label summing to 1, held-out spam and ham classified, the same digits as Node', async () => {
    const spam = testSet.filter((e) => e.label === 'spam').slice(0, 5);
    const ham = testSet.filter((e) => e.label === 'ham').slice(0, 5);
    for (const e of [...spam, ...ham]) {
      const { status, body } = await post('/classify', { text: e.text });
      expect(status).toBe(200);
      expect(Object.keys(body.probabilities).sort()).toEqual(['ham', 'spam']);
      const sum = Object.values(body.probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 5);
      expect(body.label).toBe(e.label);
      const p = reference.probabilities([e.text])[0]!;
      expect(body.probabilities).toEqual({
        [reference.labels[0]!.slice(9)]: p[0],
        [reference.labels[1]!.slice(9)]: p[1],
      });
    }
  });

  test('/classify {"texts": [...]} over the whole test split: the accuracy train.mjs measured', async () => {
    let correct = 0;
    let n = 0;
    for (const batch of batches(testSet)) {
      const { status, body } = await post('/classify', { texts: batch.map((e) => e.text) });
      expect(status).toBe(200);
      expect(body.results).toHaveLength(batch.length);
      body.results.forEach((r: { label: string }, i: number) => {
        n++;
        if (r.label === batch[i]!.label) correct++;
      });
    }
    console.log(
      `[edge] worker accuracy on the test split: ${((100 * correct) / n).toFixed(2)}% (${correct}/${n}); train.mjs measured ${(100 * meta.classifier.testAccuracy).toFixed(2)}%`,
    );
    expect(n).toBe(meta.classifier.testN);
    expect(correct / n).toBe(meta.classifier.testAccuracy);
    expect(correct / n).toBeGreaterThan(0.97);
  });

  test('/neighbors: k neighbours sorted by similarity, exactly what the same vectors give in Node', async () => {
    for (const [word, k] of [
      ['money', 10],
      ['church', 5],
      ['president', 25],
      ['monday', 10],
    ] as const) {
      const { status, body } = await call(`/neighbors?word=${word}&k=${k}`);
      expect(status).toBe(200);
      expect(body.word).toBe(word);
      expect(body.neighbors).toHaveLength(k);
      const sims = body.neighbors.map((n: { similarity: number }) => n.similarity);
      expect(sims).toEqual([...sims].sort((a: number, b: number) => b - a));
      expect(body.neighbors).toEqual(vectors.mostSimilar(word, k).map((n) => ({ word: n.word, similarity: n.score })));
    }
    const def = await call('/neighbors?word=Monday'); // k defaults to 10; the word is lower-cased
    expect(def.body.neighbors).toHaveLength(10);
    const days = ['sunday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
    expect(def.body.neighbors.filter((n: { word: string }) => days.includes(n.word)).length).toBeGreaterThanOrEqual(3);
    expect((await call('/neighbors?word=money&k=100')).body.neighbors).toHaveLength(100);
  });

  test('bad requests: 400 / 404 / 405 / 413 with a JSON error naming the field', async () => {
    const cases: [string, Promise<{ status: number; headers: Headers; body: any }>, number, RegExp][] = [
      ['invalid JSON', post('/classify', '{"text": '), 400, /body must be valid JSON/],
      ['empty body', post('/classify', ''), 400, /body must be a JSON object/],
      ['array body', post('/classify', [1, 2]), 400, /body must be a JSON object.*got an array/],
      ['missing text', post('/classify', { message: 'hi' }), 400, /text must be given.*got neither/],
      ['non-string text', post('/classify', { text: 42 }), 400, /text must be a string, got number 42/],
      ['null text', post('/classify', { text: null }), 400, /text must be a string, got null/],
      ['empty text', post('/classify', { text: '   ' }), 400, /text must be a non-empty string/],
      ['text and texts', post('/classify', { text: 'a', texts: ['b'] }), 400, /one of "text" and "texts", got both/],
      [
        'empty texts',
        post('/classify', { texts: [] }),
        400,
        /texts must be an array of 1 to 100 strings, got an array of 0/,
      ],
      [
        'too many texts',
        post('/classify', { texts: Array(101).fill('hi') }),
        400,
        /texts must be an array of 1 to 100 strings, got an array of 101/,
      ],
      ['bad texts item', post('/classify', { texts: ['fine', 7] }), 400, /texts\[1\] must be a string, got number 7/],
      [
        'body too large',
        post('/classify', { text: 'free money '.repeat(100_000) }),
        413,
        /body must be at most 1048576 bytes/,
      ],
      ['missing word', call('/neighbors?k=3'), 400, /word must be given/],
      ['empty word', call('/neighbors?word=%20'), 400, /word must be 1 to 100 characters/],
      ['k = 0', call('/neighbors?word=money&k=0'), 400, /k must be an integer in \[1, 100\], got "0"/],
      ['k = 101', call('/neighbors?word=money&k=101'), 400, /k must be an integer in \[1, 100\], got "101"/],
      ['k = 2.5', call('/neighbors?word=money&k=2.5'), 400, /k must be an integer/],
      ['k = abc', call('/neighbors?word=money&k=abc'), 400, /k must be an integer/],
      ['unknown word', call('/neighbors?word=qwzxv'), 404, /word must be in the vocabulary.*got "qwzxv"/],
      ['unknown path', call('/predict'), 404, /path must be one of/],
      ['GET /classify', call('/classify'), 405, /method must be POST/],
      ['POST /neighbors', post('/neighbors?word=money', {}), 405, /method must be GET/],
      ['DELETE /health', call('/health', { method: 'DELETE' }), 405, /method must be GET/],
    ];
    for (const [name, req, status, error] of cases) {
      const r = await req;
      expect({ name, status: r.status }).toEqual({ name, status });
      expect(r.body.error, name).toMatch(error);
      if (status === 405) expect(r.headers.get('allow'), name).toBe(name === 'GET /classify' ? 'POST' : 'GET');
    }
    // A body streamed without content-length is cut off at the limit too.
    const big = new TextEncoder().encode(JSON.stringify({ text: 'spam '.repeat(300_000) }));
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < big.length; i += 65_536) c.enqueue(big.subarray(i, i + 65_536));
        c.close();
      },
    });
    const chunked = await call('/classify', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(413);
    expect(chunked.body.error).toMatch(/body must be at most 1048576 bytes, got more/);
    // A refused body is read to its end before the 413, so a client still sending never sees EPIPE
    // (cancelling the stream instead failed 1 in ~40 of these on a 2-core host).
    for (let rep = 0; rep < 20; rep++) {
      const body = new ReadableStream({
        start(c) {
          for (let i = 0; i < big.length; i += 65_536) c.enqueue(big.subarray(i, i + 65_536));
          c.close();
        },
      });
      const r = await call('/classify', { method: 'POST', body, duplex: 'half' } as RequestInit);
      expect(r.status).toBe(413);
      expect((await post('/classify', { text: 'free money '.repeat(100_000 + rep) })).status).toBe(413);
    }
  });

  test("SIZE: worker bundle + .wasm + models under 10 MB gzip (and under the free plan's 3 MB)", () => {
    const rows = BUNDLE_FILES.map((f) => {
      const bytes = readFileSync(join(build, f));
      return { f, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    });
    const raw = rows.reduce((s, r) => s + r.raw, 0);
    const gzip = rows.reduce((s, r) => s + r.gzip, 0);
    console.log(
      `[edge] size: ${rows.map((r) => `${r.f} ${(r.raw / MB).toFixed(3)} MB (gzip ${(r.gzip / MB).toFixed(3)})`).join(', ')}; ` +
        `total ${(raw / MB).toFixed(2)} MB, gzip ${(gzip / MB).toFixed(2)} MB`,
    );
    expect(gzip).toBeLessThan(10 * MB);
    expect(gzip).toBeLessThan(3 * MB);
  });

  test('MEMORY: after a burst of long texts and neighbour queries, Wasm memory under 100 MB', async () => {
    const before = (await call('/health')).body.wasm;
    // the longest texts the limits allow: one ~1 MB text, 100 texts of ~9 KB, twice
    const longest = [...testSet].sort((a, b) => b.text.length - a.text.length);
    let big = '';
    for (let i = 0; big.length < 1_000_000; i++) big += longest[i % longest.length]!.text + ' ';
    big = big.slice(0, 1_000_000);
    const tens = Array.from({ length: 100 }, (_, i) => longest[i % 20]!.text.slice(0, 9_000));
    const dense = '$ ! a '.repeat(170_000); // ~1 MB of one-character tokens: 510,000 tokens, the first 30,000 classified
    for (let round = 0; round < 2; round++) {
      expect((await post('/classify', { text: big })).status).toBe(200);
      expect((await post('/classify', { texts: tens })).status).toBe(200);
      const d = await post('/classify', { text: dense });
      expect(d.status).toBe(200);
      expect(d.body).toMatchObject({ tokens: 510_000, truncated: true });
      const p = reference.probabilities(['$ ! a '.repeat(10_000).trim()])[0]!;
      expect(d.body.probabilities).toEqual({
        [reference.labels[0]!.slice(9)]: p[0],
        [reference.labels[1]!.slice(9)]: p[1],
      });
    }
    // 200 neighbour queries with k = 100, ten at a time
    const words = vectors.words.slice(0, 200);
    for (let i = 0; i < words.length; i += 10) {
      const rs = await Promise.all(
        words.slice(i, i + 10).map((w) => call(`/neighbors?word=${encodeURIComponent(w)}&k=100`)),
      );
      for (const r of rs) expect(r.status).toBe(200);
    }
    const after = (await call('/health')).body.wasm;
    console.log(
      `[edge] Wasm memory: ${(before.memoryBytes / MB).toFixed(1)} MB before the burst, ${(after.memoryBytes / MB).toFixed(1)} MB after ` +
        `(a Wasm memory never shrinks: this is the peak); allocator peak ${(after.peakBytesInUse / MB).toFixed(2)} MB, in use ${(after.bytesInUse / MB).toFixed(2)} MB; ` +
        `JS heap within the ${JS_HEAP_MB} MB cap (workerd still answering)`,
    );
    expect(after.memoryBytes).toBeLessThan(100 * MB);
    // For scale, the whole workerd process (runtime, V8 heaps, the isolate): its peak resident set, from Linux.
    let hwm: string | undefined;
    try {
      hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${wd!.pid}/status`, 'utf8'))?.[1];
    } catch {
      /* not Linux */
    }
    if (hwm !== undefined)
      console.log(`[edge] workerd process peak RSS (VmHWM): ${((Number(hwm) * 1024) / MB).toFixed(1)} MB`);
    expect(after.bytesInUse).toBe(before.bytesInUse); // every request frees what it allocated
  });

  test('latency: median of 50 sequential requests (printed)', async () => {
    const text = testSet.find((e) => e.label === 'spam')!.text;
    const times = { classify: [] as number[], neighbors: [] as number[] };
    for (let i = 0; i < 50; i++) {
      let t = performance.now();
      expect((await post('/classify', { text })).status).toBe(200);
      times.classify.push(performance.now() - t);
      t = performance.now();
      expect((await call('/neighbors?word=money&k=10')).status).toBe(200);
      times.neighbors.push(performance.now() - t);
    }
    console.log(
      `[edge] latency over 50 requests from Node on 127.0.0.1: POST /classify (${text.length} chars) median ${median(times.classify).toFixed(2)} ms, ` +
        `GET /neighbors k=10 median ${median(times.neighbors).toFixed(2)} ms`,
    );
    expect(median(times.classify)).toBeGreaterThan(0);
  });
});
