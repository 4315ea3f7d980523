// A heat map of log₁₀ gradient norms: one row per block (block 1 at the bottom), one column per step,
// drawn into a canvas of rows × steps pixels that CSS stretches (pixelated). The colour scale spans the
// smallest and largest finite log-norm seen so far; #legend-lo / #legend-hi show its ends.

/** Stops of a viridis-like colour map, low to high. */
const STOPS = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour of t in [0, 1]. */
function colour(t) {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  return STOPS[i].map((c, k) => Math.round(c + f * (STOPS[i + 1][k] - c)));
}

/** Paint the colour scale into a canvas (left = low). */
export function paintLegend(canvas) {
  const ctx = canvas.getContext('2d');
  for (let x = 0; x < canvas.width; x++) {
    const [r, g, b] = colour(x / (canvas.width - 1));
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(x, 0, 1, canvas.height);
  }
}

export class Heatmap {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.rows = 0;
    this.cols = 0;
    this.columns = [];
    this.pending = false;
  }

  /** Start a new map of `rows` blocks over (at most) `cols` steps. */
  reset(rows, cols) {
    this.rows = rows;
    this.cols = Math.max(1, cols);
    this.columns = [];
    this.canvas.width = this.cols;
    this.canvas.height = rows;
    this.canvas.dataset.columns = '0';
    this.ctx.clearRect(0, 0, this.cols, rows);
  }

  /** Add the norms of one step (block 1 first). */
  push(norms) {
    this.columns.push(norms.map((v) => (v > 0 && Number.isFinite(v) ? Math.log10(v) : NaN)));
    this.canvas.dataset.columns = String(this.columns.length);
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => this.draw());
    }
  }

  draw() {
    this.pending = false;
    let lo = Infinity,
      hi = -Infinity;
    for (const c of this.columns)
      for (const v of c) {
        if (Number.isFinite(v)) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    if (!Number.isFinite(lo)) return;
    if (hi - lo < 1e-6) hi = lo + 1;
    const img = this.ctx.createImageData(this.cols, this.rows);
    this.columns.forEach((c, x) => {
      c.forEach((v, block) => {
        const y = this.rows - 1 - block;
        const o = 4 * (y * this.cols + x);
        const [r, g, b] = Number.isFinite(v) ? colour((v - lo) / (hi - lo)) : [255, 255, 255];
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = b;
        img.data[o + 3] = 255;
      });
    });
    this.ctx.putImageData(img, 0, 0);
    document.getElementById('legend-lo').textContent = lo.toFixed(1);
    document.getElementById('legend-hi').textContent = hi.toFixed(1);
  }
}
