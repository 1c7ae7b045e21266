/**
 * `stack up` stopped and started again while a `pixelmill worker` runs on it: the cloud comes
 * back on the same port, the worker says on its terminal that it lost the cloud and that it is
 * back (one line each, no stack trace), and goes on — nothing uploaded before, during or after is
 * lost. When the port has been taken meanwhile, the cloud starts on another one and the worker
 * finds it through the state directory's cloud.json.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isVersionRow } from '../../events/image-row.ts';
import { topology } from '../../infra/topology.ts';
import { ImageTable } from '../../lib/aws/image-table.ts';
import {
  type CliStack,
  cliJson,
  startCliStack,
  startCliWorker,
  stopCli,
} from '../helpers/cli-stack.ts';
import { writePhotos } from '../helpers/photo-dirs.ts';
import { eventually, tempStateDir } from '../helpers/temp.ts';

async function doneCount(stack: CliStack): Promise<number> {
  let n = 0;
  for await (const row of new ImageTable(stack.clients.dynamo, topology.table).scan())
    if (isVersionRow(row) && row.status === 'DONE') n++;
  return n;
}

/** Ingests `input` through the CLI, then waits until the stack holds `total` DONE images. */
async function ingestUntilDone(stack: CliStack, state: string, input: string, total: number) {
  await cliJson(['ingest', input, '--state', state, '--json']);
  await eventually(
    `all ${total} images DONE`,
    async () => ((await doneCount(stack)) === total ? true : undefined),
    60_000,
    250,
  );
}

const writeBatch = (dir: string, name: string, count: number, seed: number) =>
  writePhotos(join(dir, name), { count, seed, width: 480, height: 360 });

describe('stack up restarted under a running worker', () => {
  it('keeps its port, and the worker says it lost the cloud, waits, and goes on', {
    timeout: 180_000,
  }, async (t) => {
    const { dir, state } = await tempStateDir(t, 'restart');
    const first = await writeBatch(dir, 'first', 10, 1);
    const second = await writeBatch(dir, 'second', 3, 100);
    const third = await writeBatch(dir, 'third', 3, 200);

    let stack = await startCliStack(t, state);
    const endpoint = stack.endpoint;
    const worker = startCliWorker(t, state, { concurrency: 1 });
    let said = '';
    worker.stderr?.on('data', (d: Buffer) => {
      said += d.toString();
    });
    await cliJson(['ingest', first, '--state', state, '--json']);
    await eventually('a first image DONE', async () =>
      (await doneCount(stack)) >= 1 ? true : undefined,
    );

    // Ctrl-C on the stack while the worker holds images.
    await stopCli(stack.process);
    await eventually('the worker saying it lost the cloud', async () =>
      said.includes(`lost the local cloud at ${endpoint}`) ? true : undefined,
    );
    stack = await startCliStack(t, state);
    assert.equal(stack.endpoint, endpoint, 'the restarted cloud takes the same port');
    await eventually('the worker saying the cloud is back', async () =>
      said.includes(`the local cloud answers again at ${endpoint}`) ? true : undefined,
    );
    await ingestUntilDone(stack, state, second, 13);

    // The port taken meanwhile: the cloud moves, cloud.json says where, the worker follows.
    await stopCli(stack.process);
    // Another program on the port: it answers, but not as this state's cloud.
    const squatter = createServer((_request, response) => response.writeHead(404).end());
    await new Promise<void>((resolve) =>
      squatter.listen(Number(new URL(endpoint).port), '127.0.0.1', resolve),
    );
    t.after(async () => {
      squatter.closeAllConnections();
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    });
    stack = await startCliStack(t, state);
    assert.notEqual(stack.endpoint, endpoint);
    await eventually('the worker finding the cloud on its new port', async () =>
      said.includes(`${stack.endpoint} (it was at ${endpoint}); going on`) ? true : undefined,
    );
    // Its queue URLs name the port it listens on now (fauxqs kept the first one for good).
    const port = `:${new URL(stack.endpoint).port}/`;
    assert.ok(stack.queues.work.includes(port), stack.queues.work);
    assert.ok(stack.queues.deadLetter.includes(port), stack.queues.deadLetter);
    await ingestUntilDone(stack, state, third, 16);

    // What the worker printed: its banner and one line per event, no stack trace.
    const lines = said.trim().split('\n');
    assert.deepEqual(
      lines.filter((l) => /^\s+at /.test(l)),
      [],
      said,
    );
    // Every line but the banner is one of the worker's own about its cloud.
    assert.deepEqual(
      lines
        .slice(2)
        .filter(
          (l) =>
            !/^pixelmill worker: (lost the local cloud at|the local cloud (answers again at|moved to)) http:\/\/127\.0\.0\.1:\d+/.test(
              l,
            ),
        ),
      [],
      said,
    );
  });
});
