/**
 * The command-line peers the imaging benchmark compares against: libvips' own `vipsthumbnail`
 * and ImageMagick, from Debian's packages, installed here when missing (CI runs as root and
 * reaches Debian's mirrors).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VIPSTHUMBNAIL = '/usr/bin/vipsthumbnail';
/** Debian's ImageMagick 6 (the `convert` on PATH may be another program). */
export const MAGICK_CONVERT = '/usr/bin/convert';

export function ensureTools(): { available: boolean; note: string } {
  if (existsSync(VIPSTHUMBNAIL) && existsSync(MAGICK_CONVERT))
    return { available: true, note: 'already installed' };
  const install = (args: string[]) =>
    spawnSync('apt-get', args, {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  let result = install(['install', '-y', '-q', 'libvips-tools', 'imagemagick']);
  if (result.status !== 0) {
    install(['update', '-q']);
    result = install(['install', '-y', '-q', 'libvips-tools', 'imagemagick']);
  }
  const available = existsSync(VIPSTHUMBNAIL) && existsSync(MAGICK_CONVERT);
  return {
    available,
    note: available ? 'installed with apt-get' : 'apt-get install libvips-tools imagemagick failed',
  };
}

export function toolVersions(): Record<string, string> {
  const first = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]?.trim() ?? '';
    } catch {
      return 'unknown';
    }
  };
  return {
    vips: first('/usr/bin/vips', ['--version']),
    imagemagick: first(MAGICK_CONVERT, ['-version']),
  };
}

/**
 * An ImageMagick policy with Debian's 256 MiB memory ceiling raised, so a 24 MP image is never
 * paged to disk: the peer is measured at its best, not at its distribution's default limits.
 */
export function roomyMagickPolicyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pixelmill-magick-'));
  writeFileSync(
    join(dir, 'policy.xml'),
    `<policymap>
  <policy domain="resource" name="memory" value="4GiB"/>
  <policy domain="resource" name="map" value="8GiB"/>
  <policy domain="resource" name="area" value="1GP"/>
  <policy domain="resource" name="width" value="64KP"/>
  <policy domain="resource" name="height" value="64KP"/>
</policymap>
`,
  );
  return dir;
}

const CHILDREN_CPU = fileURLToPath(new URL('./children-cpu.py', import.meta.url));

/**
 * Runs commands in sequence (or all at once with `parallel`); returns the CPU seconds and wall
 * seconds their processes used, children included.
 */
export function childrenCpu(
  commands: readonly string[][],
  env: NodeJS.ProcessEnv = process.env,
  options: { parallel?: boolean } = {},
) {
  const result = spawnSync('python3', [CHILDREN_CPU], {
    input: JSON.stringify(options.parallel ? { parallel: commands } : commands),
    encoding: 'utf8',
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`children-cpu.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as {
    cpu: number;
    wall: number;
    failed: { command: string[]; stderr: string }[];
  };
}
