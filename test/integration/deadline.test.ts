/**
 * The record loop's own deadline (lib/pipeline/process-batch.ts), through the real handler on the
 * embedded cloud: a batch of two records, one of which never gets its renditions written in time
 * because the test holds its PutObjects (SDK middleware through the target's `addMiddleware`
 * hook; nothing is mocked). The invocation's time runs out on that record:
 * - the other record, once finished, is never reported failed;
 * - the record cut off is reported failed with DeadlineError, and writes nothing after that: its
 *   held PutObjects, let go once the handler has answered, fail (SDK `abortSignal`), so no
 *   rendition and no DONE row appear for it.
 *
 * The deadline itself is time (the Lambda context's remaining time); the test does not depend on
 * how fast this machine is: when the held record has not reached its writes by the deadline (a
 * loaded machine), the scenario is played again with more time, and only a scenario in which the
 * writes were held is judged.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SQSBatchResponse } from 'aws-lambda';
import type { ClientMiddleware } from '../../lib/aws/target.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import {
  invocationContext,
  startDirectHandler,
  uploadAndReceive,
} from '../helpers/direct-handler.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';

/** A second of safety margin; a record may start with 100 ms left; two records at once. */
const BATCH = { safetyMarginMs: 1000, minRecordMs: 100, concurrency: 2 };

/** Holds every PutObject whose key starts with a prefix until released; records how each ended. */
function putHold() {
  let prefix = '\0';
  let release: () => void = () => undefined;
  let released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held: Promise<'written' | string>[] = [];
  const middleware: ClientMiddleware = (service, stack) => {
    if (service !== 's3') return;
    stack.add(
      (next, context) => async (args) => {
        const command = (context as { commandName?: string }).commandName;
        const key = (args.input as { Key?: unknown }).Key;
        if (command !== 'PutObjectCommand' || typeof key !== 'string' || !key.startsWith(prefix))
          return next(args);
        const sent = released.then(() => next(args));
        held.push(
          sent.then(
            () => 'written',
            (error: unknown) => (error instanceof Error ? error.name : String(error)),
          ),
        );
        return sent;
      },
      { step: 'build', name: 'deadlineTestHold', priority: 'high' },
    );
  };
  return {
    middleware,
    held,
    hold(keyPrefix: string) {
      prefix = keyPrefix;
      held.length = 0;
      released = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
}

async function photos(keys: readonly string[], seed: number) {
  return Promise.all(
    keys.map(async (key, i) => ({ key, body: await photoLike(64, 48, seed + i) })),
  );
}

describe('the record loop deadline, through the real handler', () => {
  it('starts no record once too little time is left: each is reported failed, none claimed', async (t) => {
    const env = await startTestCloud(t);
    const { handler, failureOf } = startDirectHandler(t, env, { batch: BATCH });
    const keys = ['uploads/deadline/late-1.jpg', 'uploads/deadline/late-2.jpg'];
    const batch = await uploadAndReceive(env, await photos(keys, 3));
    // One second left in the invocation, all of it the loop's safety margin.
    const response = await handler({ Records: batch.records }, invocationContext(1));
    assert.deepEqual(
      response.batchItemFailures.map((f) => f.itemIdentifier).sort(),
      batch.records.map((r) => r.messageId).sort(),
    );
    for (const record of batch.records) {
      assert.equal(failureOf(record.messageId)?.fields?.code, 'deadline-unstarted');
    }
    for (const { rowKey } of batch.byKey.values())
      assert.equal(await env.table.get(rowKey), undefined, 'no row claimed');
  });

  it('never reports a finished record failed, and a record cut off writes nothing after it was reported failed', {
    timeout: 240_000,
  }, async (t) => {
    const env = await startTestCloud(t);
    const { topology } = env.cloud;
    const hold = putHold();
    const { handler, warnings, failureOf } = startDirectHandler(t, env, {
      addMiddleware: hold.middleware,
      batch: BATCH,
    });

    // The pixel process started and warm: the scenario's time goes to the scenario.
    const warm = await uploadAndReceive(env, await photos(['uploads/deadline/warm.jpg'], 1));
    const warmed = await handler({ Records: warm.records }, invocationContext(60));
    assert.deepEqual(warmed.batchItemFailures, []);

    let judged = false;
    for (const [attempt, seconds] of [4, 8, 16, 32].entries()) {
      const fast = `uploads/deadline/${attempt}/fast.jpg`;
      const slow = `uploads/deadline/${attempt}/slow.jpg`;
      hold.hold(`${slow}/`);
      warnings.length = 0;
      const batch = await uploadAndReceive(env, await photos([fast, slow], 10 + attempt * 2));
      const response: SQSBatchResponse = await handler(
        { Records: batch.records },
        invocationContext(seconds),
      );
      const heldWrites = hold.held.length;
      hold.release();
      const endings = await Promise.all(hold.held);
      if (heldWrites === 0) {
        t.diagnostic(`${seconds} s: the held record did not reach its writes in time; again`);
        continue;
      }
      judged = true;
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      const slowRecord = batch.byKey.get(slow);
      const fastRecord = batch.byKey.get(fast);
      assert.ok(slowRecord && fastRecord);

      // The record cut off: reported failed, with the deadline's error.
      assert.ok(failed.has(slowRecord.record.messageId), 'the held record is reported failed');
      assert.equal(failureOf(slowRecord.record.messageId)?.fields?.code, 'deadline-running');

      // …and nothing written for it after that: its held writes were cancelled, not sent.
      assert.deepEqual(
        endings.filter((e) => e !== 'AbortError'),
        [],
        'every held PutObject was aborted',
      );
      const renditions = [];
      for await (const o of env.store.list(topology.renditionsBucket, `${slow}/`))
        renditions.push(o.key);
      assert.deepEqual(renditions, [], 'no rendition of the record cut off');
      const slowRow = await env.table.get(slowRecord.rowKey);
      assert.notEqual(slowRow?.status, 'DONE');

      // A finished record is never reported failed (it finishes unless this machine is very slow;
      // either way, a DONE row's record is not in batchItemFailures).
      const fastRow = await env.table.get(fastRecord.rowKey);
      if (fastRow?.status === 'DONE')
        assert.ok(!failed.has(fastRecord.record.messageId), 'a DONE record is not reported failed');
      else t.diagnostic(`the other record did not finish in ${seconds} s either`);
      break;
    }
    assert.ok(judged, 'the held record reached its writes before the deadline in one attempt');
  });
});
