// A live line plot over uPlot: push points as training reports them.
// The element's data-points attribute counts the points (tests read it).
import uPlot from 'uplot';

/**
 * @param {HTMLElement} el  where the plot goes
 * @param {{ title?: string, x?: string, series: { label: string, color: string, axis?: 'left' | 'right', range?: unknown, options?: object }[],
 *           width?: number, height?: number }} options
 */
export function livePlot(el, { title, x = 'step', series, width, height = 220 }) {
  const data = [[], ...series.map(() => [])];
  const rightScale = series.some((s) => s.axis === 'right');
  const opts = {
    title,
    width: width ?? Math.max(320, el.clientWidth || 560),
    height,
    scales: {
      x: { time: false },
      ...Object.fromEntries(
        series.filter((s) => s.range).map((s) => [s.axis === 'right' ? 'r' : 'y', { range: s.range }]),
      ),
    },
    series: [
      { label: x },
      ...series.map((s) => ({
        label: s.label,
        stroke: s.color,
        width: 2,
        scale: s.axis === 'right' ? 'r' : 'y',
        ...(s.options ?? {}),
      })),
    ],
    axes: [
      { label: x },
      {
        scale: 'y',
        label: series
          .filter((s) => s.axis !== 'right')
          .map((s) => s.label)
          .join(', '),
      },
      ...(rightScale
        ? [
            {
              scale: 'r',
              side: 1,
              grid: { show: false },
              label: series
                .filter((s) => s.axis === 'right')
                .map((s) => s.label)
                .join(', '),
            },
          ]
        : []),
    ],
  };
  el.replaceChildren();
  const plot = new uPlot(opts, data, el);
  el.dataset.points = '0';
  let pending = false;
  const redraw = () => {
    pending = false;
    plot.setData(data);
  };
  return {
    /** Append one point: x, then one y per series (null for a gap). */
    push(xv, ...ys) {
      data[0].push(xv);
      for (let i = 0; i < series.length; i++) data[i + 1].push(ys[i] ?? null);
      el.dataset.points = String(data[0].length);
      if (!pending) {
        pending = true;
        requestAnimationFrame(redraw);
      }
    },
    clear() {
      for (const d of data) d.length = 0;
      el.dataset.points = '0';
      plot.setData(data);
    },
    get length() {
      return data[0].length;
    },
  };
}
