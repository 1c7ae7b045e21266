/**
 * What `pixelmill report` gathers, from a real pipeline: outcomes from the table, thumbnails
 * that are real renditions, rejection groups with their meaning, the DLQ, the slowest images,
 * and a timeline that ends where the run ended. Then the same selections over rows written
 * straight into the table — each equal to what sorting all of them would give — the run's
 * filters (prefixes, pending), and the collection's memory, flat from 2,000 rows to 10,000.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { type ImageRow, isVersionRow } from '../../events/image-row.ts';
import type { RejectionReason } from '../../events/rejection-reasons.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { collectReportData } from '../../lib/report/collect.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { pngBombHeader, truncate } from '../fixtures/crafted.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { operatorContext } from '../helpers/operator.ts';
import type { ProbeInput, ProbeOutput } from '../helpers/report-memory-probe.ts';
import { doneRow, putRows, type RowSpec, writeRows } from '../helpers/table-rows.ts';
import { eventually } from '../helpers/temp.ts';

/** A report's options where the test cares for neither title nor thumbnails. */
const BASE = { title: 't', target: 'l', maxThumbnails: 0 } as const;

describe('report data', () => {
  it('shows every image with its outcome, real thumbnails, reasons, the DLQ and a timeline', async (t) => {
    const env = await startTestCloud(t);
    startTestWorker(t, env);
    const bucket = env.cloud.topology.uploadsBucket;
    for (let i = 0; i < 5; i++)
      await env.store.put(bucket, `uploads/r/ok-${i}.jpg`, await photoLike(400 + i * 40, 300, i));
    await env.store.put(bucket, 'uploads/r/bomb.png', pngBombHeader(20_000, 20_000));
    await env.store.put(bucket, 'uploads/r/cut.jpg', truncate(await photoLike(300, 200, 9), 0.4));
    await env.store.put(bucket, 'uploads/r/<script>.txt', Buffer.from('not an image'));
    await env.workQueue.send('{"poison":true}');
    const ctx = await operatorContext(env);
    await eventually(
      'every image finished and the poison dead-lettered',
      async () => {
        let finished = 0;
        for await (const r of env.table.scan())
          if (isVersionRow(r) && (r.status === 'DONE' || r.status === 'REJECTED')) finished++;
        const dlq = await env.deadLetterQueue.depth();
        // And every batch over: a batch flushes its counts (the leaderboard) when it ends, which
        // is after its rows say DONE (and after their content index writes).
        const work = await env.workQueue.depth();
        const idle = work.visible + work.inFlight === 0;
        return finished === 8 && dlq.visible === 1 && idle ? true : undefined;
      },
      60_000,
      200,
    );

    const data = await collectReportData(ctx, {
      title: 'test',
      target: 'local',
      maxThumbnails: 3,
    });
    assert.deepEqual(
      [data.summary.total, data.summary.done, data.summary.rejected, data.summary.failed],
      [8, 5, 3, 0],
    );
    assert.deepEqual(
      data.images.map((i) => i.status),
      ['DONE', 'DONE', 'DONE', 'DONE', 'DONE', 'REJECTED', 'REJECTED', 'REJECTED'],
    );
    const thumbnails = data.images.flatMap((i) => (i.thumbnail ? [i.thumbnail] : []));
    assert.equal(thumbnails.length, 3, 'capped at maxThumbnails');
    for (const url of thumbnails) {
      const match = /^data:image\/webp;base64,(.+)$/.exec(url);
      assert.ok(match?.[1], url.slice(0, 40));
      const meta = await sharp(Buffer.from(match[1], 'base64')).metadata();
      assert.equal(meta.format, 'webp');
      assert.ok((meta.width ?? 0) >= 160 && (meta.width ?? 0) <= 400, `width ${meta.width}`);
    }
    for (const image of data.images.filter((i) => i.status === 'DONE')) {
      assert.match(image.dominantColour ?? '', /^#[0-9a-f]{6}$/);
      assert.ok((image.placeholder ?? '').length > 10);
    }
    assert.deepEqual(data.rejections.map((g) => [g.reason, g.count]).sort(), [
      ['pixel-limit', 1],
      ['truncated', 1],
      ['unrecognised-format', 1],
    ]);
    const bomb = data.rejections.find((g) => g.reason === 'pixel-limit');
    assert.match(bomb?.description ?? '', /more pixels than the pixel limit/);
    assert.equal(bomb?.examples[0]?.key, 'uploads/r/bomb.png');
    assert.deepEqual(
      data.deadLetters.map((d) => [d.reason, d.key]),
      [['malformed-message', undefined]],
    );
    assert.equal(
      (await env.deadLetterQueue.depth()).visible + (await env.deadLetterQueue.depth()).inFlight,
      1,
      'peeked, not taken',
    );
    assert.equal(data.slowest.length, 5);
    assert.ok(data.slowest.every((s, i, all) => i === 0 || (all[i - 1]?.ms ?? 0) >= s.ms));
    assert.equal(data.timelineSource, 'counted', 'from the per-minute counts');
    const last = data.timeline.at(-1);
    assert.deepEqual([last?.finished, last?.waiting], [8, 0]);
    assert.ok(
      data.timeline.every((p, i, all) => i === 0 || (all[i - 1]?.finished ?? 0) <= p.finished),
    );
    // (Per-minute counts: a run within one minute shows no backlog between its two points.)

    const capped = await collectReportData(ctx, { title: 't', target: 'l', maxImages: 2 });
    assert.deepEqual([capped.images.length, capped.imagesOmitted], [2, 6]);
  });

  it('keeps the first images in page order, the slowest, and the first examples of each reason', async (t) => {
    const env = await startTestCloud(t);
    const ctx = await operatorContext(env);
    const bucket = env.cloud.topology.uploadsBucket;
    // The REJECTED rows' reasons, in write order: corrupt 5 deep, truncated 3, pixel-limit 2.
    const rejections: RejectionReason[] = [
      'corrupt',
      'corrupt',
      'truncated',
      'corrupt',
      'pixel-limit',
      'truncated',
      'corrupt',
      'corrupt',
      'truncated',
      'pixel-limit',
    ];
    const reasons = [...new Set(rejections)];
    // 60 rows, keys not in order, every status (10 REJECTED), 60 different processing times.
    const statuses = ['DONE', 'REJECTED', 'DONE', 'FAILED', 'PROCESSING', 'RETRYING'] as const;
    const specs: RowSpec[] = Array.from({ length: 60 }, (_, i) => {
      const status = statuses[i % statuses.length] ?? 'DONE';
      return {
        key: `uploads/sel/${String((i * 37) % 60).padStart(2, '0')}-${status.toLowerCase()}.jpg`,
        status,
        processingMs: ((i * 7919) % 1000) + 1,
        reason: rejections[Math.floor(i / statuses.length)] ?? 'empty',
        message: `message ${i}`,
      };
    });
    await writeRows(env.table, bucket, ctx.configHash ?? '', specs);
    const rows: ImageRow[] = [];
    for await (const row of env.table.scan()) if (isVersionRow(row)) rows.push(row);
    assert.equal(rows.length, 60);

    // Scoped to a prefix: the one pass over the table (the whole pipeline's sheet is a sample).
    const data = await collectReportData(ctx, {
      ...BASE,
      prefix: 'uploads/',
      maxImages: 25,
    });
    const rank = (s: string) => ({ DONE: 0, REJECTED: 1, FAILED: 2 })[s] ?? 3;
    const everything = [...rows].sort(
      (a, b) => rank(a.status) - rank(b.status) || a.key.localeCompare(b.key),
    );
    assert.deepEqual(
      data.images.map((i) => [i.status, i.key]),
      everything.slice(0, 25).map((r) => [r.status, r.key]),
      'the first 25 of the whole order',
    );
    assert.deepEqual(
      [data.imagesOmitted, data.summary.total, data.summary.done, data.summary.rejected],
      [35, 60, 20, 10],
    );
    assert.deepEqual([data.summary.failed, data.summary.pending], [10, 20]);
    const all = await collectReportData(ctx, { ...BASE, prefix: 'uploads/' });
    assert.deepEqual(
      all.images.map((i) => i.key),
      everything.map((r) => r.key),
      'under the cap: every row, in order',
    );

    const done = rows.filter((r) => r.status === 'DONE');
    assert.deepEqual(
      data.slowest.map((s) => [s.key, s.ms]),
      [...done]
        .sort((a, b) => (b.processingMs ?? 0) - (a.processingMs ?? 0))
        .slice(0, 10)
        .map((r) => [r.key, r.processingMs]),
      'the 10 slowest DONE images, slowest first',
    );

    const rejected = rows.filter((r) => r.status === 'REJECTED');
    assert.deepEqual(
      data.rejections.map((g) => [g.reason, g.count, g.examples]),
      reasons
        .map((reason) => {
          const of = rejected.filter((r) => r.reason === reason);
          return [
            reason,
            of.length,
            of.slice(0, 3).map((r) => ({ key: r.key, message: r.message ?? '' })),
          ] as const;
        })
        .filter(([, count]) => count > 0)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
      'a count per reason and its first 3 examples in table order',
    );
  });

  it('reports a run by its prefixes, with the images it knows have no row as pending', async (t) => {
    const env = await startTestCloud(t);
    const ctx = await operatorContext(env);
    const bucket = env.cloud.topology.uploadsBucket;
    const keys = [
      'uploads/photos/a.jpg',
      'uploads/photos/deep/b.jpg',
      'uploads/photosets/c.jpg',
      'uploads/one.jpg',
      'uploads/one.jpg.bak',
      'uploads/other/d.jpg',
    ];
    await writeRows(
      env.table,
      bucket,
      ctx.configHash ?? '',
      keys.map((key, i) => ({ key, status: i === 1 ? 'RETRYING' : 'DONE' })),
    );
    const keysOf = (images: readonly { key: string }[]) => images.map((i) => i.key);

    const run = await collectReportData(ctx, {
      ...BASE,
      prefixes: ['uploads/photos/', 'uploads/one.jpg', 'uploads/photos/deep/'],
      pending: { count: 4, examples: ['uploads/photos/e.jpg', 'uploads/photos/f.jpg'] },
    });
    assert.deepEqual(keysOf(run.images), [
      'uploads/one.jpg',
      'uploads/one.jpg.bak',
      'uploads/photos/a.jpg',
      'uploads/photos/deep/b.jpg',
      'uploads/photos/e.jpg',
      'uploads/photos/f.jpg',
    ]);
    assert.deepEqual(
      run.images.map((i) => i.status),
      ['DONE', 'DONE', 'DONE', 'RETRYING', 'PENDING', 'PENDING'],
    );
    assert.deepEqual(
      [run.summary.total, run.summary.done, run.summary.pending, run.imagesOmitted],
      [8, 3, 5, 2],
      '4 rows (one RETRYING) and 4 without a row, 2 of them shown',
    );

    const capped = await collectReportData(ctx, {
      ...BASE,
      prefixes: ['uploads/photos/'],
      pending: { count: 2, examples: ['uploads/photos/e.jpg', 'uploads/photos/f.jpg'] },
      maxImages: 3,
    });
    assert.deepEqual(
      keysOf(capped.images),
      ['uploads/photos/a.jpg', 'uploads/photos/deep/b.jpg', 'uploads/photos/e.jpg'],
      'pending examples after the rows, as room allows',
    );
    assert.deepEqual([capped.summary.total, capped.imagesOmitted], [4, 1]);

    const narrowed = await collectReportData(ctx, {
      ...BASE,
      prefix: 'uploads/photos/deep/',
      prefixes: ['uploads/photos/', 'uploads/one.jpg'],
    });
    assert.deepEqual(keysOf(narrowed.images), ['uploads/photos/deep/b.jpg'], 'both filters');
    const none = await collectReportData(ctx, { ...BASE, prefixes: [] });
    assert.deepEqual([none.summary.total, none.images.length], [0, 0], 'no inputs, no images');
  });

  it('counts a version once without a config hash (scoped): its newest row of any config', async (t) => {
    const env = await startTestCloud(t);
    const ctx = { ...(await operatorContext(env)), configHash: undefined };
    const bucket = env.cloud.topology.uploadsBucket;
    const earlier = new Date(Date.now() - 60_000);
    await writeRows(env.table, bucket, 'config-a', [
      { key: 'uploads/v/1.jpg', status: 'DONE', at: earlier },
      { key: 'uploads/v/2.jpg', status: 'REJECTED', reason: 'corrupt', at: new Date() },
      { key: 'uploads/v/3.jpg', status: 'DONE' },
      { key: 'uploads/v/3.jpg', status: 'DONE', version: 'second-version' },
    ]);
    await writeRows(env.table, bucket, 'config-b', [
      { key: 'uploads/v/1.jpg', status: 'REJECTED', reason: 'timeout', at: new Date() },
      { key: 'uploads/v/2.jpg', status: 'DONE', at: earlier },
    ]);
    // The table's counts are per config; a scoped report reads the rows and keeps the newest.
    const data = await collectReportData(ctx, { ...BASE, prefix: 'uploads/v/' });
    assert.deepEqual(
      data.images.map((i) => [i.key, i.status]),
      [
        ['uploads/v/3.jpg', 'DONE'],
        ['uploads/v/3.jpg', 'DONE'],
        ['uploads/v/1.jpg', 'REJECTED'],
        ['uploads/v/2.jpg', 'REJECTED'],
      ],
      'one entry per object version, from its newest row',
    );
    assert.deepEqual([data.summary.total, data.summary.done, data.summary.rejected], [4, 2, 2]);
    const under = await collectReportData(
      { ...ctx, configHash: 'config-b' },
      { title: 't', target: 'l', maxThumbnails: 0 },
    );
    assert.deepEqual(
      under.images.map((i) => [i.key, i.status]),
      [
        ['uploads/v/2.jpg', 'DONE'],
        ['uploads/v/1.jpg', 'REJECTED'],
      ],
      'with a config hash, only its rows',
    );
  });

  it('holds memory that does not grow with the rows: 2,000 and 10,000 alike', async (t) => {
    const env = await startTestCloud(t);
    const topology = env.cloud.topology;
    const hash = configHash(defaultConfig());
    const run = promisify(execFile);
    const probe = async (): Promise<ProbeOutput> => {
      const input: ProbeInput = {
        target: env.cloud.target,
        resources: {
          uploadsBucket: topology.uploadsBucket,
          uploadsPrefix: topology.uploadsPrefix,
          renditionsBucket: topology.renditionsBucket,
          table: topology.table,
          workQueue: topology.workQueue,
          deadLetterQueue: topology.deadLetterQueue,
        },
        configHash: hash,
        options: { title: 't', target: 'l', prefixes: ['uploads/mem/'], maxThumbnails: 20 },
        every: 500,
      };
      const script = fileURLToPath(new URL('../helpers/report-memory-probe.ts', import.meta.url));
      const { stdout } = await run(
        process.execPath,
        ['--expose-gc', script, JSON.stringify(input)],
        { maxBuffer: 1 << 20 },
      );
      return JSON.parse(stdout) as ProbeOutput;
    };
    const growth: number[] = [];
    let written = 0;
    for (const n of [2000, 10_000]) {
      const rows: ImageRow[] = [];
      for (let i = written; i < n; i++) {
        const key = `uploads/mem/${String(i).padStart(6, '0')}.jpg`;
        rows.push(
          doneRow(topology.uploadsBucket, key, hash, { processingMs: (i * 7919) % 10_007 }),
        );
      }
      await putRows(env.clients.dynamo, topology.table, rows);
      written = n;
      const out = await probe();
      // Proof that it measured a collection of n rows, sampled all along the scan.
      assert.deepEqual([out.rows, out.summary.total, out.summary.done], [n, n, n]);
      assert.ok(out.samples.length > n / 500, `${out.samples.length} samples`);
      growth.push(Math.max(...out.samples) - out.baseline);
    }
    const [small = 0, large = 0] = growth;
    // Measured: ~2.4 MB held at either size (a scan page and the contact sheet); reading every
    // row into memory (the collector before this one) held 4.1 MB and 20.6 MB: ~2 KB a row.
    assert.ok(
      large - small < 1_000_000,
      `live heap ${(small / 1e6).toFixed(2)} MB at 2,000 rows, ${(large / 1e6).toFixed(2)} MB at 10,000`,
    );
  });
});
