import { z } from 'zod';

/**
 * pixelmill's own work message, sent when pixelmill itself (not S3) asks for an object to be
 * processed: `audit --repair`, backfill of existing objects, `run` resuming after a crash,
 * `reprocess` bringing an archive up to a new config. It
 * carries the same object facts as the S3 event plus where the request came from.
 */
export const JOB_MESSAGE_KIND = 'pixelmill.job/v1';

export const jobOrigins = ['repair', 'backfill', 'resume', 'reprocess'] as const;
export type JobOrigin = (typeof jobOrigins)[number];

export const jobMessageSchema = z.strictObject({
  kind: z.literal(JOB_MESSAGE_KIND),
  origin: z.enum(jobOrigins),
  requestedAt: z.iso.datetime(),
  bucket: z.string().min(3).max(63),
  key: z.string().min(1),
  size: z.number().int().nonnegative(),
  etag: z.string().min(1),
  versionId: z.string().min(1).optional(),
  sequencer: z.string().regex(/^[0-9A-Fa-f]+$/),
});

export type JobMessage = z.infer<typeof jobMessageSchema>;

export function buildJobMessage(fields: Omit<JobMessage, 'kind' | 'requestedAt'>): JobMessage {
  return { kind: JOB_MESSAGE_KIND, requestedAt: new Date().toISOString(), ...fields };
}
