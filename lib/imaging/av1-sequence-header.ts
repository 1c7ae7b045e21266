/**
 * The largest frame an AV1 bitstream may decode to, read from its sequence header OBU (AV1
 * bitstream specification §5.3 OBU syntax, §5.5 sequence header: `max_frame_width_minus_1`,
 * `max_frame_height_minus_1`). Every frame of the sequence is at most this size, whatever the
 * container's `ispe` claims — which is why the probe reads it: the decoder allocates what the
 * bitstream says, not what the box says. https://aomediacodec.github.io/av1-spec/
 */

const OBU_SEQUENCE_HEADER = 1;

class Bits {
  readonly #bytes: Uint8Array;
  #bit: number;
  readonly #endBit: number;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.#bit = start * 8;
    this.#endBit = end * 8;
  }

  /** f(n): n bits, most significant first; undefined when the data ends first. */
  f(n: number): number | undefined {
    if (this.#bit + n > this.#endBit) return undefined;
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.#bytes[(this.#bit >> 3) | 0] ?? 0;
      value = value * 2 + ((byte >> (7 - (this.#bit & 7))) & 1);
      this.#bit++;
    }
    return value;
  }

  /** uvlc() (§4.10.3). */
  uvlc(): number | undefined {
    let zeros = 0;
    for (;;) {
      const bit = this.f(1);
      if (bit === undefined) return undefined;
      if (bit === 1) break;
      zeros++;
      if (zeros >= 32) return 2 ** 32 - 1;
    }
    const value = this.f(zeros);
    return value === undefined ? undefined : value + 2 ** zeros - 1;
  }
}

/** leb128() (§4.10.5): value and the bytes it took, or undefined if malformed or cut. */
function leb128(bytes: Uint8Array, at: number, end: number): [number, number] | undefined {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (at + i >= end) return undefined;
    const byte = bytes[at + i] ?? 0;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  return undefined;
}

export interface FrameSize {
  readonly width: number;
  readonly height: number;
}

/** Parses one sequence header payload; undefined if it is cut short. */
function parseSequenceHeader(bytes: Uint8Array, start: number, end: number): FrameSize | undefined {
  const r = new Bits(bytes, start, end);
  r.f(3); // seq_profile
  r.f(1); // still_picture
  const reduced = r.f(1);
  if (reduced === undefined) return undefined;
  if (reduced === 1) {
    r.f(5); // seq_level_idx[0]
  } else {
    const timing = r.f(1);
    let decoderModel = 0;
    let bufferDelayLength = 0;
    if (timing === 1) {
      r.f(32); // num_units_in_display_tick
      r.f(32); // time_scale
      if (r.f(1) === 1) r.uvlc(); // equal_picture_interval → num_ticks_per_picture_minus_1
      decoderModel = r.f(1) ?? 0;
      if (decoderModel === 1) {
        bufferDelayLength = (r.f(5) ?? 0) + 1;
        r.f(32); // num_units_in_decoding_tick
        r.f(5); // buffer_removal_time_length_minus_1
        r.f(5); // frame_presentation_time_length_minus_1
      }
    }
    const initialDisplayDelay = r.f(1) ?? 0;
    const operatingPoints = (r.f(5) ?? 0) + 1;
    for (let i = 0; i < operatingPoints; i++) {
      r.f(12); // operating_point_idc
      const level = r.f(5) ?? 0;
      if (level > 7) r.f(1); // seq_tier
      if (decoderModel === 1 && r.f(1) === 1) {
        r.f(bufferDelayLength); // decoder_buffer_delay
        r.f(bufferDelayLength); // encoder_buffer_delay
        r.f(1); // low_delay_mode_flag
      }
      if (initialDisplayDelay === 1 && r.f(1) === 1) r.f(4);
    }
  }
  const widthBits = r.f(4);
  const heightBits = r.f(4);
  if (widthBits === undefined || heightBits === undefined) return undefined;
  const width = r.f(widthBits + 1);
  const height = r.f(heightBits + 1);
  if (width === undefined || height === undefined) return undefined;
  return { width: width + 1, height: height + 1 };
}

/**
 * The largest frame any sequence header in `bytes[start, end)` (a run of OBUs in the low
 * overhead bitstream format, as AVIF item data and `av1C` config OBUs are) allows, or undefined
 * when there is none.
 */
export function av1MaxFrameSize(
  bytes: Uint8Array,
  start: number,
  end: number,
): FrameSize | undefined {
  let largest: FrameSize | undefined;
  let at = start;
  // A handful of OBUs precede the first frame; a sequence header later than that is not one a
  // decoder would use before allocating, but reading further is cheap and bounded.
  for (let obus = 0; obus < 64 && at < end; obus++) {
    const header = bytes[at] ?? 0;
    const type = (header >> 3) & 0x0f;
    const extension = (header >> 2) & 1;
    const hasSize = (header >> 1) & 1;
    let payload = at + 1 + extension;
    let size: number;
    if (hasSize === 1) {
      const parsed = leb128(bytes, payload, end);
      if (!parsed) break;
      size = parsed[0];
      payload += parsed[1];
    } else {
      size = end - payload;
    }
    const payloadEnd = Math.min(end, payload + size);
    if (type === OBU_SEQUENCE_HEADER) {
      const frame = parseSequenceHeader(bytes, payload, payloadEnd);
      if (frame && (!largest || frame.width * frame.height > largest.width * largest.height)) {
        largest = frame;
      }
    }
    if (payload + size > end) break;
    at = payload + size;
  }
  return largest;
}
