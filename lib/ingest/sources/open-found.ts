/**
 * Opening a file found below a directory without trusting what was checked a moment before: a
 * name the walk saw as a regular file, or a link it resolved to a file inside the directory, can
 * be swapped for a link elsewhere between the check and the open. So the file is opened first
 * (never blocking: a FIFO swapped in does not hang the walk; never as a controlling terminal),
 * and what was opened is judged, not what was checked:
 * - a name seen as a regular file is opened with O_NOFOLLOW, so a link put in its place fails;
 * - the descriptor must be a regular file, the same one (device and inode) that was checked;
 * - where the kernel can say where the descriptor really is (Linux: /proc/self/fd), it must be
 *   inside the directory named, which also catches a directory on the way swapped for a link.
 * Without /proc (macOS), the check-then-open of the directories on the way stays a race: the
 * named file itself is still the one checked.
 */
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, readlink } from 'node:fs/promises';
import { sep } from 'node:path';
import { displayName } from './entry-names.ts';
import { SourceReadError } from './errors.ts';

export type Found =
  | { readonly kind: 'opened'; readonly handle: FileHandle; readonly stats: Stats }
  | {
      readonly kind: 'refused';
      readonly reason: 'not-a-regular-file' | 'link-outside-source';
      readonly detail: string;
    }
  /** Not the file's fault: it vanished, or changed between its check and its open (retry). */
  | { readonly kind: 'failed'; readonly error: SourceReadError };

export interface Expected {
  readonly dev: number;
  readonly ino: number;
}

const FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Whether `path` is `root` or below it (both absolute and free of links). */
export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * Opens `path`. `follow`: whether its last component may be a link (a link the walk resolved
 * and found inside); `expected`: the file the check found; `root`: the directory named, resolved.
 */
export async function openFound(
  path: string,
  options: { readonly follow: boolean; readonly expected: Expected; readonly root: string },
): Promise<Found> {
  let handle: FileHandle;
  try {
    handle = await open(path, options.follow ? FLAGS : FLAGS | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ELOOP'
        ? new Error('it was replaced by a symbolic link after the directory was listed')
        : error;
    return { kind: 'failed', error: new SourceReadError(path, why) };
  }
  const judged = await judge(handle, path, options).catch(
    (error: unknown): Found => ({ kind: 'failed', error: new SourceReadError(path, error) }),
  );
  if (judged.kind !== 'opened') await handle.close().catch(() => undefined);
  return judged;
}

async function judge(
  handle: FileHandle,
  path: string,
  options: { readonly expected: Expected; readonly root: string },
): Promise<Found> {
  const stats = await handle.stat();
  if (!stats.isFile()) {
    return {
      kind: 'refused',
      reason: 'not-a-regular-file',
      detail: 'not a regular file when opened (it was replaced after the directory was listed)',
    };
  }
  if (stats.dev !== options.expected.dev || stats.ino !== options.expected.ino) {
    return {
      kind: 'failed',
      error: new SourceReadError(
        path,
        new Error('it was replaced by another file between its check and its opening'),
      ),
    };
  }
  const where = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
  if (where?.startsWith('/') && !isInside(where, options.root)) {
    return {
      kind: 'refused',
      reason: 'link-outside-source',
      detail: `it was opened at ${displayName(where)}, outside ${displayName(options.root)}: a directory on its way was replaced by a link while the walk went on`,
    };
  }
  return { kind: 'opened', handle, stats };
}

/**
 * Opens a file the user named (a link there is the user's choice, so it is followed), never
 * blocking on a FIFO; throws `SourceReadError` unless it is a regular file when opened.
 */
export async function openNamedFile(path: string): Promise<{ handle: FileHandle; stats: Stats }> {
  let handle: FileHandle;
  try {
    handle = await open(path, FLAGS);
  } catch (error) {
    throw new SourceReadError(path, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new Error('not a regular file when opened');
    return { handle, stats };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw new SourceReadError(path, error);
  }
}
