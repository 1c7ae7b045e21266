/**
 * Behaviour of the embedded cloud itself that the pipeline's guarantees rest on, beyond what
 * fauxqs does out of the box.
 */
import assert from 'node:assert/strict';
import { ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import {
  CreateTableCommand,
  DeleteTableCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '../../infra/local/cloud.ts';
import { cloudAnswers } from '../../infra/local/cloud-identity.ts';
import { CloudAlreadyRunningError } from '../../infra/local/errors.ts';
import { readCloudFile, statePaths } from '../../infra/local/state-dir.ts';
import { startTestCloud } from '../helpers/local-cloud.ts';
import { sleep, tempDir } from '../helpers/temp.ts';

describe('the local cloud', () => {
  it('gives back a message that arrives for a long poll whose client has gone', async (t) => {
    const env = await startTestCloud(t);
    const abandoned = new AbortController();
    const poll = env.workQueue
      .receive({ max: 1, waitSeconds: 10, signal: abandoned.signal })
      .catch((error: unknown) => error);
    await sleep(200);
    abandoned.abort();
    assert.ok((await poll) instanceof Error, 'the abandoned poll ends in an error for its client');
    await sleep(100);
    const sent = await env.workQueue.send('{"redriven":true}');

    // The server still held the poll and dequeued the message for nobody. Without the release it
    // would stay invisible for the queue's whole visibility timeout (two minutes here).
    const started = Date.now();
    let received: string[] = [];
    while (received.length === 0 && Date.now() - started < 8_000) {
      received = (await env.workQueue.receive({ max: 1, waitSeconds: 2 })).map((m) => m.messageId);
    }
    assert.deepEqual(received, [sent]);
  });

  it('answers a HEAD for a missing object so that the connection can be kept alive', async (t) => {
    // Without a length, Node's HTTP client must close the connection after each such answer:
    // ingest's "already there?" check of every new key would open a new TCP connection.
    const env = await startTestCloud(t);
    const bucket = env.cloud.topology.uploadsBucket;
    const missing = await fetch(`${env.cloud.endpoint}/${bucket}/uploads/none.jpg`, {
      method: 'HEAD',
    });
    assert.deepEqual([missing.status, missing.headers.get('content-length')], [404, '0']);
    assert.equal(await env.store.head(bucket, 'uploads/none.jpg'), undefined);
  });

  it('counts a message whose visibility has lapsed as visible, with nobody receiving', async (t) => {
    // As SQS does (ApproximateNumberOfMessages); fauxqs moved such a message back only on the
    // next receive from its queue, so a DLQ that `dlq list` had read stayed "in flight" for good.
    const env = await startTestCloud(t);
    await env.deadLetterQueue.send('{"dead":true}');
    const [read] = await env.deadLetterQueue.receive({ max: 1, waitSeconds: 1 });
    assert.ok(read);
    await env.deadLetterQueue.changeVisibility(read.receiptHandle, 1);
    assert.deepEqual(await env.deadLetterQueue.depth(), { visible: 0, inFlight: 1, delayed: 0 });
    await sleep(1200);
    assert.deepEqual(await env.deadLetterQueue.depth(), { visible: 1, inFlight: 0, delayed: 0 });
  });

  it('runs one cloud per state directory at a time, and the next one on the same port', async (t) => {
    const stateDir = await tempDir(t, 'one-cloud');
    const first = await startLocalCloud({ stateDir });
    const file = readCloudFile(statePaths(stateDir));
    assert.equal(file?.endpoint, first.endpoint);
    assert.equal(await cloudAnswers(first.endpoint, file?.token ?? ''), true);
    assert.equal(await cloudAnswers(first.endpoint, 'another cloud'), false);
    await assert.rejects(startLocalCloud({ stateDir }), CloudAlreadyRunningError);
    await first.stop();
    assert.equal(await cloudAnswers(first.endpoint, file?.token ?? ''), false);

    const second = await startLocalCloud({ stateDir });
    t.after(() => second.stop());
    assert.equal(second.endpoint, first.endpoint, 'the port of the last cloud');
    assert.notEqual(readCloudFile(statePaths(stateDir))?.token, file?.token);
  });

  it('keeps a message received by a client that is still there invisible', async (t) => {
    const env = await startTestCloud(t);
    const sent = await env.workQueue.send('{"held":true}');
    const first = await env.workQueue.receive({ max: 1, waitSeconds: 5 });
    assert.deepEqual(
      first.map((m) => m.messageId),
      [sent],
    );
    await sleep(1500);
    assert.deepEqual(await env.workQueue.receive({ max: 1, waitSeconds: 1 }), []);
  });

  it('answers every request once: S3, SQS and DynamoDB through their real clients', async (t) => {
    // Fastify runs an async onSend hook after fauxqs's (async) route handler has returned; the
    // handler's promise then resolved with the reply still unsent, and Fastify sent it a second
    // time: every S3 answer paid for a failed writeHead, an error and its stack trace. The
    // answer the client read was the first one, so only counting the writes shows it.
    let rewrites = 0;
    const writeHead = ServerResponse.prototype.writeHead;
    // biome-ignore lint/suspicious/noExplicitAny: the patch forwards whatever Node passes
    ServerResponse.prototype.writeHead = function (this: ServerResponse, ...args: any[]) {
      if (this.headersSent) rewrites++;
      return writeHead.apply(this, args as Parameters<typeof writeHead>);
    } as typeof writeHead;
    t.after(() => {
      ServerResponse.prototype.writeHead = writeHead;
    });
    const env = await startTestCloud(t);
    const bucket = env.cloud.topology.renditionsBucket;
    await env.store.put(bucket, 'a/b.jpg', Buffer.from('bytes'), { contentType: 'image/jpeg' });
    assert.equal((await env.store.getBytes({ bucket, key: 'a/b.jpg' }, 100)).toString(), 'bytes');
    assert.equal((await env.store.head(bucket, 'a/b.jpg'))?.size, 5);
    assert.equal(await env.store.head(bucket, 'a/none.jpg'), undefined);
    const listed = [];
    for await (const o of env.store.list(bucket, 'a/')) listed.push(o.key);
    assert.deepEqual(listed, ['a/b.jpg']);
    await env.workQueue.send('{"once":true}');
    assert.equal((await env.workQueue.receive({ max: 1, waitSeconds: 1 })).length, 1);
    assert.equal(await env.table.get({ pk: 'none', sk: 'none' }), undefined);
    assert.equal(rewrites, 0, `${rewrites} answers were written a second time`);
  });
});

describe("the local DynamoDB's table cache", () => {
  it('answers item requests from the table as it is now, after tables are dropped and made again', async (t) => {
    // dynalite's table descriptions are cached for item requests (dynalite-table-cache.ts): a
    // table deleted and created again under the same name with another key must be seen at once.
    const env = await startTestCloud(t);
    const dynamo = env.clients.dynamo;
    const create = async (key: string) => {
      await dynamo.send(
        new CreateTableCommand({
          TableName: 'cache-probe',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
          KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        }),
      );
      await waitUntilTableExists(
        { client: dynamo, maxWaitTime: 10, minDelay: 1, maxDelay: 1 },
        { TableName: 'cache-probe' },
      );
    };
    await create('a');
    await dynamo.send(new PutCommand({ TableName: 'cache-probe', Item: { a: '1', v: 'first' } }));
    const first = await dynamo.send(new GetCommand({ TableName: 'cache-probe', Key: { a: '1' } }));
    assert.equal(first.Item?.v, 'first');

    await dynamo.send(new DeleteTableCommand({ TableName: 'cache-probe' }));
    await waitUntilTableNotExists(
      { client: dynamo, maxWaitTime: 10, minDelay: 1, maxDelay: 1 },
      { TableName: 'cache-probe' },
    );
    await assert.rejects(
      dynamo.send(new GetCommand({ TableName: 'cache-probe', Key: { a: '1' } })),
      (error: Error) => error.name === 'ResourceNotFoundException',
    );
    await create('b');
    // The old key no longer fits the table; the new one does, and the old item is gone.
    await assert.rejects(
      dynamo.send(new PutCommand({ TableName: 'cache-probe', Item: { a: '2' } })),
      (error: Error) => error.name === 'ValidationException',
    );
    await dynamo.send(new PutCommand({ TableName: 'cache-probe', Item: { b: '1', v: 'second' } }));
    const second = await dynamo.send(new GetCommand({ TableName: 'cache-probe', Key: { b: '1' } }));
    assert.equal(second.Item?.v, 'second');
  });
});
