/** Errors of the source readers (files, directories, zip, tar, tar.gz). */
import { OpsError, UsageError } from '../../ops/errors.ts';
import type { Refusal, RefusalReason } from './source.ts';

export class SourceError extends OpsError {
  override readonly name: string = 'SourceError';
}

/**
 * A path named by the user cannot be read as the source it claims to be (missing, not a file or
 * directory, a `.zip` that is not a zip). A `UsageError`, so the CLI exits with status 2; its
 * `name` stays `UsageError` because that class fixes it.
 */
export class SourceKindError extends UsageError {
  readonly path: string;
  constructor(path: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.path = path;
  }
}

/**
 * An entry's body stream failed because the entry is refused: a cap hit while inflating, damaged
 * data, or the archive ending inside it. `refusalOf` turns it into the entry's refusal.
 */
export class EntryRefusedError extends SourceError {
  override readonly name = 'EntryRefusedError';
  readonly reason: RefusalReason;
  readonly index: number;
  readonly source: string;
  readonly detail: string;
  constructor(
    refusal: { reason: RefusalReason; index: number; source: string; detail: string },
    options?: ErrorOptions,
  ) {
    super(`${refusal.source}: ${refusal.reason}: ${refusal.detail}`, options);
    this.reason = refusal.reason;
    this.index = refusal.index;
    this.source = refusal.source;
    this.detail = refusal.detail;
  }
}

/** The body was still being read when the iteration advanced, so the reader abandoned it. */
export class EntryAbandonedError extends SourceError {
  override readonly name = 'EntryAbandonedError';
}

/** The caller broke the iteration contract (opened a body twice, or after advancing). */
export class SourceUsageError extends SourceError {
  override readonly name = 'SourceUsageError';
}

/** The file system failed (EACCES, EIO, a file removed while reading): not the source's fault. */
export class SourceReadError extends SourceError {
  override readonly name = 'SourceReadError';
  readonly path: string;
  constructor(path: string, cause: unknown) {
    super(`Reading ${path} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.path = path;
  }
}

/** The refusal a failed body stands for, or undefined when the failure is not a refusal. */
export function refusalOf(error: unknown): Refusal | undefined {
  if (!(error instanceof EntryRefusedError)) return undefined;
  return { index: error.index, source: error.source, reason: error.reason, detail: error.detail };
}
