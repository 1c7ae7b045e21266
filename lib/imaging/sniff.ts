/**
 * Identifies an image format from its leading bytes. The extension and Content-Type of an upload
 * are hints chosen by the uploader; the magic bytes are what a decoder will actually act on.
 */
export const sniffedFormats = [
  'jpeg',
  'png',
  'webp',
  'gif',
  'avif',
  'heic',
  'tiff',
  'bmp',
  'svg',
  'pdf',
  'jp2',
  'jxl',
  'ico',
  'psd',
  'vips',
  'hdr',
  'fits',
  'pnm',
  'exr',
] as const;

export type SniffedFormat = (typeof sniffedFormats)[number];

function startsWith(bytes: Uint8Array, signature: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + signature.length) return false;
  return signature.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.subarray(start, end)).toString('latin1');
}

/** Real ftyp boxes list a handful of brands; this bounds what is read as one. */
const MAX_FTYP_BYTES = 4096;

const HEIF_AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_HEIC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);

function sniffIsoBmff(bytes: Uint8Array): SniffedFormat | undefined {
  if (bytes.length < 16 || ascii(bytes, 4, 8) !== 'ftyp') return undefined;
  const boxSize = Buffer.from(bytes.subarray(0, 4)).readUInt32BE(0);
  // An ftyp box that claims more bytes than the file has (or fewer than its own fields) is not
  // one: reading "brands" up to its claimed size would take any 'heic' or 'mif1' in the data
  // for a brand (ISO/IEC 14496-12 §4.3: major brand, minor version, compatible brands).
  if (boxSize < 16 || boxSize > bytes.length || boxSize > MAX_FTYP_BYTES) return undefined;
  const end = boxSize;
  const brands = [ascii(bytes, 8, 12)];
  for (let offset = 16; offset + 4 <= end; offset += 4)
    brands.push(ascii(bytes, offset, offset + 4));
  if (brands.some((b) => HEIF_AVIF_BRANDS.has(b))) return 'avif';
  if (brands.some((b) => HEIF_HEIC_BRANDS.has(b))) return 'heic';
  if (brands.includes('jp2 ')) return 'jp2';
  return undefined;
}

function looksLikeSvg(bytes: Uint8Array): boolean {
  const start = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  const head = Buffer.from(bytes.subarray(start, Math.min(bytes.length, 1024)))
    .toString('utf8')
    .trimStart()
    .toLowerCase();
  if (!head.startsWith('<')) return false;
  return head.includes('<svg');
}

export function sniffFormat(bytes: Uint8Array): SniffedFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  const iso = sniffIsoBmff(bytes);
  if (iso) return iso;
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]))
    return 'tiff';
  if (startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b]))
    return 'tiff';
  if (ascii(bytes, 0, 2) === 'BM' && bytes.length >= 26) return 'bmp';
  if (ascii(bytes, 0, 5) === '%PDF-') return 'pdf';
  if (startsWith(bytes, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20])) return 'jp2';
  if (startsWith(bytes, [0xff, 0x4f, 0xff, 0x51])) return 'jp2';
  if (startsWith(bytes, [0xff, 0x0a]) || startsWith(bytes, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20]))
    return 'jxl';
  if (startsWith(bytes, [0x00, 0x00, 0x01, 0x00])) return 'ico';
  if (ascii(bytes, 0, 4) === '8BPS') return 'psd';
  if (startsWith(bytes, [0x08, 0xf2, 0xa6, 0xb6]) || startsWith(bytes, [0xb6, 0xa6, 0xf2, 0x08]))
    return 'vips';
  if (ascii(bytes, 0, 2) === '#?') return 'hdr';
  if (ascii(bytes, 0, 9) === 'SIMPLE  =') return 'fits';
  if (/^P[1-7FfH]\s/.test(ascii(bytes, 0, 3))) return 'pnm';
  if (startsWith(bytes, [0x76, 0x2f, 0x31, 0x01])) return 'exr';
  if (looksLikeSvg(bytes)) return 'svg';
  return undefined;
}
