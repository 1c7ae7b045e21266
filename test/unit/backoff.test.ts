import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSince } from '../../cli/format.ts';
import { backoffSeconds, defaultBatchOptions } from '../../lib/pipeline/process-batch.ts';

describe('retry backoff', () => {
  const { backoff } = defaultBatchOptions;
  it('waits 2 s, 6 s, 18 s, 54 s, … (±25 % jitter), capped', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffSeconds(backoff, n, 0.5)),
      [2, 6, 18, 54],
    );
    assert.equal(backoffSeconds(backoff, 1, 0), 2, 'never below 1 s');
    assert.equal(backoffSeconds(backoff, 4, 0), 41);
    assert.equal(backoffSeconds(backoff, 4, 0.999), 67);
    assert.equal(backoffSeconds(backoff, 20, 0.5), backoff.maxSeconds);
  });
  it('spends the five receives within a few minutes, far below the 12-minute visibility timeout', () => {
    const total = [1, 2, 3, 4].reduce((sum, n) => sum + backoffSeconds(backoff, n, 1), 0);
    assert.ok(total < 120, `${total} s`);
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
