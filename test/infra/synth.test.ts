/**
 * `cdk synth` end to end, bundling included: the app runs under Node 24 from cdk.json, esbuild
 * bundles workers/process.ts as ESM, and npm installs sharp's Linux binary into the asset from
 * the lockfile (offline when the npm cache has it). Slower than the template tests (seconds).
 * Output goes to a temporary directory, so a developer's cdk.out is never overwritten.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT, WORKER_ENTRY } from '../../infra/cdk/paths.ts';
import { ESM_REQUIRE_BANNER } from '../../infra/cdk/worker-bundling.ts';
import { STACK_NAME } from '../../infra/topology.ts';
import { at, isRecord } from './pipeline-under-test.ts';

const run = promisify(execFile);
const SYNTH_TIMEOUT_MS = 180_000;

describe('cdk synth with bundling', { timeout: SYNTH_TIMEOUT_MS + 10_000 }, () => {
  it('synthesizes the stack and bundles the worker with sharp for linux-x64', async (t) => {
    if (!existsSync(WORKER_ENTRY)) {
      t.skip('workers/process.ts does not exist yet: nothing to bundle');
      return;
    }
    const out = await mkdtemp(join(tmpdir(), 'pixelmill-cdk-out-'));
    t.after(() => rm(out, { recursive: true, force: true }));

    const started = performance.now();
    const result = await run('npx', ['cdk', 'synth', '--quiet', '--output', out], {
      cwd: REPO_ROOT,
      timeout: SYNTH_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: unknown) => {
      assert.fail(`cdk synth failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    t.diagnostic(`cdk synth took ${Math.round(performance.now() - started)} ms`);
    assert.ok(result);

    assert.ok((await readdir(out)).includes(`${STACK_NAME}.template.json`));
    const template: unknown = JSON.parse(
      await readFile(join(out, `${STACK_NAME}.template.json`), 'utf8'),
    );
    const resources = at(template, 'Resources');
    assert.ok(isRecord(resources));
    const functions = Object.values(resources).filter(
      (r) =>
        at(r, 'Type') === 'AWS::Lambda::Function' &&
        at(r, 'Properties', 'Runtime') === 'nodejs24.x',
    );
    assert.equal(functions.length, 2, 'two nodejs24.x functions: the worker and the audit');
    const workers = functions.filter((r) =>
      String(at(r, 'Properties', 'Description')).startsWith('pixelmill worker'),
    );
    assert.equal(workers.length, 1, 'one worker');
    const worker = workers[0];
    assert.equal(at(worker, 'Properties', 'Handler'), 'index.handler');

    // The asset CDK staged for the function's code: an ES module bundle plus sharp, installed.
    const assetPath = at(worker, 'Metadata', 'aws:asset:path');
    assert.equal(typeof assetPath, 'string');
    const asset = join(out, String(assetPath));
    const bundle = await readFile(join(asset, 'index.mjs'), 'utf8');
    assert.ok(bundle.startsWith(ESM_REQUIRE_BANNER), 'the bundle starts with the require banner');
    assert.match(bundle, /export\s*\{[^}]*\bhandler\b[^}]*\}/, 'the bundle exports handler');
    for (const installed of ['sharp', '@img/sharp-linux-x64', '@img/sharp-libvips-linux-x64']) {
      assert.ok(
        existsSync(join(asset, 'node_modules', installed, 'package.json')),
        `${installed} is installed in the asset`,
      );
    }
  });
});
