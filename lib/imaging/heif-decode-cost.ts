/**
 * What a HEIF/AVIF decoder will actually decode, counted from the container before any pixel is.
 *
 * The header sharp reads (the primary item's `ispe`) is only the size of the picture put together
 * at the end. A `grid` item (ISO/IEC 23008-12 §6.6.2.3) is decoded tile by tile, each tile at its
 * own coded size: a 14 KB file whose `ispe` says 64 × 64 can hold 255 tiles of 4096² (4.3
 * gigapixels) that share one copy of their bitstream. A coded item's `ispe` can also understate its
 * AV1 sequence header, which is what the AV1 decoder allocates. And an alpha plane is a second coded
 * image (an `auxl` item) with its own size. So the size counted here is, for the costliest
 * top-level image: a coded image at the larger of its `ispe` and its bitstream's maximum frame
 * size; a derived image (grid, overlay) at the larger of its canvas and the sum of its inputs
 * (once per reference); and the larger of an image and its alpha plane. For a well-formed file
 * that is its picture's size; for a bomb it is what the decoder would really decode.
 *
 * Boxes (ISO/IEC 14496-12 §8.11): `meta` holds `pitm`, `iinf`/`infe` (item types), `iloc` (where
 * each item's data is), `iref` (`dimg`: derived image → inputs; `auxl`: auxiliary → master;
 * `thmb`: thumbnail → master), `iprp` (`ipco` properties, `ipma` associations), `idat`.
 */
import { av1MaxFrameSize } from './av1-sequence-header.ts';
import { type Box, BoxReader, BoxStructureError, fullBoxHeader, readBoxes } from './iso-boxes.ts';

export { BoxStructureError } from './iso-boxes.ts';

export interface HeifDecodeCost {
  /** Pixels the decoder works through for the costliest top-level image (see above). */
  readonly pixels: number;
  /** Coded images decoded for it (tiles count one each). */
  readonly codedImages: number;
  /** Words for what makes up the cost, e.g. "a 15 × 17 grid of 4096 × 4096 tiles". */
  readonly description: string;
}

/** Item types that hold a coded picture (a decoder's input). */
const CODED_TYPES = new Set(['av01', 'hvc1', 'hev1', 'avc1', 'jpeg', 'j2k1', 'vvc1', 'unci']);
/** Item types derived from other items through `dimg`. */
const DERIVED_TYPES = new Set(['grid', 'iovl', 'iden', 'tmap']);
const ALPHA_TYPES = new Set([
  'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha',
  'urn:mpeg:hevc:2015:auxid:1',
]);
/** Derivations deeper than this are refused (real files nest one or two levels). */
const MAX_DEPTH = 8;
/** How much of a coded item's data is searched for its sequence header. */
const HEADER_SEARCH_BYTES = 4096;

interface Extent {
  readonly offset: number;
  readonly length: number;
}
interface Location {
  readonly method: number;
  readonly extents: readonly Extent[];
}
interface Size {
  readonly width: number;
  readonly height: number;
}
interface Cost {
  readonly pixels: number;
  readonly coded: number;
  readonly description: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const area = (s: Size) => s.width * s.height;

class ItemGraph {
  readonly types = new Map<number, string>();
  readonly properties: Box[] = [];
  readonly associations = new Map<number, number[]>();
  readonly dimg = new Map<number, number[]>();
  /** master → its auxiliary items. */
  readonly auxiliaries = new Map<number, number[]>();
  /** Items that are inputs of a derivation, thumbnails or auxiliaries: not top-level images. */
  readonly notTopLevel = new Set<number>();
  readonly locations = new Map<number, Location>();
  idat: Box | undefined;
  primary: number | undefined;

  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

function parsePitm(g: ItemGraph, box: Box) {
  const r = new BoxReader(g.bytes, box.payload, box.end, 'pitm');
  const { version } = fullBoxHeader(r);
  g.primary = version === 0 ? r.u16() : r.u32();
}

function parseIinf(g: ItemGraph, box: Box) {
  const r = new BoxReader(g.bytes, box.payload, box.end, 'iinf');
  const { version } = fullBoxHeader(r);
  r.skip(version === 0 ? 2 : 4);
  for (const infe of readBoxes(g.bytes, r.offset, box.end)) {
    if (infe.type !== 'infe') continue;
    const e = new BoxReader(g.bytes, infe.payload, infe.end, 'infe');
    const header = fullBoxHeader(e);
    // Versions 0 and 1 (§8.11.6.2) carry no item type: not images in any reader we ship.
    if (header.version < 2) continue;
    const id = header.version === 2 ? e.u16() : e.u32();
    e.skip(2); // item_protection_index
    g.types.set(id, e.fourcc());
  }
}

function parseIloc(g: ItemGraph, box: Box) {
  const r = new BoxReader(g.bytes, box.payload, box.end, 'iloc');
  const { version } = fullBoxHeader(r);
  if (version > 2) throw new BoxStructureError(`iloc version ${version} is unknown`);
  const sizes = r.u16();
  const offsetSize = sizes >> 12;
  const lengthSize = (sizes >> 8) & 0xf;
  const baseOffsetSize = (sizes >> 4) & 0xf;
  const indexSize = version === 0 ? 0 : sizes & 0xf;
  const count = version < 2 ? r.u16() : r.u32();
  for (let i = 0; i < count; i++) {
    const id = version < 2 ? r.u16() : r.u32();
    const method = version === 0 ? 0 : r.u16() & 0xf;
    r.skip(2); // data_reference_index
    const base = r.uint(baseOffsetSize);
    const extentCount = r.u16();
    const extents: Extent[] = [];
    for (let j = 0; j < extentCount; j++) {
      r.uint(indexSize);
      const offset = base + r.uint(offsetSize);
      extents.push({ offset, length: r.uint(lengthSize) });
    }
    g.locations.set(id, { method, extents });
  }
}

function parseIref(g: ItemGraph, box: Box) {
  const r = new BoxReader(g.bytes, box.payload, box.end, 'iref');
  const { version } = fullBoxHeader(r);
  for (const ref of readBoxes(g.bytes, r.offset, box.end)) {
    const e = new BoxReader(g.bytes, ref.payload, ref.end, ref.type);
    const id = () => (version === 0 ? e.u16() : e.u32());
    const from = id();
    const count = e.u16();
    const to: number[] = [];
    for (let i = 0; i < count; i++) to.push(id());
    if (ref.type === 'dimg') {
      g.dimg.set(from, [...(g.dimg.get(from) ?? []), ...to]);
      for (const child of to) g.notTopLevel.add(child);
    } else if (ref.type === 'auxl') {
      g.notTopLevel.add(from);
      for (const master of to)
        g.auxiliaries.set(master, [...(g.auxiliaries.get(master) ?? []), from]);
    } else if (ref.type === 'thmb') {
      g.notTopLevel.add(from);
    }
  }
}

function parseIprp(g: ItemGraph, box: Box) {
  for (const child of readBoxes(g.bytes, box.payload, box.end)) {
    if (child.type === 'ipco') {
      g.properties.push(...readBoxes(g.bytes, child.payload, child.end));
    } else if (child.type === 'ipma') {
      const r = new BoxReader(g.bytes, child.payload, child.end, 'ipma');
      const { version, flags } = fullBoxHeader(r);
      const count = r.u32();
      for (let i = 0; i < count; i++) {
        const id = version < 1 ? r.u16() : r.u32();
        const n = r.u8();
        const indices = g.associations.get(id) ?? [];
        for (let j = 0; j < n; j++) indices.push(flags & 1 ? r.u16() & 0x7fff : r.u8() & 0x7f);
        g.associations.set(id, indices);
      }
    }
  }
}

function parseMeta(bytes: Uint8Array, meta: Box): ItemGraph {
  const g = new ItemGraph(bytes);
  // meta is a FullBox: its children start after version and flags.
  for (const box of readBoxes(bytes, meta.payload + 4, meta.end)) {
    if (box.type === 'pitm') parsePitm(g, box);
    else if (box.type === 'iinf') parseIinf(g, box);
    else if (box.type === 'iloc') parseIloc(g, box);
    else if (box.type === 'iref') parseIref(g, box);
    else if (box.type === 'iprp') parseIprp(g, box);
    else if (box.type === 'idat') g.idat = box;
  }
  return g;
}

function property(g: ItemGraph, id: number, type: string): Box | undefined {
  for (const index of g.associations.get(id) ?? []) {
    const box = g.properties[index - 1];
    if (box?.type === type) return box;
  }
  return undefined;
}

function ispe(g: ItemGraph, id: number): Size | undefined {
  const box = property(g, id, 'ispe');
  if (!box) return undefined;
  const r = new BoxReader(g.bytes, box.payload, box.end, 'ispe');
  fullBoxHeader(r);
  return { width: r.u32(), height: r.u32() };
}

/** The first `max` bytes of an item's data, as ranges of the buffer (clipped to what is there). */
function itemRanges(g: ItemGraph, id: number, max: number): [number, number][] {
  const location = g.locations.get(id);
  if (!location) return [];
  const ranges: [number, number][] = [];
  let wanted = max;
  for (const extent of location.extents) {
    if (wanted <= 0) break;
    let base = 0;
    let limit = g.bytes.length;
    if (location.method === 1) {
      if (!g.idat) return ranges;
      base = g.idat.payload;
      limit = g.idat.end;
    } else if (location.method !== 0) {
      return ranges;
    }
    const start = base + extent.offset;
    // A length of 0 is "the rest of the data" (§8.11.3.3).
    const end = Math.min(
      limit,
      extent.length === 0 ? limit : start + extent.length,
      start + wanted,
    );
    if (start >= end) continue;
    ranges.push([start, end]);
    wanted -= end - start;
  }
  return ranges;
}

function itemBytes(g: ItemGraph, id: number, max: number): Uint8Array {
  return Buffer.concat(itemRanges(g, id, max).map(([s, e]) => g.bytes.subarray(s, e)));
}

/** A coded item's size: the larger of its `ispe` and, for AV1, its sequence header's maximum. */
function codedSize(g: ItemGraph, id: number, type: string): Size {
  const declared = ispe(g, id) ?? { width: 0, height: 0 };
  if (type !== 'av01') return declared;
  let width = declared.width;
  let height = declared.height;
  const consider = (bytes: Uint8Array, start: number, end: number) => {
    const frame = av1MaxFrameSize(bytes, start, end);
    if (frame) {
      width = Math.max(width, frame.width);
      height = Math.max(height, frame.height);
    }
  };
  const config = property(g, id, 'av1C');
  // av1C: 4 bytes of configuration, then configOBUs (AV1-ISOBMFF §2.3.3).
  if (config && config.end - config.payload > 4) consider(g.bytes, config.payload + 4, config.end);
  const data = itemBytes(g, id, HEADER_SEARCH_BYTES);
  consider(data, 0, data.length);
  return { width, height };
}

/** The output size in a `grid` (§6.6.2.3.2) or `iovl` (§6.6.2.2.2) item's data. */
function canvasSize(g: ItemGraph, id: number, type: string): Size {
  const data = itemBytes(g, id, 64);
  const r = new BoxReader(data, 0, data.length, type);
  r.u8(); // version
  const flags = r.u8();
  if (type === 'grid')
    r.skip(2); // rows_minus_one, columns_minus_one
  else r.skip(8); // canvas_fill_value: four 16-bit values
  const field = flags & 1 ? 4 : 2;
  return { width: r.uint(field), height: r.uint(field) };
}

function gridShape(g: ItemGraph, id: number): string {
  const data = itemBytes(g, id, 4);
  return data.length >= 4 ? `${(data[2] ?? 0) + 1} × ${(data[3] ?? 0) + 1}` : '?';
}

function isAlpha(g: ItemGraph, id: number): boolean {
  const box = property(g, id, 'auxC');
  if (!box) return false;
  const r = new BoxReader(g.bytes, box.payload, box.end, 'auxC');
  fullBoxHeader(r);
  return ALPHA_TYPES.has(r.cstring());
}

function costOf(g: ItemGraph, id: number, path: readonly number[], memo: Map<number, Cost>): Cost {
  const known = memo.get(id);
  if (known) return known;
  if (path.includes(id)) throw new BoxStructureError(`item ${id} is derived from itself`);
  if (path.length > MAX_DEPTH) {
    throw new BoxStructureError(`images are derived more than ${MAX_DEPTH} levels deep`);
  }
  const type = g.types.get(id) ?? '';
  const inputs = g.dimg.get(id) ?? [];
  let cost: Cost;
  if (CODED_TYPES.has(type) && inputs.length === 0) {
    const size = codedSize(g, id, type);
    cost = { pixels: area(size), coded: 1, description: `${size.width} × ${size.height}` };
  } else {
    const canvas =
      type === 'grid' || type === 'iovl'
        ? canvasSize(g, id, type)
        : (ispe(g, id) ?? { width: 0, height: 0 });
    let inputPixels = 0;
    let coded = 0;
    const children = inputs.map((child) => costOf(g, child, [...path, id], memo));
    for (const child of children) {
      inputPixels += child.pixels;
      coded += child.coded;
    }
    // Of a well-formed grid, the tiles cover the canvas: either count is the picture's size.
    const pixels = Math.max(area(canvas), inputPixels);
    const first = children[0]?.description ?? 'nothing';
    const same = children.every((c) => c.description === first);
    cost = {
      pixels,
      coded,
      description:
        type === 'grid'
          ? `a ${gridShape(g, id)} grid of ${same ? `${first} tiles` : `${children.length} tiles up to ${fmt(Math.max(...children.map((c) => c.pixels)))} pixels`}`
          : `a ${type || 'derived'} image of ${children.length} input${children.length === 1 ? '' : 's'}`,
    };
  }
  for (const aux of g.auxiliaries.get(id) ?? []) {
    if (!isAlpha(g, aux)) continue;
    const alpha = costOf(g, aux, [...path, id], memo);
    // Alpha is one more channel of the same picture: it costs the larger of the two sizes, so
    // a real image with alpha counts as its size while a huge plane behind a small one counts.
    cost = {
      pixels: Math.max(cost.pixels, alpha.pixels),
      coded: cost.coded + alpha.coded,
      description: `${cost.description} with an alpha plane of ${alpha.description}`,
    };
  }
  memo.set(id, cost);
  return cost;
}

/**
 * The decode cost of a HEIF/AVIF file, or undefined when it has no `meta` box (then it has no
 * image items, and the decoder will refuse it on its own). Throws BoxStructureError when the
 * boxes contradict themselves.
 */
export function heifDecodeCost(bytes: Uint8Array): HeifDecodeCost | undefined {
  const meta = readBoxes(bytes, 0, bytes.length, { lastMayOverrun: true }).find(
    (b) => b.type === 'meta',
  );
  if (!meta) return undefined;
  const g = parseMeta(bytes, meta);
  const images = [...g.types]
    .filter(
      ([id, type]) =>
        (CODED_TYPES.has(type) || DERIVED_TYPES.has(type)) &&
        (id === g.primary || !g.notTopLevel.has(id)),
    )
    .map(([id]) => id);
  const memo = new Map<number, Cost>();
  let worst: Cost | undefined;
  // Which top-level image a reader decodes (the primary, or the first) is the reader's choice:
  // the costliest one is what is counted.
  for (const id of images) {
    const cost = costOf(g, id, [], memo);
    if (!worst || cost.pixels > worst.pixels) worst = cost;
  }
  if (!worst) return undefined;
  return { pixels: worst.pixels, codedImages: worst.coded, description: worst.description };
}
