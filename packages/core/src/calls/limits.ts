/**
 * Service limits checked before sending, in bytes (AWS quotas as of 2026):
 * a `PayloadTooLargeError` that names the address beats an opaque SDK error.
 */
export const LIMITS = {
  /** Lambda RequestResponse invocation request payload: 6 MB. */
  lambdaSyncPayload: 6_291_456,
  /** Lambda Event (asynchronous) invocation payload: 1 MB since October 2025. */
  lambdaAsyncPayload: 1_048_576,
  /** SQS message, body and message attributes together: 1 MiB since August 2025. */
  sqsMessage: 1_048_576,
  /** SQS SendMessageBatch: all entries together. */
  sqsBatch: 1_048_576,
  /** SQS SendMessageBatch: entries per request. */
  sqsBatchEntries: 10,
  /** SNS message, body and message attributes together: 256 KiB. */
  snsMessage: 262_144,
  /** SNS PublishBatch: all entries together. */
  snsBatch: 262_144,
  /** SNS PublishBatch: entries per request. */
  snsBatchEntries: 10,
  /** Step Functions execution input (StartExecution, StartSyncExecution): 256 KiB. */
  sfnInput: 262_144,
  /**
   * EventBridge PutEvents entry: 256 KiB, counted as EventBridge does (`Source`, `DetailType`,
   * `Detail` and each of `Resources`, in UTF-8 bytes).
   */
  eventBridgeEntry: 262_144,
  /** EventBridge PutEvents: all entries together. */
  eventBridgeBatch: 262_144,
  /** EventBridge PutEvents: entries per request. */
  eventBridgeBatchEntries: 10,
} as const
