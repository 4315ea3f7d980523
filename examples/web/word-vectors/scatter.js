// A labelled scatter plot over uPlot: one series per word group, points only
// (`paths: () => null`), the words written next to their points in a draw hook.
// The element's data-points attribute counts the points drawn (tests read it).
import uPlot from 'uplot';

export function scatterPlot(el, { height = 360 } = {}) {
  let plot;
  let current = [];
  return {
    /** points: [{ word, group, oov, x, y }] */
    draw(points, { colors, xLabel, yLabel }) {
      current = [...points].sort((p, q) => p.x - q.x);
      const groups = Math.max(1, ...current.map((p) => p.group + 1));
      const xs = current.map((p) => p.x);
      const series = Array.from({ length: groups }, (_, g) => current.map((p) => (p.group === g ? p.y : null)));
      const pad = (min, max) => {
        const span = max - min || 1;
        return [min - span * 0.08, max + span * 0.16]; // room on the right for the labels
      };
      const opts = {
        width: Math.max(320, el.clientWidth || 640),
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false }, points: { show: false } },
        scales: {
          x: { time: false, range: (u, min, max) => pad(min, max) },
          y: { range: (u, min, max) => { const s = max - min || 1; return [min - s * 0.08, max + s * 0.08]; } },
        },
        axes: [{ label: xLabel }, { label: yLabel }],
        series: [
          {},
          ...Array.from({ length: groups }, (_, g) => ({
            label: `group ${g + 1}`,
            stroke: colors[g % colors.length],
            fill: colors[g % colors.length],
            paths: () => null,
            points: { show: true, size: 9, width: 1, fill: colors[g % colors.length], stroke: '#fff' },
          })),
        ],
        hooks: {
          draw: [
            (u) => {
              const { ctx } = u;
              ctx.save();
              ctx.font = `${Math.round(12 * devicePixelRatio)}px system-ui, sans-serif`;
              ctx.textBaseline = 'middle';
              ctx.textAlign = 'left';
              for (const p of current) {
                const cx = u.valToPos(p.x, 'x', true);
                const cy = u.valToPos(p.y, 'y', true);
                ctx.fillStyle = colors[p.group % colors.length];
                ctx.fillText(p.oov ? `${p.word}*` : p.word, cx + 7 * devicePixelRatio, cy);
              }
              ctx.restore();
            },
          ],
        },
      };
      plot?.destroy();
      el.replaceChildren();
      plot = new uPlot(opts, [xs, ...series], el);
      el.dataset.points = String(current.length);
    },
  };
}
