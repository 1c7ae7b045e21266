/**
 * Turns the files and directories a user names into upload keys. A directory contributes its
 * own name and every file below it (`./photos` → `uploads/photos/…`); a file contributes its
 * name. Hidden files and directories (a leading dot) are skipped; symbolic links to directories
 * are not followed.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { UsageError } from './errors.ts';

export interface InputFile {
  /** The path as the user gave it (or below a directory they gave). */
  readonly source: string;
  readonly absolutePath: string;
  readonly key: string;
  readonly size: number;
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
    else if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => undefined);
      if (target?.isFile()) yield full;
    }
  }
}

function toKey(prefix: string, relativePath: string): string {
  return `${prefix}${relativePath.split(sep).join('/').normalize('NFC')}`;
}

export async function collectInputs(
  paths: readonly string[],
  prefix: string,
): Promise<InputFile[]> {
  if (paths.length === 0) throw new UsageError('Expected at least one file or directory');
  const files: InputFile[] = [];
  for (const given of paths) {
    const absolute = resolve(given);
    const info = await lstat(absolute).catch(() => undefined);
    if (!info) throw new UsageError(`No such file or directory: ${given}`);
    const resolved = info.isSymbolicLink() ? await stat(absolute) : info;
    if (resolved.isDirectory()) {
      const root = basename(absolute);
      for await (const file of walk(absolute)) {
        const rel = relative(absolute, file);
        files.push({
          source: join(given, rel),
          absolutePath: file,
          key: toKey(prefix, join(root, rel)),
          size: (await stat(file)).size,
        });
      }
    } else if (resolved.isFile()) {
      files.push({
        source: given,
        absolutePath: absolute,
        key: toKey(prefix, basename(absolute)),
        size: resolved.size,
      });
    } else {
      throw new UsageError(`Not a regular file or directory: ${given}`);
    }
  }
  const byKey = new Map<string, InputFile>();
  for (const file of files) {
    const other = byKey.get(file.key);
    if (other && other.absolutePath !== file.absolutePath) {
      throw new UsageError(`${other.source} and ${file.source} would both upload to ${file.key}`);
    }
    byKey.set(file.key, file);
  }
  return [...byKey.values()];
}
