/**
 * Whether a file that failed to decode ends before its own structure says it should. Decoders
 * report truncation in many words ("premature end", "read error", "unexpected end"); the bytes
 * tell it plainly, so a truncated upload is told apart from a corrupt one.
 */
import type { SourceFormat } from './loader-policy.ts';

/** PNG chunks walked from the signature: truncated when a well-formed chunk runs past the end. */
function pngIsComplete(bytes: Buffer): boolean {
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    // Not a chunk at all: the data is corrupt, not cut short.
    if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) return true;
    const next = offset + 12 + length;
    if (next > bytes.length) return false;
    if (type === 'IEND') return true;
    offset = next;
  }
  return false;
}

function jpegIsComplete(bytes: Buffer): boolean {
  // An end-of-image marker somewhere after the start (data may follow it, as in polyglots).
  return bytes.indexOf(Buffer.from([0xff, 0xd9]), 2) !== -1;
}

function riffIsComplete(bytes: Buffer): boolean {
  return bytes.length >= 12 && bytes.readUInt32LE(4) + 8 <= bytes.length;
}

/** A GIF ends with its trailer byte, 0x3B. */
function gifIsComplete(bytes: Buffer): boolean {
  return bytes.length > 13 && bytes[bytes.length - 1] === 0x3b;
}

export function looksTruncated(format: SourceFormat, bytes: Buffer): boolean {
  switch (format) {
    case 'png':
      return !pngIsComplete(bytes);
    case 'jpeg':
      return !jpegIsComplete(bytes);
    case 'webp':
      return !riffIsComplete(bytes);
    case 'gif':
      return !gifIsComplete(bytes);
    default:
      return false;
  }
}
