/**
 * The worker's structured logs and metrics, end to end on the embedded cloud: the real handler
 * (Middy with Powertools' injectLambdaContext and logMetrics) run by the local event-source
 * mapping, a good image and a broken one uploaded, and what the worker wrote: a JSON line per
 * event with the image key and message id, and EMF blobs CloudWatch turns into the pipeline's
 * metrics, as it would from the function's CloudWatch Logs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { imageRowKey } from '../../events/image-row.ts';
import { METRICS } from '../../events/metrics.ts';
import { expectedEtag } from '../../lib/aws/etag.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { fixture } from '../fixtures/catalogue.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { eventually } from '../helpers/temp.ts';

type Json = Record<string, unknown>;

describe('worker observability', () => {
  it('logs a JSON line and publishes EMF metrics for a processed and a rejected image', async (t) => {
    const env = await startTestCloud(t);
    const lines: Json[] = [];
    startTestWorker(t, env, {
      settings: { output: (line) => lines.push(JSON.parse(line) as Json), serviceName: 'obs-test' },
    });
    const bucket = env.cloud.topology.uploadsBucket;
    const good = await fixture('small-photo.jpg').build();
    const bad = await fixture('truncated.jpeg').build();
    await env.store.put(bucket, 'uploads/obs/good.jpg', good);
    await env.store.put(bucket, 'uploads/obs/bad.jpg', bad);
    const hash = configHash(defaultConfig());
    for (const [key, body, status] of [
      ['uploads/obs/good.jpg', good, 'DONE'],
      ['uploads/obs/bad.jpg', bad, 'REJECTED'],
    ] as const) {
      const rowKey = imageRowKey({ bucket, key, version: expectedEtag(body), configHash: hash });
      const row = await eventually(`${key} finished`, async () => {
        const r = await env.table.get(rowKey);
        return r && (r.status === 'DONE' || r.status === 'REJECTED') ? r : undefined;
      });
      assert.equal(row.status, status);
    }
    // logMetrics flushes when the invocation returns, just after the rows are written.
    const blobs = await eventually('the metrics of both images', async () => {
      const found = lines.filter((l) => l._aws !== undefined);
      const processed = found.filter((b) => b[METRICS.imagesProcessed] !== undefined);
      const rejected = found.filter((b) => b.reason !== undefined);
      return processed.length > 0 && rejected.length > 0 ? { processed, rejected } : undefined;
    });

    const done = lines.find((l) => l.message === 'image done');
    assert.ok(done, JSON.stringify(lines));
    assert.equal(done.level, 'INFO');
    assert.equal(done.service, 'obs-test');
    assert.equal(done.imageKey, 'uploads/obs/good.jpg');
    assert.match(String(done.messageId), /.+/);
    assert.equal(done.renditions, 6);
    assert.equal(typeof done.processingMs, 'number');
    assert.equal(typeof done.renditionBytes, 'number');
    // Powertools' injectLambdaContext: the invocation on every line.
    assert.equal(done.function_name, 'pixelmill-worker-test');
    assert.match(String(done.function_request_id), /.+/);
    assert.equal(typeof done.cold_start, 'boolean');

    const rejected = lines.find((l) => l.message === 'image rejected');
    assert.ok(rejected, JSON.stringify(lines));
    assert.equal(rejected.imageKey, 'uploads/obs/bad.jpg');
    assert.match(String(rejected.messageId), /.+/);
    assert.equal(rejected.reason, 'truncated');
    assert.notEqual(rejected.messageId, done.messageId);

    const processed = blobs.processed[0] ?? {};
    assert.equal(processed.service, 'obs-test');
    const emf = processed._aws as { CloudWatchMetrics: { Namespace: string }[] };
    assert.equal(emf.CloudWatchMetrics[0]?.Namespace, 'Pixelmill');
    assert.equal(processed[METRICS.processingTime], done.processingMs);
    assert.equal(processed[METRICS.renditionBytes], done.renditionBytes);
    const byReason = blobs.rejected[0] ?? {};
    assert.equal(byReason.reason, 'truncated');
    assert.equal(byReason[METRICS.imagesRejected], 1);
  });
});
