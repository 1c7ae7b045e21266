/**
 * A bad day for the account's limits: 20 % of the worker's S3 and DynamoDB calls are throttled.
 * The faults are injected inside the SDK's retry loop (cli/fault-injection.ts), so the SDK's
 * own three attempts retry them as they retry AWS's; what gets past those is retried by SQS,
 * with backoff, up to 8 receives. That must be enough: nothing may reach the DLQ.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FaultRule } from '../../cli/fault-injection.ts';
import { startTestCloud, startTestWorker } from '../helpers/local-cloud.ts';
import { chaosSize, SCENARIO_TIMEOUT_MS, settleAndJudge, uploadChaosImages } from './harness.ts';
import { chaosSeed } from './random.ts';

const IMAGES = chaosSize(40, 300);
const RATE = 0.2;

describe('chaos: throttling', () => {
  it(`${RATE * 100} % of S3 and DynamoDB calls throttled over ${IMAGES} images: 0 lost, 0 in the DLQ`, {
    timeout: SCENARIO_TIMEOUT_MS,
  }, async (t) => {
    const seed = chaosSeed();
    t.diagnostic(
      `seed ${seed} (PIXELMILL_CHAOS_SEED=${seed} replays the same fault sequence; which call meets it still varies)`,
    );
    const env = await startTestCloud(t);
    const injected = { s3: 0, dynamodb: 0, sqs: 0 };
    const rules: FaultRule[] = [
      { service: 's3', rate: RATE, error: 'throttle' },
      { service: 'dynamodb', rate: RATE, error: 'throttle' },
    ];
    const worker = startTestWorker(t, env, {
      concurrency: 2,
      faults: { seed, rules, onInjected: (rule) => injected[rule.service]++ },
    });
    const expected = await uploadChaosImages(env, 'throttled', IMAGES);

    const state = await settleAndJudge(t, env, {
      scenario: 'throttling',
      faults: injected.s3 + injected.dynamodb,
      faultDetail: `${injected.s3} on S3, ${injected.dynamodb} on DynamoDB`,
      expected,
      // A throttled GetItem or UpdateItem of the LATEST row gets past the SDK's retries in about
      // 1.6 % of images; publishLatest swallows it.
    });
    const retried = state.versionRows.filter((r) => r.attempts > 1).length;
    t.diagnostic(
      `${retried} images needed more than one receive (the SDK's retries were not enough)`,
    );
    assert.ok(injected.s3 > 0 && injected.dynamodb > 0, 'both services were throttled');
    assert.equal(worker.invocations.filter((i) => i.wholeBatchFailed).length, 0);
  });
});
