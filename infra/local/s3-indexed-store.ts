/**
 * Puts fauxqs's S3 store onto the object index (s3-object-index.ts) instead of its in-memory
 * maps. fauxqs 2.4.1's `S3Store` keeps `buckets: Map<bucket, Map<key, object>>` and reaches each
 * bucket's map only through get, set, has, delete, size, values and clear (read in
 * dist/s3/s3Store.js and every action under dist/s3/actions/): each bucket gets a map of that
 * shape whose entries live in the index, and `listObjects` — which copied and sorted the whole
 * bucket on every page, by `localeCompare` rather than S3's byte order — becomes a range query.
 */
import type { FauxqsS3Object } from './fauxqs-internals.ts';
import type { S3ObjectIndex } from './s3-object-index.ts';

/** One bucket's objects, as the Map fauxqs expects, held in the index. */
export class IndexedObjectMap {
  readonly #index: S3ObjectIndex;
  readonly #bucket: string;

  constructor(index: S3ObjectIndex, bucket: string) {
    this.#index = index;
    this.#bucket = bucket;
  }

  get(key: string): FauxqsS3Object | undefined {
    return this.#index.get(this.#bucket, key);
  }

  has(key: string): boolean {
    return this.#index.has(this.#bucket, key);
  }

  /** fauxqs sets an object just after its persistence wrote it: only the metadata is updated. */
  set(key: string, object: FauxqsS3Object): this {
    this.#index.setMeta(this.#bucket, { ...object, key });
    return this;
  }

  delete(key: string): boolean {
    const had = this.has(key);
    this.#index.delete(this.#bucket, key);
    return had;
  }

  get size(): number {
    return this.#index.count(this.#bucket);
  }

  values(): IterableIterator<FauxqsS3Object> {
    return this.#index.all(this.#bucket);
  }

  clear(): void {
    this.#index.deleteBucket(this.#bucket);
  }
}

export interface ListRequest {
  readonly prefix?: string;
  readonly delimiter?: string;
  readonly maxKeys?: number;
  readonly startAfter?: string;
  readonly marker?: string;
}

export interface ListResult {
  readonly objects: FauxqsS3Object[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
}

/** Past (nearly) every key that starts with `prefix`: the largest code point sorts last. */
const beyond = (prefix: string) => `${prefix}\u{10FFFF}`;

/**
 * S3's ListObjects over the index: keys under `prefix` after the marker, in byte order, at most
 * `maxKeys` entries counting each common prefix (keys sharing a segment up to `delimiter`) once.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 */
export function listIndexed(
  index: S3ObjectIndex,
  bucket: string,
  request: ListRequest,
): ListResult {
  const prefix = request.prefix ?? '';
  const delimiter = request.delimiter || undefined;
  const maxKeys = request.maxKeys ?? 1000;
  let after = request.startAfter || request.marker || '';
  const objects: FauxqsS3Object[] = [];
  const commonPrefixes: string[] = [];
  let entries = 0;
  for (;;) {
    const page = index.list(bucket, { prefix, after, limit: Math.max(1, maxKeys - entries + 1) });
    if (page.length === 0) return { objects, commonPrefixes, isTruncated: false };
    for (const object of page) {
      const rest = object.key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      const common = delimiter && cut >= 0 ? prefix + rest.slice(0, cut + delimiter.length) : '';
      // A key the jump below did not pass (one holding U+10FFFF right after the common prefix):
      // already counted.
      if (common && common === commonPrefixes.at(-1)) {
        after = object.key;
        continue;
      }
      if (entries >= maxKeys) return { objects, commonPrefixes, isTruncated: true };
      entries++;
      if (common) {
        commonPrefixes.push(common);
        // Every other key under this common prefix is part of it: jump past them.
        after = beyond(common);
        break;
      }
      objects.push(object);
      after = object.key;
    }
  }
}

interface IndexableStore {
  buckets: Map<string, unknown>;
  createBucket(name: string, type?: string): void;
  listObjects(bucket: string, options?: ListRequest): ListResult;
}

/** Makes `store` keep every bucket's objects in `index` (existing buckets, and new ones). */
export function installIndex(
  store: IndexableStore,
  index: S3ObjectIndex,
  S3Error: new (code: string, message: string, status: number) => Error,
): void {
  const createBucket = store.createBucket.bind(store);
  store.createBucket = (name, type) => {
    createBucket(name, type);
    if (!(store.buckets.get(name) instanceof IndexedObjectMap)) {
      store.buckets.set(name, new IndexedObjectMap(index, name));
    }
  };
  for (const name of [...store.buckets.keys()])
    store.buckets.set(name, new IndexedObjectMap(index, name));
  store.listObjects = (bucket, options = {}) => {
    if (!store.buckets.has(bucket)) {
      throw new S3Error('NoSuchBucket', `The specified bucket does not exist: ${bucket}`, 404);
    }
    return listIndexed(index, bucket, options);
  };
}
