/**
 * The default job as the C reference (../shared/bench-reference/vjob.c) does it — 1600, 800 and
 * 320 px wide, never enlarged, JPEG q80 baseline with optimised Huffman tables, WebP q80 effort 4
 * — as a pixelmill config, and the C reference itself: built from its own script, run with one
 * libvips thread, it is the CPU limit for this job on this machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PixelmillConfig } from '../../events/config/schema.ts';
import { parseConfig } from '../../lib/config/parse.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const REFERENCE = join(REPO, '..', 'shared', 'bench-reference');

export const referenceJobConfigInput = {
  presets: [1600, 800, 320].map((width) => ({
    name: `w${width}`,
    width,
    formats: [
      { format: 'jpeg', quality: 80, progressive: false },
      { format: 'webp', quality: 80, effort: 4 },
    ],
  })),
};

export function referenceJobConfig(): PixelmillConfig {
  return parseConfig(referenceJobConfigInput, 'the reference job');
}

export function writeReferenceJobConfig(dir: string): string {
  const file = join(dir, 'reference-job.json');
  writeFileSync(file, JSON.stringify(referenceJobConfigInput));
  return file;
}

/** Builds vjob (installing gcc and libvips-dev as root when missing); undefined if it cannot. */
export function buildReference(workDir: string): { binary?: string; note: string } {
  const script = join(REFERENCE, 'build.sh');
  if (!existsSync(script)) return { note: `${script} not found` };
  const r = spawnSync('bash', [script, REPO, join(workDir, 'vjob')], { encoding: 'utf8' });
  const binary = r.stdout.trim().split('\n').at(-1) ?? '';
  if (r.status !== 0 || !existsSync(binary)) {
    return { note: `build.sh failed: ${(r.stderr ?? '').slice(-300)}` };
  }
  return { binary, note: 'built from ../shared/bench-reference' };
}
