// The Gradient flow demo's page: controls, the heat map and the plots. All training is in worker.js.
// The numbers of every finished run are in window.__gradientFlow ({ mlp: [...], rnn: [...] }; tests read them).
import uPlot from 'uplot';
import { connect } from '../common/rpc.js';
import { livePlot } from '../common/plot.js';
import { $, duration, fmt, setStatus, showRuntime, thousands } from '../common/ui.js';
import { Heatmap, paintLegend } from './heatmap.js';

const worker = connect(new URL('./worker.js', import.meta.url));
const results = { mlp: [], rnn: [] };
globalThis.__gradientFlow = results;

/**
 * A uPlot whose data is replaced whole (`set(xs, ...ys)`), with a log-scale y axis when `log`.
 * data-points on the element counts the x values (tests read it).
 */
function wholePlot(el, { title, x, y, series, log = true, height = 220 }) {
  const opts = {
    title,
    width: Math.max(320, el.clientWidth || 400),
    height,
    scales: { x: { time: false }, y: log ? { distr: 3, log: 10 } : {} },
    series: [
      { label: x },
      ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, dash: s.dash, points: { show: false } })),
    ],
    axes: [
      { label: x, incrs: [1, 2, 5, 10, 20, 50, 100] },
      // log axis ticks as powers of ten (uPlot's default prints tiny values as 0)
      {
        label: y,
        size: 60,
        ...(log ? { values: (_u, splits) => splits.map((v) => (v == null ? '' : sciTick(v))) } : {}),
      },
    ],
  };
  el.replaceChildren();
  const plot = new uPlot(opts, [[], ...series.map(() => [])], el);
  el.dataset.points = '0';
  return {
    set(xs, ...ys) {
      // a log axis cannot show 0: a zero norm is a gap
      const clean = ys.map((v) => v.map((z) => (Number.isFinite(z) && (!log || z > 0) ? z : null)));
      plot.setData([xs, ...clean]);
      el.dataset.points = String(xs.length);
    },
  };
}

/** A log-axis tick: 1, 10, 0.1 as they are, else 1e-12. */
const sciTick = (v) => (v >= 0.01 && v <= 1000 ? String(+v.toPrecision(2)) : v.toExponential(0).replace('+', ''));

/** Read a number input; a bad value shows the message in `statusEl` and returns null. */
function readNum(sel, lo, hi, name, statusEl, integer = true) {
  const el = $(sel);
  const v = Number(el.value);
  if (el.value.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < lo || v > hi) {
    setStatus(
      statusEl,
      `${name} must be a ${integer ? 'whole ' : ''}number from ${lo} to ${hi}, got “${el.value}”`,
      'error',
    );
    el.focus();
    return null;
  }
  return v;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const sci = (x) => (Number.isFinite(x) ? (x === 0 ? '0' : x.toExponential(2)) : String(x));

let busy = false;
const buttons = () => {
  $('#mlp-train').disabled = busy;
  $('#rnn-train').disabled = busy;
  for (const b of document.querySelectorAll('.preset')) b.disabled = busy;
};

// ---------------------------------------------------------------- the deep MLP
const mlpStatus = $('#mlp-status');
const heat = new Heatmap($('#heatmap'));
const gradPlot = wholePlot($('#grad-plot'), {
  title: '‖gradient‖ per block',
  x: 'block',
  y: '‖∂loss/∂W‖',
  series: [
    { label: 'latest step', color: '#2463eb' },
    { label: 'step 1', color: '#8a95a1', dash: [6, 4] },
  ],
});
const actPlot = wholePlot($('#act-plot'), {
  title: 'block outputs at the latest step',
  x: 'block',
  y: 'std, dead fraction',
  log: false,
  series: [
    { label: 'std', color: '#1f7a3a' },
    { label: 'fraction of zeros (dead ReLU)', color: '#c0362c' },
  ],
});
const lossPlot = livePlot($('#loss-plot'), {
  title: 'loss and gradient ratio',
  x: 'step',
  series: [
    { label: 'loss', color: '#2463eb' },
    { label: 'log₁₀ (‖grad block 1‖ / ‖grad last block‖)', color: '#c0362c', axis: 'right' },
  ],
});

const PRESETS = {
  sigmoid: { depth: 20, activation: 'sigmoid', residual: false, norm: 'none' },
  'relu-res': { depth: 20, activation: 'relu', residual: true, norm: 'pre' },
};
for (const b of document.querySelectorAll('.preset')) {
  b.addEventListener('click', () => {
    const p = PRESETS[b.dataset.preset];
    $('#depth').value = String(p.depth);
    $('#activation').value = p.activation;
    $('#residual').checked = p.residual;
    $('#norm').value = p.norm;
    $('#mlp-train').click();
  });
}

function describeRun(c) {
  return `${c.depth}-layer ${c.activation === 'relu' ? 'ReLU' : c.activation}${c.residual ? ' + residual' : ', no residual'}${c.norm === 'none' ? '' : `, ${c.norm}-norm`} (${c.optimizer === 'sgd' ? 'SGD' : 'Adam'} ${c.lr})`;
}

function addRunRow(run) {
  const tb = $('#runs tbody');
  const tr = document.createElement('tr');
  tr.dataset.ratio = String(run.ratioFirst);
  tr.dataset.medianRatio = String(run.ratioMedian);
  for (const c of [
    run.label,
    thousands(run.steps),
    sci(run.ratioFirst),
    sci(run.ratioMedian),
    fmt(run.finalLoss, 3),
    `${(100 * run.accuracy).toFixed(1)}%`,
  ]) {
    const td = document.createElement('td');
    td.textContent = c;
    tr.append(td);
  }
  tb.prepend(tr);
  $('#runs').hidden = false;
}

$('#mlp-train').addEventListener('click', async () => {
  const depth = readNum('#depth', 1, 64, 'depth', mlpStatus);
  const width = depth === null ? null : readNum('#width', 4, 256, 'width', mlpStatus);
  const lr = width === null ? null : readNum('#lr', 1e-6, 10, 'learning rate', mlpStatus, false);
  const steps = lr === null ? null : readNum('#steps', 1, 5000, 'steps', mlpStatus);
  if (steps === null || busy) return;
  const config = {
    depth,
    width,
    activation: $('#activation').value,
    residual: $('#residual').checked,
    norm: $('#norm').value,
    optimizer: $('#optimizer').value,
    lr,
    steps,
  };
  const label = describeRun(config);
  busy = true;
  buttons();
  $('#mlp-stop').disabled = false;
  heat.reset(depth, steps);
  lossPlot.clear();
  const layers = Array.from({ length: depth }, (_, i) => i + 1);
  const ratios = [];
  const losses = [];
  let first = null;
  let last = null;
  setStatus(mlpStatus, `${label}: starting…`);
  const t0 = performance.now();
  try {
    const r = await worker.call('mlp.train', config, (ev) => {
      if (ev.kind === 'start') {
        setStatus(mlpStatus, `${label}: ${thousands(ev.params)} parameters · training…`);
        return;
      }
      first ??= ev;
      last = ev;
      const ratio = ev.grads[0] / ev.grads[depth - 1];
      ratios.push(ratio);
      losses.push(ev.loss);
      heat.push(ev.grads);
      lossPlot.push(ev.step, ev.loss, ratio > 0 ? Math.log10(ratio) : null);
      gradPlot.set(layers, ev.grads, first.grads);
      actPlot.set(layers, ev.std, ev.dead);
      setStatus(
        mlpStatus,
        `${label}: step ${ev.step}/${steps} · loss ${fmt(ev.loss, 3)} · ‖grad‖ block 1 ${sci(ev.grads[0])}, block ${depth} ${sci(ev.grads[depth - 1])} · ratio ${sci(ratio)}`,
      );
    });
    const run = {
      label,
      config,
      steps: r.steps,
      seconds: r.seconds,
      accuracy: r.accuracy,
      finalLoss: losses[losses.length - 1],
      ratioFirst: ratios[0],
      ratioMedian: median(ratios),
      ratios,
      losses,
      firstGrads: first?.grads ?? [],
      lastGrads: last?.grads ?? [],
      lastDead: last?.dead ?? [],
      lastStd: last?.std ?? [],
    };
    results.mlp.push(run);
    addRunRow(run);
    setStatus(
      mlpStatus,
      `${label}: ${r.stopped ? 'stopped' : 'done'} after ${thousands(r.steps)} steps in ${duration((performance.now() - t0) / 1e3)} · ` +
        `‖grad block 1‖ / ‖grad block ${depth}‖ = ${sci(run.ratioFirst)} at step 1, median ${sci(run.ratioMedian)} · ` +
        `train accuracy ${(100 * r.accuracy).toFixed(1)}% (chance 25%)`,
      'done',
    );
  } catch (e) {
    setStatus(mlpStatus, e.message, 'error');
  } finally {
    busy = false;
    buttons();
    $('#mlp-stop').disabled = true;
  }
});
$('#mlp-stop').addEventListener('click', () => worker.call('stop'));

// ---------------------------------------------------------------- RNN vs LSTM
const rnnStatus = $('#rnn-status');
const seqGradPlot = wholePlot($('#seq-grad-plot'), {
  title: '‖∂loss / ∂x_t‖ per time step (latest step)',
  x: 'time step t (0 = the token to remember)',
  y: '‖∂loss/∂x_t‖',
  series: [
    { label: 'RNN', color: '#c0362c' },
    { label: 'LSTM', color: '#2463eb' },
    { label: 'RNN, step 1', color: '#e5a19b', dash: [6, 4] },
    { label: 'LSTM, step 1', color: '#9bb5f0', dash: [6, 4] },
  ],
});
const seqAccPlot = livePlot($('#seq-acc-plot'), {
  title: 'batch accuracy (chance: 25%)',
  x: 'step',
  series: [
    { label: 'RNN', color: '#c0362c', range: [0, 1] },
    { label: 'LSTM', color: '#2463eb' },
  ],
});

$('#rnn-train').addEventListener('click', async () => {
  const length = readNum('#seq-length', 2, 400, 'sequence length', rnnStatus);
  const hidden = length === null ? null : readNum('#seq-hidden', 2, 256, 'hidden', rnnStatus);
  const lr = hidden === null ? null : readNum('#seq-lr', 1e-6, 1, 'learning rate', rnnStatus, false);
  const steps = lr === null ? null : readNum('#seq-steps', 1, 5000, 'steps', rnnStatus);
  if (steps === null || busy) return;
  busy = true;
  buttons();
  $('#rnn-stop').disabled = false;
  seqAccPlot.clear();
  const ts = Array.from({ length }, (_, t) => t);
  let first = null;
  let last = null;
  const acc = { rnn: [], lstm: [] };
  const t0 = performance.now();
  setStatus(rnnStatus, 'starting…');
  try {
    const forgetBias = $('#seq-forget').checked ? 1 : null;
    const r = await worker.call('rnn.train', { length, hidden, lr, steps, forgetBias }, (ev) => {
      if (ev.kind === 'start') {
        setStatus(rnnStatus, `RNN ${thousands(ev.params[0])} parameters, LSTM ${thousands(ev.params[1])} · training…`);
        return;
      }
      first ??= ev;
      last = ev;
      acc.rnn.push(ev.rnn.accuracy);
      acc.lstm.push(ev.lstm.accuracy);
      seqGradPlot.set(ts, ev.rnn.perStep, ev.lstm.perStep, first.rnn.perStep, first.lstm.perStep);
      // a moving mean over the last 20 batches
      const mean = (xs) => xs.slice(-20).reduce((s, x) => s + x, 0) / Math.min(20, xs.length);
      seqAccPlot.push(ev.step, mean(acc.rnn), mean(acc.lstm));
      setStatus(
        rnnStatus,
        `step ${ev.step}/${steps} · accuracy (last 20 batches) RNN ${(100 * mean(acc.rnn)).toFixed(0)}%, LSTM ${(100 * mean(acc.lstm)).toFixed(0)}% · ` +
          `‖∂loss/∂x_0‖ / ‖∂loss/∂x_${length - 1}‖: RNN ${sci(ev.rnn.perStep[0] / ev.rnn.perStep[length - 1])}, LSTM ${sci(ev.lstm.perStep[0] / ev.lstm.perStep[length - 1])}`,
      );
    });
    const ratio = (ev, k) => ev[k].perStep[0] / ev[k].perStep[length - 1];
    const run = {
      length,
      hidden,
      lr,
      forgetBias,
      steps: r.steps,
      seconds: r.seconds,
      firstRatio: { rnn: ratio(first, 'rnn'), lstm: ratio(first, 'lstm') },
      lastRatio: { rnn: ratio(last, 'rnn'), lstm: ratio(last, 'lstm') },
      firstPerStep: { rnn: first.rnn.perStep, lstm: first.lstm.perStep },
      lastPerStep: { rnn: last.rnn.perStep, lstm: last.lstm.perStep },
      accuracy: {
        rnn: acc.rnn.slice(-20).reduce((s, x) => s + x, 0) / Math.min(20, acc.rnn.length),
        lstm: acc.lstm.slice(-20).reduce((s, x) => s + x, 0) / Math.min(20, acc.lstm.length),
      },
    };
    results.rnn.push(run);
    setStatus(
      rnnStatus,
      `${r.stopped ? 'stopped' : 'done'} after ${thousands(r.steps)} steps in ${duration((performance.now() - t0) / 1e3)} · ` +
        `‖∂loss/∂x_0‖ / ‖∂loss/∂x_${length - 1}‖ at step 1: RNN ${sci(run.firstRatio.rnn)}, LSTM ${sci(run.firstRatio.lstm)} · ` +
        `accuracy (last 20 batches): RNN ${(100 * run.accuracy.rnn).toFixed(0)}%, LSTM ${(100 * run.accuracy.lstm).toFixed(0)}%`,
      'done',
    );
  } catch (e) {
    setStatus(rnnStatus, e.message, 'error');
  } finally {
    busy = false;
    buttons();
    $('#rnn-stop').disabled = true;
  }
});
$('#rnn-stop').addEventListener('click', () => worker.call('stop'));

// ---------------------------------------------------------------- start
paintLegend($('#legend-bar'));
busy = true;
buttons();
worker.call('init').then(
  (info) => {
    showRuntime($('#runtime'), info);
    busy = false;
    buttons();
  },
  (e) => setStatus(mlpStatus, `could not start the WebAssembly core: ${e.message}`, 'error'),
);
