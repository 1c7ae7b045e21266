/**
 * Failures of the machine rather than of pixelmill (a read-only directory, a port in use, a full
 * disk, a cloud that went away) as one line a person can act on, instead of a stack trace. A stack
 * trace is kept for what is left: a bug, worth reporting with its trace.
 */

/** What Node's system error codes mean, in words (the codes stay in the line, for searching). */
const meanings: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'something that is not a directory is in the way',
  ELOOP: 'too many symbolic links (a loop)',
  ENAMETOOLONG: 'name too long',
  EMFILE: 'too many open files',
  EADDRINUSE: 'address already in use',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
};

export interface SystemError {
  readonly code: string;
  readonly syscall?: string;
  readonly path?: string;
  readonly address?: string;
  readonly port?: number;
  readonly message: string;
}

function isSystemError(value: unknown): value is SystemError {
  if (!(value instanceof Error)) return false;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** The first system error in `error`'s cause chain (adapters wrap them), if any. */
export function systemErrorIn(error: unknown): SystemError | undefined {
  let at: unknown = error;
  for (let depth = 0; at !== undefined && depth < 8; depth++) {
    if (isSystemError(at)) return at;
    at = at instanceof Error ? at.cause : undefined;
  }
  return undefined;
}

/** `permission denied (EACCES)`: a code in words. */
export function meaningOf(code: string): string {
  const words = meanings[code];
  return words ? `${words} (${code})` : code;
}

/**
 * One line for a system error found anywhere in `error`'s causes; undefined when there is none
 * (the error is pixelmill's own, or a bug). `context` is what was being done when it failed.
 */
export function systemErrorLine(error: unknown): string | undefined {
  const found = systemErrorIn(error);
  if (!found) return undefined;
  if (found.code === 'EADDRINUSE') {
    const where = found.port === undefined ? '' : `${found.address ?? '127.0.0.1'}:${found.port} `;
    return `Port ${found.port ?? '?'} is already in use (${where}has another listener): choose another --port, or leave it out for any free one`;
  }
  if (found.path !== undefined) {
    return `Cannot ${found.syscall ?? 'use'} ${found.path}: ${meaningOf(found.code)}`;
  }
  // Network and other errors: their own first line says what failed, without the trace.
  const firstLine = (error instanceof Error ? error.message : found.message).split('\n')[0];
  return `${firstLine ?? found.code}${firstLine?.includes(found.code) ? '' : ` (${meaningOf(found.code)})`}`;
}
