/**
 * How esbuild bundles the worker for Lambda, and how sharp's native binary gets into the asset.
 *
 * - NodejsFunction bundling options:
 *   https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs.BundlingOptions.html
 * - sharp on Lambda (install the binary for the function's platform, never bundle it):
 *   https://sharp.pixelplumbing.com/install#aws-lambda
 */
import { aws_lambda as lambda, aws_lambda_nodejs as nodejs } from 'aws-cdk-lib';
import { ESBUILD_BIN, PIXEL_CHILD_BUNDLE, PIXEL_CHILD_ENTRY } from './paths.ts';

/**
 * Bundled CommonJS dependencies call `require`, which an ES module does not have; the banner
 * defines it at the top of the bundle. The import is aliased so it cannot collide with a top-level
 * `createRequire` in the bundled code (esbuild does not know the banner's names).
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __pixelmillCreateRequire } from 'node:module';" +
  'const require = __pixelmillCreateRequire(import.meta.url);';

/**
 * Packages installed into the asset's node_modules by npm (from the lockfile) instead of bundled:
 * sharp loads a platform-specific native binary (`@img/sharp-<os>-<cpu>`) that esbuild cannot
 * inline.
 */
export const WORKER_NODE_MODULES = ['sharp'];

/** npm's `cpu` value for a Lambda architecture (package.json `cpu` field, `process.arch`). */
function npmCpu(architecture: lambda.Architecture): string {
  return architecture.name === lambda.Architecture.ARM_64.name ? 'arm64' : 'x64';
}

/**
 * sharp's native packages for Linux on `cpu`. npm treats them as optional dependencies and skips
 * them without an error when it cannot fetch them (offline, with an npm cache that lacks them), so
 * bundling checks they arrived: an asset without them would fail every cold start.
 */
export function sharpNativePackages(cpu: string): string[] {
  return [`@img/sharp-linux-${cpu}`, `@img/sharp-libvips-linux-${cpu}`];
}

/**
 * The pixel process (workers/pixel-child.ts) as a second ES module bundle in the asset, beside
 * `index.mjs`: the worker forks it by name (workers/process.ts). Same settings as the handler's
 * bundle; sharp stays external, installed once for both.
 */
export function pixelChildBundleCommand(outputDir: string): string {
  return [
    `"${ESBUILD_BIN}"`,
    `"${PIXEL_CHILD_ENTRY}"`,
    '--bundle',
    '--platform=node',
    '--format=esm',
    '--target=node24',
    '--main-fields=module,main',
    ...WORKER_NODE_MODULES.map((m) => `--external:${m}`),
    `--banner:js="${ESM_REQUIRE_BANNER}"`,
    `--outfile="${outputDir}/${PIXEL_CHILD_BUNDLE}"`,
    '--log-level=warning',
  ].join(' ');
}

export function workerBundling(architecture: lambda.Architecture): nodejs.BundlingOptions {
  const cpu = npmCpu(architecture);
  return {
    format: nodejs.OutputFormat.ESM,
    banner: ESM_REQUIRE_BANNER,
    // Prefer packages' ES module builds where they ship both (esbuild's default for the node
    // platform is `main`, the CommonJS one).
    mainFields: ['module', 'main'],
    // Bundle the AWS SDK from the lockfile instead of using the runtime's copy, whose version
    // changes under us (DESIGN.md: pin every dependency through the lockfile).
    bundleAwsSDK: true,
    nodeModules: WORKER_NODE_MODULES,
    // Read by the `npm ci` that installs `nodeModules`. The platform overrides make npm choose
    // sharp's Linux glibc binary for the function's architecture whatever machine bundles, and
    // the rest keep the install working offline from the local cache: no audit, fund or update
    // requests. https://docs.npmjs.com/cli/v11/using-npm/config
    environment: {
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_os: 'linux',
      npm_config_cpu: cpu,
      npm_config_libc: 'glibc',
    },
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir, outputDir) => [
        pixelChildBundleCommand(outputDir),
        ...sharpNativePackages(cpu).map(
          (pkg) =>
            `test -f "${outputDir}/node_modules/${pkg}/package.json" || ` +
            `{ echo "bundling: ${pkg} was not installed (offline without it in the npm cache?); ` +
            `the function would fail to load sharp" >&2; exit 1; }`,
        ),
      ],
    },
  };
}
