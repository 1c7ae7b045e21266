/**
 * Who runs the local cloud of a state directory: the process holding an exclusive SQLite lock on
 * `<state>/cloud.lock`, for as long as its cloud runs. The emulators' own files (fauxqs's SQLite,
 * dynalite's LevelDB) cannot be opened by two processes at once, so a second cloud on the same
 * directory must never start; and unlike a pid written in a file, this lock cannot outlive its
 * holder: the operating system releases it when the process ends, `kill -9` included, and a pid
 * reused after a crash or a reboot means nothing to it.
 *
 * A lock says that some process owns the directory, not that its cloud answers (it may still be
 * starting): whether a cloud answers is proven by its endpoint (cloud-identity.ts).
 */
import { DatabaseSync } from 'node:sqlite';
import type { StatePaths } from './state-dir.ts';

export interface CloudOwnership {
  /** Gives the directory up (after the cloud's files are closed). */
  release(): void;
}

/** Takes the state directory's lock, or returns undefined when another holder has it. */
export function tryOwnCloud(paths: StatePaths): CloudOwnership | undefined {
  // No busy timeout: a held lock is an answer, not something to wait for here.
  const db = new DatabaseSync(paths.lockFile, { timeout: 0 });
  try {
    // EXCLUSIVE locks the file for every other connection, in this process or another.
    // https://www.sqlite.org/lang_transaction.html
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (isBusy(error)) return undefined;
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}

/** Whether some process (this one included) holds the state directory's lock right now. */
export function cloudOwned(paths: StatePaths): boolean {
  const ownership = tryOwnCloud(paths);
  ownership?.release();
  return ownership === undefined;
}

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  // SQLITE_BUSY (5), SQLITE_LOCKED (6): https://www.sqlite.org/rescode.html
  return code === 5 || code === 6 || /database is locked/i.test(String(error));
}
