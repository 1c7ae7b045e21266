/**
 * The report page as text: self-contained (every resource it references is inline), every value
 * escaped, the numbers of the data on the page, and sensible for the edge cases (nothing at all,
 * one sample, a derived timeline, 10,000 tiles). Rendering in a browser: test/e2e/report-browser.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { throughput, timelineSamples } from '../../lib/report/charts.ts';
import type { ReportData, ReportImage, TimelinePoint } from '../../lib/report/data.ts';
import { formatBytes, formatCount, formatDuration } from '../../lib/report/format.ts';
import { renderReport } from '../../lib/report/html.ts';
import { escapeHtml } from '../../lib/report/markup.ts';
import { sharedFolder, tileName } from '../../lib/report/names.ts';
import { buildReportData, emptyReportData, HOSTILE_KEY } from '../fixtures/report-data.ts';

/** Every URL-ish reference a browser could fetch: attributes, CSS url() and @import. */
function resourceReferences(page: string): string[] {
  const refs: string[] = [];
  for (const m of page.matchAll(
    /\b(?:src|href|srcset|poster|action|data|xlink:href)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi,
  )) {
    refs.push((m[1] ?? '').replace(/^["']|["']$/g, ''));
  }
  for (const m of page.matchAll(/url\(\s*(["']?)([^"')]*)\1\s*\)/gi)) refs.push(m[2] ?? '');
  for (const m of page.matchAll(/@import\s+([^;]+)/gi)) refs.push(m[1] ?? '');
  return refs;
}

const count = (page: string, pattern: RegExp) => [...page.matchAll(pattern)].length;

/** assert.match without dumping a 100 KB page into the failure. */
function has(page: string, expected: string | RegExp, what = String(expected)): void {
  const found = typeof expected === 'string' ? page.includes(expected) : expected.test(page);
  assert.ok(found, `the page should contain ${what}`);
}
function hasNot(page: string, unexpected: string | RegExp, what = String(unexpected)): void {
  const found = typeof unexpected === 'string' ? page.includes(unexpected) : unexpected.test(page);
  assert.ok(!found, `the page should not contain ${what}`);
}

/** Tag names the renderer uses: anything else on the page came from data that escaped escaping. */
const KNOWN_TAGS = new Set(
  (
    'html head meta title style body header h1 h2 h3 p time dl div dt dd span nav ul li a main ' +
    'section figure figcaption img svg desc line text path circle details summary table caption ' +
    'thead tbody tr th td code footer'
  ).split(' '),
);

function tagsOf(page: string): Set<string> {
  return new Set([...page.matchAll(/<([a-zA-Z][\w-]*)/g)].map((m) => (m[1] ?? '').toLowerCase()));
}

/** Same text with every string value replaced by markup, to prove each is escaped. */
const INJECTION = '<img src=x onerror=alert(1)><script>alert(2)</script>"\'';

describe('the report page', () => {
  it('references nothing outside itself', async () => {
    const page = renderReport(await buildReportData());
    const refs = resourceReferences(page);
    assert.ok(refs.length > 10, `found only ${refs.length} references: is the scanner broken?`);
    const external = refs.filter((r) => !r.startsWith('data:image/') && !/^#[\w-]+$/.test(r));
    assert.deepEqual(external, []);
    hasNot(page, /https?:\/\//, 'no absolute http(s) URL anywhere');
    hasNot(page, /@import|<link\b|<script\b|<iframe\b|<object\b|<embed\b/i);
    has(
      page,
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline';`,
    );
    has(page, /^<!doctype html>\n<html lang="en">/);
    assert.equal(count(page, /<\/html>/g), 1);
  });

  it('escapes user-controlled keys: <script> in a key is text', async () => {
    const data = await buildReportData();
    const page = renderReport(data);
    assert.ok(data.images.some((i) => i.key === HOSTILE_KEY));
    hasNot(page, HOSTILE_KEY, 'the raw key never appears');
    has(page, escapeHtml(HOSTILE_KEY), 'the escaped key does');
    assert.ok(
      page.includes(
        '&lt;script&gt;alert(&quot;pixelmill&quot;)&lt;/script&gt;&amp;&#39;quote&#39;',
      ),
    );
    assert.deepEqual(
      [...tagsOf(page)].filter((t) => !KNOWN_TAGS.has(t)),
      [],
    );
  });

  it('escapes every string of the data, in text and in attributes', async () => {
    const data = await buildReportData();
    const hostile: ReportData = {
      ...data,
      title: INJECTION,
      target: INJECTION,
      generatedAt: INJECTION,
      images: data.images.map((i) => ({
        ...i,
        key: INJECTION,
        format: INJECTION,
        reason: INJECTION,
      })),
      rejections: data.rejections.map((g) => ({
        ...g,
        reason: INJECTION,
        description: INJECTION,
        examples: [{ key: INJECTION, message: INJECTION }],
      })),
      deadLetters: data.deadLetters.map((d) => ({
        ...d,
        messageId: INJECTION,
        key: INJECTION,
        reason: INJECTION,
        message: INJECTION,
      })),
      slowest: data.slowest.map((s) => ({ ...s, key: INJECTION, format: INJECTION })),
      timeline: data.timeline.map((p, i) => (i === 3 ? { ...p, at: INJECTION } : p)),
    };
    const page = renderReport(hostile);
    hasNot(page, '<img src=x', 'no injected element');
    hasNot(page, '<script', 'no script element at all');
    has(page, escapeHtml(INJECTION));
    assert.deepEqual(
      [...tagsOf(page)].filter((t) => !KNOWN_TAGS.has(t)),
      [],
    );
    // Each attribute value is quoted and closes where the renderer closed it.
    hasNot(page, `title="${INJECTION}`);
  });

  it('puts only inline images and #rrggbb colours on the page, whatever the data says', async () => {
    const data = await buildReportData();
    const [first] = data.images;
    assert.ok(first);
    const bad: ReportImage[] = [
      { ...first, key: 'a', thumbnail: 'https://evil.example/a.png' },
      { ...first, key: 'b', thumbnail: 'javascript:alert(1)' },
      { ...first, key: 'c', thumbnail: 'data:image/svg+xml;base64,PHN2Zz4=' },
      { ...first, key: 'd', dominantColour: 'red;background:url(https://evil.example/)' },
      { ...first, key: 'e', placeholder: 'not base64!', thumbnail: 'data:image/png;base64,@@' },
      { ...first, key: 'f', placeholder: 'AAAA' },
    ];
    const page = renderReport({ ...data, images: bad });
    hasNot(page, 'evil.example');
    hasNot(page, 'javascript:');
    hasNot(page, 'svg+xml');
    assert.equal(count(page, /<img /g), 2, 'only d and f keep their (valid) thumbnails');
    assert.equal(count(page, /class="swatch"/g), 5, 'all but d keep their colour');
    assert.equal(
      count(page, /background-image:url\(data:image\/png;base64,/g),
      4,
      'a–d keep the placeholder; e and f have none',
    );
  });

  it('shows the summary, the counts and the omitted images', async () => {
    const data = await buildReportData();
    const page = renderReport(data);
    const { summary } = data;
    for (const [label, n] of [
      ['Images', summary.total],
      ['Done', summary.done],
      ['Rejected', summary.rejected],
      ['Failed', summary.failed],
      ['Pending', summary.pending],
    ] as const) {
      has(page, `<dt>${label}</dt><dd>${formatCount(n)}</dd>`, `${label}: ${n}`);
    }
    has(page, `<dd>${formatDuration(summary.seconds)}</dd>`);
    has(page, `<dd>${formatCount(summary.imagesPerSecond, 2)}</dd>`);
    assert.ok(data.imagesOmitted > 0);
    has(page, `${formatCount(data.imagesOmitted)} more images not shown`);
    has(page, `${data.images.length} images on this sheet`);
    has(page, /2025-06-01T09:04:10Z<\/time> \(UTC\)/);

    assert.equal(count(page, /<li class="tile"/g), data.images.length);
    const thumbnails = data.images.filter((i) => i.thumbnail).length;
    assert.equal(count(page, /<img src="data:image\/webp;base64,/g), thumbnails);
    assert.equal(count(page, /<img [^>]*alt="Thumbnail of [^"]+"/g), thumbnails);
    assert.equal(
      count(page, /background-image:url\(data:image\/png;base64,/g),
      data.images.filter((i) => i.placeholder).length,
    );
    for (const image of data.images.filter((i) => !i.thumbnail && i.status !== 'DONE')) {
      has(page, `<span class="badge status-${image.status}">${image.status}</span>`);
      if (image.reason) has(page, `<span class="reason">${image.reason}</span>`);
    }

    const rejections = page.slice(page.indexOf('id="rejections-table"'));
    for (const g of data.rejections) {
      assert.match(
        rejections,
        new RegExp(
          `<code>${g.reason}</code></th><td>${g.description}</td><td class="num">${g.count}</td>`,
        ),
      );
    }
    const dlq = page.slice(page.indexOf('id="dead-letters-table"'), page.indexOf('id="slowest"'));
    assert.equal(
      count(dlq, /<tr>/g),
      data.deadLetters.length + 1,
      'one row per dead letter and the header',
    );
    has(dlq, `${data.deadLetters.length} dead letters in the DLQ`);
    for (const d of data.deadLetters) has(dlq, `<code>${d.messageId}</code>`);
    const slowest = page.slice(page.indexOf('id="slowest-table"'));
    assert.equal(count(slowest, /<tr>/g), data.slowest.length + 1);
    has(slowest, formatBytes(data.slowest[1]?.bytes));
  });

  it('draws the queue and throughput charts with labelled axes', async () => {
    const data = await buildReportData();
    const page = renderReport(data);
    assert.match(
      page,
      /<svg class="chart" id="chart-queue"[^>]* role="img" aria-labelledby="chart-queue-title chart-queue-desc"/,
    );
    has(page, /<svg class="chart" id="chart-throughput"/);
    for (const series of ['waiting', 'in-flight', 'dead-letters', 'throughput']) {
      const path = page.match(new RegExp(`data-series="${series}" d="([^"]+)"`));
      assert.ok(path?.[1], `a ${series} path`);
      const vertices = count(path[1], /[ML]/g);
      assert.ok(vertices >= data.timeline.length - 1, `${series}: ${vertices} vertices`);
    }
    has(page, '<h3>Queue depth</h3>');
    has(page, '<h3>Throughput</h3>');
    has(page, '>Time (UTC, HH:MM:SS)</text>');
    has(page, '>Messages</text>');
    has(page, '>Images per minute</text>');
    has(page, '>09:02:30</text>', 'time ticks in UTC');
    has(page, 'Waiting peaked at 6,314 messages at 2025-06-01T09:02:40Z');
    has(page, `The ${data.timeline.length} samples as a table`);
  });

  it('derives throughput per minute from the slope of finished', () => {
    const points: TimelinePoint[] = Array.from({ length: 21 }, (_, i) => ({
      at: new Date(Date.UTC(2025, 0, 1, 0, 0, i * 3)).toISOString(),
      waiting: 0,
      finished: i * 30, // 10 a second
    }));
    const rate = throughput(timelineSamples(points));
    assert.equal(rate.points.length, 20);
    for (const p of rate.points) assert.ok(Math.abs(p.perMinute - 600) < 1e-9, `${p.perMinute}`);
    const stalled = throughput(
      timelineSamples(points.map((p, i) => (i > 10 ? { ...p, finished: 300 } : p))),
    );
    assert.equal(stalled.points.at(-1)?.perMinute, 0);
    assert.deepEqual(throughput(timelineSamples(points.slice(0, 1))).points, []);
  });

  it('is sensible with nothing at all', () => {
    const page = renderReport(emptyReportData());
    for (const text of [
      'No images in this report.',
      'No timeline samples were recorded',
      'No images were rejected.',
      'The dead-letter queue is empty.',
      'No DONE image has a timing.',
    ]) {
      has(page, text, text);
    }
    hasNot(page, '<svg class="chart"');
    hasNot(page, '<table');
    hasNot(page, 'class="bar"', 'no proportions of zero images');
    assert.equal(count(page, /<h2 /g), 5);
    assert.equal(count(page, /<h1>/g), 1);
  });

  it('is sensible with one image and one sample', async () => {
    const data = await buildReportData();
    const [image] = data.images;
    const [sample] = data.timeline;
    assert.ok(image && sample);
    const page = renderReport({ ...data, images: [image], imagesOmitted: 0, timeline: [sample] });
    assert.equal(count(page, /<li class="tile"/g), 1);
    has(page, '1 image on this sheet');
    hasNot(page, 'not shown');
    has(page, 'One sample, at 2025-06-01T09:02:00Z: too short to chart (under 30 s).');
    hasNot(page, '<svg class="chart"', 'one sample is said, not charted');
  });

  it('says a short run in words instead of charting a handful of samples', async () => {
    const data = await buildReportData();
    // The first 10 s of the fixture's run: six samples.
    const timeline = data.timeline.slice(0, 6);
    const page = renderReport({ ...data, timeline });
    hasNot(page, '<svg class="chart"');
    const first = timeline[0];
    const last = timeline.at(-1);
    assert.ok(first && last);
    const finished = last.finished - first.finished;
    has(
      page,
      `6 samples over 10 s, from 2025-06-01T09:02:00Z (UTC): too short to chart (under 30 s).`,
    );
    has(
      page,
      `${formatCount(finished)} images finished in 10 s (${formatCount(finished / 10, 1)} per second)`,
    );
    has(page, 'The 6 samples as a table', 'the numbers are still there');
    // 30 s and more is charted.
    has(renderReport({ ...data, timeline: data.timeline.slice(0, 16) }), 'id="chart-queue"');
  });

  it('names each tile by what distinguishes it: below the shared folder, the end of the name', async () => {
    const data = await buildReportData();
    const tile = (key: string) => ({ ...data.images[0], key, thumbnail: undefined }) as ReportImage;
    const keys = [
      'uploads/photos/n01_kleiber.jpg',
      'uploads/photos/n02_infinite_sea.jpg',
      'uploads/photos/2024/summer/a-very-long-file-name-from-a-camera-IMG_0412.jpg',
    ];
    const page = renderReport({ ...data, images: keys.map(tile), imagesOmitted: 0 });
    const shown = [...page.matchAll(/<span class="key" title="([^"]*)">([^<]*)<\/span>/g)].map(
      (m) => [m[1], m[2]],
    );
    assert.deepEqual(shown, [
      [keys[0], 'n01_kleiber.jpg'],
      [keys[1], 'n02_infinite_sea.jpg'],
      [keys[2], '…-from-a-camera-IMG_0412.jpg'],
    ]);
    has(page, 'its key below <code class="key">uploads/photos/</code>');
    assert.equal(sharedFolder(['uploads/n01.jpg', 'uploads/n02.jpg']), 'uploads/');
    assert.equal(sharedFolder(['a.jpg']), '');
    assert.equal(tileName('uploads/x/😀😀😀😀.jpg', 'uploads/x/', 6), '…😀.jpg');
  });

  it('labels a derived timeline as images, without queue-only series', async () => {
    const data = await buildReportData();
    const timeline = data.timeline.map(({ at, waiting, finished }) => ({ at, waiting, finished }));
    const page = renderReport({ ...data, timeline, timelineSource: 'derived' });
    has(page, 'Reconstructed from upload times and row timestamps');
    has(page, '>Images</text>');
    has(page, 'data-series="waiting"');
    hasNot(page, 'data-series="in-flight"');
    hasNot(page, 'data-series="dead-letters"');
  });

  it('renders a 10,000-image sheet', async () => {
    const data = await buildReportData();
    const done = data.images.find((i) => i.placeholder);
    assert.ok(done);
    const images = Array.from({ length: 10_000 }, (_, n) => ({
      key: `uploads/bulk/${n}.jpg`,
      status: 'DONE' as const,
      placeholder: done.placeholder,
      dominantColour: done.dominantColour,
    }));
    const page = renderReport({ ...data, images, imagesOmitted: 0 });
    assert.equal(count(page, /<li class="tile"/g), 10_000);
    has(page, '10,000 images on this sheet');
    has(page, 'uploads/bulk/9999.jpg');
  });

  it('is accessible without sight or script', async () => {
    const page = renderReport(await buildReportData());
    for (const img of page.matchAll(/<img [^>]*>/g)) assert.match(img[0], /alt="[^"]+"/);
    for (const table of page.matchAll(/<table[\s\S]*?<\/table>/g)) {
      assert.match(table[0], /<caption>|<th scope="col">/);
      assert.match(table[0], /<thead><tr><th scope="col"/);
    }
    for (const svg of page.matchAll(/<svg class="chart"[\s\S]*?<\/svg>/g)) {
      assert.match(svg[0], /<title id="[^"]+">[^<]+<\/title><desc id="[^"]+">[^<]+<\/desc>/);
    }
    has(page, /@media \(prefers-color-scheme: dark\)/);
    assert.ok(renderReport(await buildReportData()) === page, 'deterministic');
  });
});
