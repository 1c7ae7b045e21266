/**
 * Message attributes on a message the worker sends to the DLQ itself (one that is not a work item
 * at all, so retrying it cannot help). Messages that SQS moves there after `maxReceiveCount`
 * receives carry no attributes: their story is on the image's row.
 */
export const DLQ_ATTRIBUTES = {
  code: 'pixelmill-error-code',
  message: 'pixelmill-error',
  sourceMessageId: 'pixelmill-source-message-id',
} as const;
