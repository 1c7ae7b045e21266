/**
 * What a path names. The extension states the intent (`.zip`, `.tar`, `.tar.gz`/`.tgz`; anything
 * else is a plain file, uploaded as it is), and the magic bytes must agree: a `.zip` that is not a
 * zip is a usage error, not a refusal. Within the tar family the bytes decide the compression, since
 * browsers often save a `.tar.gz` already gunzipped.
 */
import type { Stats } from 'node:fs';
import { lstat, open, stat } from 'node:fs/promises';
import { SourceKindError } from './errors.ts';
import type { SourceKind } from './source.ts';

type Extension = 'zip' | 'tar-family' | undefined;

function extensionOf(path: string): Extension {
  const lower = path.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar') || lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) {
    return 'tar-family';
  }
  return undefined;
}

/** The archive's base name without its archive extension (`photos.tar.gz` → `photos`). */
export function stripArchiveExtension(name: string): string {
  const stripped = name.replace(/\.(zip|tar|tar\.gz|tgz)$/i, '');
  return stripped === '' ? name : stripped;
}

export type Magic = 'zip' | 'gzip' | 'tar' | 'bzip2' | 'xz' | '7z' | 'rar' | 'zstd' | 'unknown';

/** The container format the first bytes (up to 512) announce. */
export function sniffMagic(head: Uint8Array): Magic {
  const at = (offset: number, ...bytes: number[]) =>
    bytes.every((byte, i) => head[offset + i] === byte);
  // Local file header, empty archive (end of central directory), spanned-archive marker.
  if (
    at(0, 0x50, 0x4b, 0x03, 0x04) ||
    at(0, 0x50, 0x4b, 0x05, 0x06) ||
    at(0, 0x50, 0x4b, 0x07, 0x08)
  ) {
    return 'zip';
  }
  if (at(0, 0x1f, 0x8b, 0x08)) return 'gzip';
  if (at(0, 0x42, 0x5a, 0x68)) return 'bzip2';
  if (at(0, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  if (at(0, 0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c)) return '7z';
  if (at(0, 0x52, 0x61, 0x72, 0x21, 0x1a, 0x07)) return 'rar';
  if (at(0, 0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (isTarHeader(head)) return 'tar';
  return 'unknown';
}

/** A POSIX/GNU `ustar` magic, a pre-POSIX header whose checksum holds, or an all-zero (empty) tar. */
function isTarHeader(head: Uint8Array): boolean {
  if (head.byteLength < 512) return false;
  const magic = Buffer.from(head.subarray(257, 262)).toString('latin1');
  if (magic === 'ustar') return true;
  if (head.subarray(0, 512).every((b) => b === 0)) return true;
  let sum = 0;
  for (let i = 0; i < 512; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (head[i] ?? 0);
  const declared = Number.parseInt(
    Buffer.from(head.subarray(148, 156))
      .toString('latin1')
      .replace(/[\0 ]+$/, ''),
    8,
  );
  return declared === sum;
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(512);
    const { bytesRead } = await handle.read(buffer, 0, 512, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The kind of source `path` is, from its stats (taken here, following a symbolic link, when not
 * given), its extension and its first bytes. Throws `SourceKindError` (a `UsageError`) for a path
 * that does not exist, is neither a file nor a directory, or is not the archive its name says.
 */
export async function sourceKindOf(path: string, stats?: Stats): Promise<SourceKind> {
  let info = stats;
  if (!info) {
    const linkInfo = await lstat(path).catch(() => undefined);
    if (!linkInfo) throw new SourceKindError(path, `No such file or directory: ${path}`);
    info = linkInfo.isSymbolicLink() ? await stat(path).catch(() => undefined) : linkInfo;
    if (!info) throw new SourceKindError(path, `Broken symbolic link: ${path}`);
  }
  if (info.isDirectory()) return 'directory';
  if (!info.isFile()) throw new SourceKindError(path, `Not a regular file or directory: ${path}`);
  const extension = extensionOf(path);
  if (extension === undefined) return 'file';
  const magic = sniffMagic(await readHead(path));
  if (extension === 'zip') {
    if (magic === 'zip') return 'zip';
    throw new SourceKindError(path, `${path} is not a zip archive (${describeMagic(magic)})`);
  }
  if (magic === 'tar') return 'tar';
  if (magic === 'gzip') return 'tar.gz';
  throw new SourceKindError(
    path,
    `${path} is not a tar or gzip-compressed tar archive (${describeMagic(magic)})`,
  );
}

function describeMagic(magic: Magic): string {
  return magic === 'unknown' ? 'its first bytes match no archive format' : `it is ${magic} data`;
}
