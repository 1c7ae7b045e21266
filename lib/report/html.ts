/**
 * `pixelmill report`'s page: ReportData → one self-contained HTML document. Pure (same data, same
 * page). Opens with no network: the CSS is inline, images are data: URLs, there is no script and
 * no web font, and the Content-Security-Policy forbids fetching anything else, so even a bug here
 * cannot make the page phone home. Every value from the data is escaped (see markup.ts);
 * keys are user-controlled.
 */
import { renderTimeline } from './charts.ts';
import type { ReportData, ReportDeadLetter, ReportSummary, SlowImage } from './data.ts';
import { renderDuplicates } from './duplicates-html.ts';
import { formatBytes, formatCount, formatDuration, formatMs, formatUtc } from './format.ts';
import { html, type Markup, raw } from './markup.ts';
import { sharedFolder } from './names.ts';
import { REPORT_CSS } from './style.ts';
import { dimensions, renderTile } from './tile.ts';

/** Nothing but inline styles and data: images; no script at all. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

// ---- header ------------------------------------------------------------------------------------

const STATUS_PARTS = [
  ['done', 'Done'],
  ['rejected', 'Rejected'],
  ['failed', 'Failed'],
  ['pending', 'Pending'],
] as const;

function renderSummary(summary: ReportSummary): Markup {
  const total = Math.max(0, summary.total);
  const cells = [
    html`<div class="total"><dt>Images</dt><dd>${formatCount(total)}</dd></div>`,
    ...STATUS_PARTS.map(
      ([field, label]) =>
        html`<div class="${field}"><dt>${label}</dt><dd>${formatCount(summary[field])}</dd></div>`,
    ),
    summary.seconds !== undefined
      ? html`<div><dt>Wall time</dt><dd>${formatDuration(summary.seconds)}</dd></div>`
      : '',
    summary.imagesPerSecond !== undefined
      ? html`<div><dt>Images per second</dt><dd>${formatCount(summary.imagesPerSecond, 2)}</dd></div>`
      : '',
  ];
  // The bar repeats the numbers above as proportions; screen readers get the numbers.
  const bar =
    total > 0
      ? html`<div class="bar" aria-hidden="true">${STATUS_PARTS.map(([field]) => {
          const share = Math.max(0, summary[field]) / total;
          return share > 0
            ? html`<span class="${field}" style="width:${(share * 100).toFixed(3)}%"></span>`
            : '';
        })}</div>`
      : '';
  return html`<dl class="summary">${cells}</dl>${bar}`;
}

// ---- contact sheet -----------------------------------------------------------------------------

function renderSheet(data: ReportData): Markup {
  const shown = data.images.length;
  const folder = sharedFolder(data.images.map((i) => i.key));
  const omitted = Math.max(0, data.imagesOmitted);
  const intro =
    shown === 0 && omitted === 0
      ? html`<p class="empty">No images in this report.</p>`
      : html`<p>${plural(shown, 'image')} on this sheet, DONE first.${
          data.sampled && omitted > 0
            ? html` <span class="omitted">Showing ${shown.toLocaleString('en-US')} of ${(shown + omitted).toLocaleString('en-US')}</span>: a sample (the first rows a bounded read of the table returned), not every image; the counts above cover them all.`
            : omitted > 0
              ? html` <span class="omitted">${plural(omitted, 'more image')} not shown</span> (over the report's limit; the manifest and <code>pixelmill status</code> have them all).`
              : ''
        } Each tile shows the image's ThumbHash placeholder behind its thumbnail and its dominant colour${
          folder ? html`, and its key below <code class="key">${folder}</code>` : ''
        } (the whole key on hover).</p>`;
  return html`${intro}${
    shown > 0
      ? html`<ul class="sheet">${data.images.map((image) => renderTile(image, folder))}</ul>`
      : ''
  }`;
}

// ---- tables ------------------------------------------------------------------------------------

function renderRejections(data: ReportData): Markup {
  if (data.rejections.length === 0) return html`<p class="empty">No images were rejected.</p>`;
  const groups = [...data.rejections].sort(
    (a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0),
  );
  const total = groups.reduce((n, g) => n + g.count, 0);
  return html`<div class="scroll"><table id="rejections-table"><caption>${plural(total, 'image')} rejected, for ${plural(groups.length, 'reason')}. A rejection is permanent: the same bytes would be rejected again, so they are never retried.</caption><thead><tr><th scope="col">Reason</th><th scope="col">What it means</th><th scope="col" class="num">Images</th><th scope="col">Examples</th></tr></thead><tbody>${groups.map(
    (g) =>
      html`<tr><th scope="row"><code>${g.reason}</code></th><td>${g.description}</td><td class="num">${formatCount(g.count)}</td><td>${
        g.examples.length > 0
          ? html`<ul class="examples">${g.examples.map(
              (e) => html`<li><code class="key">${e.key}</code>: ${e.message}</li>`,
            )}</ul>`
          : html`<span class="muted">–</span>`
      }</td></tr>`,
  )}</tbody></table></div>`;
}

function renderDeadLetter(letter: ReportDeadLetter): Markup {
  return html`<tr><td><code>${letter.messageId}</code></td><td>${
    letter.key
      ? html`<code class="key">${letter.key}</code>`
      : html`<span class="muted">(not an image message)</span>`
  }</td><td><code>${letter.reason}</code></td><td>${letter.message ?? ''}</td><td class="num">${formatCount(letter.attempts)}</td><td class="num" title="${formatCount(letter.ageSeconds)} s">${formatDuration(letter.ageSeconds)}</td></tr>`;
}

function renderDeadLetters(data: ReportData): Markup {
  if (data.deadLetters.length === 0) {
    return html`<p class="empty">The dead-letter queue is empty.</p>`;
  }
  return html`<p>Messages whose retries were spent. Find the cause, then <code>pixelmill redrive --reason CODE --dry-run</code>.</p><div class="scroll"><table id="dead-letters-table"><caption>${plural(data.deadLetters.length, 'dead letter')} in the DLQ.</caption><thead><tr><th scope="col">Message ID</th><th scope="col">Image key</th><th scope="col">Reason</th><th scope="col">Last error</th><th scope="col" class="num">Attempts</th><th scope="col" class="num">Age</th></tr></thead><tbody>${data.deadLetters.map(renderDeadLetter)}</tbody></table></div>`;
}

function renderSlow(image: SlowImage, rank: number): Markup {
  return html`<tr><td class="num">${rank + 1}</td><td><code class="key">${image.key}</code></td><td class="num">${formatMs(image.ms)}</td><td class="num">${dimensions(image.width, image.height) ?? '–'}</td><td>${image.format ?? '–'}</td><td class="num">${formatBytes(image.bytes)}</td></tr>`;
}

function renderSlowest(data: ReportData): Markup {
  if (data.slowest.length === 0) return html`<p class="empty">No DONE image has a timing.</p>`;
  return html`<div class="scroll"><table id="slowest-table"><caption>The ${plural(data.slowest.length, 'slowest DONE image')}, slowest first, by processing time.</caption><thead><tr><th scope="col" class="num">#</th><th scope="col">Image key</th><th scope="col" class="num">Time</th><th scope="col" class="num">Dimensions (px)</th><th scope="col">Format</th><th scope="col" class="num">Size</th></tr></thead><tbody>${data.slowest.map(renderSlow)}</tbody></table></div>`;
}

// ---- the page ----------------------------------------------------------------------------------

/** The report as one self-contained HTML document. */
export function renderReport(data: ReportData): string {
  const sections = [
    ['images', 'Contact sheet', renderSheet(data)],
    ['timeline', 'Queue and throughput', renderTimeline(data.timeline, data.timelineSource)],
    ['rejections', 'Rejections', renderRejections(data)],
    ['dead-letters', 'Dead-letter queue', renderDeadLetters(data)],
    ['slowest', 'Slowest images', renderSlowest(data)],
    ...(data.duplicates
      ? ([['duplicates', 'Duplicates', renderDuplicates(data.duplicates)]] as const)
      : []),
  ] as const;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${raw(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="pixelmill report">
<title>${data.title} · pixelmill report</title>
<style>${raw(REPORT_CSS)}</style>
</head>
<body>
<header>
<h1>${data.title}</h1>
<p class="meta">${data.target} · generated <time datetime="${formatUtc(data.generatedAt)}">${formatUtc(data.generatedAt)}</time> (UTC)</p>
${renderSummary(data.summary)}
<nav aria-label="Sections"><ul>${sections.map(([id, title]) => html`<li><a href="#${id}">${title}</a></li>`)}</ul></nav>
</header>
<main>
${sections.map(([id, title, body]) => html`<section id="${id}" aria-labelledby="${id}-heading"><h2 id="${id}-heading">${title}</h2>${body}</section>\n`)}</main>
<footer>pixelmill report · one self-contained file: it loads nothing from the network. Times are UTC.</footer>
</body>
</html>
`;
  return page.value;
}
