/**
 * Raw RGBA pixels wrapped, with an ICC profile, in a PNG this process writes itself — the one way
 * to tell libvips what colour space raw pixels are in (sharp's raw input takes no profile), so that
 * `toColourspace('srgb')` converts them through the profile as it does a JPEG's. Stored deflate
 * blocks (level 0): the bytes go from here to libspng in the same process, so compressing them
 * would only cost CPU. PNG: https://www.w3.org/TR/png-3/ (IHDR §11.2.1, iCCP §11.3.2.3).
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4, 8))), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of `width` × `height` 8-bit RGBA pixels (rows `stride` bytes apart) tagged with `icc`. */
export function iccTaggedPng(
  rgba: Uint8Array,
  width: number,
  height: number,
  icc: Buffer,
  stride = width * 4,
): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, adaptive filters, no interlace
  const row = width * 4;
  const filtered = Buffer.alloc((row + 1) * height);
  for (let y = 0; y < height; y++) {
    // Filter type 0 (None) leads each row.
    filtered.set(rgba.subarray(y * stride, y * stride + row), y * (row + 1) + 1);
  }
  const iccp = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(icc)]);
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('iCCP', iccp),
    chunk('IDAT', deflateSync(filtered, { level: 0 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
