/**
 * Raw RGBA pixels wrapped, with an ICC profile, in a PNG this process writes itself — the one way
 * to tell libvips what colour space raw pixels are in (sharp's raw input takes no profile), so that
 * `toColourspace('srgb')` converts them through the profile as it does a JPEG's.
 *
 * The image data is a zlib stream of stored (uncompressed) deflate blocks, written straight into
 * the one buffer the PNG is: the bytes go from here to libspng in the same process, so compressing
 * them would only cost CPU, and a 48 MP photo is 190 MB of RGBA that must not be copied three
 * times (filtered rows, deflate output, concatenation) within the pixel process's memory cap.
 * PNG: https://www.w3.org/TR/png-3/ (IHDR §11.2.1, IDAT §11.2.4, iCCP §11.3.2.3); zlib: RFC 1950;
 * stored blocks: RFC 1951 §3.2.4.
 */
import { crc32, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The largest stored block (LEN is 16 bits). */
const BLOCK = 65_535;

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Adler-32 (RFC 1950 §8.2) continued over `bytes`; sums reduced every 5,552 bytes, as zlib does. */
function adler32(a: number, b: number, bytes: Uint8Array): [number, number] {
  let s1 = a;
  let s2 = b;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(bytes.length, i + 5552);
    for (; i < end; i++) {
      s1 += bytes[i] as number;
      s2 += s1;
    }
    s1 %= 65_521;
    s2 %= 65_521;
  }
  return [s1, s2];
}

/** A PNG of `width` × `height` 8-bit RGBA pixels (rows packed) tagged with `icc`. */
export function iccTaggedPng(rgba: Uint8Array, width: number, height: number, icc: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, adaptive filters, no interlace
  const iccp = Buffer.concat([Buffer.from('icc\0\0', 'latin1'), deflateSync(icc)]);
  const head = Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('iCCP', iccp)]);

  const row = width * 4;
  const raw = (row + 1) * height; // each row led by its filter type, 0 (None)
  const blocks = Math.max(1, Math.ceil(raw / BLOCK));
  const zlibLength = 2 + raw + 5 * blocks + 4;
  const png = Buffer.alloc(head.length + 12 + zlibLength + 12);
  head.copy(png, 0);
  const idat = head.length;
  png.writeUInt32BE(zlibLength, idat);
  png.write('IDAT', idat + 4, 'latin1');
  let at = idat + 8;
  png[at++] = 0x78; // deflate, 32 KiB window
  png[at++] = 0x01; // no dictionary, fastest; (0x78 << 8 | 0x01) % 31 === 0
  let left = raw;
  let blockLeft = 0;
  let sums: [number, number] = [1, 0];
  /** Copies `bytes` into the stream, opening a stored block header whenever one is full. */
  const put = (bytes: Uint8Array) => {
    let from = 0;
    while (from < bytes.length) {
      if (blockLeft === 0) {
        blockLeft = Math.min(BLOCK, left);
        left -= blockLeft;
        png[at] = left === 0 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
        png.writeUInt16LE(blockLeft, at + 1);
        png.writeUInt16LE(blockLeft ^ 0xffff, at + 3);
        at += 5;
      }
      const n = Math.min(blockLeft, bytes.length - from);
      png.set(bytes.subarray(from, from + n), at);
      at += n;
      blockLeft -= n;
      from += n;
    }
    sums = adler32(sums[0], sums[1], bytes);
  };
  const filter = Uint8Array.of(0);
  for (let y = 0; y < height; y++) {
    put(filter);
    put(rgba.subarray(y * row, (y + 1) * row));
  }
  png.writeUInt32BE(((sums[1] << 16) | sums[0]) >>> 0, at);
  at += 4;
  png.writeUInt32BE(crc32(png.subarray(idat + 4, at)), at);
  at += 4;
  png.writeUInt32BE(0, at);
  png.write('IEND', at + 4, 'latin1');
  png.writeUInt32BE(crc32(png.subarray(at + 4, at + 8)), at + 8);
  return png;
}
