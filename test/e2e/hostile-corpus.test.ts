/**
 * ../shared/corpus/hostile: 61 files a public image pipeline meets (fuzzer crashers, corrupt
 * and edge-case files, synthetic attacks), each with the outcome its manifest expects. Every
 * image file goes through `pixelmill run` and ends as the manifest says: `process` → DONE,
 * `reject` → REJECTED on the first attempt (never the DLQ), `either` → the policy the README
 * documents. Then the whole set is rendered ten more times in one process: no crash, no hang.
 * Skipped, with a message, without the corpus.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isRejectionReason } from '../../events/rejection-reasons.ts';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { topology } from '../../infra/topology.ts';
import { createAwsClients } from '../../lib/aws/clients.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import { Queue } from '../../lib/aws/queue.ts';
import { defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { ImageRejectedError } from '../../lib/imaging/errors.ts';
import { renderImage } from '../../lib/imaging/render.ts';
import { runManifest } from '../helpers/cli.ts';
import { corpusMissing, corpusPath, hostileManifest } from '../helpers/corpus.ts';
import { tempStateDir } from '../helpers/temp.ts';

const skip = corpusMissing('hostile', 'manifest.tsv');

/** Sources stored rotated (EXIF 5 and 6, AVIF irot): upright width and height. */
const uprightSizes: Record<string, [number, number]> = {
  'libvips/avif-orientation-6.avif': [3024, 4032],
  'sharp/Landscape_5.jpg': [600, 450],
  'sharp/Landscape_6.jpg': [600, 450],
};

/** The README's policy for the `either` files, under the default config. */
const eitherPolicy: Record<string, { status: string; reason?: string }> = {
  'libvips/pngsave_buffer_fuzzer-5078454764044288': { status: 'REJECTED', reason: 'pixel-limit' },
  'sharp/bonne.geo.tif': { status: 'REJECTED', reason: 'format-not-allowed' },
  'sharp/cielab-dagams.tiff': { status: 'REJECTED', reason: 'format-not-allowed' },
};

describe('the hostile corpus', { skip }, () => {
  it('ends every image file as its manifest says, rejections on the first attempt', {
    timeout: 300_000,
  }, async (t) => {
    const { dir, state } = await tempStateDir(t, 'hostile');
    const manifest = await runManifest(corpusPath('hostile'), join(dir, 'out'), state);
    assert.equal(
      manifest.summary.failed + manifest.summary.pending,
      0,
      'nothing failed, nothing pending',
    );

    const images = hostileManifest().filter((r) => r.expect !== 'archive');
    assert.ok(images.length >= 55, `${images.length} image rows`);
    for (const row of images) {
      const image = manifest.images.find((i) => i.key === `uploads/hostile/${row.path}`);
      assert.ok(image, `${row.path} was run`);
      const where = `${row.path} (${row.outcome}): ${image.status} ${image.reason ?? ''} ${image.message ?? ''}`;
      if (row.expect === 'process') {
        assert.equal(image.status, 'DONE', where);
        assert.ok(image.renditions.length > 0, where);
        const upright = uprightSizes[row.path];
        if (upright) assert.deepEqual([image.width, image.height], upright, `${where}: upright`);
      } else if (row.expect === 'reject') {
        assert.equal(image.status, 'REJECTED', where);
        assert.ok(isRejectionReason(image.reason ?? ''), where);
        assert.ok((image.message ?? '').length > 10, where);
      } else {
        const policy = eitherPolicy[row.path];
        assert.ok(policy, `the README documents a policy for ${row.path}`);
        assert.equal(image.status, policy.status, where);
        assert.equal(image.reason, policy.reason, where);
      }
    }

    // On the first attempt: every row was claimed once; nothing reached the DLQ.
    const cloud = await startLocalCloud({ stateDir: state });
    const clients = createAwsClients(cloud.target);
    try {
      for await (const row of new ImageTable(clients.dynamo, topology.table).scan()) {
        assert.equal(row.attempts, 1, `${row.key}: ${row.attempts} attempts`);
      }
      const dlq = await Queue.byName(clients.sqs, topology.deadLetterQueue);
      const depth = await dlq.depth();
      assert.equal(depth.visible + depth.inFlight, 0);
    } finally {
      clients.destroy();
      await cloud.stop();
    }
  });

  it('processes the two "either" TIFFs when TIFF is allowed (failOn "error" for TIFF)', async () => {
    const config = parseConfig(
      { presets: defaultConfig().presets, input: { formats: ['jpeg', 'png', 'tiff'] } },
      'tiff',
    );
    for (const path of ['sharp/bonne.geo.tif', 'sharp/cielab-dagams.tiff']) {
      const result = await renderImage(readFileSync(corpusPath('hostile', path)), config);
      assert.equal(result.analysis.format, 'tiff');
      assert.equal(result.renditions.length, 6);
    }
  });

  it('survives the whole set ten more times over in one process', {
    timeout: 600_000,
  }, async () => {
    const config = defaultConfig();
    const images = hostileManifest().filter((r) => r.expect !== 'archive');
    const outcomes = new Map<string, string>();
    for (let pass = 0; pass < 10; pass++) {
      for (const row of images) {
        let outcome: string;
        try {
          await renderImage(readFileSync(corpusPath('hostile', row.path)), config);
          outcome = 'DONE';
        } catch (error) {
          assert.ok(error instanceof ImageRejectedError, `${row.path}: ${String(error)}`);
          outcome = `REJECTED ${error.reason}`;
        }
        const first = outcomes.get(row.path);
        if (first === undefined) outcomes.set(row.path, outcome);
        else assert.equal(outcome, first, `${row.path} is decided the same way every time`);
      }
    }
    assert.equal(outcomes.size, images.length);
  });
});
