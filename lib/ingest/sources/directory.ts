/**
 * A directory, walked lazily in sorted order (byte order of the raw names, depth first), with
 * the key rules of the archive readers: the directory's own name first, hidden files and
 * directories skipped, names cleaned as archive names are (so a file whose name holds a
 * backslash is refused rather than guessed), and collisions checked among siblings (two names
 * that clean alike; for a directory, its whole subtree is refused in one item): since parents are
 * then distinct too, no two keys can collide, and memory holds one directory listing per level
 * rather than every name seen. No caps apply: the bytes are on the user's disk, and the worker's
 * limits apply to every upload.
 *
 * What is read is a regular file inside the directory the user named, and only that:
 * - a name that is not valid UTF-8 is refused as `invalid-name` (it can make no S3 key; names are
 *   listed as bytes, so it is refused by name rather than failing to reopen);
 * - a symbolic link is resolved with realpath: to a file inside the directory named (a library
 *   that links `latest.jpg` to `2024/…`), it is followed and read under the link's own name; to
 *   anywhere outside it (`x.jpg → /etc/shadow`), it is refused as `link-outside-source`, and
 *   nothing outside is even opened. Links are followed inside the tree rather than all refused
 *   because the directory is the user's own (unlike an archive, whose links are always refused);
 *   its inside is the one thing a link may not leave;
 * - links to directories are not followed, and they, broken links, FIFOs, sockets and devices
 *   are refused as `not-a-regular-file`;
 * - each file is opened, then judged by its descriptor (`openFound`): a name swapped for a link
 *   between the check and the open is never read.
 */
import type { Dirent, Stats } from 'node:fs';
import { type FileHandle, lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { type EntryFacts, EntryHandle, yieldEntry } from './entry-handle.ts';
import { cleanSegment, decodeUtf8, displayName, showBytes } from './entry-names.ts';
import { SourceReadError } from './errors.ts';
import { isInside, openFound } from './open-found.ts';
import type { SourceSequence } from './sequence.ts';
import type { RefusalReason, SourceItem } from './source.ts';

/**
 * A file on disk as an entry: its body is read from the descriptor opened (and checked) when the
 * file was found, or fails with the error that opening it met.
 */
export class FileEntry extends EntryHandle {
  #handle: FileHandle | undefined;
  readonly #path: string;
  readonly #failure: SourceReadError | undefined;

  constructor(facts: EntryFacts, path: string, opened: FileHandle | SourceReadError) {
    super(facts);
    this.#path = path;
    if (opened instanceof SourceReadError) this.#failure = opened;
    else this.#handle = opened;
  }

  protected createBody(): Readable {
    const body = new PassThrough();
    const handle = this.#handle;
    this.#handle = undefined;
    if (!handle) {
      const failure = this.#failure ?? new SourceReadError(this.#path, new Error('not open'));
      process.nextTick(() => body.destroy(failure));
      return body;
    }
    // The stream owns the descriptor from here on, and closes it when it ends or is destroyed.
    const file = handle.createReadStream();
    // The file system's errors are not the file's fault: say which file, keep the cause.
    file.on('error', (error) => body.destroy(new SourceReadError(this.#path, error)));
    body.on('close', () => file.destroy());
    return file.pipe(body);
  }

  protected release(): Promise<void> {
    return this.#closeUnused();
  }

  override abandon(why: string): void {
    super.abandon(why);
    void this.#closeUnused();
  }

  /** Closes the descriptor when no body took it (the entry was discarded, skipped or left). */
  async #closeUnused(): Promise<void> {
    const handle = this.#handle;
    this.#handle = undefined;
    await handle?.close().catch(() => undefined);
  }
}

export function isIoError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code);
}

/** The items of a directory; `absolute` is its resolved path, `given` the path as the user typed it. */
export async function* directoryItems(
  absolute: string,
  given: string,
  sequence: SourceSequence,
): AsyncGenerator<SourceItem> {
  let root: string;
  try {
    root = await realpath(absolute);
  } catch (error) {
    throw new SourceReadError(absolute, error);
  }
  yield* walk({ sequence, root }, absolute, given, sequence.root);
}

interface Walk {
  readonly sequence: SourceSequence;
  /** The directory named, resolved with realpath: what no file read may be outside of. */
  readonly root: string;
}

/** What the walk found at a name, before opening it. */
type Checked =
  | { readonly kind: 'file'; readonly stats: Stats; readonly follow: boolean }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly detail: string }
  | { readonly kind: 'failed'; readonly error: SourceReadError };

async function* walk(
  ctx: Walk,
  dir: string,
  shownDir: string,
  cleanedDir: string,
): AsyncGenerator<SourceItem> {
  const { sequence } = ctx;
  let entries: Dirent<Buffer>[];
  try {
    // As bytes: a name that is not UTF-8 would come back with U+FFFD in it, a path to nothing.
    entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
  } catch (error) {
    throw new SourceReadError(dir, error);
  }
  entries.sort((a, b) => Buffer.compare(a.name, b.name));
  const taken = new Map<string, string>();
  for (const entry of entries) {
    // Hidden (a leading dot) whatever the rest of its bytes are.
    if (entry.name[0] === 0x2e) {
      sequence.ignore();
      continue;
    }
    const raw = decodeUtf8(entry.name);
    if (raw === undefined) {
      yield sequence.refused(
        displayName(join(shownDir, showBytes(entry.name))),
        'invalid-name',
        `its name (${entry.name.length} bytes) is not valid UTF-8, so it can make no key; rename it${entry.isDirectory() ? '; nothing below it was read' : ''}`,
      );
      continue;
    }
    const path = join(dir, raw);
    const shown = join(shownDir, raw);
    const source = displayName(shown);
    if (isIgnored(raw)) {
      sequence.ignore();
      continue;
    }
    const verdict = cleanSegment(raw);
    if ('refused' in verdict) {
      yield sequence.refused(source, verdict.refused, verdict.detail, shown);
      continue;
    }
    if (!('name' in verdict) || isIgnored(verdict.name)) {
      sequence.ignore();
      continue;
    }
    const name = `${cleanedDir}/${verdict.name}`;
    const first = taken.get(verdict.name);
    if (first !== undefined) {
      yield sequence.refused(
        source,
        'name-collision',
        `cleans to "${displayName(name)}", the name of "${displayName(first)}"${entry.isDirectory() ? '; nothing below it was read' : ''}`,
        shown,
      );
      continue;
    }
    taken.set(verdict.name, raw);
    if (entry.isDirectory()) {
      yield* walk(ctx, path, shown, name);
      continue;
    }
    const checked = await check(entry, path, ctx.root);
    if (checked.kind === 'refused') {
      yield sequence.refused(source, checked.reason, checked.detail, shown);
      continue;
    }
    const judged = sequence.judgeName(name);
    if (judged.kind === 'refused') {
      yield sequence.refused(source, judged.reason, judged.detail, shown);
      continue;
    }
    const found =
      checked.kind === 'file'
        ? await openFound(path, { follow: checked.follow, expected: checked.stats, root: ctx.root })
        : checked;
    if (found.kind === 'refused') {
      yield sequence.refused(source, found.reason, found.detail, shown);
      continue;
    }
    const size = found.kind === 'opened' ? found.stats.size : undefined;
    const index = sequence.claimUnregistered(name);
    sequence.bytesRead += size ?? 0;
    if (index === undefined) {
      if (found.kind === 'opened') await found.handle.close().catch(() => undefined);
      continue;
    }
    const file = new FileEntry(
      { index, source, name, declaredSize: size, path: shown },
      path,
      found.kind === 'opened' ? found.handle : found.error,
    );
    yield* yieldEntry(file);
  }
}

/** A regular file, a link to one inside the tree, or why not; nothing is opened yet. */
async function check(entry: Dirent<Buffer>, path: string, root: string): Promise<Checked> {
  if (entry.isFile()) {
    let info: Stats;
    try {
      info = await lstat(path);
    } catch (error) {
      return { kind: 'failed', error: new SourceReadError(path, error) };
    }
    if (info.isFile()) return { kind: 'file', stats: info, follow: false };
    return { kind: 'refused', reason: 'not-a-regular-file', detail: describeSpecial(info) };
  }
  if (!entry.isSymbolicLink()) {
    return { kind: 'refused', reason: 'not-a-regular-file', detail: describeSpecial(entry) };
  }
  let target: string;
  let info: Stats;
  try {
    target = await realpath(path);
    info = await stat(target);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      kind: 'refused',
      reason: 'not-a-regular-file',
      detail:
        code === 'ENOENT' || code === 'ENOTDIR'
          ? 'a broken symbolic link'
          : `a symbolic link that cannot be resolved (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  // Outside first: where a link points matters more than what it points at.
  if (!isInside(target, root)) {
    return {
      kind: 'refused',
      reason: 'link-outside-source',
      detail: `a symbolic link to ${displayName(target)}, outside ${displayName(root)}; not read`,
    };
  }
  if (info.isDirectory()) {
    return {
      kind: 'refused',
      reason: 'not-a-regular-file',
      detail: 'a symbolic link to a directory (not followed)',
    };
  }
  if (!info.isFile()) {
    return {
      kind: 'refused',
      reason: 'not-a-regular-file',
      detail: `a symbolic link to ${describeSpecial(info)}`,
    };
  }
  return { kind: 'file', stats: info, follow: true };
}

/** Hidden (a leading dot) or a macOS resource-fork directory, as in archives. */
function isIgnored(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX';
}

function describeSpecial(subject: Stats | Dirent<Buffer>): string {
  if (subject.isFIFO()) return 'a FIFO';
  if (subject.isSocket()) return 'a socket';
  if (subject.isCharacterDevice()) return 'a character device';
  if (subject.isBlockDevice()) return 'a block device';
  if (subject.isSymbolicLink()) return 'a symbolic link (it was replaced after the listing)';
  return 'not a regular file';
}
