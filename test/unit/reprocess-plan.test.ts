/**
 * The per-version decision of `pixelmill reprocess` (lib/ops/reprocess-plan.ts) on row records
 * made by a factory, and the refusal of a --config that is not the one a stack runs
 * (cli/commands/reprocess.ts, fed the WorkerConfig output's JSON as the stack holds it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deployedConfig } from '../../cli/commands/reprocess.ts';
import type { ImageRow, ImageStatus } from '../../events/image-row.ts';
import { configHash, defaultConfig, parseConfig } from '../../lib/config/parse.ts';
import { UsageError } from '../../lib/ops/errors.ts';
import { decideVersion, targetPresets } from '../../lib/ops/reprocess-plan.ts';

const OLD = {
  presets: [
    { name: 'a', width: 48, formats: [{ format: 'jpeg' }] },
    { name: 'b', width: 24, formats: [{ format: 'webp', quality: 80 }, { format: 'jpeg' }] },
  ],
};
const NEW = {
  presets: [
    OLD.presets[0],
    { name: 'b', width: 24, formats: [{ format: 'webp', quality: 40 }, { format: 'jpeg' }] },
    { name: 'c', width: 12, formats: [{ format: 'png' }] },
  ],
};
const oldConfig = parseConfig(OLD, 'old');
const newConfig = parseConfig(NEW, 'new');

function row(
  config: typeof oldConfig,
  status: ImageStatus,
  fields: Partial<ImageRow> = {},
): ImageRow {
  const hash = configHash(config);
  return {
    pk: 'uploads-bucket/uploads/a.jpg',
    sk: `v#e1#c#${hash}`,
    status,
    bucket: 'uploads-bucket',
    key: 'uploads/a.jpg',
    version: 'e1',
    etag: 'e1',
    sequencer: '00ABC',
    configHash: hash,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    attempts: 1,
    ...(status === 'DONE'
      ? {
          cpuMs: 300,
          renditions: targetPresets(config).flatMap((p) =>
            Array.from({ length: p.formats }, (_, i) => ({
              name: p.name,
              format: `f${i}`,
              width: 1,
              height: 1,
              bytes: 1,
              key: `uploads/a.jpg/x/${p.name}-${p.hash}.f${i}`,
              presetHash: p.hash,
            })),
          ),
        }
      : {}),
    ...fields,
  };
}

describe('reprocess: the decision for one object version', () => {
  const hash = configHash(newConfig);
  const presets = targetPresets(newConfig);

  it('lacks the changed and new presets, not the unchanged one, and keeps its sequencer', () => {
    const d = decideVersion([row(oldConfig, 'DONE')], hash, presets);
    assert.equal(d.kind, 'reprocess');
    assert.ok(d.kind === 'reprocess');
    assert.deepEqual(
      d.missing.map((p) => p.name),
      ['b', 'c'],
    );
    assert.deepEqual(d.measured, { cpuMs: 300, presets: 2 });
    assert.equal(d.sequencer, '00ABC');
    assert.equal(d.rejectedBefore, false);
  });

  it('is up to date with a DONE or REJECTED row under the target, in progress with a live one', () => {
    for (const status of ['DONE', 'REJECTED'] as const)
      assert.equal(decideVersion([row(newConfig, status)], hash, presets).kind, 'up-to-date');
    for (const status of ['PROCESSING', 'RETRYING'] as const)
      assert.equal(decideVersion([row(newConfig, status)], hash, presets).kind, 'in-progress');
    assert.equal(decideVersion([row(newConfig, 'FAILED')], hash, presets).kind, 'reprocess');
  });

  it('lacks every preset with no DONE row, and says so of a REJECTED one', () => {
    const d = decideVersion([row(oldConfig, 'REJECTED', { sequencer: '' })], hash, presets);
    assert.ok(d.kind === 'reprocess');
    assert.equal(d.missing.length, 3);
    assert.equal(d.measured, undefined);
    assert.equal(d.sequencer, '0');
    assert.equal(d.rejectedBefore, true);
  });
});

describe('reprocess --stack: the deployed config', () => {
  it('is read from the WorkerConfig output; another --config is refused, naming both hashes', () => {
    const json = JSON.stringify({ limits: { maxBytes: 1000 } });
    assert.equal(
      configHash(deployedConfig(json, 'Photos', undefined)),
      configHash(defaultConfig()),
    );
    assert.equal(
      configHash(deployedConfig(json, 'Photos', defaultConfig())),
      configHash(defaultConfig()),
    );
    assert.throws(
      () => deployedConfig(json, 'Photos', newConfig),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.includes(configHash(newConfig)) &&
        e.message.includes(configHash(defaultConfig())) &&
        e.message.includes('Deploy the new config first'),
    );
    assert.throws(() => deployedConfig(undefined, 'Photos', undefined), /no WorkerConfig output/);
  });
});
