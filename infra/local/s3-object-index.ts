/**
 * The local S3's objects: their metadata as rows of a SQLite table, their bytes appended to a few
 * large segment files. Replaces one `.data` and one `.meta.json` file per object (issue 11): here
 * a file is costly to create — ~1.2 ms under load, measured with strace, most of what a PUT cost
 * the local cloud — and fauxqs kept every object's metadata in memory (~300 MB at 700,000
 * objects, the uploads and renditions of 100,000 images). Now a PUT appends to an open file and
 * writes a row; nothing per object stays in memory; a listing is a range query in key order.
 *
 *   <state>/s3/index.sqlite            objects(bucket, key, meta, segment, offset, length)
 *   <state>/s3/segments/000001.bin     bodies, back to back
 *
 * Keys are data (a column), never part of a path: any key S3 accepts is stored, and no two share
 * a row. SQLite compares TEXT with BINARY collation, byte by byte of UTF-8: S3's listing order.
 * Durability: WAL with synchronous = NORMAL — a commit survives a crash of this process; a power
 * cut can lose the last ones (the audit repairs that from the uploads). A body replaced or deleted
 * leaves its bytes in its segment (dead bytes, counted; not reclaimed: a local cloud rewrites few
 * objects — renditions only when an image is made again).
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { FauxqsS3Object } from './fauxqs-internals.ts';
import { objectMeta, parseObjectMeta } from './s3-object-meta.ts';

/** A segment is closed and a new one started past this size. */
const SEGMENT_BYTES = 256 * 1024 * 1024;

export interface ListOptions {
  readonly prefix: string;
  /** Only keys after this one. */
  readonly after?: string | undefined;
  readonly limit: number;
}

export class S3ObjectIndex {
  readonly #db: DatabaseSync;
  readonly #segmentsDir: string;
  readonly #readers = new Map<number, number>();
  #segment: number;
  #writer: number | undefined;
  #segmentSize = 0;
  readonly #put: StatementSync;
  readonly #get: StatementSync;
  readonly #location: StatementSync;
  readonly #setMeta: StatementSync;
  readonly #delete: StatementSync;
  readonly #deleteBucket: StatementSync;
  readonly #count: StatementSync;
  readonly #list: StatementSync;
  readonly #listAll: StatementSync;

  constructor(s3Dir: string) {
    this.#segmentsDir = join(s3Dir, 'segments');
    mkdirSync(this.#segmentsDir, { recursive: true });
    this.#db = new DatabaseSync(join(s3Dir, 'index.sqlite'));
    this.#db.exec(`
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = NORMAL;
      CREATE TABLE IF NOT EXISTS objects (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        meta TEXT NOT NULL,
        segment INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        length INTEGER NOT NULL,
        PRIMARY KEY (bucket, key)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS segments (id INTEGER PRIMARY KEY, size INTEGER NOT NULL);
    `);
    this.#put = this.#db.prepare(
      'INSERT INTO objects (bucket, key, meta, segment, offset, length) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (bucket, key) DO UPDATE SET meta = excluded.meta, segment = excluded.segment, ' +
        'offset = excluded.offset, length = excluded.length',
    );
    this.#get = this.#db.prepare('SELECT meta FROM objects WHERE bucket = ? AND key = ?');
    this.#location = this.#db.prepare(
      'SELECT segment, offset, length FROM objects WHERE bucket = ? AND key = ?',
    );
    this.#setMeta = this.#db.prepare('UPDATE objects SET meta = ? WHERE bucket = ? AND key = ?');
    this.#delete = this.#db.prepare('DELETE FROM objects WHERE bucket = ? AND key = ?');
    this.#deleteBucket = this.#db.prepare('DELETE FROM objects WHERE bucket = ?');
    this.#count = this.#db.prepare('SELECT count(*) AS n FROM objects WHERE bucket = ?');
    // The keys with a prefix are one run in byte order, starting at the prefix: read from there
    // and stop at the first key without it (an upper bound such as `prefix || U+10FFFF` would
    // miss keys that hold that code point).
    this.#list = this.#db.prepare(
      'SELECT key, meta FROM objects WHERE bucket = ? AND key >= ? AND key > ? ' +
        'ORDER BY key LIMIT ?',
    );
    this.#listAll = this.#db.prepare('SELECT key, meta FROM objects WHERE bucket = ? ORDER BY key');
    const last = this.#db.prepare('SELECT id, size FROM segments ORDER BY id DESC LIMIT 1').get() as
      | { id: number; size: number }
      | undefined;
    this.#segment = last?.id ?? 0;
    this.#segmentSize = last?.size ?? SEGMENT_BYTES;
  }

  #file(segment: number): string {
    return join(this.#segmentsDir, `${String(segment).padStart(6, '0')}.bin`);
  }

  /** Appends a body; returns where it went. */
  #append(body: Buffer): { segment: number; offset: number } {
    if (this.#writer === undefined || this.#segmentSize + body.length > SEGMENT_BYTES) {
      if (this.#writer !== undefined) closeSync(this.#writer);
      // A segment is started anew rather than appended to after a restart: a process that died
      // mid-write may have left a torn tail whose size the table does not know.
      this.#segment++;
      this.#writer = openSync(this.#file(this.#segment), 'a');
      this.#segmentSize = 0;
      this.#db
        .prepare('INSERT OR REPLACE INTO segments (id, size) VALUES (?, 0)')
        .run(this.#segment);
    }
    const offset = this.#segmentSize;
    let written = 0;
    while (written < body.length) written += writeSync(this.#writer, body, written);
    this.#segmentSize += body.length;
    return { segment: this.#segment, offset };
  }

  put(bucket: string, object: FauxqsS3Object): void {
    const at = object.body.length > 0 ? this.#append(object.body) : { segment: 0, offset: 0 };
    this.#put.run(
      bucket,
      object.key,
      objectMeta(object),
      at.segment,
      at.offset,
      object.body.length,
    );
  }

  /** The object without its body (fauxqs reads the body on demand), or undefined. */
  get(bucket: string, key: string): FauxqsS3Object | undefined {
    const row = this.#get.get(bucket, key) as { meta: string } | undefined;
    return row ? parseObjectMeta(row.meta) : undefined;
  }

  has(bucket: string, key: string): boolean {
    return this.#location.get(bucket, key) !== undefined;
  }

  body(bucket: string, key: string): Buffer {
    const row = this.#location.get(bucket, key) as
      | { segment: number; offset: number; length: number }
      | undefined;
    if (!row) throw Object.assign(new Error(`no object ${bucket}/${key}`), { code: 'ENOENT' });
    const body = Buffer.allocUnsafe(row.length);
    if (row.length === 0) return body;
    let reader = this.#readers.get(row.segment);
    if (reader === undefined) {
      reader = openSync(this.#file(row.segment), 'r');
      this.#readers.set(row.segment, reader);
    }
    let read = 0;
    while (read < row.length) {
      const n = readSync(reader, body, read, row.length - read, row.offset + read);
      if (n === 0) throw new Error(`segment ${row.segment} ends inside ${bucket}/${key}`);
      read += n;
    }
    return body;
  }

  /** Replaces an object's metadata, keeping its bytes (fauxqs re-sets an object it just wrote). */
  setMeta(bucket: string, object: FauxqsS3Object): void {
    this.#setMeta.run(objectMeta(object), bucket, object.key);
  }

  delete(bucket: string, key: string): void {
    this.#delete.run(bucket, key);
  }

  deleteBucket(bucket: string): void {
    this.#deleteBucket.run(bucket);
  }

  clear(): void {
    this.#db.exec('DELETE FROM objects');
  }

  count(bucket: string): number {
    return Number((this.#count.get(bucket) as { n: number }).n);
  }

  /** Up to `limit` objects (without bodies) under `prefix`, after `after`, in key order. */
  list(bucket: string, options: ListOptions): FauxqsS3Object[] {
    const rows = this.#list.iterate(
      bucket,
      options.prefix,
      options.after ?? '',
      options.limit,
    ) as Iterable<{ key: string; meta: string }>;
    const objects: FauxqsS3Object[] = [];
    for (const row of rows) {
      if (!row.key.startsWith(options.prefix)) break;
      const object = parseObjectMeta(row.meta);
      if (object) objects.push(object);
    }
    return objects;
  }

  /** Every object of a bucket, in key order, without holding them all. */
  *all(bucket: string): Generator<FauxqsS3Object> {
    for (const row of this.#listAll.iterate(bucket) as Iterable<{ meta: string }>) {
      const object = parseObjectMeta(row.meta);
      if (object) yield object;
    }
  }

  /** Runs `work` in one transaction (a migration's many rows). */
  batch(work: () => void): void {
    this.#db.exec('BEGIN');
    try {
      work();
      this.#db.exec('COMMIT');
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  close(): void {
    if (this.#writer !== undefined) {
      this.#db
        .prepare('UPDATE segments SET size = ? WHERE id = ?')
        .run(this.#segmentSize, this.#segment);
      closeSync(this.#writer);
      this.#writer = undefined;
    }
    for (const reader of this.#readers.values()) closeSync(reader);
    this.#readers.clear();
    this.#db.close();
  }
}
