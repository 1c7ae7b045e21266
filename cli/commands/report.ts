/** `pixelmill report`: one self-contained HTML page about the pipeline's images. */
import { resolve } from 'node:path';
import { DEFAULT_DISTANCE } from '../../lib/duplicates/group.ts';
import { REPORT_FILE, writeReport } from '../../lib/report/write-report.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { prefixWarning, selectedKeyPrefix } from '../key-prefix.ts';
import { writeErr, writeJson } from '../output.ts';
import { resolveTarget, targetOptionSpec } from '../target.ts';
import { assertWritableFileDir } from '../writable-path.ts';

export const options = {
  out: { type: 'string', value: 'FILE', help: `where to write the page (default ${REPORT_FILE})` },
  prefix: {
    type: 'string',
    value: 'P',
    help: [
      'only keys starting with <uploads prefix>P: what ingest --prefix P wrote,',
      "or a run's inputs (--prefix photos/ for `run ./photos`)",
    ],
  },
  'max-images': {
    type: 'string',
    value: 'N',
    help: 'tiles on the contact sheet (default 300; thumbnails for the first 200)',
  },
  title: { type: 'string', value: 'T', help: 'the page\'s title (default "pixelmill report")' },
  'no-duplicates': {
    type: 'boolean',
    default: false,
    help: 'leave out the duplicates section (and its scan of the table)',
  },
  json: { type: 'boolean', default: false, help: 'print {"file", "bytes", "images"} as JSON' },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill report [--out FILE] [--prefix P] [--max-images N] [--title T] [--no-duplicates]
                        [--state DIR | --stack NAME]

Write one HTML page that opens anywhere without a network: a contact sheet (thumbnails of the
renditions over each image's placeholder, with its dominant colour), the backlog and the
throughput over time, rejection reasons with counts and examples, the dead-letter queue, the
slowest images, and the duplicates (groups of copies, as \`pixelmill duplicates\` finds them). \`pixelmill run\` writes one next to manifest.json by itself.

Without a run's own samples, the backlog over time comes from the table's per-minute counts
(with --prefix: from the upload times and the rows' finish times); a timeline shorter than 30 s is said in words, not charted. Tiles are
named by their key below the folder all keys on the sheet share.

The numbers (by status, rejection reasons with examples, the slowest, the timeline from
per-minute counts) come from the counts the metadata table keeps, as of the last batch that
ended; the contact sheet is then a sample (the first rows of a bounded table read) and says so.
With --prefix the counts do not apply (they are not kept per prefix): the table is read whole.
The duplicates section reads every DONE row's hashes (one scan of a few attributes per row)
while there are at most 100,000 DONE images; above, it says to run \`pixelmill duplicates\`;
--no-duplicates leaves it out.

${optionsHelp(options)}`;

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, options);
  const maxImages = positiveInt('max-images', values['max-images'], 300);
  const out = resolve(values.out ?? REPORT_FILE);
  // Before the table is read: a page that cannot be written fails now, not after the work.
  assertWritableFileDir(values.out ?? REPORT_FILE, '--out');
  const target = await resolveTarget(values);
  try {
    const warning = prefixWarning(values.prefix, target.resources.uploadsPrefix);
    if (warning) await writeErr(warning);
    const written = await writeReport(target, out, {
      title: values.title ?? 'pixelmill report',
      target:
        target.kind === 'aws'
          ? `stack ${target.stackName ?? ''} (${target.target.region})`
          : `local cloud at ${target.stateDir ?? ''}`,
      prefix: selectedKeyPrefix(values.prefix, target.resources.uploadsPrefix),
      maxImages,
      maxThumbnails: Math.min(maxImages, 200),
      ...(values['no-duplicates'] ? {} : { duplicatesDistance: DEFAULT_DISTANCE }),
    });
    if (values.json) await writeJson(written, { compact: true });
    else
      await writeErr(
        `pixelmill report: ${written.images} image(s) → ${written.file} (${(written.bytes / 1e6).toFixed(1)} MB)\n`,
      );
    return 0;
  } finally {
    await target.close();
  }
}
