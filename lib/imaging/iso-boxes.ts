/**
 * ISO base media file format boxes (ISO/IEC 14496-12 §4.2), read from untrusted bytes: every size
 * is checked against its parent before anything inside is read, so a box can never make a reader
 * look outside the bytes it was given.
 */

export class BoxStructureError extends Error {
  override readonly name = 'BoxStructureError';
}

export interface Box {
  readonly type: string;
  /** Offset of the box's first byte in the buffer. */
  readonly start: number;
  /** Offset of the payload (after size, type and any 64-bit size). */
  readonly payload: number;
  /** Offset just past the box. */
  readonly end: number;
}

/**
 * The boxes laid end to end in `bytes[start, end)`. A size of 0 means "to the end" (§4.2.2). A box
 * that claims to run past its parent is an error unless `lastMayOverrun` (a file cut short in its
 * media data is the decoder's business, not the container reader's).
 */
export function readBoxes(
  bytes: Uint8Array,
  start: number,
  end: number,
  options: { lastMayOverrun?: boolean } = {},
): Box[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const boxes: Box[] = [];
  let offset = start;
  while (offset < end) {
    if (offset + 8 > end) throw new BoxStructureError(`a box header at ${offset} is cut short`);
    let size = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    let payload = offset + 8;
    if (size === 1) {
      if (offset + 16 > end) throw new BoxStructureError(`the ${type} box's 64-bit size is cut`);
      const large = view.getBigUint64(offset + 8);
      size = large > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(large);
      payload = offset + 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < payload - offset) throw new BoxStructureError(`the ${type} box's size is ${size}`);
    let boxEnd = offset + size;
    if (boxEnd > end) {
      if (!options.lastMayOverrun) {
        throw new BoxStructureError(
          `the ${type} box at ${offset} declares ${size} bytes, past the end of its parent`,
        );
      }
      boxEnd = end;
    }
    boxes.push({ type, start: offset, payload, end: boxEnd });
    offset = boxEnd;
  }
  return boxes;
}

/** A bounds-checked big-endian reader over one box's payload. */
export class BoxReader {
  readonly #view: DataView;
  readonly #bytes: Uint8Array;
  readonly #end: number;
  #offset: number;
  readonly #what: string;

  constructor(bytes: Uint8Array, start: number, end: number, what: string) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#offset = start;
    this.#end = end;
    this.#what = what;
  }

  get offset(): number {
    return this.#offset;
  }

  get left(): number {
    return this.#end - this.#offset;
  }

  #take(n: number): number {
    if (this.#offset + n > this.#end) {
      throw new BoxStructureError(`the ${this.#what} box ends inside a field`);
    }
    const at = this.#offset;
    this.#offset += n;
    return at;
  }

  u8(): number {
    return this.#view.getUint8(this.#take(1));
  }

  u16(): number {
    return this.#view.getUint16(this.#take(2));
  }

  u32(): number {
    return this.#view.getUint32(this.#take(4));
  }

  /** An unsigned integer of 0, 2, 4 or 8 bytes (iloc's variable-size fields). */
  uint(bytes: number): number {
    switch (bytes) {
      case 0:
        return 0;
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8: {
        const value = this.#view.getBigUint64(this.#take(8));
        if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new BoxStructureError(`a ${this.#what} field is larger than any file`);
        }
        return Number(value);
      }
      default:
        throw new BoxStructureError(`a ${this.#what} field has an invalid size of ${bytes}`);
    }
  }

  fourcc(): string {
    const at = this.#take(4);
    return String.fromCharCode(...this.#bytes.subarray(at, at + 4));
  }

  /** A NUL-terminated UTF-8 string, or the rest of the box when there is no NUL. */
  cstring(): string {
    const from = this.#offset;
    let to = from;
    while (to < this.#end && this.#bytes[to] !== 0) to++;
    this.#offset = Math.min(this.#end, to + 1);
    return Buffer.from(this.#bytes.subarray(from, to)).toString('utf8');
  }

  skip(n: number): void {
    this.#take(n);
  }
}

/** Version and flags of a FullBox (§4.2.2). */
export function fullBoxHeader(reader: BoxReader): { version: number; flags: number } {
  const word = reader.u32();
  return { version: word >>> 24, flags: word & 0xffffff };
}
