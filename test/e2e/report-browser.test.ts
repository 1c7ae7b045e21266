/**
 * The report page as a reader sees it: loaded from a file:// URL in headless Chromium with every
 * other request refused, it must ask for nothing over the network, decode every thumbnail and
 * placeholder, draw both charts, show its tables, and log no error. A full-page screenshot is
 * kept as a test artifact (test-artifacts/report.png) for people to look at.
 *
 * Needs Debian's Chromium at /usr/bin/chromium (.ci/run installs it); skips with a message if it
 * is missing. One browser launch for the whole file.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import type { ReportData } from '../../lib/report/data.ts';
import { renderReport } from '../../lib/report/html.ts';
import { buildReportData, HOSTILE_KEY } from '../fixtures/report-data.ts';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTIFACTS = join(ROOT, 'test-artifacts');
const VIEWPORT = { width: 1280, height: 900 };

const skip = existsSync(CHROMIUM)
  ? false
  : `Chromium not installed: apt-get install chromium (Debian; .ci/run does it when root) to render the report page at ${CHROMIUM}`;

interface Probe {
  readonly scripts: number;
  readonly tiles: { readonly key: string; readonly width: number; readonly height: number }[];
  readonly thumbnails: {
    readonly alt: string;
    readonly complete: boolean;
    readonly naturalWidth: number;
    readonly visible: boolean;
  }[];
  readonly placeholders: { readonly url: string; readonly naturalWidth: number }[];
  readonly charts: Record<
    string,
    { readonly width: number; readonly height: number; readonly paths: Record<string, number> }
  >;
  readonly rejectionRows: number;
  readonly deadLetterRows: number;
  readonly slowestRows: number;
  readonly background: string;
}

/**
 * Runs in the page (a string: the project's types have no DOM). Decodes every image first, so
 * "complete" means decoded, not merely requested.
 */
const PROBE = `(async () => {
  const imgs = [...document.querySelectorAll('.sheet img')];
  await Promise.all(imgs.map((img) => img.decode().catch(() => undefined)));
  const placeholders = await Promise.all(
    [...document.querySelectorAll('.frame.has-placeholder')].map(async (frame) => {
      const url = (getComputedStyle(frame).backgroundImage.match(/^url\\("?(.*?)"?\\)$/) || [])[1] || '';
      const img = new Image();
      img.src = url;
      await img.decode().catch(() => undefined);
      return { url: url.slice(0, 22), naturalWidth: img.naturalWidth };
    }),
  );
  const box = (el) => { const r = el.getBoundingClientRect(); return { width: r.width, height: r.height }; };
  const charts = {};
  for (const svg of document.querySelectorAll('svg.chart')) {
    const paths = {};
    for (const p of svg.querySelectorAll('path[data-series]')) paths[p.dataset.series] = p.getTotalLength();
    charts[svg.id] = { ...box(svg), paths };
  }
  return {
    scripts: document.scripts.length,
    tiles: [...document.querySelectorAll('li.tile')].map((li) => ({
      key: li.querySelector('.key').title, ...box(li),
    })),
    thumbnails: imgs.map((img) => ({
      alt: img.alt, complete: img.complete, naturalWidth: img.naturalWidth,
      visible: img.checkVisibility() && img.getBoundingClientRect().width > 0,
    })),
    placeholders,
    charts,
    rejectionRows: document.querySelectorAll('#rejections-table tbody tr').length,
    deadLetterRows: document.querySelectorAll('#dead-letters-table tbody tr').length,
    slowestRows: document.querySelectorAll('#slowest-table tbody tr').length,
    background: getComputedStyle(document.documentElement).backgroundColor,
  };
})()`;

describe('the report page in headless Chromium', { skip }, () => {
  let browser: Browser;
  let page: Page;
  let data: ReportData;
  let url: string;
  let probe: Probe;
  let dir: string | undefined;
  /** Every request the page made, as seen by the browser context (before routing). */
  const requests: string[] = [];
  const refused: string[] = [];
  const errors: string[] = [];

  before(async () => {
    data = await buildReportData();
    dir = await mkdtemp(join(tmpdir(), 'pixelmill-report-'));
    const file = join(dir, 'report.html');
    await writeFile(file, renderReport(data));
    url = pathToFileURL(file).href;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    const context = await browser.newContext({
      viewport: VIEWPORT,
      colorScheme: 'light',
      serviceWorkers: 'block',
    });
    context.on('request', (request) => requests.push(request.url()));
    await context.route('**/*', (route) => {
      const target = route.request().url();
      if (target === url) return route.continue();
      refused.push(target);
      return route.abort('blockedbyclient');
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        errors.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      errors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(url, { waitUntil: 'load' });
    probe = await page.evaluate<Probe>(PROBE);
  });

  after(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('asks for nothing but the file itself', () => {
    assert.ok(requests.includes(url), `the request listener saw the page (${requests.join(', ')})`);
    const external = requests.filter((r) => r !== url && !r.startsWith('data:'));
    assert.deepEqual(external, [], 'requests other than the page and inline data');
    assert.deepEqual(refused, [], 'requests the route had to refuse');
  });

  it('shows every tile, with its thumbnail decoded and its placeholder drawable', () => {
    assert.equal(probe.tiles.length, data.images.length);
    for (const tile of probe.tiles) {
      assert.ok(tile.width > 100 && tile.height > 100, `${tile.key}: ${tile.width}×${tile.height}`);
    }
    assert.ok(
      probe.tiles.some((t) => t.key === HOSTILE_KEY),
      'the hostile key is a tile title, as text (its end is the tile name)',
    );
    assert.equal(probe.scripts, 0, 'no script element, injected or otherwise');

    const withThumbnail = data.images.filter((i) => i.thumbnail);
    assert.equal(probe.thumbnails.length, withThumbnail.length);
    for (const [n, img] of probe.thumbnails.entries()) {
      assert.equal(img.alt, `Thumbnail of ${withThumbnail[n]?.key}`);
      assert.ok(img.complete && img.naturalWidth > 0, `${img.alt} decoded`);
      assert.ok(img.visible, `${img.alt} visible`);
    }
    assert.equal(probe.placeholders.length, data.images.filter((i) => i.placeholder).length);
    for (const p of probe.placeholders) {
      assert.equal(p.url, 'data:image/png;base64,');
      assert.ok(p.naturalWidth > 0 && p.naturalWidth <= 32, `placeholder ${p.naturalWidth} px`);
    }
  });

  it('draws both charts with their data paths', () => {
    const queue = probe.charts['chart-queue'];
    const rate = probe.charts['chart-throughput'];
    assert.ok(queue && rate, `charts: ${Object.keys(probe.charts).join(', ')}`);
    for (const chart of [queue, rate]) assert.ok(chart.width > 300 && chart.height > 100);
    for (const series of ['waiting', 'in-flight', 'dead-letters']) {
      assert.ok((queue.paths[series] ?? 0) > 100, `${series} path length ${queue.paths[series]}`);
    }
    assert.ok((rate.paths.throughput ?? 0) > 100, `throughput path ${rate.paths.throughput}`);
  });

  it('lists the rejections, the dead letters and the slowest images', () => {
    assert.equal(probe.rejectionRows, data.rejections.length);
    assert.equal(probe.deadLetterRows, data.deadLetters.length);
    assert.equal(probe.slowestRows, data.slowest.length);
  });

  it('logs no error and opens no dialog', () => {
    assert.deepEqual(errors, []);
  });

  it('saves a full-page screenshot, in light and in dark', async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const shots = {
      light: join(ARTIFACTS, 'report.png'),
      dark: join(ARTIFACTS, 'report-dark.png'),
    } as const;
    await page.screenshot({ path: shots.light, fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await page.evaluate<string>(
      'getComputedStyle(document.documentElement).backgroundColor',
    );
    assert.notEqual(dark, probe.background, 'prefers-color-scheme: dark changes the page');
    await page.screenshot({ path: shots.dark, fullPage: true });

    for (const shot of Object.values(shots)) {
      const image = sharp(shot);
      const { format, width, height } = await image.metadata();
      assert.equal(format, 'png');
      assert.equal(width, VIEWPORT.width);
      assert.ok((height ?? 0) > 2 * VIEWPORT.height, `full page, ${height} px tall`);
      const { channels } = await image.stats();
      assert.ok(
        channels.slice(0, 3).every((c) => c.stdev > 10 && c.max - c.min > 100),
        `${shot} is not one colour: ${channels.map((c) => c.stdev.toFixed(1)).join(', ')}`,
      );
    }
    assert.deepEqual(errors, []);
  });
});
