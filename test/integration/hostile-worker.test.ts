/**
 * Issue 10's attacks through the real worker on the embedded cloud: the handler, its pixel pool
 * of child processes, real sharp, real SDK calls. Each image's own CPU time and peak memory come
 * from its row (`cpuMs`, `peakMb`, measured by the pool); the whole worker's memory from procfs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { DLQ_ATTRIBUTES } from '../../events/dead-letter.ts';
import type { ImageRow } from '../../events/image-row.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { buildObjectCreatedEvent } from '../../events/object-created.ts';
import { parseConfig } from '../../lib/config/parse.ts';
import { defaultBatchOptions } from '../../lib/pipeline/process-batch.ts';
import { fixture, photoLike } from '../fixtures/catalogue.ts';
import { jpegScanBomb } from '../fixtures/jpeg-scans.ts';
import {
  settledRow as outcome,
  startTestCloud,
  startTestWorker,
  TEST_BACKOFF,
  type TestCloud,
  uploadImage,
} from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';
import { sampleTreeRss, treeRssMb } from '../helpers/tree-rss.ts';

const upload = (env: TestCloud, config: PixelmillConfig, key: string, body: Buffer) =>
  uploadImage(env, key, body, config);

describe('hostile inputs through the real worker', () => {
  it('ends AVIF grid and alpha bombs as pixel-limit within 1 s and 300 MB each', async (t) => {
    const env = await startTestCloud(t);
    const { config } = startTestWorker(t, env);
    const names = ['avif-grid-bomb.avif', 'avif-grid-bomb-8192.avif', 'avif-huge-alpha.avif'];
    const keys = [];
    for (const name of names) {
      keys.push(await upload(env, config, `uploads/bombs/${name}`, await fixture(name).build()));
    }
    for (const [i, key] of keys.entries()) {
      const row = await outcome(env, key);
      assert.equal(row.status, 'REJECTED', names[i]);
      assert.equal(row.reason, 'pixel-limit', `${names[i]}: ${row.message}`);
      assert.ok((row.processingMs ?? Infinity) < 1000, `${names[i]}: ${row.processingMs} ms`);
      assert.ok((row.peakMb ?? Infinity) < 300, `${names[i]}: ${row.peakMb} MiB`);
      assert.equal(row.attempts, 1, 'never retried');
      t.diagnostic(`${names[i]}: ${row.processingMs} ms, ${row.cpuMs} CPU ms, ${row.peakMb} MiB`);
    }
  });

  it('stops 13 scan-bomb JPEGs on their own CPU time while 12 photos beside them end DONE, in bounded memory', async (t) => {
    // The 7071² progressive JPEG with 2,647 legal scans decodes for ~55 s of CPU and no decoder
    // warning. A 3 s budget instead of the default 30 keeps the test short; what is tested is
    // that the work stops and that nobody else pays for it.
    const config = parseConfig(
      {
        presets: [
          { name: 'w800', width: 800, formats: [{ format: 'jpeg' }, { format: 'webp' }] },
          { name: 'w320', width: 320, formats: [{ format: 'jpeg' }] },
        ],
        limits: { timeoutSeconds: 3, maxMemoryMb: 768 },
      },
      'test',
    );
    // The production function timeout: what is tested is the pixel pool, not the batch deadline
    // (on a loaded machine, 13 bombs of 3 CPU-s in one batch can outlast the tests' 20 s).
    const env = await startTestCloud(t, { topology: { workerTimeoutSeconds: 120 } });
    const before = treeRssMb();
    const sampler = sampleTreeRss();
    t.after(() => sampler?.stop());
    const worker = startTestWorker(t, env, { config, settings: { pixels: { processes: 2 } } });
    const bomb = jpegScanBomb({ width: 7071, height: 7071 });
    const bombs = [];
    const photos = [];
    for (let i = 0; i < 13; i++) {
      bombs.push(await upload(env, config, `uploads/flood/bomb-${i}.jpg`, bomb));
      if (i < 12) {
        const photo = await photoLike(2000, 1333, i + 1);
        photos.push(await upload(env, config, `uploads/flood/photo-${i}.jpg`, photo));
      }
    }
    const rows: ImageRow[] = [];
    for (const key of [...bombs, ...photos]) rows.push(await outcome(env, key, 180_000));
    const bombRows = rows.slice(0, bombs.length);
    const photoRows = rows.slice(bombs.length);
    for (const row of bombRows) {
      assert.equal(row.status, 'REJECTED', row.key);
      assert.equal(row.reason, 'timeout', `${row.key}: ${row.message}`);
      assert.ok((row.cpuMs ?? 0) >= 3000, `${row.key} charged ${row.cpuMs} CPU ms`);
      assert.ok((row.peakMb ?? Infinity) <= 768, `${row.key}: ${row.peakMb} MiB`);
    }
    for (const row of photoRows) {
      assert.equal(row.status, 'DONE', `${row.key}: ${row.reason} ${row.message}`);
      assert.equal(row.attempts, 1, `${row.key} was never retried`);
    }
    // The bound: this process (the cloud, the handler, the test) as it was before the worker
    // started, plus two pixel processes at their 768 MiB cap, plus one sampling period of growth.
    const peak = sampler?.stop();
    if (peak === undefined) {
      t.diagnostic('no procfs here: the whole worker’s memory is not measured');
    } else {
      const bound = before + 2 * 768 + 128;
      t.diagnostic(
        `peak RSS of the worker and its pixel processes: ${Math.round(peak)} MiB ` +
          `(bound ${Math.round(bound)}: ${Math.round(before)} before + 2 × 768 + 128)`,
      );
      assert.ok(peak < bound, `peak ${Math.round(peak)} MiB over ${Math.round(bound)}`);
    }
    t.diagnostic(
      `photos: worst ${Math.max(...photoRows.map((r) => r.processingMs ?? 0))} ms; ` +
        `bombs: ${bombRows.map((r) => r.cpuMs).join(', ')} CPU ms`,
    );
    assert.equal(worker.invocations.filter((i) => i.wholeBatchFailed).length, 0);
  });

  it('refuses forged events for another bucket, another prefix, and keys too long to record, at once', async (t) => {
    const env = await startTestCloud(t);
    startTestWorker(t, env);
    const { topology } = env.cloud;
    const facts = {
      size: 100,
      etag: 'a'.repeat(32),
      sequencer: '0055AED6DCD90281E5',
      reason: 'PutObject' as const,
      region: topology.region,
      account: '000000000000',
    };
    const forged = [
      {
        code: 'foreign-bucket',
        body: buildObjectCreatedEvent({
          ...facts,
          bucket: topology.renditionsBucket,
          key: 'uploads/x.jpg/abc/w320-1.jpg',
        }),
      },
      {
        code: 'outside-prefix',
        body: buildObjectCreatedEvent({ ...facts, bucket: topology.uploadsBucket, key: 'x.jpg' }),
      },
      {
        code: 'key-too-long',
        body: buildJobMessage({
          origin: 'repair',
          bucket: topology.uploadsBucket,
          key: `uploads/${'é'.repeat(600)}.jpg`,
          size: 100,
          etag: facts.etag,
          sequencer: facts.sequencer,
        }),
      },
      {
        code: 'key-too-long',
        body: buildJobMessage({
          origin: 'repair',
          bucket: topology.uploadsBucket,
          key: 'uploads/ok.jpg',
          size: 100,
          etag: facts.etag,
          versionId: 'v'.repeat(1100),
          sequencer: facts.sequencer,
        }),
      },
    ];
    for (const f of forged) await env.workQueue.send(JSON.stringify(f.body));
    const dead = await eventually('four dead letters', async () => {
      const d = await env.deadLetterQueue.depth();
      return d.visible >= forged.length ? d : undefined;
    });
    assert.equal(dead.visible, forged.length);
    const letters = await env.deadLetterQueue.receive({ max: 10, waitSeconds: 1 });
    const codes = letters.map((l) => l.messageAttributes[DLQ_ATTRIBUTES.code]).sort();
    assert.deepEqual(codes, forged.map((f) => f.code).sort());
    for (const letter of letters) {
      assert.ok(letter.messageAttributes[DLQ_ATTRIBUTES.message]?.length, 'a reason in words');
      // Straight from the first receive, never retried.
      assert.equal(letter.attributes.ApproximateReceiveCount, '1');
    }
    // Refused before any claim: no row for any of them.
    assert.equal(
      (await env.table.rowsOfKey(`${topology.renditionsBucket}/uploads/x.jpg/abc/w320-1.jpg`))
        .length,
      0,
    );
    assert.equal((await env.table.rowsOfKey(`${topology.uploadsBucket}/x.jpg`)).length, 0);
    assert.equal((await env.table.rowsOfKey(`${topology.uploadsBucket}/uploads/ok.jpg`)).length, 0);
    const work = await env.workQueue.depth();
    assert.equal(work.visible + work.inFlight + work.delayed, 0);
  });

  it('defers what its batch had no time for: images that only waited their turn never reach the DLQ', async (t) => {
    // One pixel process, one record at a time, 3 s of each invocation to work in, and scan bombs
    // that each spend their 1 CPU-s budget: every invocation finishes two or three images and is
    // cut off before the rest, which come back and count receives they did nothing with. With
    // three receives allowed, the images at the back reached the DLQ having never been started;
    // now a record cut off on its last receives goes back on the queue as a new message.
    const config = parseConfig(
      {
        presets: [{ name: 'w320', width: 320, formats: [{ format: 'jpeg' }] }],
        limits: { timeoutSeconds: 1 },
      },
      'test',
    );
    const env = await startTestCloud(t, {
      topology: { workerTimeoutSeconds: 4, maxReceiveCount: 3 },
    });
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const capture = (message: string, fields?: Record<string, unknown>) => {
      lines.push({ message, ...(fields ? { fields } : {}) });
    };
    startTestWorker(t, env, {
      config,
      concurrency: 1,
      settings: {
        pixels: { processes: 1 },
        log: { debug: capture, info: capture, warn: capture, error: capture },
        batch: {
          ...defaultBatchOptions,
          backoff: TEST_BACKOFF,
          safetyMarginMs: 1000,
          minRecordMs: 500,
          concurrency: 1,
        },
      },
    });
    const bomb = jpegScanBomb({ width: 2048, height: 2048 });
    const keys = [];
    for (let i = 0; i < 12; i++) {
      keys.push(await upload(env, config, `uploads/queue/bomb-${i}.jpg`, bomb));
    }
    for (let i = 0; i < 2; i++) {
      keys.push(
        await upload(env, config, `uploads/queue/photo-${i}.jpg`, await photoLike(640, 480, i + 1)),
      );
    }
    const rows: ImageRow[] = [];
    for (const key of keys) rows.push(await outcome(env, key, 120_000));
    for (const row of rows.slice(0, 12)) {
      assert.equal(row.status, 'REJECTED', `${row.key}: ${row.lastError?.code}`);
      assert.equal(row.reason, 'timeout', `${row.key}: ${row.message}`);
    }
    for (const row of rows.slice(12)) assert.equal(row.status, 'DONE', row.key);
    const deferred = lines.filter((l) => l.message.startsWith('deferred'));
    assert.ok(deferred.length > 0, 'some records were cut off on their last receives');
    assert.deepEqual(await env.deadLetterQueue.depth(), { visible: 0, inFlight: 0, delayed: 0 });
    t.diagnostic(`${deferred.length} records deferred`);
  });
});
