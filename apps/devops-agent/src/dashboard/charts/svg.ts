import { html, type SafeHtml } from '../html.js';
import type { Series } from './chart-series.js';

const WIDTH = 640;
const HEIGHT = 220;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };
const round = (value: number) => Math.round(value * 100) / 100;

/** A table of the same numbers as the chart, for screen readers and for copying. */
function seriesTable(id: string, series: Series[], unit: string): SafeHtml {
  const xs = [...new Set(series.flatMap((line) => line.points.map((point) => point.x)))].sort();
  return html`<details class="chart-table"><summary>Table</summary><table id="${id}-table">
  <thead><tr><th scope="col">day</th>${series.map((line) => html`<th scope="col">${line.name}${unit ? ` (${unit})` : ''}</th>`)}</tr></thead>
  <tbody>${xs.map((x) => html`<tr><th scope="row">${x}</th>${series.map((line) => html`<td class="number">${line.points.find((point) => point.x === x)?.y ?? '—'}</td>`)}</tr>`)}</tbody>
</table></details>`;
}

/**
 * A line chart as SVG (no script): one polyline per series over the shared x values, each point
 * a circle carrying `data-series`, `data-x` and `data-y` (the exact value) with a `<title>`.
 */
export function lineChart(options: { id: string; title: string; unit: string; series: Series[] }): SafeHtml {
  const { id, title, unit, series } = options;
  const xs = [...new Set(series.flatMap((line) => line.points.map((point) => point.x)))].sort();
  if (xs.length === 0) return html`<figure class="chart" id="${id}"><figcaption>${title}</figcaption><p class="muted">No data yet.</p></figure>`;
  const maxY = Math.max(1, ...series.flatMap((line) => line.points.map((point) => point.y)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const px = (x: string) => round(PAD.left + (xs.length === 1 ? plotW / 2 : (xs.indexOf(x) / (xs.length - 1)) * plotW));
  const py = (y: number) => round(PAD.top + plotH - (y / maxY) * plotH);
  const lines = series.map((line, index) => {
    const points = line.points.map((point) => `${px(point.x)},${py(point.y)}`).join(' ');
    return html`<g class="series series-${index % 8}" data-series="${line.name}"><polyline points="${points}"></polyline>${line.points.map(
      (point) => html`<circle cx="${px(point.x)}" cy="${py(point.y)}" r="3" data-series="${line.name}" data-x="${point.x}" data-y="${point.y}"><title>${line.name} ${point.x}: ${point.y}${unit ? ` ${unit}` : ''}</title></circle>`,
    )}</g>`;
  });
  return html`<figure class="chart" id="${id}"><figcaption id="${id}-title">${title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${id}-title" preserveAspectRatio="xMidYMid meet">
  <line class="axis" x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotH}"></line>
  <line class="axis" x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}"></line>
  <text class="tick" x="${PAD.left - 4}" y="${PAD.top + 4}" text-anchor="end">${round(maxY)}</text>
  <text class="tick" x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end">0</text>
  <text class="tick" x="${PAD.left}" y="${HEIGHT - 8}">${xs[0]}</text>
  <text class="tick" x="${WIDTH - PAD.right}" y="${HEIGHT - 8}" text-anchor="end">${xs[xs.length - 1]}</text>
  ${lines}
</svg>
<ul class="legend">${series.map((line, index) => html`<li class="series-${index % 8}">${line.name}</li>`)}</ul>
${seriesTable(id, series, unit)}</figure>`;
}

/** A horizontal bar chart of rates (0..1) as SVG: each bar a rect with `data-label` and `data-value`. */
export function barChart(options: { id: string; title: string; bars: { label: string; value: number; detail: string }[] }): SafeHtml {
  const { id, title, bars } = options;
  if (bars.length === 0) return html`<figure class="chart" id="${id}"><figcaption>${title}</figcaption><p class="muted">No verified actions yet.</p></figure>`;
  const row = 22;
  const height = bars.length * row + 8;
  const labelW = 260;
  const plotW = WIDTH - labelW - 60;
  return html`<figure class="chart" id="${id}"><figcaption id="${id}-title">${title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${id}-title">
${bars.map(
  (bar, index) => html`<g class="bar"><text class="tick" x="${labelW - 6}" y="${index * row + 16}" text-anchor="end">${bar.label}</text>
  <rect x="${labelW}" y="${index * row + 4}" width="${round(bar.value * plotW)}" height="${row - 8}" data-label="${bar.label}" data-value="${bar.value}"><title>${bar.label}: ${Math.round(bar.value * 100)}% (${bar.detail})</title></rect>
  <text class="tick" x="${labelW + round(bar.value * plotW) + 4}" y="${index * row + 16}">${Math.round(bar.value * 100)}%</text></g>`,
)}
</svg>
<details class="chart-table"><summary>Table</summary><table id="${id}-table"><thead><tr><th scope="col">runbook · action</th><th scope="col">effective</th><th scope="col">detail</th></tr></thead>
<tbody>${bars.map((bar) => html`<tr><th scope="row">${bar.label}</th><td class="number">${Math.round(bar.value * 100)}%</td><td>${bar.detail}</td></tr>`)}</tbody></table></details></figure>`;
}
