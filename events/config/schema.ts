/**
 * The pixelmill config file: named renditions (presets), what they are made from (input
 * policy), what they carry (output policy, watermark) and the limits applied to untrusted input.
 * Every object rejects unknown keys, so a typo (`"widht"`) is an error that names the key
 * instead of a silently ignored setting.
 *
 * One contract for everything that reads a config: the worker validates PIXELMILL_CONFIG with it
 * at cold start (lib/config/parse.ts), and `cdk synth` validates the ImagePipeline's presets and
 * limits with it (infra/cdk/settings/image-config.ts) and sizes the function from the limits'
 * defaults here. It depends on zod only, so both may import it (DESIGN.md's dependency rule).
 */
import { z } from 'zod';

const quality = z.int().min(1).max(100);

/** `#rrggbb` or `#rrggbbaa`. */
export const colourSchema = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/, 'Expected a colour as #rrggbb or #rrggbbaa');

export const gravities = [
  'centre',
  'north',
  'northeast',
  'east',
  'southeast',
  'south',
  'southwest',
  'west',
  'northwest',
] as const;
export type Gravity = (typeof gravities)[number];

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

const gifOutput = z.strictObject({
  format: z.literal('gif'),
  effort: z.int().min(1).max(10).default(7),
});

/** The source's own format (JPEG → JPEG, PNG → PNG, …; TIFF and SVG → PNG), with its defaults. */
const originalOutput = z.strictObject({ format: z.literal('original') });

export const outputSchema = z.discriminatedUnion('format', [
  jpegOutput,
  webpOutput,
  avifOutput,
  pngOutput,
  gifOutput,
  originalOutput,
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
    /**
     * `inside` keeps the whole image within the box; `cover` fills the box and crops what sticks
     * out (where `position` says); `contain` fits the whole image and pads with `background`.
     */
    fit: z.enum(['inside', 'cover', 'contain']).default('inside'),
    /** For `cover`: which part to keep. `attention` and `entropy` are smart crops. */
    position: z.enum([...gravities, 'attention', 'entropy']).default('centre'),
    /** For `contain`: the padding colour (with alpha, where the format has alpha). */
    background: colourSchema.default('#ffffff'),
    /** Never make a rendition larger than its source. */
    withoutEnlargement: z.boolean().default(true),
    /** Whether the configured watermark (if any) applies to this preset. */
    watermark: z.boolean().default(true),
    formats: z.array(outputSchema).min(1).max(6),
  })
  .refine((p) => p.width !== undefined || p.height !== undefined, {
    message: 'Expected width, height or both',
  })
  .refine((p) => p.fit !== 'inside' || p.position === 'centre', {
    message: 'position only applies to fit "cover"',
    path: ['position'],
  });

export const inputFormats = ['jpeg', 'png', 'webp', 'gif', 'avif', 'heic', 'tiff', 'svg'] as const;
export type InputFormat = (typeof inputFormats)[number];

export const inputSchema = z.strictObject({
  /**
   * Decoders allowed to run. TIFF (libtiff) and SVG (librsvg) are large attack surfaces and off
   * by default; every other libvips loader (PDF, BMP, the libvips format, …) is always off.
   * `heic` (HEIF with HEVC, as iPhones save) is decoded by libheif in WebAssembly, not libvips.
   */
  formats: z
    .array(z.enum(inputFormats))
    .min(1)
    .default(['jpeg', 'png', 'webp', 'gif', 'avif', 'heic']),
  /**
   * libtiff reports unknown private tags of valid files (GeoTIFF, camera vendors) as warnings, so
   * TIFF is decoded with `failOn: 'error'` unless this says `warning`. Other formats always
   * fail on warnings (truncation, bad CRCs, …).
   */
  tiffFailOn: z.enum(['error', 'warning']).default('error'),
  /** Animated GIF/WebP: use the first frame, or keep the animation in WebP and GIF renditions. */
  animated: z.enum(['first-frame', 'animate']).default('first-frame'),
});

export const outputPolicySchema = z.strictObject({
  /**
   * `strip` removes all metadata (EXIF with GPS, XMP, IPTC, ICC). `copyright-and-icc` keeps only
   * the source's EXIF Copyright and Artist, and tags the output with the sRGB profile.
   */
  metadata: z.enum(['strip', 'copyright-and-icc']).default('strip'),
  /** What alpha is flattened onto for formats without alpha (JPEG). */
  background: colourSchema.default('#ffffff'),
});

export const watermarkSchema = z
  .strictObject({
    /** Text to draw, with the bundled DejaVu Sans Bold font. */
    text: z.string().min(1).max(200).optional(),
    /** An image (PNG with alpha works best): a path relative to the config file, or a data URI. */
    image: z.string().min(1).optional(),
    /** Text colour. */
    colour: colourSchema.default('#ffffff'),
    gravity: z.enum(gravities).default('southeast'),
    /** Gap to the edges, as a fraction of the rendition's shorter side. */
    margin: z.number().min(0).max(0.4).default(0.03),
    opacity: z.number().min(0).max(1).default(0.6),
    /** Watermark width as a fraction of the rendition's width. */
    scale: z.number().min(0.01).max(1).default(0.25),
    /** Renditions narrower than this get no watermark. */
    minWidth: z.int().min(1).default(400),
  })
  .refine((w) => (w.text === undefined) !== (w.image === undefined), {
    message: 'Expected exactly one of text or image',
  });

export const limitsSchema = z.strictObject({
  /** Largest object accepted, in bytes; checked before download. */
  maxBytes: z
    .int()
    .min(1)
    .default(64 * 1024 * 1024),
  /** Largest width × height (× frames, when animating), read from the header before decoding. */
  maxPixels: z.int().min(1).default(50_000_000),
  /** Longest side accepted, in pixels. */
  maxDimension: z.int().min(1).default(32_768),
  /** Most frames an animated image may have when animating. */
  maxFrames: z.int().min(1).default(300),
  /**
   * CPU seconds one image may use for decoding and encoding, counted over every thread of the
   * pixel process working on it, from when its own work starts (never its wait for a turn).
   */
  timeoutSeconds: z.int().min(1).max(600).default(30),
  /**
   * Resident memory, in MiB, of the pixel process working on one image (Node.js and sharp
   * included, ~80 MiB): past it, the process is killed and the image REJECTED `memory-limit`.
   */
  maxMemoryMb: z.int().min(256).max(65_536).default(1024),
});

const fromEmpty = <T extends z.ZodType>(schema: T) =>
  schema.default(() => schema.parse({}) as never);

export const configSchema = z
  .strictObject({
    presets: z.array(presetSchema).min(1).max(32),
    input: fromEmpty(inputSchema),
    output: fromEmpty(outputPolicySchema),
    watermark: watermarkSchema.optional(),
    limits: fromEmpty(limitsSchema),
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
/** A concrete output (after `original` is resolved for one source). */
export type ConcreteOutputSpec = Exclude<OutputSpec, { format: 'original' }>;
export type OutputFormat = ConcreteOutputSpec['format'];
export type Preset = z.infer<typeof presetSchema>;
export type InputPolicy = z.infer<typeof inputSchema>;
export type OutputPolicy = z.infer<typeof outputPolicySchema>;
export type Watermark = z.infer<typeof watermarkSchema>;
export type Limits = z.infer<typeof limitsSchema>;
/** Limits as a user writes them: each one may be left out. */
export type LimitsInput = z.input<typeof limitsSchema>;
/** A preset as a user writes it. */
export type PresetInput = z.input<typeof presetSchema>;
export type PixelmillConfig = z.infer<typeof configSchema>;
/** A config as a user writes it: defaults may be left out. */
export type PixelmillConfigInput = z.input<typeof configSchema>;
