/**
 * Reads the Copyright (0x8298) and Artist (0x013B) ASCII tags from IFD0 of a raw EXIF block, the
 * only metadata the `copyright-and-icc` policy carries over. A small parser on purpose: it reads
 * two tags, bounds-checks every offset, and ignores everything else (GPS included).
 * Layout: TIFF 6.0 header and IFD, https://www.cipa.jp/std/documents/download_e.html?DC-008-Translation-2023-E
 */
const COPYRIGHT = 0x8298;
const ARTIST = 0x013b;
const ASCII = 2;

export function readExifText(exif: Buffer | undefined): { copyright?: string; artist?: string } {
  if (!exif || exif.length < 14) return {};
  // sharp returns the block with its "Exif\0\0" prefix.
  const start = exif.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 6 : 0;
  const tiff = exif.subarray(start);
  if (tiff.length < 8) return {};
  const order = tiff.subarray(0, 2).toString('latin1');
  if (order !== 'II' && order !== 'MM') return {};
  const le = order === 'II';
  const u16 = (o: number) =>
    o + 2 <= tiff.length ? (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o)) : -1;
  const u32 = (o: number) =>
    o + 4 <= tiff.length ? (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o)) : -1;
  const ifd0 = u32(4);
  const count = u16(ifd0);
  if (ifd0 < 8 || count < 0) return {};
  const found: { copyright?: string; artist?: string } = {};
  for (let i = 0; i < Math.min(count, 512); i++) {
    const entry = ifd0 + 2 + i * 12;
    const tag = u16(entry);
    if (tag !== COPYRIGHT && tag !== ARTIST) continue;
    if (u16(entry + 2) !== ASCII) continue;
    const length = u32(entry + 4);
    if (length <= 0 || length > 4096) continue;
    const offset = length <= 4 ? entry + 8 : u32(entry + 8);
    if (offset < 0 || offset + length > tiff.length) continue;
    const text = tiff
      .subarray(offset, offset + length)
      .toString('latin1')
      .replace(/\0+$/, '')
      .trim();
    if (!text) continue;
    if (tag === COPYRIGHT) found.copyright = text;
    else found.artist = text;
  }
  return found;
}
