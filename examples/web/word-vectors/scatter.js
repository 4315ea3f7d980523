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
          y: {
            range: (u, min, max) => {
              const s = max - min || 1;
              return [min - s * 0.08, max + s * 0.08];
            },
          },
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
              // Labels right of their points; one that would overlap a label already placed moves up or down.
              const placed = [];
              const h = 13 * devicePixelRatio;
              for (const p of current) {
                const cx = u.valToPos(p.x, 'x', true) + 7 * devicePixelRatio;
                const cy = u.valToPos(p.y, 'y', true);
                const text = p.oov ? `${p.word}*` : p.word;
                const w = ctx.measureText(text).width;
                const hits = (y) => placed.some((b) => cx < b.x + b.w && b.x < cx + w && Math.abs(b.y - y) < h);
                let y = cy;
                for (const dy of [0, -1, 1, -2, 2, -3, 3]) {
                  if (!hits(cy + dy * h)) {
                    y = cy + dy * h;
                    break;
                  }
                }
                placed.push({ x: cx, y, w });
                ctx.fillStyle = colors[p.group % colors.length];
                ctx.fillText(text, cx, y);
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
