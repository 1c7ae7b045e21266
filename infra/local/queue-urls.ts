/**
 * fauxqs names a queue's URL after the port of the request that created it
 * (`http://sqs.<region>.localhost:<port>/<account>/<name>`) and keeps that URL in its SQLite for
 * good, so a cloud restarted on another port went on handing out URLs naming the first one.
 * (Calls still arrived: the SDK sends them to the endpoint, not to the URL's host, and fauxqs
 * finds a queue by the region and name in its URL.) The URLs are renamed for the port the cloud
 * listens on now, in memory and in the SQLite, before any is handed out.
 */
import type { FauxqsSqsStore } from './fauxqs-internals.ts';

export interface SqliteStatements {
  prepare(sql: string): { run(...values: string[]): unknown };
}

/** Renames every queue's URL for `port`; returns how many changed. */
export function rehomeQueueUrls(store: FauxqsSqsStore, db: SqliteStatements, port: number): number {
  const update = db.prepare('UPDATE sqs_queues SET url = ? WHERE name = ?');
  let changed = 0;
  for (const queue of [...store.allQueues()]) {
    const region = queue.arn.split(':')[3] ?? store.region ?? 'us-east-1';
    const url = store.buildQueueUrl(queue.name, String(port), '', region);
    if (url === queue.url) continue;
    store.queues.delete(queue.url);
    queue.url = url;
    store.queues.set(url, queue);
    update.run(url, queue.name);
    changed++;
  }
  return changed;
}
