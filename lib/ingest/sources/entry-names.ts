/**
 * From a name in a source (an archive entry's path, a file below a directory) to the relative
 * path that becomes part of an S3 key, or a refusal. The rules, in order:
 * 1. control characters (C0, DEL, C1) and bidirectional controls (U+200E/F, U+061C, U+202A–U+202E,
 *    U+2066–U+2069) are removed, then the name is NFC-normalised (removing first, so a removed
 *    character cannot keep a base letter and its accent apart);
 * 2. an absolute name (`/x`, `\x`, `\\server\x`, `C:x`) or a `..` segment, with either slash read as
 *    a separator, is refused as `path-traversal`: nothing can land outside the target prefix;
 * 3. any other backslash is refused as `backslash-in-name` (a Windows separator or a literal
 *    character: ambiguous, so never guessed);
 * 4. empty and `.` segments are collapsed; a name left empty is `invalid-name`;
 * 5. a segment starting with a dot (hidden files and directories, macOS `._` forks) or a
 *    `__MACOSX` segment (resource forks added by macOS's Archive Utility) is skipped silently, as
 *    the directory walk always has.
 * Length (`fitsKey`), collisions and entry types are the readers' business.
 */
import { crc32 } from 'node:zlib';
import { printable } from '../../ops/printable.ts';
import type { RefusalReason } from './source.ts';

export type NameVerdict =
  | { readonly name: string }
  | { readonly refused: RefusalReason; readonly detail: string }
  | { readonly skipped: 'hidden' | 'resource-fork' };

/** S3's limit on a key, in UTF-8 bytes. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html */
export const MAX_KEY_BYTES = 1024;

// \p{Cc} is exactly C0, DEL and C1; then LRM, RLM, ALM; LRE…RLO; LRI…PDI.
const REMOVED = /[\p{Cc}\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/gu;
const DISPLAY_LIMIT = 160;

/** Rules 1–5 for a path of '/'-separated segments. */
export function cleanEntryName(raw: string): NameVerdict {
  const text = raw.replace(REMOVED, '').normalize('NFC');
  const shown = `"${displayName(raw)}"`;
  if (/^[/\\]/.test(text)) return traversal(`${shown} is an absolute path`);
  if (/^[A-Za-z]:/.test(text)) return traversal(`${shown} starts with a drive letter`);
  if (text.split(/[/\\]/).includes('..')) return traversal(`${shown} climbs out with ".."`);
  if (text.includes('\\')) {
    return { refused: 'backslash-in-name', detail: `${shown} contains a backslash` };
  }
  const segments = text.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) {
    return { refused: 'invalid-name', detail: `${shown} is empty once cleaned` };
  }
  if (segments.some((s) => s.startsWith('.'))) return { skipped: 'hidden' };
  if (segments.includes('__MACOSX')) return { skipped: 'resource-fork' };
  return { name: segments.join('/') };
}

/**
 * Rules 1–4 for one segment that is named rather than found (a directory or archive given on the
 * command line): it may contain no separator, and a leading dot is fine.
 */
export function cleanSegment(raw: string): NameVerdict {
  const text = raw.replace(REMOVED, '').normalize('NFC');
  const shown = `"${displayName(raw)}"`;
  if (text === '..' || text.includes('/')) return traversal(`${shown} is not a single name`);
  if (text.includes('\\')) {
    return { refused: 'backslash-in-name', detail: `${shown} contains a backslash` };
  }
  if (text === '' || text === '.') {
    return { refused: 'invalid-name', detail: `${shown} is empty once cleaned` };
  }
  return { name: text };
}

function traversal(detail: string): NameVerdict {
  return { refused: 'path-traversal', detail };
}

/** Whether `prefix + name` fits in an S3 key. */
export function fitsKey(prefix: string, name: string): boolean {
  return keyBytes(prefix, name) <= MAX_KEY_BYTES;
}

export function keyBytes(prefix: string, name: string): number {
  return Buffer.byteLength(prefix, 'utf8') + Buffer.byteLength(name, 'utf8');
}

/**
 * A raw name safe to print: unprintable characters as `\u{…}` escapes (`printable`: so a BEL or
 * an RTL override cannot act on a terminal or hide a file's real extension), long names shortened.
 */
export function displayName(raw: string): string {
  const escaped = printable(raw);
  const points = [...escaped];
  return points.length <= DISPLAY_LIMIT
    ? escaped
    : `${points.slice(0, DISPLAY_LIMIT).join('')}… (${Buffer.byteLength(raw, 'utf8')} bytes)`;
}

const NESTED_ARCHIVE = /\.(zip|tar|tgz|tbz2?|txz|gz|bz2|xz|zst|7z|rar)$/i;

/** An archive (or compressed file) by its name: such entries are refused, not expanded. */
export function isNestedArchiveName(name: string): boolean {
  return NESTED_ARCHIVE.test(name);
}

// ignoreBOM: a leading U+FEFF is part of a name, not a marker to drop.
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A file name's bytes as text to show, when they are not valid UTF-8: the valid sequences as
 * they are, every other byte as a visible `\x{ff}` escape (never U+FFFD, which would make two
 * different names look alike). For messages only: such a name is refused, never made a key.
 */
export function showBytes(bytes: Uint8Array): string {
  let text = '';
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0;
    const length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
    const decoded = length === 0 ? undefined : decodeUtf8(bytes.subarray(i, i + length));
    if (decoded !== undefined && i + length <= bytes.length) {
      text += decoded;
      i += length;
    } else {
      text += `\\x{${lead.toString(16).padStart(2, '0')}}`;
      i += 1;
    }
  }
  return text;
}

/** UTF-8 when the bytes are valid UTF-8, otherwise undefined. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return fatalUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// IBM code page 437, bytes 0x80–0xFF (0x00–0x7F are ASCII).
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

export function decodeCp437(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes)
    text += byte < 0x80 ? String.fromCharCode(byte) : CP437_HIGH[byte - 0x80];
  return text;
}

const ZIP_UTF8_FLAG = 0x800;
const INFO_ZIP_UNICODE_PATH = 0x7075;

/**
 * A zip entry's name (APPNOTE 4.4.4 bit 11, appendix D): the Info-ZIP Unicode Path extra field
 * when present and matching the raw name's CRC; UTF-8 when the entry's flag says so (undefined if
 * the bytes are not UTF-8); otherwise CP437 as the spec says — except that bytes which are valid
 * UTF-8 are read as UTF-8, since many zippers (macOS's among them) write UTF-8 without the flag and
 * CP437 text is almost never valid UTF-8 beyond ASCII.
 */
export function decodeZipName(
  raw: Uint8Array,
  flags: number,
  extraFields: readonly { readonly id: number; readonly data: Uint8Array }[],
): string | undefined {
  for (const field of extraFields) {
    if (field.id !== INFO_ZIP_UNICODE_PATH || field.data.byteLength < 6 || field.data[0] !== 1) {
      continue;
    }
    const view = Buffer.from(field.data.buffer, field.data.byteOffset, field.data.byteLength);
    if (view.readUInt32LE(1) !== crc32(raw)) continue;
    const unicode = decodeUtf8(field.data.subarray(5));
    if (unicode !== undefined) return unicode;
  }
  if ((flags & ZIP_UTF8_FLAG) !== 0) return decodeUtf8(raw);
  return decodeUtf8(raw) ?? decodeCp437(raw);
}

/**
 * A tar entry's name, read from the header as Latin-1 (every byte kept): UTF-8 when the bytes are
 * valid UTF-8, Latin-1 otherwise (tar has no declared encoding; old archives are ISO 8859-1). A name
 * from a PAX `path` record is UTF-8 by definition and was decoded as such by the parser; one holding
 * U+FFFD was not valid UTF-8 and gives undefined.
 */
export function decodeTarName(name: string, fromPax: boolean): string | undefined {
  if (fromPax) return name.includes('\ufffd') ? undefined : name;
  return decodeUtf8(Buffer.from(name, 'latin1')) ?? name;
}
