/**
 * The item graph of a HEIF/AVIF file's `meta` box (ISO/IEC 14496-12 §8.11): `pitm`, `iinf`/`infe`
 * (item types), `iloc` (where each item's data is), `iref` (`dimg`: derived image → inputs;
 * `auxl`: auxiliary → master; `thmb`: thumbnail → master), `iprp` (`ipco` properties, `ipma`
 * associations), `idat`; and each item's properties and data read from it.
 */
import { type Box, BoxReader, BoxStructureError, fullBoxHeader, readBoxes } from './iso-boxes.ts';

interface Extent {
  readonly offset: number;
  readonly length: number;
}
interface Location {
  readonly method: number;
  readonly extents: readonly Extent[];
}
export interface Size {
  readonly width: number;
  readonly height: number;
}
export class ItemGraph {
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

export function parseMeta(bytes: Uint8Array, meta: Box): ItemGraph {
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

export function property(g: ItemGraph, id: number, type: string): Box | undefined {
  for (const index of g.associations.get(id) ?? []) {
    const box = g.properties[index - 1];
    if (box?.type === type) return box;
  }
  return undefined;
}

export function ispe(g: ItemGraph, id: number): Size | undefined {
  const box = property(g, id, 'ispe');
  if (!box) return undefined;
  const r = new BoxReader(g.bytes, box.payload, box.end, 'ispe');
  fullBoxHeader(r);
  return { width: r.u32(), height: r.u32() };
}

/** The first `max` bytes of an item's data, as ranges of the buffer (clipped to what is there). */
export function itemRanges(g: ItemGraph, id: number, max: number): [number, number][] {
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

export function itemBytes(g: ItemGraph, id: number, max: number): Uint8Array {
  return Buffer.concat(itemRanges(g, id, max).map(([s, e]) => g.bytes.subarray(s, e)));
}
