import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lazy, Stack, aws_s3 as s3 } from 'aws-cdk-lib';
import { ImagePipeline } from '../../infra/cdk/image-pipeline.ts';
import {
  type ImagePipelineProps,
  ImagePipelinePropsError,
  type PresetJson,
} from '../../infra/cdk/image-pipeline-props.ts';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../../infra/cdk/worker-environment.ts';
import {
  at,
  buildPipeline,
  propertiesOf,
  STUB_WORKER_ENTRY,
  testApp,
} from './pipeline-under-test.ts';

/** The problems an ImagePipeline with these props reports, all of them (it must throw). */
function problemsOf(props: ImagePipelineProps, scope?: Stack): readonly string[] {
  const stack = scope ?? new Stack(testApp(), 'PropsUnderTest');
  let caught: unknown;
  try {
    new ImagePipeline(stack, 'Pipeline', { workerEntry: STUB_WORKER_ENTRY, ...props });
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof ImagePipelinePropsError,
    `expected ImagePipelinePropsError, got ${caught}`,
  );
  assert.match(caught.message, /^Invalid ImagePipeline props at PropsUnderTest\/Pipeline:\n- /);
  return caught.problems;
}

function assertProblems(actual: readonly string[], expected: readonly RegExp[]): void {
  for (const pattern of expected) {
    assert.ok(
      actual.some((p) => pattern.test(p)),
      `no problem matches ${pattern}:\n${actual.join('\n')}`,
    );
  }
  assert.equal(actual.length, expected.length, `unexpected problems:\n${actual.join('\n')}`);
}

describe('ImagePipeline props', () => {
  it('reports every invalid prop at once, in one error, before anything is synthesized', () => {
    const problems = problemsOf({
      batchSize: 0,
      maxConcurrency: 1,
      reservedConcurrency: 0,
      memoryMb: 512,
      timeoutSeconds: 10,
      maxReceiveCount: 0,
      workQueueRetentionSeconds: 7 * 86400,
      deadLetterRetentionSeconds: 86400,
      uploadsPrefix: 'uploads',
      debugLogSampleRate: 5,
      logLevel: 'LOUD' as never,
      limits: { timeoutSeconds: 0, colour: 1 } as never,
      presets: [{ name: 'Big Hero', formats: [] }, { name: 'Big Hero' }] as never,
      alarms: { email: 'on-call', durationAlarmRatio: 2, queueDepthThreshold: 0 },
    });
    assertProblems(problems, [
      /integer between 1 and 10000 for batchSize but received 0/,
      /integer between 2 and 1000 for maxConcurrency but received 1/,
      /integer between 1 and 100000 for reservedConcurrency but received 0/,
      /memoryMb 512 is below the \d+ MB that 2 images at limits\.maxPixels 50000000 need/,
      // Limits and presets in the worker's own words: synth validates them with its schema.
      /^limits\.timeoutSeconds: Expected number >= 1 for timeoutSeconds but received 0/,
      /^limits: unknown key "colour"/,
      /integer between 1 and 1000 for maxReceiveCount but received 0/,
      /deadLetterRetentionSeconds must be longer than workQueueRetentionSeconds/,
      /Expected uploadsPrefix to end with "\/" but received uploads/,
      /from 0 to 1 for debugLogSampleRate but received 5/,
      /one of DEBUG, INFO, WARN, ERROR for logLevel but received "LOUD"/,
      /^presets\[0\]\.name: Expected 1-32 characters of a-z, 0-9, "_" or "-" for name/,
      /^presets\[0\]\.formats: Expected array length >= 1 for formats but received \[\]/,
      /^presets\[0\]: Expected width, height or both/,
      /^presets\[1\]\.name: Expected 1-32 characters of a-z, 0-9, "_" or "-" for name/,
      /^presets\[1\]\.formats: Expected array for formats but received nothing/,
      /e-mail address for alarms\.email but received "on-call"/,
      /number above 0 and at most 1 for alarms\.durationAlarmRatio but received 2/,
      /integer between 1 and \d+ for alarms\.queueDepthThreshold but received 0/,
    ]);
  });

  it('validates presets and limits with the worker’s own config schema, as its cold start would', () => {
    const preset = { name: 'hero', width: 800, formats: [{ format: 'jpeg' as const }] };
    assertProblems(
      problemsOf({
        presets: [
          { ...preset, formats: [{ format: 'jpeg', quality: 101 }] },
          { ...preset, name: 'thumb', fit: 'inside', position: 'north' },
        ],
        limits: { maxMemoryMb: 128, maxFrames: Lazy.number({ produce: () => 5 }) },
      }),
      [
        /^presets\[0\]\.formats\[0\]\.quality: Expected number <= 100 for quality but received 101/,
        /^presets\[1\]\.position: position only applies to fit "cover"/,
        /^limits\.maxMemoryMb: Expected number >= 256 for maxMemoryMb but received 128/,
        /a value known at synth for limits\.maxFrames but received an unresolved token/,
      ],
    );
    assertProblems(problemsOf({ presets: [preset, preset] }), [
      /^presets\[1\]\.name: Duplicate preset name "hero"/,
    ]);
  });

  it('checks an explicit timeout against the per-image limit it must cover', () => {
    assertProblems(problemsOf({ timeoutSeconds: 40 }), [
      /timeoutSeconds 40 is below the 55 s one image at limits\.timeoutSeconds 30 needs/,
    ]);
    assertProblems(problemsOf({ limits: { timeoutSeconds: 600 }, timeoutSeconds: 300 }), [
      /timeoutSeconds 300 is below the 625 s/,
    ]);
  });

  it('refuses limits no Lambda function can be sized for', () => {
    assertProblems(problemsOf({ limits: { maxPixels: 2_000_000_000 } }), [
      /need \d+ MB for 2 images at once, above Lambda's 10240 MB/,
    ]);
  });

  it('keeps reserved concurrency at least the event source’s maximum concurrency', () => {
    assertProblems(problemsOf({ maxConcurrency: 20, reservedConcurrency: 10 }), [
      /reservedConcurrency 10 is below maxConcurrency 20: the event source would be throttled/,
    ]);
  });

  it('keeps the worker’s environment within Lambda’s 4 KB, names at their longest', () => {
    const preset = (i: number): PresetJson => ({
      name: `preset-with-a-long-name-${String(i).padStart(3, '0')}`.slice(0, 32),
      width: 100 + i,
      fit: 'inside',
      withoutEnlargement: true,
      formats: [
        { format: 'jpeg', quality: 80, progressive: true, mozjpeg: true },
        { format: 'webp', quality: 80, effort: 6 },
        { format: 'avif', quality: 50, effort: 9 },
        { format: 'png', compressionLevel: 9, palette: true },
      ],
    });
    const presets = Array.from({ length: 32 }, (_, i) => preset(i));
    assertProblems(problemsOf({ presets }), [
      new RegExp(
        `environment would take \\d+ bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}`,
      ),
    ]);
    // A handful of presets fits, and reaches the worker as JSON, with the limits it is sized for.
    const p = buildPipeline({ presets: presets.slice(0, 3) });
    const config = JSON.parse(
      String(
        at(
          propertiesOf(p, p.pipeline.worker.function),
          'Environment',
          'Variables',
          'PIXELMILL_CONFIG',
        ),
      ),
    );
    assert.deepEqual(config.presets, presets.slice(0, 3));
    assert.equal(config.limits.maxPixels, 50_000_000);
  });

  it('needs values known at synth: nothing can be derived from a token', () => {
    assertProblems(problemsOf({ batchSize: Lazy.number({ produce: () => 5 }) }), [
      /a value known at synth for batchSize but received an unresolved token/,
    ]);
  });

  it('leaves the lifecycle of a bucket it does not own to its owner', () => {
    const stack = new Stack(testApp(), 'PropsUnderTest');
    const bucket = s3.Bucket.fromBucketName(stack, 'Theirs', 'their-uploads');
    assertProblems(
      problemsOf({ uploadsBucket: bucket, noncurrentVersionExpirationDays: 7 }, stack),
      [/noncurrentVersionExpirationDays applies to the uploads bucket the construct creates/],
    );
  });

  it('merges defaults ← props: an undefined prop keeps its default', () => {
    const p = buildPipeline({ batchSize: undefined, memoryMb: undefined, alarms: undefined });
    assert.equal(p.pipeline.topology.batchSize, 10);
    assert.equal(p.pipeline.settings.memoryMb, 2048);
    assert.equal(p.pipeline.settings.alarms.backlogObjectiveSeconds, 2550);
  });
});
