/**
 * What `pixelmill report` gathers, from a real pipeline: outcomes from the table, thumbnails
 * that are real renditions, rejection groups with their meaning, the DLQ, the slowest images,
 * and a timeline that ends where the run ended.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { isVersionRow } from '../../events/image-row.ts';
import { collectReportData } from '../../lib/ops/report-collect.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { pngBombHeader, truncate } from '../fixtures/crafted.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { operatorContext } from '../helpers/operator.ts';
import { eventually } from '../helpers/temp.ts';

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
        return finished === 8 && dlq.visible === 1 ? true : undefined;
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
    assert.equal(data.timelineSource, 'derived');
    const last = data.timeline.at(-1);
    assert.deepEqual([last?.finished, last?.waiting], [8, 0]);
    assert.ok(
      data.timeline.every((p, i, all) => i === 0 || (all[i - 1]?.finished ?? 0) <= p.finished),
    );
    assert.ok(
      data.timeline.some((p) => p.waiting > 0),
      'images waited at some point',
    );

    const capped = await collectReportData(ctx, { title: 't', target: 'l', maxImages: 2 });
    assert.deepEqual([capped.images.length, capped.imagesOmitted], [2, 6]);
  });
});
