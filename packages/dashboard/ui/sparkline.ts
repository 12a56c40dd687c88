// A throughput sparkline: an inline SVG polyline of at most 60 points, no chart library.
import { html } from "htm/preact";

const WIDTH = 120;
const HEIGHT = 24;

export function Sparkline(props: { points: number[]; label: string }) {
  const { points } = props;
  const max = Math.max(1, ...points);
  const step = points.length > 1 ? WIDTH / (points.length - 1) : 0;
  const line = points
    .map((v, i) => `${(i * step).toFixed(1)},${(HEIGHT - 1 - (v / max) * (HEIGHT - 2)).toFixed(1)}`)
    .join(" ");
  return html`<svg class="spark" role="img" aria-label=${props.label} width=${WIDTH} height=${HEIGHT}
    viewBox=${`0 0 ${WIDTH} ${HEIGHT}`}>
    <title>${props.label}</title>
    <line x1="0" y1=${HEIGHT - 0.5} x2=${WIDTH} y2=${HEIGHT - 0.5} stroke="#ddd" />
    ${points.length > 1 ? html`<polyline points=${line} fill="none" stroke="#2a6" stroke-width="1.5" />` : null}
  </svg>`;
}
