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
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { imageRowKey } from '../../events/image-row.ts';
import { toRecord } from '../../infra/local/event-source.ts';
import { createLambdaContext } from '../../infra/local/lambda-context.ts';
import { expectedEtag } from '../../lib/aws/etag.ts';
import type { ClientMiddleware } from '../../lib/aws/target.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import type { PipelineLogger } from '../../lib/pipeline/log.ts';
import { createProcessHandler } from '../../workers/process-handler.ts';
import { photoLike } from '../fixtures/catalogue.ts';
import { startTestCloud, type TestCloud } from '../helpers/local-cloud.ts';

const SAFETY_MARGIN_MS = 1000;

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

interface Warning {
  readonly message: string;
  readonly fields?: Record<string, unknown> | undefined;
}

function capturingLogger(warnings: Warning[]): PipelineLogger {
  return {
    debug() {},
    info() {},
    warn: (message, fields) => warnings.push({ message, fields }),
    error: (message, fields) => warnings.push({ message, fields }),
  };
}

async function uploadAndReceive(env: TestCloud, keys: readonly string[], seed: number) {
  const bucket = env.cloud.topology.uploadsBucket;
  const bodies = await Promise.all(keys.map((_, i) => photoLike(64, 48, seed + i)));
  for (const [i, key] of keys.entries())
    await env.store.put(bucket, key, bodies[i] ?? Buffer.alloc(0));
  const messages = [];
  while (messages.length < keys.length) {
    messages.push(
      ...(await env.workQueue.receive({ max: keys.length, waitSeconds: 1, visibilityTimeout: 60 })),
    );
  }
  const records = messages.map((m) => toRecord(m, env.workQueue.arn, env.cloud.topology.region));
  const byKey = new Map(
    keys.map((key, i) => {
      const record = records.find((r) => r.body.includes(JSON.stringify(key).slice(1, -1)));
      assert.ok(record, `a message for ${key}`);
      const version = expectedEtag(bodies[i] ?? Buffer.alloc(0));
      return [key, { record, rowKey: imageRowKey({ bucket, key, version, configHash: hash }) }];
    }),
  );
  return { records, byKey };
}

const hash = configHash(defaultConfig());

function context(timeoutSeconds: number): Context {
  return createLambdaContext({
    functionName: 'pixelmill-deadline-test',
    memoryMb: 2048,
    timeoutSeconds,
    region: 'us-east-1',
    account: '000000000000',
  });
}

function startHandler(
  t: { after: (fn: () => Promise<void>) => void },
  env: TestCloud,
  warnings: Warning[],
  addMiddleware?: ClientMiddleware,
) {
  const { topology } = env.cloud;
  const handler = createProcessHandler({
    target: { ...env.cloud.target, ...(addMiddleware ? { addMiddleware } : {}) },
    uploadsBucket: topology.uploadsBucket,
    uploadsPrefix: topology.uploadsPrefix,
    renditionsBucket: topology.renditionsBucket,
    table: topology.table,
    maxReceiveCount: topology.maxReceiveCount,
    config: defaultConfig(),
    output: () => undefined,
    log: capturingLogger(warnings),
    batch: { safetyMarginMs: SAFETY_MARGIN_MS, minRecordMs: 100, concurrency: 2 },
    pixels: { processes: 1 },
  });
  t.after(() => handler.close());
  return handler;
}

describe('the record loop deadline, through the real handler', () => {
  it('starts no record once too little time is left: each is reported failed, none claimed', async (t) => {
    const env = await startTestCloud(t);
    const warnings: Warning[] = [];
    const handler = startHandler(t, env, warnings);
    const keys = ['uploads/deadline/late-1.jpg', 'uploads/deadline/late-2.jpg'];
    const batch = await uploadAndReceive(env, keys, 3);
    // One second left in the invocation, all of it the loop's safety margin.
    const response = await handler({ Records: batch.records }, context(1));
    assert.deepEqual(
      response.batchItemFailures.map((f) => f.itemIdentifier).sort(),
      batch.records.map((r) => r.messageId).sort(),
    );
    for (const record of batch.records) {
      const reported = warnings.find(
        (w) =>
          w.message === 'record reported as failed' && w.fields?.messageId === record.messageId,
      );
      assert.equal(reported?.fields?.code, 'deadline-unstarted');
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
    const warnings: Warning[] = [];
    const handler = startHandler(t, env, warnings, hold.middleware);

    // The pixel process started and warm: the scenario's time goes to the scenario.
    const warm = await uploadAndReceive(env, ['uploads/deadline/warm.jpg'], 1);
    const warmed = await handler({ Records: warm.records }, context(60));
    assert.deepEqual(warmed.batchItemFailures, []);

    let judged = false;
    for (const [attempt, seconds] of [4, 8, 16, 32].entries()) {
      const fast = `uploads/deadline/${attempt}/fast.jpg`;
      const slow = `uploads/deadline/${attempt}/slow.jpg`;
      hold.hold(`${slow}/`);
      warnings.length = 0;
      const batch = await uploadAndReceive(env, [fast, slow], 10 + attempt * 2);
      const response: SQSBatchResponse = await handler(
        { Records: batch.records },
        context(seconds),
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
      const reported = warnings.find(
        (w) =>
          w.message === 'record reported as failed' &&
          w.fields?.messageId === slowRecord.record.messageId,
      );
      assert.equal(reported?.fields?.code, 'deadline-running');

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
