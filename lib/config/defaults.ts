import type { PixelmillConfigInput } from '../../events/config/schema.ts';

/**
 * Three widths, fit inside, never enlarged, each as JPEG q80 and WebP q80: six renditions per
 * image, covering a full-width hero (1600), content width (800) and a thumbnail (320).
 */
export const defaultConfigInput: PixelmillConfigInput = {
  presets: [1600, 800, 320].map((width) => ({
    name: `w${width}`,
    width,
    fit: 'inside' as const,
    withoutEnlargement: true,
    formats: [
      { format: 'jpeg' as const, quality: 80 },
      { format: 'webp' as const, quality: 80 },
    ],
  })),
};
