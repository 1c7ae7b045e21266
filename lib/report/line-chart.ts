/**
 * A line chart as inline SVG (no script, no external resource): a UTC time axis, a value axis
 * from 0 to a round maximum, a line (or filled area) per series, and the chart's summary as its
 * accessible description.
 */
import { formatCount } from './format.ts';
import { html, type Markup } from './markup.ts';

const WIDTH = 720;
const HEIGHT = 260;
const MARGIN = { left: 64, right: 20, top: 14, bottom: 54 } as const;
const PLOT_W = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_H = HEIGHT - MARGIN.top - MARGIN.bottom;

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  ...[1, 2, 5, 10, 15, 30].map((n) => n * SECOND),
  ...[1, 2, 5, 10, 15, 30].map((n) => n * MINUTE),
  ...[1, 2, 3, 6, 12].map((n) => n * HOUR),
  ...[1, 2, 7, 14, 28].map((n) => n * DAY),
];

export interface TimeAxis {
  readonly from: number;
  readonly to: number;
  readonly ticks: readonly number[];
  /** `HH:MM:SS`, `HH:MM` or `YYYY-MM-DD`, chosen by the tick spacing. */
  readonly format: 'HH:MM:SS' | 'HH:MM' | 'YYYY-MM-DD';
}

export function timeAxis(first: number, last: number): TimeAxis {
  // One sample: a minute around it, so the point sits in the middle of a real axis.
  const [from, to] = last > first ? [first, last] : [first - 30 * SECOND, first + 30 * SECOND];
  const span = to - from;
  const step = TIME_STEPS.find((s) => span / s <= 6) ?? Math.ceil(span / 6 / (28 * DAY)) * 28 * DAY;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  const format = step < MINUTE ? 'HH:MM:SS' : step < DAY ? 'HH:MM' : 'YYYY-MM-DD';
  return { from, to, ticks, format };
}

function timeLabel(t: number, format: TimeAxis['format']): string {
  const iso = new Date(t).toISOString();
  if (format === 'HH:MM:SS') return iso.slice(11, 19);
  if (format === 'HH:MM') return iso.slice(11, 16);
  return iso.slice(0, 10);
}

/** 0 … a round maximum, in about five steps (whole steps when the values are counts). */
function valueTicks(max: number, whole: boolean): number[] {
  const top = max > 0 ? max : 1;
  const rough = top / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const norm = rough / magnitude;
  let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * magnitude;
  if (whole) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let v = 0; v < top + step / 2; v += step) ticks.push(v);
  if ((ticks.at(-1) ?? 0) < top) ticks.push((ticks.at(-1) ?? 0) + step);
  return ticks;
}

export interface ChartSeries {
  /** Legend text. */
  readonly name: string;
  /** CSS class suffix: `series-<id>` strokes the line, `area-<id>` fills the area. */
  readonly id: string;
  readonly points: readonly (readonly [t: number, value: number | undefined])[];
  readonly area?: boolean;
}

interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly summary: string;
  readonly axis: TimeAxis;
  readonly yLabel: string;
  readonly whole: boolean;
  readonly series: readonly ChartSeries[];
}

const fixed = (n: number) => (Math.round(n * 10) / 10).toString();

export function lineChart(spec: ChartSpec): Markup {
  const { axis } = spec;
  const values = spec.series.flatMap((s) => s.points.map(([, v]) => v ?? 0));
  const yTicks = valueTicks(Math.max(0, ...values), spec.whole);
  const yMax = yTicks.at(-1) ?? 1;
  const x = (t: number) => MARGIN.left + ((t - axis.from) / (axis.to - axis.from)) * PLOT_W;
  const y = (v: number) => MARGIN.top + PLOT_H - (v / yMax) * PLOT_H;
  const baseY = fixed(y(0));

  const drawn = spec.series.map((s) => {
    // Runs of defined values: a missing value breaks the line instead of dropping to zero.
    const runs: [number, number][][] = [[]];
    for (const [t, v] of s.points) {
      if (v === undefined || !Number.isFinite(v)) runs.push([]);
      else runs.at(-1)?.push([x(t), y(v)]);
    }
    const lines = runs.filter((r) => r.length > 0);
    const d = lines
      .map((r) => r.map(([px, py], i) => `${i ? 'L' : 'M'}${fixed(px)} ${fixed(py)}`).join(''))
      .join('');
    const area = s.area
      ? lines
          .filter((r) => r.length > 1)
          .map((r) => {
            const top = r.map(([px, py]) => `L${fixed(px)} ${fixed(py)}`).join('');
            const [x0] = r[0] ?? [0];
            const [xn] = r.at(-1) ?? [0];
            return `M${fixed(x0)} ${baseY}${top}L${fixed(xn)} ${baseY}Z`;
          })
          .join('')
      : '';
    // An isolated value (one sample, or one between gaps) is a dot: a path of one point is invisible.
    const dots = lines.filter((r) => r.length === 1).map((r) => r[0] as [number, number]);
    return html`${area ? html`<path class="area area-${s.id}" d="${area}"/>` : ''}${
      d ? html`<path class="series series-${s.id}" data-series="${s.id}" d="${d}"/>` : ''
    }${dots.map(
      ([px, py]) =>
        html`<circle class="dot series-${s.id}" cx="${fixed(px)}" cy="${fixed(py)}" r="3.5"/>`,
    )}`;
  });

  const xTicks = axis.ticks.map((t) => {
    const px = fixed(x(t));
    return html`<line class="grid" x1="${px}" x2="${px}" y1="${MARGIN.top}" y2="${baseY}"/><text class="tick" x="${px}" y="${MARGIN.top + PLOT_H + 18}" text-anchor="middle">${timeLabel(t, axis.format)}</text>`;
  });
  const yTickMarks = yTicks.map((v) => {
    const py = fixed(y(v));
    return html`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${py}" y2="${py}"/><text class="tick" x="${MARGIN.left - 8}" y="${py}" dy="0.32em" text-anchor="end">${formatCount(v, spec.whole ? 0 : 1)}</text>`;
  });
  const titleId = `${spec.id}-title`;
  const descId = `${spec.id}-desc`;
  return html`<svg class="chart" id="${spec.id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-labelledby="${titleId} ${descId}" preserveAspectRatio="xMidYMid meet"><title id="${titleId}">${spec.title}</title><desc id="${descId}">${spec.summary}</desc>${xTicks}${yTickMarks}<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + PLOT_W}" y1="${baseY}" y2="${baseY}"/><line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${baseY}"/>${drawn}<text class="axis-label" x="${MARGIN.left + PLOT_W / 2}" y="${HEIGHT - 8}" text-anchor="middle">Time (UTC, ${axis.format})</text><text class="axis-label" transform="translate(16 ${MARGIN.top + PLOT_H / 2}) rotate(-90)" text-anchor="middle">${spec.yLabel}</text></svg>`;
}

export function legend(series: readonly ChartSeries[]): Markup {
  return html`<ul class="legend">${series.map(
    (s) =>
      html`<li><svg class="legend-key" width="28" height="10" viewBox="0 0 28 10" aria-hidden="true"><line class="series series-${s.id}" x1="1" x2="27" y1="5" y2="5"/></svg>${s.name}</li>`,
  )}</ul>`;
}
