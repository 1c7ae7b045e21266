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

/**
 * Walks a JPEG's markers (ITU T.81 §B.1.1): segments by their lengths, entropy-coded data after
 * each SOS up to the next marker, until EOI. The file is cut short only when the walk runs out of
 * bytes inside well-formed structure; a second SOI, a marker where data should be or a bad
 * segment length is damage, not truncation (data after EOI, as in polyglots, is never read).
 */
function jpegIsComplete(bytes: Buffer): boolean {
  let at = 2;
  for (;;) {
    if (at >= bytes.length) return false;
    if (bytes[at] !== 0xff) return true; // not a marker: corrupt
    while (bytes[at] === 0xff) at++; // fill bytes (§B.1.1.2)
    if (at >= bytes.length) return false;
    const marker = bytes[at] ?? 0;
    at++;
    if (marker === 0xd9) return true; // EOI
    if (marker === 0xd8 || marker === 0x00) return true; // a second SOI, or a stuffed byte: corrupt
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue; // TEM, RSTn: no length
    if (at + 2 > bytes.length) return false;
    const length = bytes.readUInt16BE(at);
    if (length < 2) return true;
    at += length;
    if (at > bytes.length) return false;
    if (marker !== 0xda) continue;
    // Entropy-coded data: runs to the next marker that is not a stuffed 0xFF00 or an RSTn.
    for (;;) {
      const next = bytes.indexOf(0xff, at);
      if (next === -1 || next + 1 >= bytes.length) return false;
      const following = bytes[next + 1] ?? 0;
      if (following === 0x00 || following === 0xff || (following >= 0xd0 && following <= 0xd7)) {
        at = next + (following === 0xff ? 1 : 2);
        continue;
      }
      at = next;
      break;
    }
  }
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
