/**
 * Poison mixed into a stream of good uploads: bodies that are not JSON, JSON that is not a work
 * item, and well-formed events and jobs for objects that do not exist. Each must end on its own,
 * on its first receive, without taking its batch-mates with it: not a work item → the DLQ at once
 * (with its reason in the message attributes); a missing object → REJECTED `not-found`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { DLQ_ATTRIBUTES } from '../../events/dead-letter.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { buildObjectCreatedEvent } from '../../events/object-created.ts';
import { LOCAL_ACCOUNT } from '../../infra/local/cloud.ts';
import { startTestCloud, startTestWorker, type TestCloud } from '../helpers/local-cloud.ts';
import { chaosSize, type ExpectedVersion, SCENARIO_TIMEOUT_MS, settleAndJudge } from './harness.ts';
import { chaosImages } from './images.ts';

const GOOD = chaosSize(100, 1000);
const POISON = chaosSize(10, 100);

interface Poison {
  readonly body: string;
  /** The missing object's outcome, or undefined for a body that belongs in the DLQ. */
  readonly expected?: ExpectedVersion;
}

/** The n-th poison message, cycling through five kinds. */
function poison(env: TestCloud, n: number): Poison {
  const { uploadsBucket: bucket, region } = env.cloud.topology;
  const key = `uploads/missing/${String(n).padStart(4, '0')}.jpg`;
  const etag = createHash('md5').update(key).digest('hex');
  const rejected: ExpectedVersion = { key, version: etag, status: 'REJECTED', reason: 'not-found' };
  switch (n % 5) {
    case 0:
      return { body: `{"detail": {"object": {"key": "truncated-${n}` };
    case 1:
      return { body: JSON.stringify({ hello: 'not an event', n }) };
    case 2:
      return { body: JSON.stringify({ kind: 'someone-else.job/v9', n }) };
    case 3: {
      const event = buildObjectCreatedEvent({
        bucket,
        key,
        size: 1234,
        etag,
        sequencer: (0x1000 + n).toString(16).toUpperCase(),
        reason: 'PutObject',
        region,
        account: LOCAL_ACCOUNT,
      });
      return { body: JSON.stringify(event), expected: rejected };
    }
    default: {
      const job = buildJobMessage({
        origin: 'backfill',
        bucket,
        key,
        size: 1234,
        etag,
        sequencer: '0',
      });
      return { body: JSON.stringify(job), expected: rejected };
    }
  }
}

describe('chaos: poison messages', () => {
  it(`${POISON} poison messages among ${GOOD} good uploads: 0 good lost, poison REJECTED or in the DLQ`, {
    timeout: SCENARIO_TIMEOUT_MS,
  }, async (t) => {
    const env = await startTestCloud(t);
    const worker = startTestWorker(t, env, { concurrency: 2 });
    const bucket = env.cloud.topology.uploadsBucket;
    const expected: ExpectedVersion[] = [];
    const deadLetterBodies = new Set<string>();
    const images = await chaosImages(GOOD);
    const every = Math.floor(GOOD / POISON);
    for (const [i, image] of images.entries()) {
      const key = `uploads/good/${image.name}`;
      await env.store.put(bucket, key, image.body);
      expected.push({ key, version: image.etag, status: 'DONE' });
      if (i % every === every - 1) {
        const p = poison(env, Math.floor(i / every));
        await env.workQueue.send(p.body);
        if (p.expected) expected.push(p.expected);
        else deadLetterBodies.add(p.body);
      }
    }
    assert.equal(expected.length + deadLetterBodies.size, GOOD + POISON);

    await settleAndJudge(t, env, {
      scenario: 'poison',
      faults: POISON,
      faultDetail: `${deadLetterBodies.size} not work items, ${POISON - deadLetterBodies.size} for missing objects`,
      expected,
      isExpectedDeadLetter: (m) =>
        deadLetterBodies.has(m.body) &&
        m.messageAttributes[DLQ_ATTRIBUTES.code] === 'malformed-message',
      deadLetterCount: deadLetterBodies.size,
    });
    // Poison never fails a record, let alone a batch: nothing is retried at all.
    assert.equal(worker.invocations.filter((i) => i.wholeBatchFailed).length, 0);
    const retried = worker.responses.flatMap((r) => r.response.batchItemFailures);
    assert.deepEqual(retried, [], 'no record reported as failed');
    const handled = worker.invocations.reduce((n, i) => n + i.deleted, 0);
    assert.equal(handled, GOOD + POISON, 'every message acknowledged on its first receive');
  });
});
