/**
 * Files the CDK app names by path, resolved from this file's location rather than the process's
 * working directory, so `cdk synth` and the tests build the same asset wherever they are started.
 */
import { fileURLToPath } from 'node:url';

/** The repository root: infra/cdk/../.. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The worker's entry point. Named for esbuild, never imported: infra/cdk may import only events/
 * and infra/topology.ts (DESIGN.md, "Layout and the one dependency rule").
 */
export const WORKER_ENTRY = fileURLToPath(new URL('../../workers/process.ts', import.meta.url));

/**
 * The pixel process's entry point (workers/pixel-child.ts), bundled beside the worker's handler
 * as PIXEL_CHILD_BUNDLE: the worker forks it by that name.
 */
export const PIXEL_CHILD_ENTRY = fileURLToPath(
  new URL('../../workers/pixel-child.ts', import.meta.url),
);
export const PIXEL_CHILD_BUNDLE = 'pixel-child.mjs';

/** esbuild, from the lockfile, for the second bundle of the worker's asset. */
export const ESBUILD_BIN = fileURLToPath(
  new URL('../../node_modules/.bin/esbuild', import.meta.url),
);

/** The scheduled audit's entry point (workers/audit.ts), named for esbuild likewise. */
export const AUDIT_ENTRY = fileURLToPath(new URL('../../workers/audit.ts', import.meta.url));

/** The lockfile that pins what bundling installs (`nodeModules`) for the function. */
export const LOCK_FILE = fileURLToPath(new URL('../../package-lock.json', import.meta.url));
