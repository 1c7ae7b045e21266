import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventParseError } from '../../events/errors.ts';
import { matchesEventPattern } from '../../events/event-pattern.ts';
import { buildJobMessage } from '../../events/job-message.ts';
import { buildObjectCreatedEvent, compareSequencers } from '../../events/object-created.ts';
import { objectCreatedPattern } from '../../events/object-created-rule.ts';
import { parseWorkItem } from '../../events/work-item.ts';

const facts = {
  bucket: 'uploads-bucket',
  key: 'uploads/summer 2024/a+b.jpg',
  size: 1234,
  etag: 'abc123',
  sequencer: '0055AED6DCD90281E5',
  reason: 'PutObject' as const,
  region: 'eu-west-1',
  account: '111122223333',
};

describe('the S3 "Object Created" event and the rule pattern', () => {
  const pattern = objectCreatedPattern({ bucket: 'uploads-bucket', prefix: 'uploads/' });

  it('builds the event S3 sends to EventBridge', () => {
    const event = buildObjectCreatedEvent({ ...facts, versionId: 'v1' });
    assert.equal(event['detail-type'], 'Object Created');
    assert.equal(event.source, 'aws.s3');
    assert.deepEqual(event.resources, ['arn:aws:s3:::uploads-bucket']);
    assert.deepEqual(event.detail.object, {
      key: facts.key,
      size: 1234,
      etag: 'abc123',
      'version-id': 'v1',
      sequencer: facts.sequencer,
    });
    assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(event.detail.reason, 'PutObject');
  });

  it('matches uploads under the prefix of the uploads bucket, and nothing else', () => {
    assert.ok(matchesEventPattern(pattern, buildObjectCreatedEvent(facts)));
    assert.ok(
      !matchesEventPattern(pattern, buildObjectCreatedEvent({ ...facts, key: 'renditions/a.jpg' })),
    );
    assert.ok(
      !matchesEventPattern(pattern, buildObjectCreatedEvent({ ...facts, bucket: 'other-bucket' })),
    );
    const deleted = { ...buildObjectCreatedEvent(facts), 'detail-type': 'Object Deleted' };
    assert.ok(!matchesEventPattern(pattern, deleted));
    const { detail: _detail, ...withoutDetail } = buildObjectCreatedEvent(facts);
    assert.ok(!matchesEventPattern(pattern, withoutDetail), 'a field the pattern names must exist');
  });

  it('orders sequencers of different lengths as S3 documents', () => {
    assert.equal(compareSequencers('0A', '00B'), -1);
    assert.equal(compareSequencers('00FF', 'ff'), 0);
    assert.equal(compareSequencers('10', '0F'), 1);
  });
});

describe('parseWorkItem', () => {
  it('reads an EventBridge event body, keeping the key exactly (not URL-decoded)', () => {
    const item = parseWorkItem({
      messageId: 'm1',
      body: JSON.stringify(buildObjectCreatedEvent(facts)),
    });
    assert.deepEqual(
      { ...item, requestedAt: undefined },
      {
        bucket: 'uploads-bucket',
        key: 'uploads/summer 2024/a+b.jpg',
        size: 1234,
        etag: 'abc123',
        versionId: undefined,
        sequencer: facts.sequencer,
        requestedAt: undefined,
        origin: 'event',
      },
    );
  });

  it('reads pixelmill’s own job message', () => {
    const job = buildJobMessage({
      origin: 'resume',
      bucket: 'b-bucket',
      key: 'k',
      size: 1,
      etag: 'e',
      sequencer: '01',
    });
    const item = parseWorkItem({ messageId: 'm2', body: JSON.stringify(job) });
    assert.equal(item.origin, 'resume');
    assert.equal(item.key, 'k');
  });

  it('names the record and every problem of a malformed body', () => {
    assert.throws(
      () => parseWorkItem({ messageId: 'm3', body: '{not json' }),
      (e) =>
        e instanceof EventParseError && e.recordId === 'm3' && /body is not JSON/.test(e.message),
    );
    const broken = buildObjectCreatedEvent(facts) as unknown as {
      detail: { object: Record<string, unknown> };
    };
    broken.detail.object.size = -1;
    delete broken.detail.object.etag;
    assert.throws(
      () => parseWorkItem({ messageId: 'm4', body: JSON.stringify(broken) }),
      (e) =>
        e instanceof EventParseError &&
        e.issues
          .map((i) => i.path)
          .sort()
          .join(',') === 'detail.object.etag,detail.object.size',
    );
    assert.throws(
      () => parseWorkItem({ messageId: 'm5', body: JSON.stringify({ kind: 'something.else' }) }),
      /m5 is not a pixelmill work item: kind: unknown message kind/,
    );
  });
});
