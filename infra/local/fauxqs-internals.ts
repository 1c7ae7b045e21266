/**
 * fauxqs's building blocks, assembled by hand. `startFauxqs()` binds 0.0.0.0 and hides its
 * stores; the local cloud must listen on loopback only and must see every object creation the
 * moment it happens (to raise the S3 → EventBridge event that fauxqs lacks). S3 persistence is not
 * fauxqs's: its `FileS3Persistence` turns keys into paths (`..` climbs out of the state directory),
 * so the S3 store is given our `HashedS3Persistence`, which implements the provider contract
 * typed below (`FauxqsS3Persistence`, fauxqs's `S3PersistenceProvider`). The pieces are loaded
 * from fauxqs's own files, which its package `exports` does not list, so this module and that
 * contract are tied to the exact version pinned in package.json (2.4.1); the integration tests
 * exercise every member used here.
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
  /** Renamed when the cloud's port changes (queue-urls.ts). */
  url: string;
  readonly arn: string;
  messages: FauxqsSqsMessage[];
  inflightMessages: Map<string, FauxqsInflightEntry>;
  delayedMessages: FauxqsSqsMessage[];
  enqueue(message: FauxqsSqsMessage): void;
  changeVisibility(receiptHandle: string, timeoutSeconds: number): void;
  /** Makes messages whose visibility timeout or delay has lapsed visible again. */
  processTimers(): void;
}

export interface FauxqsSqsStore {
  host: string;
  region: string | undefined;
  spy: SpySink | undefined;
  persistence: unknown;
  /** Queues by URL. */
  queues: Map<string, FauxqsQueue>;
  allQueues(): Iterable<FauxqsQueue>;
  buildQueueUrl(name: string, port: string, requestHost: string, region: string): string;
  /** `processTimers` on every queue. */
  processAllTimers(): void;
  getQueueByName(name: string): FauxqsQueue | undefined;
  getQueue(url: string): FauxqsQueue | undefined;
  shutdown(): void;
}

export type FauxqsChecksumAlgorithm = 'CRC32' | 'SHA1' | 'SHA256';

/** fauxqs's `S3Object`. With persistence on, the store keeps `body` empty and reads it on demand. */
export interface FauxqsS3Object {
  key: string;
  body: Buffer;
  contentType: string;
  contentLength: number;
  /** Quoted, as S3 sends it. */
  etag: string;
  lastModified: Date;
  metadata: Record<string, string>;
  contentLanguage?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentEncoding?: string;
  parts?: { partNumber: number; offset: number; length: number }[];
  checksumAlgorithm?: FauxqsChecksumAlgorithm;
  checksumValue?: string;
  checksumType?: 'FULL_OBJECT' | 'COMPOSITE';
  partChecksums?: string[];
}

export interface FauxqsMultipartPart {
  partNumber: number;
  body: Buffer;
  etag: string;
  lastModified: Date;
  checksumValue?: string;
}

export interface FauxqsMultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  contentType: string;
  metadata: Record<string, string>;
  parts: Map<number, FauxqsMultipartPart>;
  initiated: Date;
  contentLanguage?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentEncoding?: string;
  checksumAlgorithm?: FauxqsChecksumAlgorithm;
}

export type FauxqsBucketType = 'general-purpose' | 'directory';

export interface FauxqsS3Store {
  spy: SpySink | undefined;
  persistence: FauxqsS3Persistence | undefined;
  /** Each bucket's objects by key: replaced by index-backed maps (s3-indexed-store.ts). */
  buckets: Map<string, unknown>;
  listObjects(
    bucket: string,
    options?: {
      prefix?: string;
      delimiter?: string;
      maxKeys?: number;
      startAfter?: string;
      marker?: string;
    },
  ): { objects: FauxqsS3Object[]; commonPrefixes: string[]; isTruncated: boolean };
  headObject(bucket: string, key: string): FauxqsS3Object;
  putObject(bucket: string, key: string, body: Buffer, contentType?: string): FauxqsS3Object;
  /** Validates the name (throws an S3 error); a no-op for a bucket that exists. */
  createBucket(name: string, type?: FauxqsBucketType): void;
  hasBucket(name: string): boolean;
  setBucketCreationDate(name: string, date: Date): void;
  restoreBucketLifecycleConfiguration(name: string, config: string): void;
  restoreObject(bucket: string, object: FauxqsS3Object): void;
  restoreMultipartUpload(upload: FauxqsMultipartUpload): void;
}

/**
 * What fauxqs 2.4.1's S3 store (and its app's reset/purge) call on a persistence provider
 * (`S3PersistenceProvider` in dist/s3/s3Persistence.d.ts). Every call is synchronous, inside the
 * request that caused it; the store calls `loadS3` only on start, before persistence is wired in.
 */
export interface FauxqsS3Persistence {
  insertBucket(name: string, creationDate: Date, type: FauxqsBucketType): void;
  deleteBucket(name: string): void;
  saveBucketLifecycleConfiguration(bucket: string, config: string): void;
  deleteBucketLifecycleConfiguration(bucket: string): void;
  upsertObject(bucket: string, object: FauxqsS3Object): void;
  deleteObject(bucket: string, key: string): void;
  deleteObjectsByBucket(bucket: string): void;
  deleteAllObjects(): void;
  renameObject(bucket: string, sourceKey: string, destKey: string): void;
  readBody(bucket: string, key: string): Buffer;
  insertMultipartUpload(upload: FauxqsMultipartUpload): void;
  upsertMultipartPart(uploadId: string, part: FauxqsMultipartPart): void;
  deleteMultipartUpload(uploadId: string): void;
  completeMultipartUpload(uploadId: string, bucket: string, object: FauxqsS3Object): void;
  deleteAllMultipartUploads(): void;
  loadS3(store: FauxqsS3Store): void;
  purgeAll(): void;
  close(): void;
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
  /** Its node:sqlite database (the local cloud sets a pragma on it). */
  readonly db: {
    exec(sql: string): void;
    prepare(sql: string): { run(...values: string[]): unknown };
  };
  loadSqsAndSns(sqs: FauxqsSqsStore, sns: FauxqsSnsStore): void;
  close(): void;
}

/** fauxqs's S3 error: its router answers it as S3's XML error with this code and status. */
export type FauxqsS3ErrorClass = new (
  code: string,
  message: string,
  statusCode?: number,
  resource?: string,
) => Error;

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
  readonly S3Error: FauxqsS3ErrorClass;
}

let parts: Promise<FauxqsParts> | undefined;

export function loadFauxqsParts(): Promise<FauxqsParts> {
  parts ??= (async () => {
    const dist = dirname(fileURLToPath(import.meta.resolve('fauxqs')));
    const load = (file: string) => import(pathToFileURL(join(dist, file)).href);
    const [app, sqs, sns, s3, persistence, errors] = await Promise.all([
      load('app.js'),
      load('sqs/sqsStore.js'),
      load('sns/snsStore.js'),
      load('s3/s3Store.js'),
      load('persistence.js'),
      load('common/errors.js'),
    ]);
    return {
      buildApp: app.buildApp,
      SqsStore: sqs.SqsStore,
      SnsStore: sns.SnsStore,
      S3Store: s3.S3Store,
      PersistenceManager: persistence.PersistenceManager,
      S3Error: errors.S3Error,
    } satisfies FauxqsParts;
  })();
  return parts;
}
