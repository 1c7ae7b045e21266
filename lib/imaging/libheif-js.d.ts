/**
 * The part of libheif-js's embind API (libheif-js/libheif-wasm/libheif.d.ts, whose `any` results
 * are narrowed here) that heic-decode.ts uses. The module is the ES module build of the wasm with
 * its binary inlined, made for bundlers: esbuild carries it into the Lambda bundle as JavaScript
 * (the CommonJS `wasm-bundle.js` reads `__dirname`, which an ES module bundle has not).
 */
declare module 'libheif-js/libheif-wasm/libheif-bundle.mjs' {
  interface EnumValue {
    readonly value: number;
  }
  interface HeifError {
    readonly code: EnumValue;
    readonly message: string;
  }
  /** An embind handle; `delete()` frees it in the wasm heap. */
  interface Handle {
    delete(): void;
  }
  interface DecodedChannel {
    readonly width: number;
    readonly height: number;
    readonly stride: number;
    readonly data: Uint8Array;
  }
  /** A decoded image, or an error (`code` set, `message`). */
  interface Decoded {
    readonly code?: EnumValue;
    readonly message?: string;
    readonly image?: Handle;
    readonly channels?: readonly DecodedChannel[];
  }
  export interface Libheif {
    heif_get_version(): string;
    heif_context_alloc(): Handle;
    heif_context_free(context: Handle): void;
    heif_context_read_from_memory(context: Handle, bytes: Uint8Array): HeifError;
    heif_js_context_get_primary_image_handle(
      context: Handle,
    ): Handle & { readonly code?: EnumValue };
    heif_image_handle_release(handle: Handle): void;
    heif_image_release(image: Handle): void;
    heif_js_decode_image2(
      handle: Handle,
      colourspace: EnumValue,
      chroma: EnumValue,
    ): Decoded | Promise<Decoded>;
    readonly heif_colorspace: { readonly heif_colorspace_RGB: EnumValue };
    readonly heif_chroma: { readonly heif_chroma_interleaved_RGBA: EnumValue };
  }
  /** Instantiates the module (synchronously: the wasm binary is inlined). */
  export default function libheif(): Libheif;
}
