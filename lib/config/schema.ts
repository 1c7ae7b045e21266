/**
 * The pixelmill config file: named renditions (presets) and the limits applied to untrusted
 * input. Every object rejects unknown keys, so a typo (`"widht"`) is an error that names the key
 * instead of a silently ignored setting.
 */
import { z } from 'zod';

const quality = z.int().min(1).max(100);

const jpegOutput = z.strictObject({
  format: z.literal('jpeg'),
  quality: quality.default(80),
  /** Progressive scans: smaller files and a useful early preview on slow links. */
  progressive: z.boolean().default(true),
  /** mozjpeg's trellis quantisation and scan optimisation: ~10 % smaller, slower to encode. */
  mozjpeg: z.boolean().default(false),
});

const webpOutput = z.strictObject({
  format: z.literal('webp'),
  quality: quality.default(80),
  effort: z.int().min(0).max(6).default(4),
});

const avifOutput = z.strictObject({
  format: z.literal('avif'),
  quality: quality.default(50),
  effort: z.int().min(0).max(9).default(4),
});

const pngOutput = z.strictObject({
  format: z.literal('png'),
  compressionLevel: z.int().min(0).max(9).default(6),
  /** Quantise to a palette (lossy, much smaller for graphics). */
  palette: z.boolean().default(false),
});

export const outputSchema = z.discriminatedUnion('format', [
  jpegOutput,
  webpOutput,
  avifOutput,
  pngOutput,
]);

export const presetSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9_-]{0,31}$/,
        'Expected 1-32 characters of a-z, 0-9, "_" or "-" for name',
      ),
    width: z.int().min(1).max(16384).optional(),
    height: z.int().min(1).max(16384).optional(),
    /** How the image fits the box: `inside` keeps the whole image, `cover` crops to fill it. */
    fit: z.enum(['inside', 'cover', 'contain']).default('inside'),
    /** Never make a rendition larger than its source. */
    withoutEnlargement: z.boolean().default(true),
    formats: z.array(outputSchema).min(1).max(4),
  })
  .refine((p) => p.width !== undefined || p.height !== undefined, {
    message: 'Expected width, height or both',
  });

export const limitsSchema = z.strictObject({
  /** Largest object accepted, in bytes; checked before download. */
  maxBytes: z
    .int()
    .min(1)
    .default(64 * 1024 * 1024),
  /** Largest width × height (× frames) accepted, read from the header before decoding. */
  maxPixels: z.int().min(1).default(50_000_000),
  /** Longest side accepted, in pixels. */
  maxDimension: z.int().min(1).default(32_768),
  /** Wall-clock limit for decoding and encoding one image. */
  timeoutSeconds: z.int().min(1).max(600).default(30),
});

export const configSchema = z
  .strictObject({
    presets: z.array(presetSchema).min(1).max(32),
    limits: limitsSchema.default(() => limitsSchema.parse({})),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.presets.forEach((preset, index) => {
      if (seen.has(preset.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['presets', index, 'name'],
          message: `Duplicate preset name "${preset.name}"`,
        });
      }
      seen.add(preset.name);
    });
  });

export type OutputSpec = z.infer<typeof outputSchema>;
export type OutputFormat = OutputSpec['format'];
export type Preset = z.infer<typeof presetSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type PixelmillConfig = z.infer<typeof configSchema>;
/** A config as a user writes it: defaults may be left out. */
export type PixelmillConfigInput = z.input<typeof configSchema>;
