import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSince } from '../../cli/format.ts';
import { backlogThresholds } from '../../events/alarm-conditions.ts';
import {
  backoffSeconds,
  EMBEDDED_RETRY_BACKOFF,
  RETRY_BACKOFF,
  retrySpanSeconds,
  retryWaitsSeconds,
} from '../../events/retry-schedule.ts';
import { topology } from '../../infra/topology.ts';
import { defaultBatchOptions } from '../../lib/pipeline/process-batch.ts';

const sum = (list: readonly number[]) => list.reduce((a, b) => a + b, 0);

describe('retry backoff', () => {
  it('is what the worker uses: 10 s, 20 s, 40 s, … (±25 % jitter), capped at 15 min', () => {
    const backoff = defaultBatchOptions.backoff;
    assert.deepEqual(backoff, RETRY_BACKOFF);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => backoffSeconds(backoff, n, 0.5)),
      [10, 20, 40, 80, 160, 320, 640],
    );
    assert.equal(backoffSeconds(backoff, 1, 0), 8, 'three quarters at the low end');
    assert.equal(backoffSeconds(backoff, 1, 0.999), 12);
    assert.equal(backoffSeconds(backoff, 20, 0.5), backoff.maxSeconds);
    assert.equal(backoffSeconds({ baseSeconds: 1, factor: 1, maxSeconds: 1 }, 1, 0), 1, '≥ 1 s');
  });

  it('carries an image through a 15-minute outage: the waits between its receives add up to more', () => {
    // Every receive of the outage fails at once (the least time an attempt can take): what is
    // left between the first receive and the DLQ is the sum of the waits, at the jitter's low end.
    const least = sum(retryWaitsSeconds(RETRY_BACKOFF, topology.maxReceiveCount, 'least'));
    assert.ok(least >= 15 * 60, `${least} s between the first and the last receive`);
    // And not much more: a real poison reaches the DLQ within the hour.
    const most = sum(retryWaitsSeconds(RETRY_BACKOFF, topology.maxReceiveCount, 'most'));
    assert.ok(most < 30 * 60, `${most} s`);
  });

  it('sets the backlog objective to the longest a message can take through every receive', () => {
    const visibility = topology.visibilityTimeoutSeconds;
    const { backlogObjectiveSeconds } = backlogThresholds({
      maxReceiveCount: topology.maxReceiveCount,
      visibilityTimeoutSeconds: visibility,
      expectedImagesPerSecond: 1,
    });
    assert.equal(
      backlogObjectiveSeconds,
      Math.ceil(retrySpanSeconds(RETRY_BACKOFF, topology.maxReceiveCount, visibility / 6)),
    );
    // 1,588 s of waits at their longest + 8 invocations of 120 s (and a sixth of the window).
    assert.equal(backlogObjectiveSeconds, 2550);
  });

  it("gives up within about two minutes in pixelmill run's own embedded cloud", () => {
    const most = sum(retryWaitsSeconds(EMBEDDED_RETRY_BACKOFF, topology.maxReceiveCount, 'most'));
    assert.ok(most <= 130, `${most} s`);
  });
});

describe('--since', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  it('reads relative ages and ISO dates', () => {
    assert.equal(parseSince('90s', now)?.toISOString(), '2026-11-26T11:58:30.000Z');
    assert.equal(parseSince('2h', now)?.toISOString(), '2026-11-26T10:00:00.000Z');
    assert.equal(parseSince('1d', now)?.toISOString(), '2026-11-25T12:00:00.000Z');
    assert.equal(
      parseSince('2026-11-01T00:00:00Z', now)?.toISOString(),
      '2026-11-01T00:00:00.000Z',
    );
    assert.equal(parseSince('yesterday', now), undefined);
  });
});
