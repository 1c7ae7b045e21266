/**
 * The shared real-world corpus (`../shared/corpus` beside the repository). It is optional: tests
 * that use it skip with this message when it is absent, and run when it is present (CI has it).
 */
import { existsSync } from 'node:fs';
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
