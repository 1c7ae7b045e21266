/**
 * The shared real-world corpus (`../shared/corpus` beside the repository). It is optional: tests
 * that use it skip with this message when it is absent, and run when it is present (CI has it).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = resolve(
  process.env.PIXELMILL_CORPUS ??
    join(fileURLToPath(new URL('../../..', import.meta.url)), 'shared', 'corpus'),
);

export function corpusPath(...parts: string[]): string {
  return join(CORPUS_DIR, ...parts);
}

/** Undefined when present; otherwise the skip message. */
export function corpusMissing(...parts: string[]): string | undefined {
  const path = corpusPath(...parts);
  return existsSync(path)
    ? undefined
    : `corpus not found at ${path} (set PIXELMILL_CORPUS or place ../shared/corpus beside the repo)`;
}

/** One row of `hostile/manifest.tsv`: the file, what should happen to it, and in words how. */
export interface HostileRow {
  readonly path: string;
  readonly expect: 'process' | 'reject' | 'either' | 'archive';
  readonly outcome: string;
}

/** The hostile set's manifest rows (call only when `corpusMissing('hostile', …)` is undefined). */
export function hostileManifest(): HostileRow[] {
  return readFileSync(corpusPath('hostile', 'manifest.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [path = '', expect = '', outcome = ''] = line.split('\t');
      return { path, expect: expect as HostileRow['expect'], outcome };
    });
}
