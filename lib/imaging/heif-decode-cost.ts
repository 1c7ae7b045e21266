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
 * The items and their references come from the `meta` box, read by heif-items.ts.
 */
import { av1MaxFrameSize } from './av1-sequence-header.ts';
import { type ItemGraph, ispe, itemBytes, parseMeta, property, type Size } from './heif-items.ts';
import { BoxReader, BoxStructureError, fullBoxHeader, readBoxes } from './iso-boxes.ts';

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

interface Cost {
  readonly pixels: number;
  readonly coded: number;
  readonly description: string;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const area = (s: Size) => s.width * s.height;

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
