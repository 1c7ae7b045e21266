/**
 * The report's charts as inline SVG (no script, no external resource): queue depth over time
 * (waiting, in flight, dead letters) and throughput (images finished per minute, the slope of
 * `finished`). Both share the time axis, labelled in UTC; each has a text summary and the samples
 * as a table, so the numbers are there without sight of the chart.
 */
import type { ReportData, TimelinePoint } from './data.ts';
import { formatCount, formatDuration, formatUtc } from './format.ts';
import { type ChartSeries, legend, lineChart, MINUTE, SECOND, timeAxis } from './line-chart.ts';
import { html, type Markup } from './markup.ts';

export interface Sample {
  /** Epoch milliseconds. */
  readonly t: number;
  readonly point: TimelinePoint;
}

/** The points with a parseable time, in time order (the contract says oldest first; be sure). */
export function timelineSamples(timeline: readonly TimelinePoint[]): Sample[] {
  return timeline
    .map((point) => ({ t: Date.parse(point.at), point }))
    .filter((s) => Number.isFinite(s.t))
    .sort((a, b) => a.t - b.t);
}

export interface Throughput {
  /** Images finished per minute, at each sample after the first. */
  readonly points: readonly { readonly t: number; readonly perMinute: number }[];
  /** The width of the sliding window the slope is taken over. */
  readonly windowMs: number;
}

/**
 * Throughput as the slope of `finished`, over a sliding window of a twentieth of the timeline (at
 * least one sample interval), so completions that arrive in batches do not read as spikes. A
 * falling `finished` (it should never fall) reads as 0, not as negative work.
 */
export function throughput(samples: readonly Sample[]): Throughput {
  const first = samples[0];
  const last = samples.at(-1);
  if (!first || !last || samples.length < 2) return { points: [], windowMs: 0 };
  const windowMs = (last.t - first.t) / 20;
  const points: { t: number; perMinute: number }[] = [];
  let j = 0;
  for (let i = 1; i < samples.length; i++) {
    const end = samples[i] as Sample;
    while (j + 1 < i && end.t - (samples[j + 1] as Sample).t >= windowMs) j++;
    const start = samples[Math.min(j, i - 1)] as Sample;
    const minutes = (end.t - start.t) / 60_000;
    if (minutes <= 0) continue;
    const perMinute = Math.max(0, (end.point.finished - start.point.finished) / minutes);
    points.push({ t: end.t, perMinute });
  }
  return { points, windowMs };
}

// ---- the section ---------------------------------------------------------------------------------

function peak(samples: readonly Sample[], value: (p: TimelinePoint) => number | undefined) {
  let best: { t: number; v: number } | undefined;
  for (const s of samples) {
    const v = value(s.point);
    if (v !== undefined && Number.isFinite(v) && (!best || v > best.v)) best = { t: s.t, v };
  }
  return best;
}

function samplesTable(samples: readonly Sample[], unit: string): Markup {
  const measured = samples.some(
    (s) => s.point.inFlight !== undefined || s.point.deadLetters !== undefined,
  );
  return html`<details class="samples"><summary>The ${formatCount(samples.length)} samples as a table</summary><div class="scroll"><table><thead><tr><th scope="col">Time (UTC)</th><th scope="col" class="num">Waiting (${unit})</th>${
    measured
      ? html`<th scope="col" class="num">In flight</th><th scope="col" class="num">Dead letters</th>`
      : ''
  }<th scope="col" class="num">Finished (images)</th></tr></thead><tbody>${samples.map(
    (s) =>
      html`<tr><td>${formatUtc(s.t)}</td><td class="num">${formatCount(s.point.waiting)}</td>${
        measured
          ? html`<td class="num">${formatCount(s.point.inFlight)}</td><td class="num">${formatCount(s.point.deadLetters)}</td>`
          : ''
      }<td class="num">${formatCount(s.point.finished)}</td></tr>`,
  )}</tbody></table></div></details>`;
}

/**
 * Timelines shorter than this are not charted: a run of a few seconds gives a handful of samples
 * (one a second at most), a queue chart of a spike and a throughput chart of two or three slopes
 * that read as trends they are not. Such a run is said in a sentence, with its samples as a table.
 */
export const MIN_CHART_SECONDS = 30;

/** A short timeline in words: how long, how many finished at what rate, the queue's peaks. */
function shortTimeline(samples: readonly Sample[], unit: string, origin: string): Markup {
  const first = samples[0] as Sample;
  const last = samples.at(-1) as Sample;
  const seconds = (last.t - first.t) / SECOND;
  const finished = last.point.finished - first.point.finished;
  const waiting = peak(samples, (p) => p.waiting);
  const flight = peak(samples, (p) => p.inFlight);
  const facts = [
    seconds > 0
      ? `${formatCount(finished)} images finished in ${formatDuration(seconds)} (${formatCount(finished / seconds, 1)} per second)`
      : `${formatCount(last.point.finished)} images finished`,
    waiting && `at most ${formatCount(waiting.v)} ${unit} waiting`,
    flight && `${formatCount(flight.v)} in flight`,
    last.point.deadLetters !== undefined &&
      `${formatCount(last.point.deadLetters)} dead letters at the end`,
  ].filter(Boolean);
  const span =
    samples.length === 1
      ? `One sample, at ${formatUtc(first.t)}`
      : `${formatCount(samples.length)} samples over ${formatDuration(seconds)}, from ${formatUtc(first.t)} (UTC)`;
  return html`<p class="origin">${origin}</p><p class="short-run">${span}: too short to chart (under ${MIN_CHART_SECONDS} s). ${facts.join('; ')}.</p>${samplesTable(samples, unit)}`;
}

/** The "Queue and throughput" section's body: both charts, their summaries and the samples. */
export function renderTimeline(
  timeline: ReportData['timeline'],
  source: ReportData['timelineSource'],
): Markup {
  const samples = timelineSamples(timeline);
  const first = samples[0];
  const last = samples.at(-1);
  const origin =
    source === 'measured'
      ? 'Sampled from the queues while the run went on: waiting and in-flight are SQS messages.'
      : source === 'counted'
        ? "From the metadata table's per-minute counts (the last 7 days at most): waiting is images a worker has taken and not yet finished (not SQS messages)."
        : 'Reconstructed from upload times and row timestamps: waiting is images uploaded and not yet finished (not SQS messages).';
  if (!first || !last) {
    return html`<p class="origin">${origin}</p><p class="empty">No timeline samples were recorded, so there is nothing to chart.</p>`;
  }
  const unit = source === 'measured' ? 'messages' : 'images';
  if (last.t - first.t < MIN_CHART_SECONDS * SECOND) return shortTimeline(samples, unit, origin);
  const axis = timeAxis(first.t, last.t);
  const queueSeries: ChartSeries[] = [
    {
      name: `Waiting (${unit})`,
      id: 'waiting',
      points: samples.map((s) => [s.t, s.point.waiting]),
      area: true,
    },
  ];
  if (samples.some((s) => s.point.inFlight !== undefined)) {
    queueSeries.push({
      name: 'In flight (messages)',
      id: 'in-flight',
      points: samples.map((s) => [s.t, s.point.inFlight]),
    });
  }
  if (samples.some((s) => s.point.deadLetters !== undefined)) {
    queueSeries.push({
      name: 'Dead letters (messages)',
      id: 'dead-letters',
      points: samples.map((s) => [s.t, s.point.deadLetters]),
    });
  }
  const waitingPeak = peak(samples, (p) => p.waiting);
  const flightPeak = peak(samples, (p) => p.inFlight);
  const queueSummary = [
    waitingPeak &&
      `Waiting peaked at ${formatCount(waitingPeak.v)} ${unit} at ${formatUtc(waitingPeak.t)}`,
    flightPeak && `in flight at ${formatCount(flightPeak.v)}`,
    last.point.deadLetters !== undefined &&
      `${formatCount(last.point.deadLetters)} dead letters at the last sample`,
  ]
    .filter(Boolean)
    .join('; ');

  const rate = throughput(samples);
  const finished = last.point.finished - first.point.finished;
  const minutes = (last.t - first.t) / MINUTE;
  const ratePeak = rate.points.reduce((m, p) => Math.max(m, p.perMinute), 0);
  const throughputSummary =
    rate.points.length === 0
      ? ''
      : `${formatCount(finished)} images finished between the first and the last sample: ${formatCount(minutes > 0 ? finished / minutes : 0, 1)} per minute on average, at most ${formatCount(ratePeak, 1)} per minute (each point is the slope over the ${formatDuration(rate.windowMs / 1000)} before it)`;

  const span =
    samples.length === 1
      ? html`One sample, at ${formatUtc(first.t)}.`
      : html`${formatCount(samples.length)} samples from ${formatUtc(first.t)} to ${formatUtc(last.t)} (UTC), ${formatDuration((last.t - first.t) / 1000)}.`;

  const throughputFigure =
    rate.points.length === 0
      ? html`<p class="empty">Throughput is the slope of the finished count and needs samples at two different times.</p>`
      : html`<h3>Throughput</h3><figure class="chart-figure">${lineChart({
          id: 'chart-throughput',
          title: 'Throughput: images finished per minute',
          summary: throughputSummary,
          axis,
          yLabel: 'Images per minute',
          whole: false,
          series: [
            {
              name: 'Images finished per minute',
              id: 'throughput',
              points: rate.points.map((p) => [p.t, p.perMinute]),
              area: true,
            },
          ],
        })}<figcaption>${throughputSummary}.</figcaption></figure>`;

  return html`<p class="origin">${origin} ${span}</p><h3>Queue depth</h3><figure class="chart-figure">${lineChart(
    {
      id: 'chart-queue',
      title: `Queue depth over time (${unit})`,
      summary: queueSummary,
      axis,
      yLabel: source === 'measured' ? 'Messages' : 'Images',
      whole: true,
      series: queueSeries,
    },
  )}${legend(queueSeries)}<figcaption>${queueSummary}.</figcaption></figure>${throughputFigure}${samplesTable(samples, unit)}`;
}
