/** `pixelmill ingest`: upload files and directories to the uploads bucket, without waiting. */

import { UsageError } from '../../lib/ops/errors.ts';
import { collectInputs } from '../../lib/ops/inputs.ts';
import { uploadInputs } from '../../lib/ops/upload-inputs.ts';
import { parseCommandArgs, positiveInt } from '../args.ts';
import { writeErr, writeOut } from '../output.ts';
import { resolveTarget, targetHelp, targetOptionSpec } from '../target.ts';

export const ingestHelp = `Usage: pixelmill ingest <file|dir>... [--prefix P] [--concurrency N] [--state DIR | --stack NAME] [--json]

Upload files and directories (recursively, hidden files skipped) to the uploads bucket and
return: each upload raises the S3 event that queues its work. Content already in the bucket
under the same key is not uploaded again. Watch it with \`pixelmill status\`.

Options:
  --prefix P         key prefix below the uploads prefix (default: none)
  --concurrency N    uploads at once (default 8)
  --json             print the uploaded keys as JSON
${targetHelp}
  -h, --help
`;

export async function ingestCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    ...targetOptionSpec,
    prefix: { type: 'string' },
    concurrency: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    await writeOut(ingestHelp);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('Expected at least one file or directory');
  const extra = values.prefix ? `${values.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
  const target = await resolveTarget(values);
  try {
    const inputs = await collectInputs(positionals, `${target.resources.uploadsPrefix}${extra}`);
    const started = performance.now();
    const uploaded = await uploadInputs(target.store, target.resources.uploadsBucket, inputs, {
      concurrency: positiveInt('concurrency', values.concurrency, 8),
    });
    const fresh = uploaded.filter((u) => !u.alreadyThere);
    const report = {
      uploaded: fresh.length,
      alreadyThere: uploaded.length - fresh.length,
      bytes: fresh.reduce((n, u) => n + u.size, 0),
      seconds: Math.round((performance.now() - started) / 10) / 100,
      keys: uploaded.map((u) => ({
        source: u.input.source,
        key: u.input.key,
        etag: u.etag,
        alreadyThere: u.alreadyThere,
      })),
    };
    if (values.json) await writeOut(`${JSON.stringify(report, null, 2)}\n`);
    else {
      await writeErr(
        `pixelmill ingest: ${report.uploaded} uploaded (${(report.bytes / 1e6).toFixed(1)} MB), ` +
          `${report.alreadyThere} already there, in ${report.seconds} s → s3://${target.resources.uploadsBucket}/${target.resources.uploadsPrefix}${extra}\n`,
      );
    }
    return 0;
  } finally {
    await target.close();
  }
}
