/**
 * The imaging use case: untrusted bytes in, renditions out, or an ImageRejectedError naming why
 * not. Steps: probe the header against the limits; decode once (upright, sRGB, 8-bit) at the
 * smallest size every preset can be made from; then for each preset, largest first, resize once
 * (from the previous preset's pixels where it can), watermark, and encode every format from that
 * one buffer (once per distinct buffer and format); analyse the smallest pixels made.
 */
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import type {
  ConcreteOutputSpec,
  InputFormat,
  OutputFormat,
  PixelmillConfig,
  Preset,
} from '../../events/config/schema.ts';
import { analyse, type DeclaredType, type ImageAnalysis } from './analyse.ts';
import { animates, renderAnimated } from './animated.ts';
import { rejectionFromDecoderError } from './classify-decoder-error.ts';
import { contentTypes } from './content-types.ts';
import { type Decoded, decodeIntermediate } from './decode.ts';
import { encodeAs, type KeptMetadata, resolveOutput } from './encode.ts';
import { ImageRejectedError, type ImageUsage } from './errors.ts';
import { readExifText } from './exif-text.ts';
import { fitFormatCap } from './format-caps.ts';
import { applyLoaderPolicy } from './loader-policy.ts';
import { insideSize, largestFirst } from './plan.ts';
import { type ImageHeader, probeImage } from './probe.ts';
import { sniffFormat } from './sniff.ts';
import { dataUriBytes, WatermarkRenderer } from './watermark.ts';

export type { ImageAnalysis } from './analyse.ts';

export interface Rendition {
  readonly presetName: string;
  readonly format: OutputFormat;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
  readonly data: Buffer;
  /** Why its size is not what the preset asked for (a format's size cap, see format-caps.ts). */
  readonly note?: string;
}

export interface RenderResult {
  readonly analysis: ImageAnalysis;
  readonly renditions: readonly Rendition[];
  /** Set by the pixel pool where it can measure it. */
  readonly usage?: ImageUsage;
}

/** Per-config state, prepared once: the loader allowlist and the watermark renderer. */
interface Engine {
  readonly allowed: readonly InputFormat[];
  /** The watermark image's decoder: a trusted asset, never an upload. */
  readonly extra: readonly InputFormat[];
  readonly watermark: WatermarkRenderer | undefined;
}

const engines = new WeakMap<PixelmillConfig, Engine>();

function engineFor(config: PixelmillConfig): Engine {
  let engine = engines.get(config);
  if (!engine) {
    const mark = config.watermark?.image
      ? sniffFormat(dataUriBytes(config.watermark.image))
      : undefined;
    engine = {
      allowed: config.input.formats,
      extra: mark === 'png' || mark === 'jpeg' || mark === 'webp' ? [mark] : [],
      watermark: config.watermark ? new WatermarkRenderer(config.watermark) : undefined,
    };
    engines.set(config, engine);
  }
  // Cheap when unchanged; another config may have been applied in between (tests run several).
  applyLoaderPolicy(engine.allowed, engine.extra);
  return engine;
}

/** A preset's pixels: as resized (the next preset's source), and as encoded (watermarked). */
interface PresetPixels {
  readonly plain: Decoded;
  readonly marked: Decoded;
}

/**
 * One preset's pixels, resized once and watermarked once, shared by all of its formats.
 * `inside` presets cascade: each is resized from the previous `inside` preset's unwatermarked
 * pixels (800 from 1600, 320 from 800) when those are at least as large, which is cheaper than
 * resizing the intermediate again and looks the same (test/unit/render.test.ts compares them
 * perceptually). When the size is already right, the source itself is returned, not a copy.
 */
async function pixelsFor(
  preset: Preset,
  cascade: Decoded,
  decoded: Decoded,
  header: ImageHeader,
  engine: Engine,
  marks: Map<Decoded, Decoded>,
): Promise<PresetPixels> {
  let plain: Decoded;
  if (preset.fit === 'inside') {
    // From the source's size, exactly as a direct resize of the source would compute it.
    const size = insideSize(preset, header.width, header.height);
    const from =
      cascade.info.width >= size.width && cascade.info.height >= size.height ? cascade : decoded;
    plain =
      size.width === from.info.width && size.height === from.info.height
        ? from
        : await rawOf(sharp(from.data, { raw: from.info }).resize({ ...size, fit: 'fill' }));
  } else {
    plain = await rawOf(
      sharp(decoded.data, { raw: decoded.info }).resize({
        width: preset.width,
        height: preset.height,
        fit: preset.fit,
        position: preset.position,
        withoutEnlargement: preset.withoutEnlargement,
        background: preset.background,
      }),
    );
  }
  if (!preset.watermark || !engine.watermark) return { plain, marked: plain };
  let marked = marks.get(plain);
  if (!marked) {
    marked = await watermarked(plain, engine.watermark);
    marks.set(plain, marked);
  }
  return { plain, marked };
}

async function rawOf(pipeline: Sharp): Promise<Decoded> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, info: { width: info.width, height: info.height, channels: info.channels } };
}

async function watermarked(pixels: Decoded, renderer: WatermarkRenderer): Promise<Decoded> {
  const overlay = await renderer.overlayFor(pixels.info.width, pixels.info.height);
  if (!overlay) return pixels;
  // Compositing an RGBA overlay adds an alpha channel; an opaque image gets it removed again.
  const marked = await sharp(pixels.data, { raw: pixels.info })
    .composite([overlay])
    .raw()
    .toBuffer({ resolveWithObject: true });
  const opaque = pixels.info.channels === 1 || pixels.info.channels === 3;
  if (!opaque || marked.info.channels === pixels.info.channels) {
    return { data: marked.data, info: { ...pixels.info, channels: marked.info.channels } };
  }
  const data = await sharp(marked.data, { raw: { ...pixels.info, channels: marked.info.channels } })
    .removeAlpha()
    .raw()
    .toBuffer();
  return { data, info: pixels.info };
}

interface Encoded {
  readonly data: Buffer;
  readonly info: OutputInfo;
  readonly note?: string | undefined;
}

async function encodeOne(
  pixels: Decoded,
  spec: ConcreteOutputSpec,
  config: PixelmillConfig,
  kept: KeptMetadata,
): Promise<Encoded> {
  let pipeline = sharp(pixels.data, { raw: pixels.info });
  const capped = fitFormatCap(spec.format, pixels.info.width, pixels.info.height);
  if (capped)
    pipeline = pipeline.resize({ width: capped.width, height: capped.height, fit: 'fill' });
  const hasAlpha = pixels.info.channels === 2 || pixels.info.channels === 4;
  const encoded = await encodeAs(pipeline, spec, {
    hasAlpha,
    policy: config.output,
    kept,
  }).toBuffer({ resolveWithObject: true });
  return { ...encoded, note: capped?.note };
}

/**
 * Renders one image in this process, with no time limit of its own: the per-image timeout and
 * memory cap are the pixel pool's (pool/pixel-pool.ts), which runs this in a child process it can
 * stop, because libvips cannot interrupt every decoder (a progressive JPEG's scans, libheif's
 * tiles) once it has started.
 */
export async function renderImage(
  input: Buffer,
  config: PixelmillConfig,
  declared?: DeclaredType,
  /**
   * Only these presets (by name), decoded once at the size they need: the others' renditions are
   * reused from an earlier render (lib/pipeline/make-renditions.ts). @default every preset
   */
  only?: readonly string[],
): Promise<RenderResult> {
  const engine = engineFor(config);
  const presets = only ? config.presets.filter((p) => only.includes(p.name)) : config.presets;
  const header = await probeImage(input, config);
  const decoded = await decodeIntermediate(input, header, only ? { ...config, presets } : config);
  const kept: KeptMetadata =
    config.output.metadata === 'copyright-and-icc' ? readExifText(header.exif) : {};

  const renditions: Rendition[] = [];
  // Pixels already encoded in a format: presets that come out the same size (every preset of an
  // image smaller than the smallest) share the bytes instead of encoding them again.
  const encoded = new Map<Decoded, Map<string, Promise<Encoded>>>();
  const marks = new Map<Decoded, Decoded>();
  let cascade = decoded;
  for (const preset of largestFirst(presets)) {
    try {
      const { plain, marked } = await pixelsFor(preset, cascade, decoded, header, engine, marks);
      if (preset.fit === 'inside') cascade = plain;
      const outputs = await Promise.all(
        preset.formats.map(async (format) => {
          const spec = resolveOutput(format, header.format);
          let done: Encoded;
          if (animates(header, config, spec)) {
            done = await renderAnimated(input, header, preset, spec, config);
          } else {
            const byPixels = encoded.get(marked) ?? new Map<string, Promise<Encoded>>();
            encoded.set(marked, byPixels);
            const specKey = JSON.stringify(spec);
            let job = byPixels.get(specKey);
            if (!job) {
              job = encodeOne(marked, spec, config, kept);
              byPixels.set(specKey, job);
            }
            done = await job;
          }
          const { data, info, note } = done;
          return {
            presetName: preset.name,
            format: spec.format,
            width: info.width,
            height: info.pageHeight ?? info.height,
            contentType: contentTypes[spec.format],
            data,
            ...(note ? { note } : {}),
          } satisfies Rendition;
        }),
      );
      renditions.push(...outputs);
    } catch (error) {
      if (error instanceof ImageRejectedError) throw error;
      throw rejectionFromDecoderError(error, `Making ${preset.name} failed`);
    }
  }
  // From the smallest uncropped pixels made above (the last `inside` preset's, or the decode).
  const analysis = await analyse(cascade, header, input, declared);
  return { analysis, renditions };
}
