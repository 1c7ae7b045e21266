/**
 * Decodes a HEIC (HEIF with HEVC, which sharp's prebuilt libvips cannot decode) with libheif
 * compiled to WebAssembly (the `libheif-js` package, LGPL-3.0, loaded at run time: no native
 * code). It runs in the pixel process like every decoder, so the pool's CPU budget and memory cap
 * stop it: a wasm decode cannot be interrupted from inside, only with its process.
 *
 * libheif applies HEIF's transformations (`clap`, `irot`, `imir`) when it decodes
 * (heif_decode_image with default options: ignore_transformations = false) and converts YCbCr to
 * 8-bit RGBA with the `nclx` matrix; it manages no colour profiles, so the pixels are handed on
 * with the profile the container states (heic-header.ts) and converted to sRGB by libvips.
 * https://github.com/strukturag/libheif/blob/master/libheif/api/libheif/heif_decoding.h
 */
import type { Libheif } from 'libheif-js/libheif-wasm/libheif-bundle.mjs';
import { ImageRejectedError } from './errors.ts';
import type { HeicHeader } from './heic-header.ts';

export interface HeicPixels {
  /** 8-bit RGBA, rows `width * 4` bytes apart, upright. */
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

let loading: Promise<Libheif> | undefined;

/** The wasm module, instantiated once per process on first use (~60 ms), never for other formats. */
function libheif(): Promise<Libheif> {
  loading ??= import('libheif-js/libheif-wasm/libheif-bundle.mjs').then((m) => m.default());
  return loading;
}

const corrupt = (message: string) =>
  new ImageRejectedError('corrupt', `Decoding the HEIC failed: ${message.trim()}`);

/**
 * The primary image, upright, as RGBA. Refuses (`corrupt`) what libheif cannot decode, and an
 * image whose decoded size is not the one its container declared (`ispe`, after `irot`): the
 * header checks (probe.ts) counted the declared size, so a different one was never checked.
 */
export async function decodeHeic(input: Buffer, header: HeicHeader): Promise<HeicPixels> {
  const lib = await libheif();
  const context = lib.heif_context_alloc();
  try {
    const read = lib.heif_context_read_from_memory(context, input);
    if (read.code.value !== 0) throw corrupt(read.message);
    const handle = lib.heif_js_context_get_primary_image_handle(context);
    if (handle.code !== undefined) throw corrupt('the file has no primary image');
    try {
      const decoded = await lib.heif_js_decode_image2(
        handle,
        lib.heif_colorspace.heif_colorspace_RGB,
        lib.heif_chroma.heif_chroma_interleaved_RGBA,
      );
      const plane = decoded.channels?.[0];
      if (decoded.code !== undefined || !plane) throw corrupt(decoded.message ?? 'no pixels');
      try {
        checkDecodedSize(header, plane.width, plane.height);
        return { data: copyRows(plane), width: plane.width, height: plane.height };
      } finally {
        decoded.image?.delete();
      }
    } finally {
      lib.heif_image_handle_release(handle);
    }
  } finally {
    lib.heif_context_free(context);
  }
}

/**
 * Refuses a decode whose size is not the header's upright size (libheif 1.23 checks its own
 * decodes against `ispe` too; this does not depend on it). Only a `clap` crop may make it smaller.
 */
export function checkDecodedSize(
  header: Pick<HeicHeader, 'width' | 'height' | 'cropped'>,
  width: number,
  height: number,
): void {
  const exact = width === header.width && height === header.height;
  // A `clap` crop only ever removes pixels.
  const within = width <= header.width && height <= header.height;
  if (exact || (header.cropped && within)) return;
  throw new ImageRejectedError(
    'corrupt',
    `The HEIC declares ${header.width} × ${header.height} (ispe, upright) but decodes to ` +
      `${width} × ${height}`,
  );
}

/** The plane lives in the wasm heap, which the next decode reuses: copy it out, rows packed. */
function copyRows(plane: {
  readonly width: number;
  readonly height: number;
  readonly stride: number;
  readonly data: Uint8Array;
}): Buffer {
  const row = plane.width * 4;
  if (plane.stride === row) return Buffer.from(plane.data.subarray(0, row * plane.height));
  const out = Buffer.alloc(row * plane.height);
  for (let y = 0; y < plane.height; y++) {
    out.set(plane.data.subarray(y * plane.stride, y * plane.stride + row), y * row);
  }
  return out;
}
