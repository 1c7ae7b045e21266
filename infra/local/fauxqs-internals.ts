/**
 * fauxqs's building blocks, assembled by hand. `startFauxqs()` binds 0.0.0.0 and hides its
 * stores; the local cloud must listen on loopback only and must see every object creation the
 * moment it happens (to raise the S3 → EventBridge event that fauxqs lacks). The pieces are
 * loaded from fauxqs's own files, which its package `exports` does not list, so this module is
 * tied to the exact version pinned in package.json (2.4.1); the integration tests exercise every
 * member used here.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';

export interface FauxqsSqsMessage {
  messageId: string;
  body: string;
  approximateReceiveCount: number;
  /** Epoch ms. */
  sentTimestamp: number;
}

export interface FauxqsInflightEntry {
  message: FauxqsSqsMessage;
  receiptHandle: string;
  visibilityDeadline: number;
}

export interface FauxqsQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  messages: FauxqsSqsMessage[];
  inflightMessages: Map<string, FauxqsInflightEntry>;
  delayedMessages: FauxqsSqsMessage[];
  enqueue(message: FauxqsSqsMessage): void;
  changeVisibility(receiptHandle: string, timeoutSeconds: number): void;
}

export interface FauxqsSqsStore {
  host: string;
  region: string | undefined;
  spy: SpySink | undefined;
  persistence: unknown;
  allQueues(): Iterable<FauxqsQueue>;
  getQueueByName(name: string): FauxqsQueue | undefined;
  getQueue(url: string): FauxqsQueue | undefined;
  shutdown(): void;
}

export interface FauxqsS3Object {
  key: string;
  contentLength: number;
  etag: string;
  lastModified: Date;
  parts?: unknown[];
}

export interface FauxqsS3Store {
  spy: SpySink | undefined;
  persistence: unknown;
  headObject(bucket: string, key: string): FauxqsS3Object;
}

export interface FauxqsSnsStore {
  spy: SpySink | undefined;
  persistence: unknown;
  region: string | undefined;
}

/** What fauxqs's stores report to their spy, synchronously, as each change happens. */
export type SpyEvent =
  | { service: 's3'; bucket: string; key: string; status: string; timestamp: number }
  | { service: 'sqs'; queueName: string; messageId: string; status: string; timestamp: number }
  | { service: 'sns'; status: string; timestamp: number };

export interface SpySink {
  addMessage(event: SpyEvent): void;
}

interface PersistenceManager {
  loadSqsAndSns(sqs: FauxqsSqsStore, sns: FauxqsSnsStore): void;
  close(): void;
}

interface FileS3Persistence {
  loadS3(s3: FauxqsS3Store): void;
  close(): void;
}

export interface FauxqsParts {
  readonly buildApp: (options: {
    logger: boolean;
    host: string;
    defaultRegion: string;
    stores: { sqsStore: FauxqsSqsStore; snsStore: FauxqsSnsStore; s3Store: FauxqsS3Store };
  }) => FastifyInstance;
  readonly SqsStore: {
    new (): FauxqsSqsStore;
    createMessage(body: string): FauxqsSqsMessage;
  };
  readonly SnsStore: new () => FauxqsSnsStore;
  readonly S3Store: new () => FauxqsS3Store;
  readonly PersistenceManager: new (dataDir: string) => PersistenceManager;
  readonly FileS3Persistence: new (dir: string) => FileS3Persistence;
}

let parts: Promise<FauxqsParts> | undefined;

export function loadFauxqsParts(): Promise<FauxqsParts> {
  parts ??= (async () => {
    const dist = dirname(fileURLToPath(import.meta.resolve('fauxqs')));
    const load = (file: string) => import(pathToFileURL(join(dist, file)).href);
    const [app, sqs, sns, s3, persistence, fileS3] = await Promise.all([
      load('app.js'),
      load('sqs/sqsStore.js'),
      load('sns/snsStore.js'),
      load('s3/s3Store.js'),
      load('persistence.js'),
      load('s3/fileS3Persistence.js'),
    ]);
    return {
      buildApp: app.buildApp,
      SqsStore: sqs.SqsStore,
      SnsStore: sns.SnsStore,
      S3Store: s3.S3Store,
      PersistenceManager: persistence.PersistenceManager,
      FileS3Persistence: fileS3.FileS3Persistence,
    } satisfies FauxqsParts;
  })();
  return parts;
}
