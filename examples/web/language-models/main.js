// The Language models demo's page: controls, live plots, bars. All model work is in worker.js.
import { connect } from '../common/rpc.js';
import { livePlot } from '../common/plot.js';
import { $, barRows, duration, fmt, setStatus, showRuntime, thousands } from '../common/ui.js';

// The probe sentences of examples/bert-probe.mjs (the lecture's).
const PROBES = [
  '[MASK] is poor.',
  '[MASK] is rich.',
  '[MASK] is an actor.',
  '[MASK] is an actress.',
  '[MASK] is a doctor.',
  '[MASK] is a nurse.',
];

const worker = connect(new URL('./worker.js', import.meta.url));
const lmStatus = $('#lm-status'),
  bertStatus = $('#bert-status');

/** Read a number input; a bad value shows the message in `statusEl` and returns null. */
function readInt(sel, lo, hi, name, statusEl) {
  const el = $(sel);
  const v = Number(el.value);
  if (el.value.trim() === '' || !Number.isInteger(v) || v < lo || v > hi) {
    setStatus(statusEl, `${name} must be a whole number from ${lo} to ${hi}, got “${el.value}”`, 'error');
    el.focus();
    return null;
  }
  return v;
}
function readNum(sel, lo, hi, name, statusEl) {
  const el = $(sel);
  const v = Number(el.value);
  if (el.value.trim() === '' || !Number.isFinite(v) || v < lo || v > hi) {
    setStatus(statusEl, `${name} must be a number from ${lo} to ${hi}, got “${el.value}”`, 'error');
    el.focus();
    return null;
  }
  return v;
}

const fail = (el) => (e) => setStatus(el, e.message, 'error');

// ---------------------------------------------------------------- neural LM
const lmPlot = livePlot($('#lm-plot'), {
  title: 'Neural LM: training loss and validation perplexity',
  x: 'step',
  series: [
    { label: 'train loss (nats)', color: '#2463eb' },
    { label: 'valid perplexity', color: '#c0362c', axis: 'right' },
  ],
});
let lmReady = false;
let lmSummary = '';
// One model trains at a time, and not while the GPT streams a sample: every Train button is off while any is busy.
const busy = { lm: false, bert: false, gpt: false, gptSample: false };
const trainButtons = () => {
  const any = busy.lm || busy.bert || busy.gpt || busy.gptSample;
  for (const id of ['#lm-train', '#bert-train', '#gpt-train']) $(id).disabled = any;
};
const lmButtons = (training) => {
  busy.lm = training;
  trainButtons();
  $('#lm-stop').disabled = !training;
  $('#lm-load').disabled = training;
  for (const id of ['#lm-save', '#next-go', '#gen-go', '#gen-again']) $(id).disabled = training || !lmReady;
};
const showLmModel = (m) => {
  $('#lm-model').textContent =
    `Model: ${m.source} · vocabulary ${thousands(m.vocabSize)} words · n = ${m.context + 1} · embedding ${m.embeddingDim} · hidden ${m.hidden} · ` +
    `${thousands(m.params)} parameters${m.cased ? ' · case-sensitive vocabulary (type words as in the corpus, e.g. “The”)' : ''}`;
};

$('#lm-train').addEventListener('click', async () => {
  const epochs = readInt('#lm-epochs', 1, 50, 'epochs', lmStatus);
  const context = epochs === null ? null : readInt('#lm-context', 1, 10, 'context', lmStatus);
  const dim = context === null ? null : readInt('#lm-dim', 2, 512, 'embedding', lmStatus);
  const hidden = dim === null ? null : readInt('#lm-hidden', 2, 1024, 'hidden', lmStatus);
  if (hidden === null) return;
  const trainTokens = Number($('#lm-tokens').value);
  lmReady = false;
  lmButtons(true);
  lmPlot.clear();
  $('#lm-plot').hidden = $('#lm-plot-note').hidden = false;
  setStatus(lmStatus, 'preparing the data (Brown LM split, vocabulary)…');
  let epochNote = '',
    lastPpl = NaN;
  try {
    const r = await worker.call('lm.train', { trainTokens, epochs, context, dim, hidden }, (ev) => {
      if (ev.kind === 'start') {
        setStatus(
          lmStatus,
          `vocabulary ${thousands(ev.vocabSize)} · ${thousands(ev.trainTokens)} training tokens · ${thousands(ev.params)} parameters · training…`,
        );
        return;
      }
      // the validation estimate comes every ~2.5 s: the line holds the latest one in between
      if (ev.validPpl !== undefined) lastPpl = ev.validPpl;
      lmPlot.push(ev.step, Number.isFinite(ev.loss) ? ev.loss : null, Number.isFinite(lastPpl) ? lastPpl : null);
      if (ev.epochEnd && ev.epochValidPpl !== undefined)
        epochNote = ` · epoch ${ev.epoch}: valid perplexity ${ev.epochValidPpl.toFixed(1)}`;
      setStatus(
        lmStatus,
        `epoch ${ev.epoch}/${ev.epochs} · step ${thousands(ev.step)}/${thousands(ev.steps)} · loss ${fmt(ev.loss, 3)} · ` +
          `${Number.isFinite(lastPpl) ? `valid perplexity ${lastPpl.toFixed(1)} · ` : ''}${thousands(ev.tokensPerSec)} words/s · ${duration(ev.elapsed)}${epochNote}`,
      );
    });
    lmReady = true;
    showLmModel(r);
    const how = r.stoppedByUser ? 'stopped' : r.earlyStopped ? `stopped early (best epoch ${r.bestEpoch})` : 'done';
    lmSummary =
      `${how}: ${thousands(r.steps)} steps in ${duration(r.seconds)} (data ${duration(r.prepSeconds)}), ${thousands(r.tokensPerSec)} words/s; ` +
      `validation perplexity ${r.validPpl.toFixed(1)} (first 5,000 validation tokens)${r.bestValidPpl !== undefined ? `; best epoch ${r.bestEpoch}: ${r.bestValidPpl.toFixed(1)} on all ${thousands(r.validTokens)} validation tokens` : ''}`;
    setStatus(lmStatus, lmSummary, 'done');
    lmButtons(false);
    await Promise.all([predict(), generate()]);
  } catch (e) {
    lmReady = false;
    setStatus(lmStatus, e.message, 'error');
    lmButtons(false);
  }
});
$('#lm-stop').addEventListener('click', () => {
  setStatus(lmStatus, 'stopping (the model keeps its current weights)…');
  worker.call('lm.stop').catch(fail(lmStatus));
});

async function predict() {
  const st = $('#next-status');
  try {
    const r = await worker.call('lm.next', { prompt: $('#next-prompt').value, k: 10 });
    barRows(
      $('#next-table tbody'),
      r.top.map((t) => ({ word: t.word, value: t.prob })),
      { scale: 'max' },
    );
    setStatus(
      st,
      `after “${r.context.join(' ') || '(start of text)'}”${r.unknown.length > 0 ? ` — not in the vocabulary (read as <unk>): ${r.unknown.join(', ')}` : ''}` +
        ` · the 10 shown hold ${(100 * r.top.reduce((s, x) => s + x.prob, 0)).toFixed(1)}% of the probability`,
    );
  } catch (e) {
    setStatus(st, e.message, 'error');
  }
}
async function generate() {
  const st = $('#gen-status');
  const length = readInt('#gen-length', 1, 200, 'words', st);
  const temperature = length === null ? null : readNum('#gen-temp', 0.05, 5, 'temperature', st);
  const topK = temperature === null ? null : readInt('#gen-topk', 0, 1e6, 'top-k', st);
  const seed = topK === null ? null : readInt('#gen-seed', 0, 2 ** 31 - 1, 'seed', st);
  if (seed === null) return;
  try {
    const prompt = $('#gen-prompt').value;
    const r = await worker.call('lm.generate', { prompt, length, temperature, topK, seed });
    const out = $('#sample-out');
    const p = document.createElement('span');
    p.className = 'prompt';
    p.textContent = prompt.trim() === '' ? '' : `${prompt.trim()} `;
    const s = document.createElement('span');
    s.className = 'sample';
    s.textContent = r.words.join(' ');
    out.replaceChildren(p, s);
    setStatus(
      st,
      `seed ${seed} · ${r.words.length} words · temperature ${temperature} · top-k ${topK === 0 ? 'all' : topK}`,
    );
  } catch (e) {
    setStatus(st, e.message, 'error');
  }
}
$('#next-go').addEventListener('click', predict);
$('#next-prompt').addEventListener('keydown', (e) => e.key === 'Enter' && lmReady && predict());
$('#gen-go').addEventListener('click', generate);
$('#gen-again').addEventListener('click', () => {
  const el = $('#gen-seed');
  el.value = String((Number(el.value) || 0) + 1);
  generate();
});

/** Offer `bytes` to the user as a file named `name` (an object URL, revoked after 10 s). */
function download(bytes, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

$('#lm-save').addEventListener('click', async () => {
  try {
    const bytes = await worker.call('lm.save');
    download(bytes, 'neural-lm.safetensors');
    setStatus(
      lmStatus,
      `${lmSummary}${lmSummary === '' ? '' : ' · '}saved neural-lm.safetensors (${thousands(bytes.byteLength)} bytes)`,
      'done',
    );
  } catch (e) {
    setStatus(lmStatus, e.message, 'error');
  }
});
$('#lm-load').addEventListener('change', async (ev) => {
  const f = ev.target.files?.[0];
  if (f === undefined) return;
  setStatus(lmStatus, `loading ${f.name}…`);
  try {
    const bytes = await f.arrayBuffer();
    const m = await worker.call('lm.load', { bytes, name: f.name }, undefined, [bytes]);
    lmReady = true;
    showLmModel(m);
    lmSummary = `loaded ${f.name} (${thousands(f.size)} bytes)`;
    lmPlot.clear();
    $('#lm-plot').hidden = $('#lm-plot-note').hidden = true;
    setStatus(lmStatus, lmSummary, 'done');
    lmButtons(false);
    await Promise.all([predict(), generate()]);
  } catch (e) {
    setStatus(lmStatus, `${f.name}: ${e.message}`, 'error');
  } finally {
    ev.target.value = '';
  }
});

// ---------------------------------------------------------------- small GPT
const gptStatus = $('#gpt-status'),
  gptGenStatus = $('#gpt-gen-status');
const gptPlot = livePlot($('#gpt-plot'), {
  title: 'Small GPT: training loss and validation perplexity',
  x: 'step',
  series: [
    { label: 'train loss (nats)', color: '#2463eb' },
    { label: 'valid perplexity', color: '#c0362c', axis: 'right' },
  ],
});
let gptReady = false;
let gptSummary = '';
const gptButtons = () => {
  trainButtons();
  $('#gpt-stop').disabled = !busy.gpt;
  $('#gpt-load').disabled = busy.gpt || busy.gptSample;
  $('#gpt-save').disabled = busy.gpt || !gptReady;
  for (const id of ['#gpt-go', '#gpt-again']) $(id).disabled = busy.gpt || busy.gptSample || !gptReady;
  $('#gpt-gen-stop').disabled = !busy.gptSample;
};
const showGptModel = (m) => {
  $('#gpt-model').textContent =
    `Model: ${m.source} · vocabulary ${thousands(m.vocabSize)} words · context ${m.context} · embedding ${m.dim} · ` +
    `${m.layers} layer${m.layers === 1 ? '' : 's'} · ${m.heads} head${m.heads === 1 ? '' : 's'} · ${thousands(m.params)} parameters` +
    `${m.cased ? ' · case-sensitive vocabulary (type words as in the corpus, e.g. “The”)' : ''}`;
};

$('#gpt-train').addEventListener('click', async () => {
  const epochs = readInt('#gpt-epochs', 1, 50, 'epochs', gptStatus);
  const layers = epochs === null ? null : readInt('#gpt-layers', 1, 8, 'layers', gptStatus);
  const heads = layers === null ? null : readInt('#gpt-heads', 1, 16, 'heads', gptStatus);
  if (heads === null) return;
  const dim = Number($('#gpt-dim').value),
    context = Number($('#gpt-context').value),
    trainTokens = Number($('#gpt-tokens').value);
  if (dim % heads !== 0) {
    setStatus(gptStatus, `heads must divide the embedding size ${dim}, got ${heads}`, 'error');
    $('#gpt-heads').focus();
    return;
  }
  gptReady = false;
  busy.gpt = true;
  gptButtons();
  gptPlot.clear();
  $('#gpt-plot').hidden = $('#gpt-plot-note').hidden = false;
  setStatus(gptStatus, 'preparing the data (Brown LM split, vocabulary)…');
  let epochNote = '',
    lastPpl = NaN;
  // window.__gptRuns keeps each run's validation perplexities (tests read them): untrained, [step, estimate]…, final
  const run = { initialPpl: NaN, validPpl: [], finalPpl: NaN, steps: 0 };
  (window.__gptRuns ??= []).push(run);
  try {
    const r = await worker.call('gpt.train', { trainTokens, epochs, context, dim, layers, heads }, (ev) => {
      if (ev.kind === 'start') {
        setStatus(
          gptStatus,
          `vocabulary ${thousands(ev.vocabSize)} · ${thousands(ev.trainTokens)} training tokens · ${thousands(ev.params)} parameters · ` +
            'validation perplexity of the untrained model…',
        );
        return;
      }
      if (ev.kind === 'initial') {
        // the untrained model (about the vocabulary size): in the status, not on the plot (it would flatten the line)
        run.initialPpl = ev.validPpl;
        setStatus(gptStatus, `untrained: valid perplexity ${ev.validPpl.toFixed(1)} · training…`);
        return;
      }
      // the validation estimate comes every ~2.5 s: the line holds the latest one in between
      if (ev.validPpl !== undefined) {
        lastPpl = ev.validPpl;
        run.validPpl.push([ev.step, ev.validPpl]);
      }
      gptPlot.push(ev.step, Number.isFinite(ev.loss) ? ev.loss : null, Number.isFinite(lastPpl) ? lastPpl : null);
      if (ev.epochEnd && ev.epochValidPpl !== undefined)
        epochNote = ` · epoch ${ev.epoch}: valid perplexity ${ev.epochValidPpl.toFixed(1)}`;
      setStatus(
        gptStatus,
        `epoch ${ev.epoch}/${ev.epochs} · step ${thousands(ev.step)}/${thousands(ev.steps)} · loss ${fmt(ev.loss, 3)} · ` +
          `${Number.isFinite(lastPpl) ? `valid perplexity ${lastPpl.toFixed(1)} · ` : ''}${thousands(ev.tokensPerSec)} tokens/s · ${duration(ev.elapsed)}${epochNote}`,
      );
    });
    run.finalPpl = r.validPpl;
    run.steps = r.steps;
    gptReady = true;
    showGptModel(r);
    const how = r.stoppedByUser ? 'stopped' : r.earlyStopped ? `stopped early (best epoch ${r.bestEpoch})` : 'done';
    gptSummary =
      `${how}: ${thousands(r.steps)} steps in ${duration(r.seconds)} (data ${duration(r.prepSeconds)}), ${thousands(r.tokensPerSec)} tokens/s; ` +
      `validation perplexity ${r.validPpl.toFixed(1)} (untrained ${r.initialPpl.toFixed(1)}; first 5,000 validation tokens)` +
      `${r.bestValidPpl !== undefined ? `; best epoch ${r.bestEpoch}: ${r.bestValidPpl.toFixed(1)} on all ${thousands(r.validTokens)} validation tokens` : ''}`;
    setStatus(gptStatus, gptSummary, 'done');
    busy.gpt = false;
    gptButtons();
    await gptGenerate();
  } catch (e) {
    gptReady = false;
    setStatus(gptStatus, e.message, 'error');
    busy.gpt = false;
    gptButtons();
  }
});
$('#gpt-stop').addEventListener('click', () => {
  setStatus(gptStatus, 'stopping (the model keeps its current weights)…');
  worker.call('gpt.stop').catch(fail(gptStatus));
});

/** Streams a sample: each word the worker posts is appended to the text as it arrives. */
async function gptGenerate() {
  const length = readInt('#gpt-length', 1, 1000, 'words', gptGenStatus);
  const temperature = length === null ? null : readNum('#gpt-temp', 0.05, 5, 'temperature', gptGenStatus);
  const topK = temperature === null ? null : readInt('#gpt-topk', 0, 1e6, 'top-k', gptGenStatus);
  const topP = topK === null ? null : readNum('#gpt-topp', 0, 1, 'top-p', gptGenStatus);
  const seed = topP === null ? null : readInt('#gpt-seed', 0, 2 ** 31 - 1, 'seed', gptGenStatus);
  if (seed === null) return;
  const prompt = $('#gpt-prompt').value;
  const out = $('#gpt-out');
  const p = document.createElement('span');
  p.className = 'prompt';
  p.textContent = prompt.trim() === '' ? '' : `${prompt.trim()} `;
  const s = document.createElement('span');
  s.className = 'sample';
  out.replaceChildren(p, s);
  out.dataset.words = '0';
  const settings = `temperature ${temperature} · top-k ${topK === 0 ? 'off' : topK} · top-p ${topP}`;
  busy.gptSample = true;
  gptButtons();
  setStatus(gptGenStatus, `seed ${seed} · sampling…`);
  let n = 0;
  try {
    const r = await worker.call('gpt.generate', { prompt, length, temperature, topK, topP, seed }, (ev) => {
      if (ev.kind !== 'word') return;
      s.append(`${n === 0 ? '' : ' '}${ev.word}`);
      out.dataset.words = String(++n);
      setStatus(gptGenStatus, `seed ${seed} · ${n} / ${length} words…`);
    });
    const rate = r.seconds > 0 ? ` · ${thousands(r.words.length / r.seconds)} words/s` : '';
    setStatus(
      gptGenStatus,
      `seed ${seed} · ${r.words.length} words${r.stopped ? ' (stopped)' : ''} · ${settings}${rate}` +
        (r.unknown.length > 0 ? ` · not in the vocabulary (read as <unk>): ${r.unknown.join(', ')}` : ''),
      'done',
    );
  } catch (e) {
    setStatus(gptGenStatus, e.message, 'error');
  } finally {
    busy.gptSample = false;
    gptButtons();
  }
}
$('#gpt-go').addEventListener('click', gptGenerate);
$('#gpt-prompt').addEventListener('keydown', (e) => e.key === 'Enter' && !$('#gpt-go').disabled && gptGenerate());
$('#gpt-again').addEventListener('click', () => {
  const el = $('#gpt-seed');
  el.value = String((Number(el.value) || 0) + 1);
  gptGenerate();
});
$('#gpt-gen-stop').addEventListener('click', () => worker.call('gpt.sampleStop').catch(fail(gptGenStatus)));

$('#gpt-save').addEventListener('click', async () => {
  try {
    const bytes = await worker.call('gpt.save');
    download(bytes, 'gpt-lm.safetensors');
    setStatus(
      gptStatus,
      `${gptSummary}${gptSummary === '' ? '' : ' · '}saved gpt-lm.safetensors (${thousands(bytes.byteLength)} bytes)`,
      'done',
    );
  } catch (e) {
    setStatus(gptStatus, e.message, 'error');
  }
});
$('#gpt-load').addEventListener('change', async (ev) => {
  const f = ev.target.files?.[0];
  if (f === undefined) return;
  setStatus(gptStatus, `loading ${f.name}…`);
  try {
    const bytes = await f.arrayBuffer();
    const m = await worker.call('gpt.load', { bytes, name: f.name }, undefined, [bytes]);
    gptReady = true;
    showGptModel(m);
    gptSummary = `loaded ${f.name} (${thousands(f.size)} bytes)`;
    gptPlot.clear();
    $('#gpt-plot').hidden = $('#gpt-plot-note').hidden = true;
    setStatus(gptStatus, gptSummary, 'done');
    gptButtons();
    await gptGenerate();
  } catch (e) {
    setStatus(gptStatus, `${f.name}: ${e.message}`, 'error');
  } finally {
    ev.target.value = '';
  }
});

// ---------------------------------------------------------------- BERT
const bertPlot = livePlot($('#bert-plot'), {
  title: 'Tiny BERT: masked-LM training loss',
  x: 'step',
  series: [{ label: 'MLM loss (nats)', color: '#2463eb' }],
});
let bertReady = false;
const bertButtons = (training) => {
  busy.bert = training;
  trainButtons();
  $('#bert-stop').disabled = !training;
  $('#bert-files').disabled = training;
  $('#probe-go').disabled = training || !bertReady;
};
const showBertModel = (m) => {
  $('#bert-model').textContent =
    `Model: ${m.source} · vocabulary ${thousands(m.vocabSize)} WordPiece tokens · ${m.layers} layers · hidden ${m.hidden} · ` +
    `${m.heads} heads · ${thousands(m.params)} parameters`;
};

$('#bert-train').addEventListener('click', async () => {
  const layers = readInt('#bert-layers', 1, 6, 'layers', bertStatus);
  const seconds = layers === null ? null : readNum('#bert-seconds', 1, 3600, 'seconds', bertStatus);
  if (seconds === null) return;
  const sentences = Number($('#bert-sentences').value),
    hidden = Number($('#bert-hidden').value);
  bertReady = false;
  bertButtons(true);
  bertPlot.clear();
  $('#bert-plot').hidden = false;
  setStatus(bertStatus, 'training a WordPiece vocabulary and packing the sentences…');
  try {
    const r = await worker.call(
      'bert.train',
      { sentences, vocabSize: 6000, hidden, layers, heads: hidden / 32, seconds },
      (ev) => {
        if (ev.kind === 'start') {
          setStatus(
            bertStatus,
            `vocabulary ${thousands(ev.vocabSize)} · ${thousands(ev.sequences)} sequences / ${thousands(ev.tokens)} tokens · ` +
              `${thousands(ev.params)} parameters (data ready in ${duration(ev.prepSeconds)}) · training…`,
          );
          return;
        }
        bertPlot.push(ev.step, Number.isFinite(ev.loss) ? ev.loss : null);
        setStatus(
          bertStatus,
          `epoch ${ev.epoch}/${ev.epochs} · step ${thousands(ev.step)} · MLM loss ${fmt(ev.loss, 3)} · ${thousands(ev.tokensPerSec)} tokens/s · ` +
            `${duration(ev.elapsed)} of ${duration(seconds)}`,
        );
      },
    );
    bertReady = true;
    showBertModel(r);
    setStatus(
      bertStatus,
      `done (${r.reason}): ${thousands(r.steps)} steps in ${duration(r.seconds)}, MLM loss ${fmt(r.loss, 3)}, ${thousands(r.tokensPerSec)} tokens/s — ` +
        'a tiny model: expect frequent words, not the associations of the real one.',
      'done',
    );
    bertButtons(false);
    await probe();
  } catch (e) {
    setStatus(bertStatus, e.message, 'error');
    bertButtons(false);
  }
});
$('#bert-stop').addEventListener('click', () => {
  setStatus(bertStatus, 'stopping (the model keeps its current weights)…');
  worker.call('bert.stop').catch(fail(bertStatus));
});

$('#bert-files').addEventListener('change', async (ev) => {
  const picked = [...(ev.target.files ?? [])];
  if (picked.length === 0) return;
  setStatus(bertStatus, `reading ${picked.map((f) => f.name).join(', ')}…`);
  try {
    const files = {};
    for (const f of picked) files[f.name] = await f.arrayBuffer();
    const m = await worker.call('bert.load', { files }, undefined, Object.values(files));
    bertReady = true;
    showBertModel(m);
    bertPlot.clear();
    $('#bert-plot').hidden = true;
    setStatus(bertStatus, `loaded ${picked.map((f) => f.name).join(', ')}`, 'done');
    bertButtons(false);
    await probe();
  } catch (e) {
    setStatus(bertStatus, e.message, 'error');
  } finally {
    ev.target.value = '';
  }
});

async function probe() {
  const st = $('#probe-status');
  const k = readInt('#probe-k', 1, 50, 'top-k', st);
  if (k === null) return;
  const free = $('#probe-text').value.trim();
  const texts = [...PROBES, ...(free === '' ? [] : [free])];
  try {
    const res = await worker.call('bert.fill', { texts, k });
    $('#probes').replaceChildren(
      ...res.map((r, i) => {
        const card = document.createElement('div');
        card.className = 'probe';
        card.dataset.text = r.text;
        if (i === PROBES.length) card.dataset.free = '';
        const h = document.createElement('h3');
        h.textContent = r.text;
        card.append(h);
        if (r.error !== undefined) {
          const e = document.createElement('div');
          e.className = 'err';
          e.textContent = r.error;
          card.append(e);
        } else {
          const t = document.createElement('table');
          t.className = 'bars';
          const tb = document.createElement('tbody');
          t.append(tb);
          barRows(
            tb,
            r.fills.map((f) => ({ word: f.token, value: f.prob })),
            { scale: 'max' },
          );
          card.append(t);
        }
        return card;
      }),
    );
    const bad = res.filter((r) => r.error !== undefined);
    setStatus(
      st,
      bad.length > 0 ? `“${bad[0].text}”: ${bad[0].error}` : `top ${k} fills of each sentence`,
      bad.length > 0 ? 'error' : 'info',
    );
  } catch (e) {
    setStatus(st, e.message, 'error');
  }
}
$('#probe-go').addEventListener('click', probe);
$('#probe-text').addEventListener('keydown', (e) => e.key === 'Enter' && bertReady && probe());

// ---------------------------------------------------------------- start
// The plots appear when training starts (uPlot sized them while visible).
$('#lm-plot').hidden = $('#lm-plot-note').hidden = true;
$('#bert-plot').hidden = true;
$('#gpt-plot').hidden = $('#gpt-plot-note').hidden = true;
worker.call('init').then(
  (info) => {
    showRuntime($('#runtime'), info);
    lmButtons(false);
    bertButtons(false);
    gptButtons();
  },
  (e) => setStatus(lmStatus, `could not start the WebAssembly core: ${e.message}`, 'error'),
);
lmButtons(false);
bertButtons(false);
gptButtons();
