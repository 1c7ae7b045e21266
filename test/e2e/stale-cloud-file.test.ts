/**
 * A `cloud.json` left behind by a cloud that died (a crash, a reboot), whose pid now belongs to
 * some other live process and whose port to another program: a cloud is running only if its
 * endpoint answers for this state directory, so the file is taken over, not trusted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { PipelineStatus } from '../../lib/ops/status.ts';
import { runCli } from '../helpers/cli.ts';
import { startCliStack, stopCli } from '../helpers/cli-stack.ts';
import { tempStateDir } from '../helpers/temp.ts';

describe('a stale cloud.json', () => {
  it('naming a live process that is not the cloud is taken over', {
    timeout: 120_000,
  }, async (t) => {
    const { state } = await tempStateDir(t, 'stale');
    // A state directory a cloud has run on.
    const first = await startCliStack(t, state);
    await stopCli(first.process);

    // After the crash: the pid is some other live process, the port another program's, which
    // answers every request.
    const other = spawn('sleep', ['120'], { stdio: 'ignore' });
    t.after(async () => {
      other.kill('SIGKILL');
    });
    const unrelated = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    );
    await new Promise<void>((resolve) => unrelated.listen(0, '127.0.0.1', resolve));
    t.after(async () => {
      unrelated.closeAllConnections();
      await new Promise<void>((resolve) => unrelated.close(() => resolve()));
    });
    const port = (unrelated.address() as AddressInfo).port;
    const stale = {
      pid: other.pid,
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      port,
      startedAt: new Date(Date.now() - 3_600_000).toISOString(),
      token: 'from-before-the-crash',
    };
    const cloudFile = join(state, 'cloud.json');
    await writeFile(cloudFile, JSON.stringify(stale));

    // An operator command works (its own cloud, since none answers), one JSON reading.
    const status = await runCli(['status', '--state', state, '--json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as PipelineStatus).pending, 0);
    assert.doesNotMatch(status.stderr, /^\s+at /m);

    // A refused port as well: the same.
    await writeFile(
      cloudFile,
      JSON.stringify({ ...stale, endpoint: 'http://127.0.0.1:9', port: 9 }),
    );
    const refused = await runCli(['dlq', 'list', '--state', state, '--json']);
    assert.equal(refused.code, 0, refused.stderr);
    assert.equal((JSON.parse(refused.stdout) as { count: number }).count, 0);

    // `stack up` takes the directory over (its old port is taken: another one) and says where.
    await writeFile(cloudFile, JSON.stringify(stale));
    const stack = await startCliStack(t, state);
    assert.notEqual(stack.endpoint, stale.endpoint);
    const written = JSON.parse(await readFile(cloudFile, 'utf8')) as typeof stale;
    assert.equal(written.endpoint, stack.endpoint);
    assert.notEqual(written.token, stale.token);
    // And the commands join that one.
    const joined = await runCli(['status', '--state', state, '--json']);
    assert.equal(joined.code, 0, joined.stderr);
  });
});
