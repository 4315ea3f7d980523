// The classifier demo's page: controls, the live plot, the probability bars and
// the file buttons. Every model call goes to worker.js.
import { connect } from '../common/rpc.js';
import { livePlot } from '../common/plot.js';
import { $, duration, fillTable, setStatus, showRuntime, thousands } from '../common/ui.js';

const worker = connect(new URL('./worker.js', import.meta.url));
const status = $('#status');
const plotEl = $('#plot');
const message = $('#message');
const COLORS = { loss: '#2463eb', accuracy: '#e08a00' };

// Stop is a 'stop' message: the worker aborts the run's AbortSignal, which both trainers check between
// steps (they yield to the worker's event loop about every 50 ms, so the message gets through).

let runtime = null;
let stopping = false;
let hasModel = false;
let plot = null;

const modelKind = () => document.querySelector('input[name=model]:checked').value;
const pct = (x, d = 2) => (Number.isFinite(x) ? `${(x * 100).toFixed(d)} %` : '–');

function newPlot() {
  plot = livePlot(plotEl, {
    title: 'Training loss (left) and test accuracy (right)',
    x: 'epoch',
    series: [
      { label: 'train loss', color: COLORS.loss, options: { spanGaps: true } },
      {
        label: 'test accuracy',
        color: COLORS.accuracy,
        axis: 'right',
        options: { spanGaps: true, points: { show: true, size: 7 } },
        range: (_u, min, max) =>
          min === null ? [0.5, 1] : [Math.max(0, Math.floor((min - 0.02) * 20) / 20), Math.max(1, max)],
      },
    ],
    height: 260,
  });
}

const PLOT_NOTES = {
  fasttext:
    'fastText-style: the loss is reported while SGD runs (most of the time goes into the vocabulary and ids before it); ' +
    'the accuracy point is the whole test split, scored after training (the library has no per-epoch hook for this model).',
  transformer:
    'Transformer: the accuracy curve scores an evenly spaced sample of 300 test e-mails about every quarter epoch; ' +
    'the table scores all of them after training. Stop keeps the weights of the last step.',
};

function showOptions() {
  const k = modelKind();
  $('#plot-note').textContent = PLOT_NOTES[k];
  $('#opts-fasttext').hidden = k !== 'fasttext';
  $('#opts-transformer').hidden = k !== 'transformer';
}

function readNumber(id, what, { integer = true, min, max }) {
  const el = $(`#${id}`);
  const v = Number(el.value);
  if (el.value.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    el.focus();
    throw new RangeError(
      `${what} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${JSON.stringify(el.value)}`,
    );
  }
  return v;
}

function readOptions() {
  const n = runtime.train;
  if (modelKind() === 'fasttext') {
    return {
      model: 'fasttext',
      limit: readNumber('ft-limit', 'training e-mails', { min: 1, max: n }),
      dim: readNumber('ft-dim', 'dim', { min: 1, max: 300 }),
      epochs: readNumber('ft-epochs', 'epochs', { min: 1, max: 100 }),
      lr: readNumber('ft-lr', 'learning rate', { integer: false, min: 0.001, max: 10 }),
      wordNgrams: readNumber('ft-ngrams', 'word n-grams', { min: 1, max: 3 }),
      bucket: readNumber('ft-bucket', 'buckets', { min: 1000, max: 2_000_000 }),
      minCount: readNumber('ft-mincount', 'min count', { min: 1, max: 100 }),
    };
  }
  const o = {
    model: 'transformer',
    limit: readNumber('tx-limit', 'training e-mails', { min: 1, max: n }),
    dim: readNumber('tx-dim', 'dim', { min: 4, max: 256 }),
    layers: readNumber('tx-layers', 'layers', { min: 1, max: 6 }),
    heads: readNumber('tx-heads', 'heads', { min: 1, max: 16 }),
    maxLen: readNumber('tx-maxlen', 'max tokens', { min: 8, max: 512 }),
    epochs: readNumber('tx-epochs', 'epochs', { min: 1, max: 50 }),
    batch: readNumber('tx-batch', 'batch', { min: 1, max: 256 }),
    lr: readNumber('tx-lr', 'learning rate', { integer: false, min: 1e-5, max: 1 }),
    minCount: readNumber('tx-mincount', 'min count', { min: 1, max: 100 }),
  };
  if (o.dim % o.heads !== 0) {
    $('#tx-dim').focus();
    throw new RangeError(`dim must be a multiple of heads (${o.heads}), got ${o.dim}`);
  }
  return o;
}

function setBusy(busy) {
  $('#train').disabled = busy || runtime === null;
  $('#stop').disabled = !busy;
  $('#load').disabled = busy;
  $('#save').disabled = busy || !hasModel;
  for (const el of document.querySelectorAll('fieldset input, input[name=model]')) el.disabled = busy;
}

function threadsNote(kind) {
  return kind === 'fasttext'
    ? '1 thread (fastText-style training is single-threaded)'
    : `${runtime.threads} thread${runtime.threads === 1 ? '' : 's'}`;
}

function showModel(r) {
  hasModel = true;
  $('#model-line').textContent = `${r.description}; ${r.origin}.`;
  $('#model-line').dataset.kind = r.kind;
  const t = r.test;
  const table = $('#metrics');
  if (t === null) {
    table.hidden = true;
    return;
  }
  table.hidden = false;
  const rows = [
    ['accuracy', `${pct(t.accuracy)} (${thousands(t.accuracy * t.n)} / ${thousands(t.n)} test e-mails)`, t.accuracy],
    ['spam precision', `${pct(t.precision)} (${t.fp} ham flagged)`, t.precision],
    ['spam recall', `${pct(t.recall)} (${t.fn} spam missed)`, t.recall],
  ];
  if (r.seconds !== undefined)
    rows.push([
      'training',
      `${duration(r.seconds)}${r.examplesPerSec ? ` · ${thousands(r.examplesPerSec)} examples/s` : ''}`,
      r.seconds,
    ]);
  if (r.bytes !== undefined) rows.push(['file', `${(r.bytes / 2 ** 20).toFixed(2)} MiB`, r.bytes]);
  fillTable(
    $('#metrics-body'),
    rows.map(([k, v]) => [k, v]),
  );
  [...$('#metrics-body').children].forEach((tr, i) => {
    tr.dataset.metric = rows[i][0].replace(/ /g, '-');
    tr.dataset.value = String(rows[i][2]);
  });
}

async function train() {
  let o;
  try {
    o = readOptions();
  } catch (e) {
    setStatus(status, e.message, 'error');
    return;
  }
  setBusy(true);
  stopping = false;
  setStatus($('#file-status'), '', 'info');
  newPlot();
  const t0 = performance.now();
  let last = null;
  const line = () => {
    const el = (performance.now() - t0) / 1e3;
    if (last === null)
      return `preparing ${o.model === 'fasttext' ? 'the vocabulary' : 'the vocabulary and input ids'}… · ${duration(el)} · ${threadsNote(o.model)}`;
    const parts = [`epoch ${last.epoch}/${last.epochs}`];
    if (last.step !== undefined) parts.push(`step ${thousands(last.step)}/${thousands(last.steps)}`);
    if (last.loss !== null) parts.push(`loss ${last.loss.toFixed(4)}`);
    if (last.accuracy !== undefined && last.accuracy !== null) parts.push(`test accuracy ${pct(last.accuracy)}`);
    if (last.examplesPerSec) parts.push(`${thousands(last.examplesPerSec)} examples/s`);
    parts.push(`${duration(el)} elapsed`, threadsNote(o.model));
    return (stopping ? 'stopping… · ' : '') + parts.join(' · ');
  };
  const timer = setInterval(() => setStatus(status, line(), 'info'), 250);
  setStatus(status, line(), 'info');
  try {
    const r = await worker.call('train', o, (p) => {
      last = { ...p, loss: p.loss ?? last?.loss ?? null, accuracy: p.accuracy ?? last?.accuracy };
      plot.push(p.x, p.loss, p.accuracy ?? null);
    });
    clearInterval(timer);
    showModel(r);
    const acc = r.test ? ` · test accuracy ${pct(r.test.accuracy)}` : '';
    const what = r.stopped
      ? `stopped early at epoch ${last?.epoch ?? 1}/${r.epochs}, model kept`
      : `done: ${r.epochs} epoch${r.epochs === 1 ? '' : 's'}`;
    setStatus(
      status,
      `${what} · ` +
        `${duration(r.seconds)} in all${r.examplesPerSec ? ` · ${thousands(r.examplesPerSec)} examples/s while training` : ''} · ${threadsNote(o.model)}${acc}`,
      'done',
    );
    predictNow();
  } catch (e) {
    clearInterval(timer);
    setStatus(status, `training failed: ${e.message}`, 'error');
  } finally {
    setBusy(false);
  }
}

// ---- predictions, debounced as you type
let predictTimer = 0;
let predictSeq = 0;
function renderProbs(r) {
  const probs = $('#probs');
  const verdict = $('#verdict');
  if (r.empty) {
    probs.replaceChildren();
    verdict.textContent = '';
    $('#predict-status').textContent = r.empty;
    delete verdict.dataset.label;
    return;
  }
  probs.replaceChildren(
    ...r.rows.map(({ label, prob }) => {
      const row = document.createElement('div');
      row.className = 'prob-row';
      row.dataset.label = label;
      row.dataset.prob = String(prob);
      const name = document.createElement('span');
      name.textContent = label;
      const track = document.createElement('span');
      track.className = 'track';
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${(prob * 100).toFixed(2)}%`;
      track.append(bar);
      const value = document.createElement('span');
      value.className = 'value';
      value.textContent = pct(prob);
      row.append(name, track, value);
      return row;
    }),
  );
  verdict.replaceChildren('Prediction: ', Object.assign(document.createElement('b'), { textContent: r.best }));
  verdict.firstElementChild.dataset.label = r.best;
  verdict.dataset.label = r.best;
  $('#predict-status').textContent =
    `${r.tokens} token${r.tokens === 1 ? '' : 's'} · ${r.kind === 'fasttext' ? 'fastText-style' : 'Transformer'} · ${r.ms.toFixed(1)} ms in the worker`;
}

// #probs has data-pending while the shown bars are not yet those of the current text and model.
async function predictNow() {
  clearTimeout(predictTimer);
  const seq = ++predictSeq;
  $('#probs').dataset.pending = '1';
  try {
    const r = await worker.call('predict', { text: message.value });
    if (seq === predictSeq) renderProbs(r);
  } catch (e) {
    if (seq === predictSeq) $('#predict-status').textContent = `prediction failed: ${e.message}`;
  } finally {
    if (seq === predictSeq) delete $('#probs').dataset.pending;
  }
}
message.addEventListener('input', () => {
  $('#probs').dataset.pending = '1';
  clearTimeout(predictTimer);
  predictTimer = setTimeout(predictNow, 150);
});

// ---- save and load with the browser's file APIs
async function save() {
  const fileStatus = $('#file-status');
  try {
    const { bytes, name } = await worker.call('save');
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setStatus(fileStatus, `saved ${name} (${(bytes.byteLength / 2 ** 20).toFixed(2)} MiB)`, 'done');
  } catch (e) {
    setStatus(fileStatus, `save failed: ${e.message}`, 'error');
  }
}

async function load(file) {
  const fileStatus = $('#file-status');
  setStatus(fileStatus, `reading ${file.name}…`, 'info');
  setBusy(true);
  try {
    const buffer = await file.arrayBuffer();
    const r = await worker.call('load', { bytes: buffer, name: file.name }, undefined, [buffer]);
    showModel(r);
    setStatus(fileStatus, `loaded ${file.name}${r.test ? `: test accuracy ${pct(r.test.accuracy)}` : ''}`, 'done');
    predictNow();
  } catch (e) {
    setStatus(fileStatus, `load failed: ${e.message}`, 'error');
  } finally {
    setBusy(false);
    $('#load').value = '';
  }
}

// ---- wiring
for (const el of document.querySelectorAll('input[name=model]')) el.addEventListener('change', showOptions);
$('#train').addEventListener('click', train);
$('#stop').addEventListener('click', () => {
  worker.call('stop').catch(() => {});
  stopping = true;
  $('#stop').disabled = true;
  setStatus(status, 'stopping…', 'info');
});
$('#save').addEventListener('click', save);
$('#load').addEventListener('change', (e) => {
  const f = e.target.files?.[0];
  if (f) load(f);
});

showOptions();
newPlot();
try {
  runtime = await worker.call('init');
  showRuntime($('#runtime'), runtime);
  $('#runtime').dataset.isolated = String(runtime.isolated);
  $('#ft-limit').value = $('#tx-limit').value = String(runtime.train);
  for (const id of ['ft-limit', 'tx-limit']) $(`#${id}`).max = String(runtime.train);
  $('#data-line').textContent =
    `SpamAssassin, the canonical split: ${thousands(runtime.train)} training e-mails (${thousands(runtime.trainSpam)} spam), ` +
    `${thousands(runtime.test)} test e-mails (${thousands(runtime.testSpam)} spam). Accuracy is measured on the test split.`;
  const box = $('#examples');
  for (const ex of runtime.examples) {
    const b = Object.assign(document.createElement('button'), {
      className: 'secondary',
      textContent: `${ex.name} example`,
    });
    b.dataset.example = ex.name;
    b.title = `spam.test line ${ex.line} (${ex.label})`;
    b.addEventListener('click', () => {
      message.value = ex.text;
      predictNow();
    });
    box.append(b);
  }
  setBusy(false);
  setStatus(status, 'ready: pick a model and press Train', 'info');
  predictNow();
} catch (e) {
  setStatus(status, `the worker failed to start: ${e.message}`, 'error');
}
