/**
 * The real image worker's handler (workers/process-handler.ts) invoked by the test itself, as
 * Lambda would invoke it, instead of by the local event-source mapping: the test receives the
 * messages, chooses the batch and the invocation's remaining time, and reads the response. For
 * tests of one invocation (deadlines, lost leases), where a mapping's redeliveries would blur it.
 */
import assert from 'node:assert/strict';
import type { Context, SQSRecord } from 'aws-lambda';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { toRecord } from '../../infra/local/event-source.ts';
import { createLambdaContext } from '../../infra/local/lambda-context.ts';
import type { RowKey } from '../../lib/aws/image-table.ts';
import type { ClientMiddleware } from '../../lib/aws/target.ts';
import { defaultConfig } from '../../lib/config/parse.ts';
import type { PipelineLogger } from '../../lib/pipeline/log.ts';
import type { BatchOptions } from '../../lib/pipeline/process-batch.ts';
import { createProcessHandler } from '../../workers/process-handler.ts';
import { type TestCloud, uploadImage } from './local-cloud.ts';

export interface LogLine {
  readonly message: string;
  readonly fields?: Record<string, unknown> | undefined;
}

/** The pipeline's warnings and errors, kept for the test to read. */
function capturingLogger(lines: LogLine[]): PipelineLogger {
  return {
    debug() {},
    info() {},
    warn: (message, fields) => lines.push({ message, fields }),
    error: (message, fields) => lines.push({ message, fields }),
  };
}

/** A Lambda context whose invocation has `timeoutSeconds` left from now. */
export function invocationContext(timeoutSeconds: number): Context {
  return createLambdaContext({
    functionName: 'pixelmill-direct-test',
    memoryMb: 2048,
    timeoutSeconds,
    region: 'us-east-1',
    account: '000000000000',
  });
}

/** The handler on the test cloud, with its warnings captured; closed when the test ends. */
export function startDirectHandler(
  t: { after: (fn: () => Promise<void>) => void },
  env: TestCloud,
  options: {
    addMiddleware?: ClientMiddleware;
    batch?: Partial<BatchOptions>;
    config?: PixelmillConfig;
  } = {},
) {
  const { topology } = env.cloud;
  const warnings: LogLine[] = [];
  const handler = createProcessHandler({
    target: {
      ...env.cloud.target,
      ...(options.addMiddleware ? { addMiddleware: options.addMiddleware } : {}),
    },
    uploadsBucket: topology.uploadsBucket,
    uploadsPrefix: topology.uploadsPrefix,
    renditionsBucket: topology.renditionsBucket,
    table: topology.table,
    maxReceiveCount: topology.maxReceiveCount,
    config: options.config ?? defaultConfig(),
    output: () => undefined,
    log: capturingLogger(warnings),
    ...(options.batch ? { batch: options.batch } : {}),
    pixels: { processes: 1 },
  });
  t.after(() => handler.close());
  /** The warning the partial-batch middleware logs for a record reported failed. */
  const failureOf = (messageId: string) =>
    warnings.find(
      (w) => w.message === 'record reported as failed' && w.fields?.messageId === messageId,
    );
  return { handler, warnings, failureOf };
}

/**
 * Uploads each body under its key and receives the messages their events raised, as Lambda's
 * records; `byKey` gives each key's record and row key.
 */
export async function uploadAndReceive(
  env: TestCloud,
  uploads: readonly { key: string; body: Buffer }[],
): Promise<{ records: SQSRecord[]; byKey: Map<string, { record: SQSRecord; rowKey: RowKey }> }> {
  const rowKeys = new Map<string, RowKey>();
  for (const { key, body } of uploads) rowKeys.set(key, await uploadImage(env, key, body));
  const messages = [];
  while (messages.length < uploads.length) {
    messages.push(
      ...(await env.workQueue.receive({
        max: uploads.length,
        waitSeconds: 1,
        visibilityTimeout: 60,
      })),
    );
  }
  const records = messages.map((m) => toRecord(m, env.workQueue.arn, env.cloud.topology.region));
  const byKey = new Map(
    uploads.map(({ key }) => {
      const record = records.find((r) => r.body.includes(JSON.stringify(key).slice(1, -1)));
      const rowKey = rowKeys.get(key);
      assert.ok(record && rowKey, `a message for ${key}`);
      return [key, { record, rowKey }];
    }),
  );
  return { records, byKey };
}
