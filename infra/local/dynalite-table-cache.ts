/**
 * dynalite reads the table's description from LevelDB (and decodes its JSON) at the start of
 * every item request — GetItem, PutItem, UpdateItem, DeleteItem, Query, Scan and the batch
 * calls: a third of what an UpdateItem cost the local cloud (1.9 of 5.6 CPU-s in a profile of
 * 2,000 images, three UpdateItems each). Descriptions change only through CreateTable,
 * UpdateTable and DeleteTable, which all write the table store. This keeps the ACTIVE
 * descriptions the item requests read, dropped whenever the table store is written.
 *
 * Only the item requests' reads are answered from it (dynalite asks them to check the status);
 * the control-plane actions read without that check and change what they read, so they always
 * read LevelDB. No item action changes the description it is given (read in dynalite 4.0.0's
 * actions/ and db/). Answers stay asynchronous, as LevelDB's are, so request ordering is as before.
 */
import { createRequire } from 'node:module';

type Callback = (error: unknown, table?: { TableStatus?: unknown }) => void;

interface TableStore {
  put(...args: unknown[]): unknown;
  del(...args: unknown[]): unknown;
  batch(...args: unknown[]): unknown;
}

interface DynaliteStore {
  tableDb: TableStore;
  getTable(name: string, checkStatus: unknown, cb?: Callback): void;
  __pixelmillTables?: true;
}

interface DbModule {
  create(options: unknown): DynaliteStore;
  __pixelmillTables?: true;
}

/** Wraps one store's `getTable` (test/integration/local-cloud.test.ts holds it to LevelDB's). */
function cacheTables(store: DynaliteStore): void {
  if (store.__pixelmillTables) return;
  store.__pixelmillTables = true;
  const cache = new Map<string, { TableStatus?: unknown }>();
  const tables = store.tableDb;
  for (const method of ['put', 'del', 'batch'] as const) {
    const write = tables[method].bind(tables);
    tables[method] = (...args: unknown[]) => {
      cache.clear();
      return write(...args);
    };
  }
  const read = store.getTable.bind(store);
  store.getTable = (name, checkStatus, cb) => {
    const callback = (typeof checkStatus === 'function' ? checkStatus : cb) as Callback;
    // getTable(name, cb) is an item request's read: dynalite then checks the status.
    if (typeof checkStatus !== 'function') {
      read(name, checkStatus, callback);
      return;
    }
    const known = cache.get(name);
    if (known) {
      process.nextTick(callback, null, known);
      return;
    }
    read(name, (error: unknown, table?: { TableStatus?: unknown }) => {
      if (!error && table?.TableStatus === 'ACTIVE') cache.set(name, table);
      callback(error, table);
    });
  };
}

/** Makes every dynalite store created from now on in this process cache its tables. */
export function cacheDynaliteTables(): void {
  const require = createRequire(import.meta.url);
  const db = require('dynalite/db/index.js') as DbModule;
  if (db.__pixelmillTables) return;
  db.__pixelmillTables = true;
  const create = db.create.bind(db);
  db.create = (options) => {
    const store = create(options);
    cacheTables(store);
    return store;
  };
}
