/**
 * What a HEIC says about its primary image, read from the container's boxes before any pixel is
 * decoded (ISO/IEC 23008-12): the stored size (`ispe`, §6.5.3), the transformations a reader
 * applies in order after decoding (`clap` crop, `irot` rotation, `imir` mirror, §6.5.10–12),
 * whether an alpha plane goes with it (`auxl`), and its colour (`colr`, §6.5.5: `nclx` code
 * points or an ICC profile). The decoder (heic-decode.ts) applies the transformations; these
 * values say what it must return, so a decode of any other size is refused.
 *
 * EXIF orientation is deliberately not read: HEIF's own transformations are the orientation, and
 * a camera that stores upright pixels may leave an EXIF Orientation tag behind (MIAF, ISO/IEC
 * 23000-22 §7.3.6.7: readers shall not apply it on top of `irot`/`imir`).
 */
import { type ItemGraph, ispe, parseMeta, property } from './heif-items.ts';
import { BoxReader, BoxStructureError, fullBoxHeader, readBoxes } from './iso-boxes.ts';

/** The colour of the primary image, as its `colr` box states it. */
export type HeicColour =
  | { readonly kind: 'none' }
  | { readonly kind: 'nclx'; readonly primaries: number; readonly transfer: number }
  | { readonly kind: 'icc'; readonly profile: Buffer };

export interface HeicHeader {
  /** The stored size, before `irot`/`imir` (`ispe` of the primary item). */
  readonly storedWidth: number;
  readonly storedHeight: number;
  /** The upright size the decoder must return: after a 90° or 270° `irot`, swapped. */
  readonly width: number;
  readonly height: number;
  /** Counter-clockwise rotation in degrees (0, 90, 180, 270). */
  readonly rotation: number;
  readonly mirrored: boolean;
  /** A `clap` crop makes the decoded size smaller than `ispe`, by an amount read by libheif. */
  readonly cropped: boolean;
  readonly hasAlpha: boolean;
  readonly colour: HeicColour;
}

const ALPHA_URNS = new Set([
  'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha',
  'urn:mpeg:hevc:2015:auxid:1',
]);

function rotationOf(g: ItemGraph, id: number): number {
  const box = property(g, id, 'irot');
  if (!box) return 0;
  const r = new BoxReader(g.bytes, box.payload, box.end, 'irot');
  return (r.u8() & 3) * 90;
}

function colourOf(g: ItemGraph, id: number): HeicColour {
  const box = property(g, id, 'colr');
  if (!box) return { kind: 'none' };
  const r = new BoxReader(g.bytes, box.payload, box.end, 'colr');
  const type = r.fourcc();
  if (type === 'nclx') return { kind: 'nclx', primaries: r.u16(), transfer: r.u16() };
  if (type === 'prof' || type === 'rICC') {
    return { kind: 'icc', profile: Buffer.from(g.bytes.subarray(r.offset, box.end)) };
  }
  return { kind: 'none' };
}

function hasAlphaPlane(g: ItemGraph, id: number): boolean {
  return (g.auxiliaries.get(id) ?? []).some((aux) => {
    const box = property(g, aux, 'auxC');
    if (!box) return false;
    const r = new BoxReader(g.bytes, box.payload, box.end, 'auxC');
    fullBoxHeader(r);
    return ALPHA_URNS.has(r.cstring());
  });
}

/**
 * The primary image's header. Throws BoxStructureError when the container has no primary image
 * with a size (a reader could not know what to decode) or its boxes contradict themselves.
 */
export function readHeicHeader(bytes: Uint8Array): HeicHeader {
  const meta = readBoxes(bytes, 0, bytes.length, { lastMayOverrun: true }).find(
    (b) => b.type === 'meta',
  );
  if (!meta) throw new BoxStructureError('there is no meta box');
  const g = parseMeta(bytes, meta);
  const id = g.primary;
  if (id === undefined) throw new BoxStructureError('there is no primary item (pitm)');
  const size = ispe(g, id);
  if (!size || size.width < 1 || size.height < 1) {
    throw new BoxStructureError(`the primary item ${id} declares no size (ispe)`);
  }
  const rotation = rotationOf(g, id);
  const swap = rotation === 90 || rotation === 270;
  // A grid's colour is often only on its tiles (libheif reads it from the first one too).
  const first = g.dimg.get(id)?.[0];
  let colour = colourOf(g, id);
  if (colour.kind === 'none' && first !== undefined) colour = colourOf(g, first);
  return {
    storedWidth: size.width,
    storedHeight: size.height,
    width: swap ? size.height : size.width,
    height: swap ? size.width : size.height,
    rotation,
    mirrored: property(g, id, 'imir') !== undefined,
    cropped: property(g, id, 'clap') !== undefined,
    hasAlpha: hasAlphaPlane(g, id),
    colour,
  };
}
