/**
 * A directory, walked lazily in sorted order (code-unit order of the raw names, depth first), with
 * the key rules of `lib/ops/inputs.ts`: the directory's own name first, hidden files and
 * directories skipped, symbolic links to files followed, symbolic links to directories not. What
 * the eager walk skipped silently is listed here: links to directories, broken links, FIFOs,
 * sockets and devices are refused as `not-a-regular-file`. Names are cleaned as archive names are
 * (so a file whose name holds a backslash is refused rather than guessed), and collisions are
 * checked among siblings (two names that clean alike; for a directory, its whole subtree is
 * refused in one item): since parents are then distinct too, no two keys can collide, and memory
 * holds one directory listing per level rather than every name seen. No caps apply: the bytes are
 * on the user's disk, and the worker's limits apply to every upload.
 */
import { createReadStream, type Dirent, type Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { type EntryFacts, EntryHandle, yieldEntry } from './entry-handle.ts';
import { cleanSegment, displayName } from './entry-names.ts';
import { SourceReadError } from './errors.ts';
import type { SourceSequence } from './sequence.ts';
import type { SourceItem } from './source.ts';

/** A file on disk as an entry: its body is the file, read when opened. */
export class FileEntry extends EntryHandle {
  readonly #path: string;

  constructor(facts: EntryFacts, path: string) {
    super(facts);
    this.#path = path;
  }

  protected createBody(): Readable {
    const file = createReadStream(this.#path);
    const body = new PassThrough();
    // The file system's errors are not the file's fault: say which file, keep the cause.
    file.on('error', (error) => body.destroy(new SourceReadError(this.#path, error)));
    body.on('close', () => file.destroy());
    return file.pipe(body);
  }

  protected release(): Promise<void> {
    return Promise.resolve();
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
  yield* walk(sequence, absolute, given, sequence.root);
}

async function* walk(
  sequence: SourceSequence,
  dir: string,
  shownDir: string,
  cleanedDir: string,
): AsyncGenerator<SourceItem> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new SourceReadError(dir, error);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const taken = new Map<string, string>();
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const source = displayName(join(shownDir, entry.name));
    if (isIgnored(entry.name)) {
      sequence.ignore();
      continue;
    }
    const verdict = cleanSegment(entry.name);
    if ('refused' in verdict) {
      yield sequence.refused(source, verdict.refused, verdict.detail);
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
      );
      continue;
    }
    taken.set(verdict.name, entry.name);
    if (entry.isDirectory()) {
      yield* walk(sequence, path, join(shownDir, entry.name), name);
      continue;
    }
    let info: Stats | undefined;
    if (entry.isFile()) info = await statOf(path);
    else if (entry.isSymbolicLink()) {
      info = await stat(path).catch(() => undefined);
      if (!info) {
        yield sequence.refused(source, 'not-a-regular-file', 'a broken symbolic link');
        continue;
      }
      if (info.isDirectory()) {
        yield sequence.refused(
          source,
          'not-a-regular-file',
          'a symbolic link to a directory (not followed)',
        );
        continue;
      }
    }
    if (!info?.isFile()) {
      yield sequence.refused(source, 'not-a-regular-file', describeSpecial(entry, info));
      continue;
    }
    const judged = sequence.judgeName(name);
    if (judged.kind === 'refused') {
      yield sequence.refused(source, judged.reason, judged.detail);
      continue;
    }
    const index = sequence.claimUnregistered(name);
    sequence.bytesRead += info.size;
    if (index === undefined) continue;
    const file = new FileEntry({ index, source, name, declaredSize: info.size }, path);
    yield* yieldEntry(file);
  }
}

/** Hidden (a leading dot) or a macOS resource-fork directory, as in archives. */
function isIgnored(name: string): boolean {
  return name.startsWith('.') || name === '__MACOSX';
}

async function statOf(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    throw new SourceReadError(path, error);
  }
}

function describeSpecial(entry: Dirent, info: Stats | undefined): string {
  const subject = info ?? entry;
  if (subject.isFIFO()) return 'a FIFO';
  if (subject.isSocket()) return 'a socket';
  if (subject.isCharacterDevice()) return 'a character device';
  if (subject.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
