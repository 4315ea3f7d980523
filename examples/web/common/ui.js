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
