/** `pixelmill samples`: writes generated sample images, for a first run without your own. */

import { UsageError } from '../../lib/ops/errors.ts';
import { printable } from '../../lib/ops/printable.ts';
import { writeSamples } from '../../lib/run/samples.ts';
import { helpOption, type OptionSpec, optionsHelp, parseCommandArgs } from '../args.ts';
import { writeOut } from '../output.ts';
import { assertWritableDir } from '../writable-path.ts';

export const options = { help: helpOption } as const satisfies OptionSpec;

export const help = `Usage: pixelmill samples <dir>

Write a few generated sample images into <dir> (a landscape, an EXIF-rotated portrait, a logo
with transparency, a WebP, a small GIF and one damaged JPEG that must be rejected).
Then: pixelmill run <dir> --out out

${optionsHelp(options)}`;

export async function run(argv: readonly string[]): Promise<number> {
  const { positionals } = parseCommandArgs(argv, options);
  const [dir, ...extra] = positionals;
  if (!dir || extra.length > 0) throw new UsageError('Expected exactly one directory');
  assertWritableDir(dir, 'the samples directory');
  const files = await writeSamples(dir);
  await writeOut(
    `${files.map((f) => `${printable(`${dir}/${f.name}`)}  — ${f.description}`).join('\n')}\n`,
  );
  return 0;
}
