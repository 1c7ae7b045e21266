/** `pixelmill duplicates`: the groups of images that are copies of each other. */
import { DEFAULT_DISTANCE } from '../../lib/duplicates/group.ts';
import { MAX_DISTANCE } from '../../lib/duplicates/hamming-index.ts';
import {
  type DuplicateGroup,
  type DuplicatesListing,
  findDuplicates,
} from '../../lib/duplicates/listing.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import {
  helpOption,
  type OptionSpec,
  optionsHelp,
  parseCommandArgs,
  positiveInt,
} from '../args.ts';
import { columns } from '../format.ts';
import { prefixWarning, selectedKeyPrefix } from '../key-prefix.ts';
import { writeErr, writeJson, writeOut } from '../output.ts';
import { resolveTarget, targetOptionSpec } from '../target.ts';

/** Images listed per group in the human output (--json lists every one). */
const IMAGES_PER_GROUP = 10;

export const options = {
  distance: {
    type: 'string',
    value: 'N',
    help: [
      `at most N of 64 bits apart, 0 to ${MAX_DISTANCE} (default ${DEFAULT_DISTANCE}: copies measure`,
      '0–8, different photos 18 and more; 0 finds identical pictures only;',
      'larger distances take longer)',
    ],
  },
  prefix: {
    type: 'string',
    value: 'P',
    help: 'only keys starting with <uploads prefix>P (as report --prefix)',
  },
  'max-groups': {
    type: 'string',
    value: 'N',
    help: 'groups listed (default 20; the rest are counted); --json lists all',
  },
  json: { type: 'boolean', default: false, help: 'every group and image as JSON' },
  ...targetOptionSpec,
  help: helpOption,
} as const satisfies OptionSpec;

export const help = `Usage: pixelmill duplicates [--distance N] [--prefix P] [--max-groups N] [--json]
                           [--state DIR | --stack NAME]

List the groups of DONE images that are copies of each other: the same bytes (exact: the same
SHA-256), or the same picture resized, recompressed, re-encoded or lightly edited (near: their
64-bit perceptual hashes at most N bits apart). A group is every image linked to another by
such a pair, largest group first; each image shows its distance to the group's first.

Reads the metadata table once (a scan of the rows' keys and analysis, under the current
config), holding ~350 bytes per image; the pairs come from a multi-index hash: exactly the
pairs that comparing all of them would find, in a small fraction of the time.

${optionsHelp(options)}`;

function distanceOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DISTANCE;
  if (!/^[0-9]+$/.test(value) || Number(value) > MAX_DISTANCE)
    throw new UsageError(
      `Expected integer from 0 to ${MAX_DISTANCE} for --distance but received ${JSON.stringify(value)}`,
    );
  return Number(value);
}

function size(bytes: number | undefined): string {
  if (bytes === undefined) return '';
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(0)} kB`;
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function groupText(group: DuplicateGroup, n: number, size_: number): string {
  const keys = group.images.map((i) => i.key);
  const shared = new Set(keys.filter((k, i) => keys.indexOf(k) !== i));
  const rows = group.images.map((image) => [
    String(image.distance),
    image.width && image.height ? `${image.width}×${image.height}` : '',
    size(image.bytes),
    `${image.key}${shared.has(image.key) ? ` @${image.version}` : ''}${
      image.sameBytesAs !== undefined ? `  (same bytes as ${image.sameBytesAs})` : ''
    }`,
  ]);
  const more = size_ - group.images.length;
  return [
    `group ${n} · ${group.kind} · ${size_} images`,
    columns([['DIST', 'PIXELS', 'BYTES', 'KEY'], ...rows])
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
    ...(more > 0 ? [`  … and ${more} more in this group (--json lists them)`] : []),
  ].join('\n');
}

function summaryText(listing: DuplicatesListing): string {
  const groups = listing.exactGroups + listing.nearGroups;
  const lines = [
    `${groups} group(s) of duplicates among ${listing.images} DONE image(s) (perceptual hashes at most ${listing.distance} of 64 bits apart): ${listing.imagesInGroups} image(s) in groups`,
    `  exact (same bytes) ${listing.exactGroups} · near ${listing.nearGroups} · byte-for-byte copies ${listing.exactCopies}`,
  ];
  if (listing.unhashed > 0)
    lines.push(`  ${listing.unhashed} DONE image(s) have no perceptual hash: not compared`);
  return lines.join('\n');
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, options);
  const distance = distanceOf(values.distance);
  const maxGroups = positiveInt('max-groups', values['max-groups'], 20);
  const target = await resolveTarget(values);
  try {
    const warning = prefixWarning(values.prefix, target.resources.uploadsPrefix);
    if (warning) await writeErr(warning);
    const prefix = selectedKeyPrefix(values.prefix, target.resources.uploadsPrefix);
    const listing = await findDuplicates(target, {
      distance,
      ...(prefix !== undefined ? { inScope: (key: string) => key.startsWith(prefix) } : {}),
      ...(values.json ? {} : { maxGroups, maxImages: IMAGES_PER_GROUP }),
    });
    if (values.json) {
      await writeJson(listing);
      return 0;
    }
    const lines = [summaryText(listing)];
    listing.groups.forEach((group, i) => {
      lines.push('', groupText(group, i + 1, group.size));
    });
    if (listing.groupsOmitted > 0)
      lines.push(
        '',
        `… and ${listing.groupsOmitted} more group(s) (--max-groups N to list more, --json for all)`,
      );
    await writeOut(`${lines.join('\n')}\n`);
    return 0;
  } finally {
    await target.close();
  }
}
