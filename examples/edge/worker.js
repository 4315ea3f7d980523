// A Cloudflare Worker serving the edge example's models (docs/edge.md):
//   POST /classify    {"text": "..."} or {"texts": ["...", ...]}  -> spam/ham label and probabilities
//   GET  /neighbors   ?word=money&k=10                             -> nearest words by cosine similarity
//   GET  /health                                                   -> model info, Wasm memory
// The core .wasm arrives as a WebAssembly.Module (workerd forbids compiling
// from bytes) and the model files as ArrayBuffers (data modules); rollup bundles
// this file with wasm-nlp (rollup.config.mjs) and leaves those imports alone.
import { init, FastTextClassifier, Word2Vec, memoryStats, spamTokens } from 'wasm-nlp';
import wasm from './wasm-nlp.wasm';
import spamBin from './spam.bin';
import vectorsBin from './vectors.bin';
import meta from './meta.json';

/** Request limits (400/413 beyond them). */
const LIMITS = {
  /** Bytes of a /classify body. */
  maxBodyBytes: 1 << 20,
  /** Bytes of a refused body read and discarded before the 413, so the client can finish sending. */
  drainBytes: 16 << 20,
  /** Texts in one {"texts": [...]} request. */
  maxTexts: 100,
  /** Neighbours per /neighbors request. */
  maxK: 100,
  /** Characters of a /neighbors word. */
  maxWordLength: 100,
  /**
   * Tokens of one text that are classified (the first ones; `truncated: true` says a text was cut).
   * The longest e-mail of the data has 24,820. A bound on the work (and CPU time) one request can ask for.
   */
  maxTokens: 30_000,
};
/** Linear memory: start small, grow on demand, never past this (the isolate has 128 MB in all). */
const WASM_MEMORY = { initialMemory: 4 << 20, maxMemory: 96 << 20 };

/** A client error: status + message, answered as {"error": message}. */
class HttpError extends Error {
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });

/** How a JSON value is described in error messages: its type, and short values themselves. */
function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

// ---- the models, loaded once per isolate on the first request that needs them
let loading;
function load() {
  loading ??= (async () => {
    const t0 = Date.now();
    await init({ module: wasm, ...WASM_MEMORY });
    const classifier = FastTextClassifier.fromBytes(new Uint8Array(spamBin));
    const vectors = Word2Vec.fromWord2VecBin(new Uint8Array(vectorsBin));
    const labels = classifier.labels.map((l) => l.slice(classifier.labelPrefix.length)); // every label starts with it
    return { classifier, vectors, labels, loadMs: Date.now() - t0 };
  })().catch((e) => {
    loading = undefined; // let the next request try again
    throw e;
  });
  return loading;
}

// ---- /classify
/**
 * Reads and discards the rest of a refused body, up to `LIMITS.drainBytes`, then cancels.
 * A client still writing when the connection closes sees EPIPE instead of our 413; reading
 * on (as servers do with a lingering close) lets it finish and read the error.
 */
async function drain(reader) {
  let n = 0;
  while (n <= LIMITS.drainBytes) {
    const { done, value } = await reader.read();
    if (done) return;
    n += value.byteLength;
  }
  await reader.cancel();
}

async function readJson(request) {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > LIMITS.maxBodyBytes) {
    if (request.body !== null) await drain(request.body.getReader());
    throw new HttpError(413, `body must be at most ${LIMITS.maxBodyBytes} bytes, got ${declared} (content-length)`);
  }
  // Read the stream ourselves so a body without content-length cannot exceed the limit either.
  const chunks = [];
  let n = 0;
  if (request.body !== null) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.byteLength;
      if (n > LIMITS.maxBodyBytes) {
        await drain(reader);
        throw new HttpError(413, `body must be at most ${LIMITS.maxBodyBytes} bytes, got more`);
      }
      chunks.push(value);
    }
  }
  if (n === 0) throw new HttpError(400, 'body must be a JSON object like {"text": "..."}, got an empty body');
  const bytes = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.byteLength;
  }
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'body must be UTF-8 text, got invalid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `body must be valid JSON, got a parse error: ${e.message}`);
  }
}

function checkText(name, v) {
  if (typeof v !== 'string')
    throw new HttpError(400, `${name} must be a string, got ${v === undefined ? 'none' : describe(v)}`);
  if (v.trim() === '') throw new HttpError(400, `${name} must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

async function classify(request) {
  const body = await readJson(request);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, `body must be a JSON object with "text" or "texts", got ${describe(body)}`);
  }
  const hasText = Object.hasOwn(body, 'text');
  const hasTexts = Object.hasOwn(body, 'texts');
  if (hasText && hasTexts) throw new HttpError(400, 'body must have one of "text" and "texts", got both');
  if (!hasText && !hasTexts) {
    throw new HttpError(
      400,
      `text must be given (or texts, an array of strings), got neither; keys: ${JSON.stringify(Object.keys(body).slice(0, 10))}`,
    );
  }
  let texts;
  if (hasText) texts = [checkText('text', body.text)];
  else {
    const t = body.texts;
    if (!Array.isArray(t) || t.length === 0 || t.length > LIMITS.maxTexts) {
      throw new HttpError(400, `texts must be an array of 1 to ${LIMITS.maxTexts} strings, got ${describe(t)}`);
    }
    texts = t.map((s, i) => checkText(`texts[${i}]`, s));
  }
  const { classifier, labels } = await load();
  const tokens = texts.map((s) => spamTokens(s));
  const probs = classifier.probabilities(tokens.map((t) => t.slice(0, LIMITS.maxTokens).join(' ')));
  const results = probs.map((p, i) => {
    const order = Array.from(p.keys()).sort((a, b) => p[b] - p[a] || a - b);
    const probabilities = {};
    for (const j of order) probabilities[labels[j]] = p[j];
    const r = { label: labels[order[0]], probabilities, tokens: tokens[i].length };
    if (tokens[i].length > LIMITS.maxTokens) r.truncated = true;
    return r;
  });
  return json(200, hasText ? results[0] : { results });
}

// ---- /neighbors
async function neighbors(url) {
  const q = url.searchParams;
  const raw = q.get('word');
  if (raw === null) throw new HttpError(400, 'word must be given as a query parameter (?word=...), got none');
  const word = raw.trim().toLowerCase();
  if (word === '' || word.length > LIMITS.maxWordLength) {
    throw new HttpError(400, `word must be 1 to ${LIMITS.maxWordLength} characters, got ${describe(raw)}`);
  }
  let k = 10;
  const rawK = q.get('k');
  if (rawK !== null) {
    k = /^\d{1,4}$/.test(rawK) ? Number(rawK) : NaN;
    if (!(k >= 1 && k <= LIMITS.maxK))
      throw new HttpError(400, `k must be an integer in [1, ${LIMITS.maxK}], got ${JSON.stringify(rawK)}`);
  }
  const { vectors } = await load();
  if (!vectors.has(word)) {
    throw new HttpError(
      404,
      `word must be in the vocabulary (the ${vectors.words.length.toLocaleString('en')} most frequent words of Brown, lower-cased), got ${JSON.stringify(word)}`,
    );
  }
  const found = vectors.mostSimilar(word, k).map((n) => ({ word: n.word, similarity: n.score }));
  return json(200, { word, k, neighbors: found });
}

// ---- /health
async function health() {
  const m = await load();
  const s = memoryStats();
  return json(200, {
    status: 'ok',
    classifier: {
      labels: m.labels,
      dim: m.classifier.args.dim,
      words: meta.classifier.words,
      buckets: m.classifier.args.bucket,
      wordNgrams: m.classifier.args.wordNgrams,
      bytes: spamBin.byteLength,
      testAccuracy: meta.classifier.testAccuracy,
    },
    vectors: { words: m.vectors.words.length, dim: m.vectors.dim, bytes: vectorsBin.byteLength },
    // A Wasm memory never shrinks: memoryBytes is the most this isolate's core has ever needed.
    wasm: {
      memoryBytes: s.bytesReserved,
      bytesInUse: s.bytesInUse,
      peakBytesInUse: s.peakBytesInUse,
      blocks: s.blocks,
      maxMemory: s.maxMemory,
    },
    limits: LIMITS,
    loadMs: m.loadMs,
  });
}

const ROUTES = {
  '/classify': { POST: classify },
  '/neighbors': { GET: (req, url) => neighbors(url) },
  '/health': { GET: () => health() },
};
ROUTES['/stats'] = ROUTES['/health'];

export default {
  async fetch(request) {
    try {
      const url = new URL(request.url);
      const route = ROUTES[url.pathname];
      if (route === undefined) {
        throw new HttpError(
          404,
          `path must be one of ${Object.keys(ROUTES).join(', ')}, got ${JSON.stringify(url.pathname)}`,
        );
      }
      const handler = route[request.method];
      if (handler === undefined) {
        const allow = Object.keys(route).join(', ');
        throw new HttpError(405, `method must be ${allow} for ${url.pathname}, got ${request.method}`, { allow });
      }
      return await handler(request, url);
    } catch (e) {
      if (e instanceof HttpError) return json(e.status, { error: e.message }, e.headers);
      return json(500, { error: `internal error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
    }
  },
};
