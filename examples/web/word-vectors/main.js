// The word-vectors demo's page: controls, live plot, tables and the PCA map.
// All model work runs in worker.js; this file only validates inputs and draws.
import { connect } from '../common/rpc.js';
import { livePlot } from '../common/plot.js';
import { $, barRows, fmt, setStatus, showRuntime, thousands } from '../common/ui.js';
import { scatterPlot } from './scatter.js';

const WORKER_URL = new URL('./worker.js', import.meta.url);
let rpc = connect(WORKER_URL);
let runtime; // what initCore reported
let training = false;
let run = 0; // training run number: messages of an older run are ignored

const status = $('#status');
const trainBtn = $('#train');
const stopBtn = $('#stop');
const plotEl = $('#plot');
let plot = newPlot();

// Analogies that work on Brown after a default run (word2vec skip-gram, all of Brown): a − b + c.
const ANALOGIES = [
  ['he', 'his', 'her'],
  ['men', 'man', 'woman'],
  ['went', 'go', 'come'],
  ['tuesday', 'monday', 'friday'],
];
const NEIGHBOURS = ['man', 'money', 'tuesday', 'three', 'goverment'];
const PCA_DEFAULT =
  'one two three four five | monday tuesday wednesday friday sunday | mother father brother sister wife | said told asked went came';
const COLORS = ['#2463eb', '#d9480f', '#1f7a3a', '#9c36b5', '#c0362c', '#0b7285', '#5f3dc4', '#e67700'];

function newPlot() {
  return livePlot(plotEl, {
    title: 'training loss and speed',
    x: 'seconds',
    series: [
      { label: 'loss (per pair)', color: '#d9480f' },
      { label: 'k words/s', color: '#2463eb', axis: 'right' },
    ],
    height: 230,
  });
}

// ---- runtime line ----
async function start() {
  try {
    runtime = await rpc.call('init');
    showRuntime($('#runtime'), runtime);
  } catch (e) {
    setStatus(status, `could not start the Wasm core: ${e.message}`, 'error');
  }
}
start();

// ---- corpus and settings ----
const corpusKind = () => document.querySelector('input[name=corpus]:checked').value;
for (const r of document.querySelectorAll('input[name=corpus]')) {
  r.addEventListener('change', () => {
    $('#textBox').hidden = corpusKind() !== 'text';
    $('#size').disabled = corpusKind() !== 'brown';
  });
}
$('#algo').addEventListener('change', () => {
  for (const el of document.querySelectorAll('.ft-only')) el.hidden = $('#algo').value !== 'fasttext';
});

/** Read an integer input within its min/max; throws a message naming the field. */
function intField(id, name) {
  const el = $(`#${id}`);
  const v = Number(el.value);
  const lo = Number(el.min),
    hi = Number(el.max);
  if (!(Number.isInteger(v) && v >= lo && v <= hi)) {
    el.focus();
    throw new Error(`${name} must be an integer from ${lo} to ${hi}, got ${JSON.stringify(el.value)}`);
  }
  return v;
}

function readSettings() {
  const algo = $('#algo').value;
  const s = {
    algo,
    model: $('#model').value,
    corpus: corpusKind(),
    dim: intField('dim', 'dim'),
    window: intField('window', 'window'),
    epochs: intField('epochs', 'epochs'),
    negative: intField('negative', 'negatives'),
    minCount: intField('minCount', 'min count'),
    sample: Number($('#sample').value),
    seed: 1,
  };
  if (s.corpus === 'brown') s.size = $('#size').value === 'all' ? Infinity : Number($('#size').value);
  else {
    s.text = $('#text').value;
    s.lower = $('#lower').checked;
    const n = s.text.split(/\s+/).filter(Boolean).length;
    if (n < 50) throw new Error(`your text must have at least 50 words to learn anything, got ${n}`);
  }
  if (algo === 'fasttext') {
    s.bucket = intField('bucket', 'buckets');
    const [minn, maxn] = $('#ngrams').value.split('-').map(Number);
    Object.assign(s, { minn, maxn });
    const mb = ((s.bucket + 60_000) * s.dim * 4) / 2 ** 20;
    if (mb > 600)
      throw new Error(
        `buckets × dim needs ~${Math.round(mb)} MB of vectors; keep it under 600 MB (fewer buckets or a smaller dim)`,
      );
  }
  return s;
}

// ---- training ----
const label = (s) => `${s.algo === 'fasttext' ? 'fastText' : 'word2vec'} ${s.model === 'cbow' ? 'CBOW' : 'skip-gram'}`;
const threadsText = (n) => `${n} thread${n === 1 ? '' : 's'}`;

trainBtn.addEventListener('click', async () => {
  if (training) return;
  let s;
  try {
    s = readSettings();
  } catch (e) {
    setStatus(status, e.message, 'error');
    return;
  }
  const me = ++run;
  training = true;
  trainBtn.disabled = true;
  stopBtn.disabled = false;
  setQueries(false);
  plot = newPlot();
  $('#trainNote').textContent = '';
  setStatus(status, `reading the corpus…`);
  let tokens = 0;
  try {
    const r = await rpc.call('train', s, (ev) => {
      if (me !== run) return;
      if (ev.type === 'corpus') {
        tokens = ev.tokens;
        setStatus(status, `${label(s)}: building the vocabulary of ${thousands(tokens)} tokens…`);
      } else if (ev.type === 'progress') {
        plot.push(ev.elapsed, ev.loss > 0 ? ev.loss : null, Math.round(ev.wordsPerSec / 1000));
        status.dataset.wordsPerSec = String(Math.round(ev.wordsPerSec));
        setStatus(
          status,
          `${label(s)} · ${(ev.progress * 100).toFixed(1)}% · epoch ${ev.epoch}/${s.epochs} · ` +
            `${thousands(ev.wordsPerSec)} words/s · ${ev.elapsed.toFixed(1)} s · ${threadsText(ev.threads)} · loss ${fmt(ev.loss)}`,
        );
      }
    });
    if (me !== run) return;
    status.dataset.wordsPerSec = String(Math.round(r.wordsPerSec));
    status.dataset.threads = String(r.threads);
    setStatus(
      status,
      `${r.stopped ? 'stopped early — the partially trained vectors are kept' : 'done'}: ${label(s)} on ${thousands(r.tokens)} tokens, ` +
        `${thousands(r.vocab)} words in the vocabulary, ${r.seconds.toFixed(1)} s of training at ${thousands(r.wordsPerSec)} words/s on ${threadsText(r.threads)}.`,
      'done',
    );
    $('#trainNote').textContent =
      `Most frequent words: ${r.top
        .filter((w) => /\p{L}/u.test(w))
        .slice(0, 10)
        .join(' ')}` +
      (r.algo === 'fasttext'
        ? ' · fastText builds a vector for any word from its character n-grams: try a misspelling.'
        : '');
    setQueries(true);
    await Promise.all([queryNeighbours(), queryAnalogy(), queryPca()]);
  } catch (e) {
    if (me !== run) return;
    setStatus(status, `training failed: ${e.message}`, 'error');
  } finally {
    if (me === run) {
      training = false;
      trainBtn.disabled = false;
      stopBtn.disabled = true;
    }
  }
});

stopBtn.addEventListener('click', async () => {
  if (!training) return;
  stopBtn.disabled = true;
  // The worker aborts the training's AbortSignal: the library ends after the current kernel call
  // (word2vec and fastText alike) and the train call resolves with the model trained so far.
  setStatus(status, 'stopping after the current batch…');
  await rpc.call('stop');
});

// ---- queries ----
function setQueries(on) {
  for (const b of document.querySelectorAll('button.query, .chips button')) b.disabled = !on;
}
setQueries(false);

async function queryNeighbours() {
  const el = $('#nnNote');
  const tbody = $('#nnTable tbody');
  const w = $('#nnWord').value.trim();
  if (w === '' || /\s/.test(w)) {
    setStatus(el, 'Type one word.', 'warn');
    return;
  }
  try {
    const r = await rpc.call('neighbours', { word: w, k: 10 });
    if (r.missing) {
      tbody.replaceChildren();
      setStatus(
        el,
        `"${r.word}" is not in the vocabulary: word2vec has no vector for it (fastText would build one from its character n-grams).`,
        'warn',
      );
      return;
    }
    barRows(
      tbody,
      r.rows.map((n) => ({ word: n.word, value: n.score })),
    );
    setStatus(
      el,
      r.oov
        ? `"${r.word}" is not in the vocabulary: its vector is the mean of its character n-gram vectors.`
        : `Nearest to "${r.word}" by cosine similarity.`,
    );
  } catch (e) {
    tbody.replaceChildren();
    setStatus(el, e.message, 'warn');
  }
}

async function queryAnalogy() {
  const el = $('#anNote');
  const tbody = $('#anTable tbody');
  const [a, b, c] = ['#anA', '#anB', '#anC'].map((id) => $(id).value.trim());
  if ([a, b, c].some((w) => w === '' || /\s/.test(w))) {
    setStatus(el, 'Type one word in each box.', 'warn');
    return;
  }
  try {
    const r = await rpc.call('analogy', { a, b, c, k: 8 });
    if (r.missing.length > 0) {
      tbody.replaceChildren();
      setStatus(el, `Not in the vocabulary: ${r.missing.join(', ')}.`, 'warn');
      return;
    }
    barRows(
      tbody,
      r.rows.map((n) => ({ word: n.word, value: n.score })),
    );
    setStatus(
      el,
      `Nearest to unit(${a}) − unit(${b}) + unit(${c}), the three words excluded` +
        (r.oov.length > 0 ? `; from n-grams: ${r.oov.join(', ')}.` : '.'),
    );
  } catch (e) {
    tbody.replaceChildren();
    setStatus(el, e.message, 'warn');
  }
}

let scatter;
async function queryPca() {
  const el = $('#pcaNote');
  const groups = $('#pcaWords')
    .value.split('|')
    .map((g) => g.trim().toLowerCase().split(/\s+/).filter(Boolean))
    .filter((g) => g.length > 0);
  try {
    const r = await rpc.call('pca', { groups });
    scatter ??= scatterPlot($('#pca'), { height: 380 });
    scatter.draw(r.points, {
      colors: COLORS,
      xLabel: `PC1 (${(r.explained[0] * 100).toFixed(0)}% of variance)`,
      yLabel: `PC2 (${(r.explained[1] * 100).toFixed(0)}%)`,
    });
    $('#pcaLegend').replaceChildren(
      ...groups.map((g, i) => {
        const s = document.createElement('span');
        const dot = document.createElement('i');
        dot.style.background = COLORS[i % COLORS.length];
        s.append(dot, `${g.slice(0, 3).join(', ')}${g.length > 3 ? ', …' : ''}`);
        return s;
      }),
    );
    const oov = r.points.filter((p) => p.oov).map((p) => p.word);
    setStatus(
      el,
      `${r.points.length} words; groups separated by |.` +
        (r.missing.length > 0 ? ` Not in the vocabulary (left out): ${r.missing.join(', ')}.` : '') +
        (oov.length > 0 ? ` * from character n-grams: ${oov.join(', ')}.` : ''),
      r.missing.length > 0 ? 'warn' : 'info',
    );
  } catch (e) {
    setStatus(el, e.message, 'warn');
  }
}

$('#nnForm').addEventListener('submit', (e) => {
  e.preventDefault();
  queryNeighbours();
});
$('#anForm').addEventListener('submit', (e) => {
  e.preventDefault();
  queryAnalogy();
});
$('#pcaForm').addEventListener('submit', (e) => {
  e.preventDefault();
  queryPca();
});
$('#pcaWords').value = PCA_DEFAULT;

$('#nnChips').replaceChildren(
  ...NEIGHBOURS.map((w) =>
    chip(w === 'goverment' ? `${w} (misspelt)` : w, () => {
      $('#nnWord').value = w;
      queryNeighbours();
    }),
  ),
);
$('#anChips').replaceChildren(
  ...ANALOGIES.map(([a, b, c]) =>
    chip(`${a} − ${b} + ${c}`, () => {
      $('#anA').value = a;
      $('#anB').value = b;
      $('#anC').value = c;
      queryAnalogy();
    }),
  ),
);
setQueries(false);

function chip(text, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'secondary';
  b.textContent = text;
  b.addEventListener('click', onClick);
  return b;
}
