/**
 * An embedded local cloud for one test file: its own temporary state directory, its own loopback
 * port, real fauxqs and dynalite, and SDK clients through the project's own adapters.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { allMiddleware, type FaultPlan, faultMiddleware } from '../../cli/fault-injection.ts';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { imageRowKey } from '../../events/image-row.ts';
import {
  LOCAL_ACCOUNT,
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
} from '../../infra/local/cloud.ts';
import {
  type EventSourceMapping,
  type InvocationResult,
  startEventSource,
} from '../../infra/local/event-source.ts';
import { createTopology, type TopologyInput } from '../../infra/topology.ts';
import { type AwsClients, createAwsClients } from '../../lib/aws/clients.ts';
import { expectedEtag } from '../../lib/aws/etag.ts';
import type { RowKey } from '../../lib/aws/image-table.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { ObjectStore } from '../../lib/aws/object-store.ts';
import { Queue } from '../../lib/aws/queue.ts';
import type { ClientMiddleware } from '../../lib/aws/target.ts';
import { configHash, defaultConfig } from '../../lib/config/parse.ts';
import { createProcessHandler, type WorkerSettings } from '../../workers/process-handler.ts';
import { eventually, tempDir } from './temp.ts';

type After = { after: (fn: () => Promise<void>) => void };

export interface TestCloud {
  readonly cloud: LocalCloud;
  readonly clients: AwsClients;
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly workQueue: Queue;
  readonly deadLetterQueue: Queue;
  readonly stateDir: string;
}

export const TEST_BACKOFF = { baseSeconds: 1, factor: 1, maxSeconds: 1 } as const;

/** Test topology: short timeouts so retries happen in seconds, not minutes. */
export const testTopologyInput: Partial<TopologyInput> = {
  workerTimeoutSeconds: 20,
  batchWindowSeconds: 0,
};

export async function startTestCloud(
  t: After,
  options: {
    topology?: Partial<TopologyInput>;
    cloud?: Partial<LocalCloudOptions>;
    stateDir?: string;
    /** Seconds a received message stays invisible; shorter than production to keep tests fast. */
    visibilityTimeoutSeconds?: number;
  } = {},
): Promise<TestCloud> {
  const stateDir = options.stateDir ?? (await tempDir(t, 'cloud'));
  const topology = createTopology({ ...testTopologyInput, ...options.topology });
  const cloud = await startLocalCloud({ stateDir, topology, ...options.cloud });
  const clients = createAwsClients(cloud.target);
  t.after(async () => {
    clients.destroy();
    await cloud.stop();
  });
  const workQueue = await Queue.byName(clients.sqs, topology.workQueue);
  if (options.visibilityTimeoutSeconds !== undefined) {
    // Production derives it from the function timeout (asserted in test/unit and test/infra);
    // here it only makes a retry come round in a second instead of minutes.
    await workQueue.setAttributes({ VisibilityTimeout: String(options.visibilityTimeoutSeconds) });
  }
  return {
    cloud,
    clients,
    store: new ObjectStore(clients.s3),
    table: new ImageTable(clients.dynamo, topology.table),
    workQueue,
    deadLetterQueue: await Queue.byName(clients.sqs, topology.deadLetterQueue),
    stateDir,
  };
}

export interface TestWorker {
  readonly mapping: EventSourceMapping;
  readonly invocations: InvocationResult[];
  /** Every handler response, with the message ids of its batch. */
  readonly responses: { ids: string[]; response: SQSBatchResponse }[];
  readonly config: PixelmillConfig;
}

export function startTestWorker(
  t: After,
  env: TestCloud,
  options: {
    faults?: FaultPlan;
    /** More SDK middleware for the worker's clients (a test holding or watching calls). */
    addMiddleware?: ClientMiddleware;
    /** SDK attempts per call (default: the SDK's 3). */
    maxAttempts?: number;
    concurrency?: number;
    batchSize?: number;
    batchWindowSeconds?: number;
    config?: PixelmillConfig;
    settings?: Partial<WorkerSettings>;
  } = {},
): TestWorker {
  const { topology } = env.cloud;
  const config = options.config ?? defaultConfig();
  const addMiddleware = allMiddleware(
    options.faults ? faultMiddleware(options.faults) : undefined,
    options.addMiddleware,
  );
  const real = createProcessHandler({
    target: {
      ...env.cloud.target,
      ...(addMiddleware ? { addMiddleware } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    },
    uploadsBucket: topology.uploadsBucket,
    uploadsPrefix: topology.uploadsPrefix,
    renditionsBucket: topology.renditionsBucket,
    table: topology.table,
    maxReceiveCount: topology.maxReceiveCount,
    config,
    // Tests read rows, not logs; metrics blobs would otherwise go to the test's stdout.
    output: () => undefined,
    // Retries a second apart instead of 10 s, 20 s, 40 s…: the order of events is what is tested.
    batch: { backoff: TEST_BACKOFF },
    ...options.settings,
  });
  const responses: TestWorker['responses'] = [];
  const invocations: InvocationResult[] = [];
  const mapping = startEventSource({
    queue: env.workQueue,
    handler: async (event: SQSEvent, context) => {
      const response = await real(event, context);
      responses.push({ ids: event.Records.map((r) => r.messageId), response });
      return response;
    },
    fn: {
      functionName: 'pixelmill-worker-test',
      memoryMb: topology.workerMemoryMb,
      timeoutSeconds: topology.workerTimeoutSeconds,
      region: topology.region,
      account: LOCAL_ACCOUNT,
    },
    batchSize: options.batchSize ?? topology.batchSize,
    batchWindowSeconds: options.batchWindowSeconds ?? topology.batchWindowSeconds,
    concurrency: options.concurrency ?? 2,
    waitSeconds: 1,
    onInvoked: (result) => invocations.push(result),
  });
  t.after(async () => {
    await mapping.stop();
    await real.close();
  });
  return { mapping, invocations, responses, config };
}

/** Uploads an image to the uploads bucket; returns the key of the row it will have under `config`. */
export async function uploadImage(
  env: TestCloud,
  key: string,
  body: Buffer,
  config: PixelmillConfig = defaultConfig(),
): Promise<RowKey> {
  const bucket = env.cloud.topology.uploadsBucket;
  await env.store.put(bucket, key, body);
  return imageRowKey({ bucket, key, version: expectedEtag(body), configHash: configHash(config) });
}

/** The image's row once it has an outcome (DONE, REJECTED or FAILED), polled every 200 ms. */
export function settledRow(env: TestCloud, rowKey: RowKey, timeoutMs = 60_000) {
  return eventually(
    `an outcome for ${rowKey.pk}`,
    async () => {
      const row = await env.table.get(rowKey);
      return row && ['DONE', 'REJECTED', 'FAILED'].includes(row.status) ? row : undefined;
    },
    timeoutMs,
    200,
  );
}
