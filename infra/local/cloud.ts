/**
 * The embedded local cloud: S3 and SQS (fauxqs) and DynamoDB (dynalite) in this process, on one
 * loopback endpoint, persisted under the state directory, provisioned from the topology, plus the
 * EventBridge hop the emulators lack. Every pixelmill component talks to it through the AWS SDK,
 * exactly as it talks to AWS.
 */

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import dynalite from 'dynalite';
import type { ObjectCreatedEvent } from '../../events/object-created.ts';
import { type AwsTarget, LOCAL_CREDENTIALS } from '../../lib/aws/target.ts';
import { type PipelineLogger, silentLogger } from '../../lib/pipeline/log.ts';
import { topology as defaultTopology, type Topology } from '../topology.ts';
import { CLOUD_IDENTITY_PATH, type CloudIdentity } from './cloud-identity.ts';
import { type CloudOwnership, tryOwnCloud } from './cloud-owner.ts';
import { cacheDynaliteExpressions } from './dynalite-expression-cache.ts';
import { cacheDynaliteTables } from './dynalite-table-cache.ts';
import { addEmulatorFixes } from './emulator-fixes.ts';
import { CloudAlreadyRunningError } from './errors.ts';
import { type BridgeOutcome, LocalEventBridge } from './event-bridge.ts';
import { type FauxqsQueue, loadFauxqsParts, type SpyEvent } from './fauxqs-internals.ts';
import { HashedS3Persistence } from './hashed-s3-persistence.ts';
import { provisionCloud } from './provision.ts';
import { rehomeQueueUrls } from './queue-urls.ts';
import { migrateLegacyS3Layout } from './s3-legacy-migration.ts';
import { createSequencer } from './sequencer.ts';
import {
  ensureStateDirs,
  readCloudFile,
  type StatePaths,
  statePaths,
  writeCloudFile,
} from './state-dir.ts';

/** fauxqs's fixed account id. */
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalCloudOptions {
  readonly stateDir: string;
  readonly topology?: Topology;
  /**
   * Loopback port; by default the one the last cloud on this state dir used (so the processes
   * that used it find it again), or any free one when that one is taken.
   */
  readonly port?: number;
  readonly log?: PipelineLogger;
  /** How many times the EventBridge hop delivers an event (event-bridge.ts): tests lose or repeat some. */
  readonly deliveriesOf?: (event: ObjectCreatedEvent) => number;
  readonly onEvent?: (event: ObjectCreatedEvent, outcome: BridgeOutcome) => void;
}

/** What any running local cloud offers its user, in this thread or its own (cloud-thread.ts). */
export interface LocalCloudInfo {
  readonly endpoint: string;
  readonly target: AwsTarget;
  readonly topology: Topology;
  readonly stateDir: string;
  readonly queueUrls: {
    readonly work: string;
    readonly deadLetter: string;
    readonly ruleDeadLetter: string;
  };
  /** Messages that were in flight when the previous cloud on this state dir stopped. */
  readonly releasedOnStart: number;
  stop(): Promise<void>;
}

/** A cloud in this thread: also its EventBridge hop, which tests observe and steer. */
export interface LocalCloud extends LocalCloudInfo {
  readonly bridge: LocalEventBridge;
}

function isDynamoRequest(headers: IncomingMessage['headers']): boolean {
  const target = headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith('DynamoDB_');
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) =>
    server.close((error) => (error ? reject(error) : resolve())),
  );
}

/**
 * Starts the cloud of a state directory, unless another process (or another cloud in this one)
 * runs it: then CloudAlreadyRunningError. The directory is held (cloud-owner.ts) until `stop()`.
 */
export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const paths = statePaths(options.stateDir);
  ensureStateDirs(paths);
  const ownership = tryOwnCloud(paths);
  if (!ownership) throw new CloudAlreadyRunningError(paths.root, readCloudFile(paths)?.endpoint);
  try {
    return await startOwnedCloud(options, paths, ownership);
  } catch (error) {
    ownership.release();
    throw error;
  }
}

async function startOwnedCloud(
  options: LocalCloudOptions,
  paths: StatePaths,
  ownership: CloudOwnership,
): Promise<LocalCloud> {
  const topology = options.topology ?? defaultTopology;
  const log = options.log ?? silentLogger;
  // The last cloud's file: nobody else holds the directory, so that cloud is gone; its port is
  // taken again so that the processes that used it (workers waiting for it) find this one.
  const previous = readCloudFile(paths);

  const parts = await loadFauxqsParts();
  const sqsStore = new parts.SqsStore();
  const snsStore = new parts.SnsStore();
  const s3Store = new parts.S3Store();
  const sqsPersistence = new parts.PersistenceManager(paths.sqs);
  // fauxqs opens SQLite in WAL mode with the default synchronous=FULL: an fsync on every message
  // sent, received and deleted. NORMAL keeps every commit through a crash of this process (WAL)
  // and can lose only the last ones to a power cut — which the audit repairs from the uploads.
  sqsPersistence.db.exec('PRAGMA synchronous = NORMAL');
  // Objects stored by fauxqs's own layout (keys as paths) move into the hashed one first.
  const migrated = migrateLegacyS3Layout(paths.s3);
  if (migrated) {
    const level = migrated.leftBehind > 0 ? 'warn' : 'info';
    log[level]('moved S3 objects from the old key-as-path layout', { ...migrated });
  }
  const s3Persistence = new HashedS3Persistence(paths.s3, parts.S3Error);
  // Load before wiring persistence in, as fauxqs itself does, so loading writes nothing back.
  sqsPersistence.loadSqsAndSns(sqsStore, snsStore);
  const loaded = s3Persistence.loadS3(s3Store);
  if (loaded.skipped.length > 0) {
    log.warn('S3 files not loaded: they are not where their bucket and key would put them', {
      count: loaded.skipped.length,
      examples: loaded.skipped.slice(0, 5),
    });
  }
  sqsStore.persistence = sqsPersistence;
  snsStore.persistence = sqsPersistence;
  s3Store.persistence = s3Persistence;
  const queues: FauxqsQueue[] = [...sqsStore.allQueues()];
  for (const queue of queues)
    (queue as unknown as { persistence: unknown }).persistence = sqsPersistence;

  // Whoever held these messages ran against the previous cloud on this state dir and is gone
  // with it. Without this they would stay invisible for the full visibility timeout (minutes).
  // One second, never zero: see DESIGN.md's fauxqs gaps.
  let releasedOnStart = 0;
  for (const queue of queues) {
    for (const handle of [...queue.inflightMessages.keys()]) {
      queue.changeVisibility(handle, 1);
      releasedOnStart++;
    }
  }

  const bridge = new LocalEventBridge({
    pattern: topology.rulePattern,
    region: topology.region,
    account: LOCAL_ACCOUNT,
    nextSequencer: createSequencer(),
    deliver: (body) => {
      const queue = sqsStore.getQueueByName(topology.workQueue);
      if (!queue) throw new Error(`rule target queue ${topology.workQueue} does not exist`);
      queue.enqueue(parts.SqsStore.createMessage(body));
    },
    deadLetter: (body, error) => {
      log.error('event not delivered to the work queue; sent to the rule DLQ', {
        error: error instanceof Error ? error.message : String(error),
      });
      sqsStore
        .getQueueByName(topology.ruleDeadLetterQueue)
        ?.enqueue(parts.SqsStore.createMessage(body));
    },
    deliveriesOf: options.deliveriesOf,
    onEvent: options.onEvent,
  });

  // fauxqs reports each object creation synchronously, inside the request that made it. Only
  // the uploads bucket has EventBridge notifications enabled, as in the CDK stack.
  s3Store.spy = {
    addMessage(event: SpyEvent) {
      if (event.service !== 's3' || event.status !== 'uploaded') return;
      if (event.bucket !== topology.uploadsBucket) return;
      const object = s3Store.headObject(event.bucket, event.key);
      bridge.objectCreated({
        bucket: event.bucket,
        key: event.key,
        size: object.contentLength,
        etag: object.etag.replaceAll('"', ''),
        multipart: Array.isArray(object.parts) && object.parts.length > 0,
      });
    },
  };

  cacheDynaliteExpressions();
  cacheDynaliteTables();
  const dynamo = dynalite({
    path: paths.dynamodb,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  // Requests reach dynalite in-process (below), never through this socket. It listens only
  // because dynalite closes its LevelDB from server.close(), which fails early on a server that
  // never listened: the database would stay open and locked after stop().
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', () => resolve());
  });
  const app = parts.buildApp({
    logger: false,
    host: 'localhost',
    defaultRegion: topology.region,
    stores: { sqsStore, snsStore, s3Store },
  });
  // One endpoint for all three services: DynamoDB's JSON protocol is recognised by its target
  // header and handed, unparsed, to dynalite's own request handler in this process.
  app.addHook('onRequest', async (request, reply) => {
    if (!isDynamoRequest(request.headers)) return;
    reply.hijack();
    dynamo.emit('request', request.raw, reply.raw as ServerResponse);
    return reply;
  });
  addEmulatorFixes(app, sqsStore, log);
  // Proof, for the processes that read cloud.json, that this endpoint is this cloud.
  const token = randomUUID();
  app.get(
    CLOUD_IDENTITY_PATH,
    async (): Promise<CloudIdentity> => ({ token, stateDir: paths.root, pid: process.pid }),
  );
  // Long polls waiting on a queue are answered now, so that stopping does not wait out 20 s
  // for each; the stores are closed once the server has finished every request it accepted.
  app.addHook('preClose', (done) => {
    sqsStore.shutdown();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    sqsPersistence.close();
    s3Persistence.close();
    done();
  });

  const wantedPort = options.port ?? previous?.port ?? 0;
  let address: string;
  try {
    address = await app.listen({ port: wantedPort, host: '127.0.0.1' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || options.port !== undefined) {
      throw error;
    }
    address = await app.listen({ port: 0, host: '127.0.0.1' });
  }
  const port = Number(new URL(address).port);
  const endpoint = `http://127.0.0.1:${port}`;
  const rehomed = rehomeQueueUrls(sqsStore, sqsPersistence.db, port);
  if (rehomed > 0) log.info('queue URLs renamed for the port of this cloud', { port, rehomed });
  const target: AwsTarget = { region: topology.region, endpoint, credentials: LOCAL_CREDENTIALS };

  let queueUrls: LocalCloud['queueUrls'];
  try {
    queueUrls = await provisionCloud(target, topology);
  } catch (error) {
    await app.close();
    await closeServer(dynamo);
    throw error;
  }

  writeCloudFile(paths, {
    pid: process.pid,
    endpoint,
    region: topology.region,
    port,
    startedAt: new Date().toISOString(),
    token,
  });
  if (releasedOnStart > 0) {
    log.info('released messages left in flight by the previous cloud', { count: releasedOnStart });
  }

  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    target,
    topology,
    stateDir: paths.root,
    bridge,
    queueUrls,
    releasedOnStart,
    stop() {
      stopped ??= (async () => {
        await app.close();
        await closeServer(dynamo);
        // cloud.json stays: the next cloud on this directory takes its port again. Whoever reads
        // it meanwhile finds no answer with its token, so nobody takes it for a running cloud.
        ownership.release();
      })();
      return stopped;
    },
  };
}
