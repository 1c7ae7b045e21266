/**
 * The state directory as the operator commands' ground truth: one that does not exist (a typo in
 * --state, another working directory) is an error, never an empty cloud that reports all clear;
 * and the directory remembers the config it was run with, so a forgotten --config does not make
 * every image look missing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PipelineStatus } from '../../lib/ops/status.ts';
import { runCli } from '../helpers/cli.ts';
import { photoRunDir } from '../helpers/photo-dirs.ts';
import { tempDir } from '../helpers/temp.ts';

describe('the state directory', () => {
  it('is an error to the operator commands when it does not exist', {
    timeout: 60_000,
  }, async (t) => {
    const dir = await tempDir(t, 'no-state');
    const missing = join(dir, 'typo');
    for (const args of [
      ['status', '--state', missing],
      ['audit', '--state', missing, '--json'],
      ['dlq', 'list', '--state', missing],
      ['worker', '--state', missing],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(
        result.stderr,
        `pixelmill: No pixelmill state in ${missing}: run \`pixelmill run\` or \`pixelmill stack up\` there first, or name another with --state\n`,
      );
      assert.equal(result.stdout, '');
    }
    assert.equal(existsSync(missing), false, 'nothing was made');
    // Another working directory, with the default --state.
    const elsewhere = await runCli(['status'], { cwd: dir });
    assert.equal(elsewhere.code, 2);
    assert.match(elsewhere.stderr, /No pixelmill state in .*\.pixelmill \(the default --state/);
  });

  it('remembers the config it was run with, for the operator commands', {
    timeout: 120_000,
  }, async (t) => {
    const { dir, state, input } = await photoRunDir(t, 'state-config', 'in', {
      count: 2,
      width: 200,
      height: 150,
    });
    const config = join(dir, 'thumbs.json');
    await writeFile(
      config,
      JSON.stringify({ presets: [{ name: 'thumb', width: 64, formats: [{ format: 'jpeg' }] }] }),
    );
    const run = await runCli([
      'run',
      input,
      '--out',
      join(dir, 'out'),
      '--state',
      state,
      '--config',
      config,
    ]);
    assert.equal(run.code, 0, run.stderr);

    // No --config: the run's, and the command says so.
    const audit = await runCli(['audit', '--state', state, '--grace', '0', '--json']);
    assert.equal(audit.code, 0, audit.stderr);
    const report = JSON.parse(audit.stdout) as { done: number; gaps: unknown[] };
    assert.deepEqual([report.done, report.gaps.length], [2, 0]);
    assert.match(audit.stderr, new RegExp(`last run with \\(${config.replaceAll('.', '\\.')}`));

    // --config names another: rows under that one count (none), and the difference is said.
    const larger = join(dir, 'larger.json');
    await writeFile(
      larger,
      JSON.stringify({ presets: [{ name: 'thumb', width: 128, formats: [{ format: 'jpeg' }] }] }),
    );
    const other = await runCli(['status', '--state', state, '--config', larger, '--json']);
    assert.equal(other.code, 0, other.stderr);
    assert.equal((JSON.parse(other.stdout) as PipelineStatus).images.total, 0);
    assert.match(other.stderr, /was last run with another config/);
  });
});
