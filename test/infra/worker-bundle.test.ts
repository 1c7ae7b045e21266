/**
 * What the Lambda bundles carry: the worker's and the pixel process's entry points bundled with
 * the same esbuild the CDK asset uses (infra/cdk/worker-bundling.ts), and their inputs read from
 * esbuild's metafile. Fault injection lives on the test/CLI side (cli/fault-injection.ts, wired in
 * through the target's `addMiddleware` hook), so no file of cli/ or test/ may reach a bundle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { PIXEL_CHILD_ENTRY, REPO_ROOT, WORKER_ENTRY } from '../../infra/cdk/paths.ts';
import { WORKER_NODE_MODULES } from '../../infra/cdk/worker-bundling.ts';

async function bundledSources(entry: string): Promise<{ files: string[]; text: string }> {
  const result = await build({
    entryPoints: [entry],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    external: WORKER_NODE_MODULES,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const files = Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/'));
  return { files, text: result.outputFiles.map((f) => f.text).join('\n') };
}

describe('the Lambda bundles', () => {
  for (const entry of [WORKER_ENTRY, PIXEL_CHILD_ENTRY]) {
    it(`${entry.slice(REPO_ROOT.length)} carries no test or CLI code (no fault injection)`, async () => {
      const { files, text } = await bundledSources(entry);
      assert.ok(
        files.some((f) => f.startsWith('workers/')),
        `the scanner sees our files: ${files}`,
      );
      assert.deepEqual(
        files.filter((f) => /^(cli|test)\//.test(f) || /fault-injection/.test(f)),
        [],
      );
      for (const marker of ['pixelmillFaultInjection', 'pixelmillBeforeDONE', 'Injected '])
        assert.ok(!text.includes(marker), `${marker} is not in the bundle`);
    });
  }
});
