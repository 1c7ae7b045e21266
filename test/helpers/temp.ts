import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before } from 'node:test';

/** A fresh temporary directory, removed when the test (or suite) ends. */
export async function tempDir(
  t: { after: (fn: () => Promise<void>) => void },
  prefix: string,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `pixelmill-${prefix}-`));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A fresh temporary directory and the `--state` path in it (made by the command that uses it). */
export async function tempStateDir(
  t: { after: (fn: () => Promise<void>) => void },
  prefix: string,
): Promise<{ dir: string; state: string }> {
  const dir = await tempDir(t, prefix);
  return { dir, state: join(dir, 'state') };
}

/**
 * A temporary directory for the enclosing `describe`: made before its first test, removed after
 * its last (node:test hooks, so call it inside the `describe` callback). Returns `at`, which joins
 * a path in that directory; call `at` only inside tests and hooks, once the directory exists.
 */
export function suiteTempDir(prefix: string): (...names: string[]) => string {
  let dir: string | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `pixelmill-${prefix}-`));
  });
  after(() => (dir === undefined ? undefined : rm(dir, { recursive: true, force: true })));
  return (...names) => {
    if (dir === undefined) throw new Error(`suiteTempDir(${prefix}): used before its suite began`);
    return join(dir, ...names);
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns a value, or fails after `timeoutMs` with `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const ends = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > ends) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Every file under `dir`, relative and sorted, except those under the paths `skip` names: what a
 * command wrote is the difference of two calls.
 */
export async function filesUnder(dir: string, skip: readonly string[] = []): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((p) => !skip.some((s) => p === s || p.startsWith(`${s}/`)))
    .sort();
}
