/**
 * One entry's upload started in the background while the source is read on: the next entry may
 * only be read once this one's body has been (a tar is sequential, and advancing abandons a
 * body still being read), but the upload itself goes on, up to the pool's limit at once. Memory
 * is bounded by that limit: nothing is opened while the pool is full.
 */
import type { Readable } from 'node:stream';
import type { TaskPool } from '../../async/pool.ts';
import type { SourceEntry } from './source.ts';

export async function uploadWhileReading(
  pool: TaskPool,
  entry: SourceEntry,
  upload: (entry: SourceEntry, body: Readable) => Promise<void>,
  /** Awaited once a slot is free, before the body is opened (a gate on the work queue). */
  ready?: () => Promise<void>,
): Promise<void> {
  await pool.below();
  await ready?.();
  const body = entry.open();
  const consumed = new Promise<void>((done) => {
    body.once('end', done);
    body.once('close', done);
    body.once('error', () => done());
  });
  void pool.run(() => upload(entry, body));
  await consumed;
}
