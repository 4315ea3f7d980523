// The classifier demo's text side, pure functions (no DOM, no Wasm): the spam
// lines, the Transformer's vocabulary and input ids, the single-file model
// format's metadata, and the test-set scores. Imported by classifier/worker.js
// and by examples/spam-transformer.mjs (`npm run spam`), so that the page reads
// that script's models with the very vocabulary and ids it trained on.
import { FASTTEXT_MAGIC } from 'wasm-nlp';

export const PAD = 0;
export const UNK = 1;
/** Metadata keys of the demo's Transformer file (a safetensors file from TextClassifier, plus these). */
export const VOCAB_KEY = 'wasm-nlp.demo.vocab';
export const TOKENIZER_KEY = 'wasm-nlp.demo.tokenizer';
/** `npm run spam` (examples/spam-transformer.mjs) defaults, for its model.safetensors, which holds no vocabulary. */
export const SPAM_SCRIPT_VOCAB = { minCount: 5, maxVocab: 30000 };

/** Lines of a fastText file, without the empty last one. */
export function splitLines(text) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** `__label__spam tok tok ...` → { label: 1 (spam) | 0 (ham), tokens }. */
export function parseLine(line) {
  const toks = line.split(' ');
  return { label: toks[0] === '__label__spam' ? 1 : 0, tokens: toks.slice(1) };
}

/** Occurrences of each token of `examples` ({ tokens }), in order of first occurrence. */
export function wordCounts(examples) {
  const counts = new Map();
  for (const e of examples) for (const w of e.tokens) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/**
 * The vocabulary of the training e-mails (`counts` from wordCounts): words seen >= minCount
 * times, most frequent first (ties: first occurrence), at most maxVocab; word i has id i + 2
 * (0 = padding, 1 = unknown).
 */
export function buildVocab(counts, { minCount, maxVocab }) {
  return [...counts]
    .filter(([, c]) => c >= minCount)
    .sort((a, b) => b[1] - a[1])
    .slice(0, maxVocab)
    .map(([w]) => w);
}

/** word → id map of a word list (ids from 2). */
export function vocabIds(words) {
  return new Map(words.map((w, i) => [w, i + 2]));
}

/**
 * Input ids of a token list: longer than maxLen keeps the first maxLen - tail tokens (subject
 * first, then the body) and the last `tail` (sign-offs, unsubscribe footers); no tokens → [UNK].
 */
export function encodeTokens(tokens, ids, maxLen, tail) {
  let toks = tokens;
  if (toks.length > maxLen) toks = toks.slice(0, maxLen - tail).concat(tail > 0 ? toks.slice(-tail) : []);
  const out = new Int32Array(Math.max(1, toks.length)).fill(UNK);
  for (let i = 0; i < toks.length; i++) out[i] = ids.get(toks[i]) ?? UNK;
  return out;
}

/** Accuracy, and precision / recall of `positive` (spam = 1), from predicted and gold class ids. */
export function scores(pred, gold, positive = 1) {
  let correct = 0,
    tp = 0,
    fp = 0,
    fn = 0;
  for (let i = 0; i < gold.length; i++) {
    if (pred[i] === gold[i]) correct++;
    if (pred[i] === positive && gold[i] === positive) tp++;
    else if (pred[i] === positive) fp++;
    else if (gold[i] === positive) fn++;
  }
  const n = gold.length;
  return {
    n,
    accuracy: n > 0 ? correct / n : NaN,
    precision: tp + fp > 0 ? tp / (tp + fp) : NaN,
    recall: tp + fn > 0 ? tp / (tp + fn) : NaN,
    tp,
    fp,
    fn,
  };
}

/** Index of the largest value (ties: the first). */
export function argmax(p) {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
  return best;
}

/**
 * Example messages for the buttons, from the test split (spam.test, 1-based line numbers): a plain
 * spam ("free money from the government"), a ham (a mailing-list reply) and a spam written like a
 * personal note. When a line is missing or has another label (a different corpus), the shortest
 * e-mail of that label with at least 25 tokens is used instead.
 */
export const EXAMPLE_LINES = [
  { name: 'spam', label: 'spam', line: 248 },
  { name: 'ham', label: 'ham', line: 199 },
  { name: 'tricky spam', label: 'spam', line: 238 },
];

export function pickExamples(testLines, choices = EXAMPLE_LINES) {
  const parsed = testLines.map(parseLine);
  const label = (e) => (e.label === 1 ? 'spam' : 'ham');
  return choices
    .map(({ name, label: want, line }) => {
      let i = line - 1;
      if (!(parsed[i] && label(parsed[i]) === want)) {
        i = parsed.reduce(
          (best, e, j) =>
            label(e) === want && e.tokens.length >= 25 && (best < 0 || e.tokens.length < parsed[best].tokens.length)
              ? j
              : best,
          -1,
        );
      }
      return i < 0 ? null : { name, label: want, line: i + 1, text: parsed[i].tokens.join(' ') };
    })
    .filter((x) => x !== null);
}

/** 'fasttext' (a .bin: FASTTEXT_MAGIC first), 'safetensors' (an 8-byte length, then '{'), or null. */
export function sniffFormat(bytes) {
  if (
    bytes.length >= 4 &&
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getInt32(0, true) === FASTTEXT_MAGIC
  )
    return 'fasttext';
  if (bytes.length >= 9 && bytes[8] === 0x7b) return 'safetensors';
  return null;
}
