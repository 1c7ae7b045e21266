/**
 * The worker's Powertools telemetry without a cloud: JSON log lines and EMF metric blobs, to a
 * sink (the CLI's log file) or, with none, to stdout as on Lambda.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { METRIC_NAMESPACE, METRICS } from '../../events/metrics.ts';
import { withFields } from '../../lib/pipeline/log.ts';
import {
  createWorkerTelemetry,
  DEFAULT_SERVICE_NAME,
} from '../../workers/telemetry/worker-telemetry.ts';

type Json = Record<string, unknown>;

function capture(): { lines: Json[]; output: (line: string) => void } {
  const lines: Json[] = [];
  return { lines, output: (line) => lines.push(JSON.parse(line) as Json) };
}

function emf(lines: Json[]): Json[] {
  return lines.filter((l) => l._aws !== undefined);
}

function cloudWatchMetrics(blob: Json): {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit: string }[];
} {
  const aws = blob._aws as { CloudWatchMetrics: unknown[] };
  return aws.CloudWatchMetrics[0] as never;
}

describe('worker telemetry', () => {
  it('writes one JSON line per log call, with the service, level, time and the line’s fields', () => {
    const { lines, output } = capture();
    const t = createWorkerTelemetry({ output, logKeys: { component: 'worker', pid: 42 } }, {});
    withFields(t.log, { imageKey: 'uploads/a.jpg', messageId: 'm-1' }).info('image done', {
      renditions: 6,
    });
    assert.equal(lines.length, 1);
    const line = lines[0] ?? {};
    assert.equal(line.level, 'INFO');
    assert.equal(line.message, 'image done');
    assert.equal(line.service, DEFAULT_SERVICE_NAME);
    assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT/);
    assert.equal(line.imageKey, 'uploads/a.jpg');
    assert.equal(line.messageId, 'm-1');
    assert.equal(line.renditions, 6);
    assert.equal(line.component, 'worker');
    assert.equal(line.pid, 42);
  });

  it('takes the service name from POWERTOOLS_SERVICE_NAME, as the construct sets it', () => {
    const saved = process.env.POWERTOOLS_SERVICE_NAME;
    process.env.POWERTOOLS_SERVICE_NAME = 'Media/Images';
    try {
      const { lines, output } = capture();
      const t = createWorkerTelemetry({ output }, process.env);
      t.log.info('hello');
      t.pipelineMetrics.recordOutcome({ kind: 'rejected', reason: 'empty', processingMs: 1 });
      t.metrics.publishStoredMetrics();
      assert.deepEqual(
        lines.map((l) => l.service),
        ['Media/Images', 'Media/Images', 'Media/Images'],
        'the log line and both metric blobs',
      );
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_SERVICE_NAME;
      else process.env.POWERTOOLS_SERVICE_NAME = saved;
    }
  });

  it('records outcomes as EMF: processed, time and bytes; rejected in total and by reason', () => {
    const { lines, output } = capture();
    const t = createWorkerTelemetry({ output }, {});
    t.pipelineMetrics.recordOutcome({
      kind: 'done',
      processingMs: 812,
      renditions: 6,
      renditionBytes: 354_251,
    });
    t.pipelineMetrics.recordOutcome({ kind: 'rejected', reason: 'truncated', processingMs: 40 });
    t.pipelineMetrics.recordOutcome({
      kind: 'failed',
      code: 'S3ThrottledError',
      final: false,
      processingMs: 90,
    });
    // The by-reason blob is published at once; the rest when the invocation ends.
    assert.equal(emf(lines).length, 1);
    t.metrics.publishStoredMetrics();
    const [byReason, invocation] = emf(lines);
    assert.ok(byReason && invocation);

    assert.deepEqual(cloudWatchMetrics(byReason), {
      Namespace: METRIC_NAMESPACE,
      Dimensions: [['service', 'reason']],
      Metrics: [{ Name: METRICS.imagesRejected, Unit: 'Count' }],
    });
    assert.equal(byReason.reason, 'truncated');
    assert.equal(byReason[METRICS.imagesRejected], 1);

    const metrics = cloudWatchMetrics(invocation);
    assert.equal(metrics.Namespace, 'Pixelmill');
    assert.deepEqual(metrics.Dimensions, [['service']]);
    assert.deepEqual(metrics.Metrics.map((m) => `${m.Name}:${m.Unit}`).sort(), [
      'ImagesFailed:Count',
      'ImagesProcessed:Count',
      'ImagesRejected:Count',
      'ProcessingTime:Milliseconds',
      'RenditionBytes:Bytes',
    ]);
    assert.equal(invocation.service, DEFAULT_SERVICE_NAME);
    assert.equal(invocation.ImagesProcessed, 1);
    assert.equal(invocation.ProcessingTime, 812);
    assert.equal(invocation.RenditionBytes, 354_251);
    assert.equal(invocation.ImagesFailed, 1);

    t.metrics.publishStoredMetrics();
    assert.equal(emf(lines).length, 2, 'publishing again with nothing stored writes nothing');
  });

  it('writes to stdout, as Lambda expects, when given no sink', (t) => {
    const written: string[] = [];
    const telemetry = createWorkerTelemetry({}, {});
    const write = t.mock.method(process.stdout, 'write', (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    telemetry.log.info('image done', { imageKey: 'uploads/b.jpg' });
    telemetry.pipelineMetrics.recordOutcome({
      kind: 'done',
      processingMs: 5,
      renditions: 1,
      renditionBytes: 10,
    });
    telemetry.metrics.publishStoredMetrics();
    write.mock.restore();
    const parsed = written
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Json);
    assert.equal(parsed.find((l) => l.message === 'image done')?.imageKey, 'uploads/b.jpg');
    assert.equal(emf(parsed).length, 1);
  });

  it('samples debug logs: a sample rate of 1 logs DEBUG at level INFO', () => {
    const saved = process.env.POWERTOOLS_LOGGER_SAMPLE_RATE;
    process.env.POWERTOOLS_LOGGER_SAMPLE_RATE = '1';
    try {
      const { lines, output } = capture();
      const t = createWorkerTelemetry({ output }, {});
      t.log.debug('duplicate of a finished image');
      assert.deepEqual(
        lines.filter((l) => l.level === 'DEBUG').map((l) => l.message),
        ['Setting log level to DEBUG due to sampling rate', 'duplicate of a finished image'],
        'even what Powertools prints while it is constructed goes to the sink, not stdout',
      );
    } finally {
      if (saved === undefined) delete process.env.POWERTOOLS_LOGGER_SAMPLE_RATE;
      else process.env.POWERTOOLS_LOGGER_SAMPLE_RATE = saved;
    }
    const { lines, output } = capture();
    createWorkerTelemetry({ output }, {}).log.debug('not sampled');
    assert.equal(lines.filter((l) => l.level === 'DEBUG').length, 0);
  });
});
