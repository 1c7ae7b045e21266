/**
 * What the Lambda bundles carry: the worker's and the pixel process's entry points bundled with
 * the same esbuild the CDK asset uses (infra/cdk/worker-bundling.ts), and their inputs read from
 * esbuild's metafile. Fault injection lives on the test/CLI side (cli/fault-injection.ts, wired in
 * through the target's `addMiddleware` hook), so no file of cli/ or test/ may reach a bundle.
 * The pixel process's bundle is also run: it must decode a HEIC with the libheif wasm it carries.
 */
import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import {
  PIXEL_CHILD_BUNDLE,
  PIXEL_CHILD_ENTRY,
  REPO_ROOT,
  WORKER_ENTRY,
} from '../../infra/cdk/paths.ts';
import { ESM_REQUIRE_BANNER, WORKER_NODE_MODULES } from '../../infra/cdk/worker-bundling.ts';
import { defaultConfig } from '../../lib/config/parse.ts';
import { PixelPool } from '../../lib/imaging/pool/pixel-pool.ts';
import { heifEnc, heifEncMissing } from '../fixtures/heic.ts';
import { orientedMarker } from '../fixtures/orientation.ts';

/** The options the asset's bundles are built with (worker-bundling.ts), for one entry point. */
const assetBuild = (entry: string) => ({
  entryPoints: [entry],
  absWorkingDir: REPO_ROOT,
  bundle: true,
  platform: 'node' as const,
  format: 'esm' as const,
  target: 'node24',
  mainFields: ['module', 'main'],
  external: WORKER_NODE_MODULES,
  banner: { js: ESM_REQUIRE_BANNER },
  metafile: true as const,
  logLevel: 'silent' as const,
});

async function bundledSources(entry: string): Promise<{ files: string[]; text: string }> {
  const result = await build({ ...assetBuild(entry), write: false });
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

describe('the pixel process bundle', () => {
  it('decodes a HEIC with the libheif wasm inside it', { skip: heifEncMissing() }, async (t) => {
    // Under node_modules so that the one external, sharp, resolves as it does in the asset.
    const dir = join(REPO_ROOT, 'node_modules', '.cache', `pixel-bundle-${process.pid}`);
    await mkdir(dir, { recursive: true });
    t.after(() => rm(dir, { recursive: true, force: true }));
    const outfile = join(dir, PIXEL_CHILD_BUNDLE);
    const result = await build({ ...assetBuild(PIXEL_CHILD_ENTRY), outfile });
    assert.ok(
      Object.keys(result.metafile.inputs).some((f) => f.includes('node_modules/libheif-js/')),
      'libheif-js is bundled, not left to an install the asset does not have',
    );
    const pool = new PixelPool({ config: defaultConfig(), childModule: outfile, size: 1 });
    t.after(() => pool.close());
    const heic = heifEnc(await orientedMarker(1));
    const rendered = await pool.render(heic);
    assert.equal(rendered.analysis.format, 'heic');
    assert.deepEqual([rendered.analysis.width, rendered.analysis.height], [240, 160]);
    assert.equal(rendered.renditions.length, 6);
  });
});
