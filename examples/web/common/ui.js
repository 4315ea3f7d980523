// Small DOM helpers shared by the demos.

export const $ = (sel, root = document) => {
  const el = root.querySelector(sel);
  if (el === null) throw new Error(`no element ${sel}`);
  return el;
};

/** Show the runtime line: threads, isolation, build. */
export function showRuntime(el, info) {
  el.textContent =
    `${info.threads} thread${info.threads === 1 ? '' : 's'} · ` +
    (info.isolated ? 'cross-origin isolated (SharedArrayBuffer available)' : 'not cross-origin isolated: one thread') +
    ` · ${info.build} build · ${info.cores} cores reported`;
  el.dataset.threads = String(info.threads);
}

export function setStatus(el, text, kind = 'info') {
  el.textContent = text;
  el.dataset.kind = kind;
}

/** Render rows into a <tbody>: rows are arrays of cell texts. */
export function fillTable(tbody, rows) {
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      for (const c of cells) {
        const td = document.createElement('td');
        td.textContent = String(c);
        tr.append(td);
      }
      return tr;
    }),
  );
}

export const fmt = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
export const thousands = (x) => Math.round(x).toLocaleString('en-US');

/** Seconds as "12.3 s" or "2 min 5 s". */
export function duration(s) {
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const r = Math.round(s);
  return `${Math.floor(r / 60)} min ${r % 60} s`;
}

/**
 * Rows word | bar | value (3 decimals) into a <tbody>: rows are { word, value }. The bar is
 * value × 100% of its cell (`scale: 'unit'`, cosines) or relative to the largest value
 * (`scale: 'max'`, probabilities). Each value cell keeps the exact number in data-value.
 */
export function barRows(tbody, rows, { scale = 'unit' } = {}) {
  const max = scale === 'max' ? Math.max(1e-9, ...rows.map((r) => r.value)) : 1;
  tbody.replaceChildren(
    ...rows.map(({ word, value }) => {
      const tr = document.createElement('tr');
      const w = document.createElement('td');
      w.textContent = word;
      w.title = word;
      const b = document.createElement('td');
      b.className = 'barcell';
      const bar = document.createElement('span');
      bar.className = 'bar';
      const share = scale === 'max' ? Math.max(0.01, value / max) : Math.max(0, Math.min(1, value));
      bar.style.width = `${(100 * share).toFixed(1)}%`;
      b.append(bar);
      const v = document.createElement('td');
      v.textContent = fmt(value, 3);
      v.dataset.value = String(value);
      tr.append(w, b, v);
      return tr;
    }),
  );
}
