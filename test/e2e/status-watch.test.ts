/**
 * `pixelmill status --watch` keeps reading until Ctrl-C, then exits 0: joined to a cloud that
 * `stack up` runs (where nothing else holds the CLI's event loop), as text and as JSON lines,
 * and on a cloud it starts itself.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { finished, spawnCli } from '../helpers/cli.ts';
import { startCliStack, stopCli } from '../helpers/cli-stack.ts';
import { eventually, tempDir } from '../helpers/temp.ts';

const READINGS = 3;

/** Starts `status --watch`, waits for READINGS readings, interrupts it; its result. */
async function watchThenInterrupt(args: readonly string[], readings: (stdout: string) => number) {
  const child = spawnCli(['status', '--watch', '--interval', '1', ...args]);
  const result = finished(child);
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  await eventually(
    `${READINGS} readings of status --watch ${args.join(' ')}`,
    async () => {
      if (child.exitCode !== null) {
        const r = await result;
        assert.fail(
          `status --watch exited ${r.code} after ${readings(stdout)} reading(s): ${r.stderr}`,
        );
      }
      return readings(stdout) >= READINGS ? true : undefined;
    },
    30_000,
    100,
  );
  child.kill('SIGINT');
  return result;
}

const textReadings = (out: string) => out.split('pixelmill status · ').length - 1;
const jsonReadings = (out: string) =>
  out
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as { at: string }).length;

describe('pixelmill status --watch', () => {
  it('refreshes until Ctrl-C and exits 0, as text and as JSON, joined to a running cloud', {
    timeout: 90_000,
  }, async (t) => {
    const state = join(await tempDir(t, 'watch'), 'state');
    await startCliStack(t, state);
    const [text, json] = await Promise.all([
      watchThenInterrupt(['--state', state], textReadings),
      watchThenInterrupt(['--state', state, '--json'], jsonReadings),
    ]);
    for (const r of [text, json]) {
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /unsettled|Warning|at /);
    }
    assert.ok(textReadings(text.stdout) >= READINGS, text.stdout);
    const lines = json.stdout.trim().split('\n');
    assert.ok(lines.length >= READINGS);
    const times = lines.map((l) => (JSON.parse(l) as { at: string }).at);
    assert.equal(new Set(times).size, times.length, 'each line is a new reading');
  });

  it('refreshes until Ctrl-C on a cloud it started itself', { timeout: 90_000 }, async (t) => {
    const state = join(await tempDir(t, 'watch-own'), 'state');
    // A state directory a cloud has run on, and no cloud running on it now.
    await stopCli((await startCliStack(t, state)).process);
    const r = await watchThenInterrupt(['--state', state, '--json'], jsonReadings);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(jsonReadings(r.stdout) >= READINGS);
  });
});
