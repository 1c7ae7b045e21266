import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTopology, TopologyError, topology } from '../../infra/topology.ts';

describe('topology', () => {
  it('derives the visibility timeout: at least 6 × the function timeout plus the batching window', () => {
    assert.equal(
      topology.visibilityTimeoutSeconds,
      6 * topology.workerTimeoutSeconds + topology.batchWindowSeconds,
    );
    const t = createTopology({ workerTimeoutSeconds: 30, batchWindowSeconds: 5 });
    assert.equal(t.visibilityTimeoutSeconds, 185);
  });

  it('receives a message 8 times before the DLQ and keeps the DLQ longer than the work queue', () => {
    assert.equal(topology.maxReceiveCount, 8);
    assert.ok(topology.deadLetterRetentionSeconds > topology.workQueueRetentionSeconds);
  });

  it('reports every invalid setting at once', () => {
    assert.throws(
      () =>
        createTopology({
          workerTimeoutSeconds: 0,
          batchSize: 50,
          batchWindowSeconds: 0,
          deadLetterRetentionSeconds: 60,
          uploadsPrefix: 'uploads',
          renditionsBucket: 'pixelmill-uploads',
        }),
      (e) => e instanceof TopologyError && e.problems.length === 5,
    );
  });

  it('routes only Object Created events of the uploads bucket under the uploads prefix', () => {
    assert.deepEqual(topology.rulePattern, {
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: {
        bucket: { name: ['pixelmill-uploads'] },
        object: { key: [{ prefix: 'uploads/' }] },
      },
    });
  });
});
