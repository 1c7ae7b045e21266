/**
 * Checks, before any work, that a directory named on the command line can be written: made when
 * missing, then a file created in it and removed. A run whose output cannot be written learns it
 * here, in one line and before anything is uploaded, not after processing every image. What is
 * wrong is the path the user gave, so it is a usage error (exit 2).
 */
import { lstatSync, mkdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../lib/ops/errors.ts';
import { meaningOf, systemErrorIn } from './system-errors.ts';

/** The first path from `path` up to the root that is a symbolic link to nothing, if any. */
export function danglingLinkOn(path: string): { link: string; target: string } | undefined {
  let at = resolve(path);
  for (;;) {
    try {
      if (lstatSync(at).isSymbolicLink()) {
        try {
          statSync(at);
        } catch {
          return { link: at, target: readlinkSync(at) };
        }
      }
    } catch {
      // Not there (yet): a directory to be made.
    }
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}

/** The nearest of `dir` and its parents that exists. */
function nearestExisting(dir: string): string {
  let at = resolve(dir);
  for (;;) {
    try {
      lstatSync(at);
      return at;
    } catch {
      const up = dirname(at);
      if (up === at) return at;
      at = up;
    }
  }
}

/**
 * Proves a file can be created in `dir`, making `dir` first (or, with `create: false`, probing the
 * nearest existing parent it would be made in, and making nothing); throws a one-line UsageError
 * naming `what` (`--out`, `--state`, …) and why not.
 */
export function assertWritableDir(
  dir: string,
  what: string,
  options: { shown?: string; create?: boolean } = {},
): void {
  const shown = options.shown ?? dir;
  try {
    let at = dir;
    if (options.create === false) at = nearestExisting(dir);
    else mkdirSync(dir, { recursive: true });
    const probe = resolve(at, `.pixelmill-write-probe-${process.pid}`);
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe, { force: true });
  } catch (error) {
    const dangling = danglingLinkOn(dir);
    if (dangling) {
      throw new UsageError(
        `Cannot write to ${what} ${shown}: ${dangling.link} is a symbolic link to ${dangling.target}, which does not exist`,
      );
    }
    const found = systemErrorIn(error);
    const why = found
      ? meaningOf(found.code)
      : error instanceof Error
        ? error.message
        : String(error);
    throw new UsageError(`Cannot write to ${what} ${shown}: ${why}`);
  }
}

/** As assertWritableDir, for the directory a file named on the command line goes into. */
export function assertWritableFileDir(file: string, what: string): void {
  assertWritableDir(dirname(resolve(file)), what, { shown: file });
}
