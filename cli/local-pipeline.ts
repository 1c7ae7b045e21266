/**
 * Wires the pipeline together on one machine, as Lambda and the CDK stack do on AWS: the embedded
 * local cloud (started here, or already running on the same state directory), and the image
 * worker's handler run by the local SQS event-source mapping.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_ACCOUNT, type LocalCloud, startLocalCloud } from '../infra/local/cloud.ts';
import { CloudAlreadyRunningError } from '../infra/local/errors.ts';
import { type EventSourceMapping, startEventSource } from '../infra/local/event-source.ts';
import { statePaths } from '../infra/local/state-dir.ts';
import { topology as defaultTopology, type Topology } from '../infra/topology.ts';
import { createAwsClients } from '../lib/aws/clients.ts';
import { ImageTable } from '../lib/aws/image-table.ts';
import { ObjectStore } from '../lib/aws/object-store.ts';
import { Queue } from '../lib/aws/queue.ts';
import { type AwsTarget, LOCAL_CREDENTIALS } from '../lib/aws/target.ts';
import { configHash } from '../lib/config/parse.ts';
import type { PixelmillConfig } from '../lib/config/schema.ts';
import type { PipelineResources } from '../lib/ops/resources.ts';
import { jsonLineLogger, type PipelineLogger } from '../lib/pipeline/log.ts';
import { createProcessHandler } from '../workers/process-handler.ts';

export interface LocalPipelineOptions {
  readonly stateDir: string;
  readonly config: PixelmillConfig;
  /** Batches processed at once. */
  readonly concurrency: number;
  readonly topology?: Topology;
}

export interface LocalPipeline {
  /** The cloud this process started; undefined when it attached to a running one. */
  readonly cloud: LocalCloud | undefined;
  readonly target: AwsTarget;
  readonly resources: PipelineResources;
  readonly store: ObjectStore;
  readonly table: ImageTable;
  readonly workQueue: Queue;
  readonly configHash: string;
  readonly logFile: string;
  readonly eventSource: EventSourceMapping;
  stop(): Promise<void>;
}

function fileLogger(
  stateDir: string,
  component: string,
): { log: PipelineLogger; file: string; stream: WriteStream } {
  const dir = join(statePaths(stateDir).root, 'logs');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'pixelmill.log');
  const stream = createWriteStream(file, { flags: 'a' });
  const log = jsonLineLogger({
    write: (line) => stream.write(`${line}\n`),
    base: { component, pid: process.pid },
  });
  return { log, file, stream };
}

export async function startLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const topology = options.topology ?? defaultTopology;
  const { log, file, stream } = fileLogger(options.stateDir, 'local-cloud');
  let cloud: LocalCloud | undefined;
  let target: AwsTarget;
  try {
    cloud = await startLocalCloud({ stateDir: options.stateDir, topology, log });
    target = cloud.target;
  } catch (error) {
    if (!(error instanceof CloudAlreadyRunningError)) throw error;
    target = { region: topology.region, endpoint: error.endpoint, credentials: LOCAL_CREDENTIALS };
  }
  const clients = createAwsClients(target);
  const workQueue = await Queue.byName(clients.sqs, topology.workQueue);
  const deadLetter = await Queue.byName(clients.sqs, topology.deadLetterQueue);
  const hash = configHash(options.config);

  const handler = createProcessHandler({
    target,
    renditionsBucket: topology.renditionsBucket,
    table: topology.table,
    maxReceiveCount: topology.maxReceiveCount,
    config: options.config,
    // The worker's Powertools log lines and EMF metric blobs, as on Lambda, into the log file:
    // stdout is the CLI's own (`--json`).
    output: (line) => stream.write(`${line}\n`),
    logKeys: { component: 'worker', pid: process.pid },
  });
  const eventSource = startEventSource({
    queue: workQueue,
    handler,
    fn: {
      functionName: 'pixelmill-worker',
      memoryMb: topology.workerMemoryMb,
      timeoutSeconds: topology.workerTimeoutSeconds,
      region: topology.region,
      account: LOCAL_ACCOUNT,
    },
    batchSize: topology.batchSize,
    batchWindowSeconds: topology.batchWindowSeconds,
    concurrency: options.concurrency,
    log,
  });

  let stopped: Promise<void> | undefined;
  return {
    cloud,
    target,
    resources: {
      uploadsBucket: topology.uploadsBucket,
      uploadsPrefix: topology.uploadsPrefix,
      renditionsBucket: topology.renditionsBucket,
      table: topology.table,
      workQueueUrl: workQueue.url,
      deadLetterQueueUrl: deadLetter.url,
    },
    store: new ObjectStore(clients.s3),
    table: new ImageTable(clients.dynamo, topology.table),
    workQueue,
    configHash: hash,
    logFile: file,
    eventSource,
    stop() {
      stopped ??= (async () => {
        await eventSource.stop();
        clients.destroy();
        await cloud?.stop();
        await new Promise<void>((resolve) => stream.end(() => resolve()));
      })();
      return stopped;
    },
  };
}
