/**
 * Entry point of one pixel process: started by the pixel pool (lib/imaging/pool/pixel-pool.ts)
 * beside every worker — the local CLI's and the Lambda function's, where the CDK construct bundles
 * it as `pixel-child.mjs` next to the handler. It takes its settings from its parent's first
 * message only.
 */
import { processPort, servePixelJobs } from '../lib/imaging/pool/child-loop.ts';

servePixelJobs(processPort());
