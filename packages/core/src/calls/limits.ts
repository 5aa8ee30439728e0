// One constant per limit, read by the kinds, so that a handler's bundle holds only the limits of
// the kinds it uses (a bundler keeps a whole object once one property is read); `LIMITS` gathers them.
export const LAMBDA_SYNC_PAYLOAD = 6_291_456
export const LAMBDA_ASYNC_PAYLOAD = 1_048_576
export const SQS_MESSAGE = 1_048_576
export const SQS_BATCH = 1_048_576
export const SQS_BATCH_ENTRIES = 10
export const SNS_MESSAGE = 262_144
export const SNS_BATCH = 262_144
export const SNS_BATCH_ENTRIES = 10
export const SFN_INPUT = 262_144
export const EVENTBRIDGE_ENTRY = 262_144
export const EVENTBRIDGE_BATCH = 262_144
export const EVENTBRIDGE_BATCH_ENTRIES = 10

/**
 * Service limits checked before sending, in bytes (AWS quotas as of 2026):
 * a `PayloadTooLargeError` that names the address beats an opaque SDK error.
 */
export const LIMITS = {
  /** Lambda RequestResponse invocation request payload: 6 MB. */
  lambdaSyncPayload: LAMBDA_SYNC_PAYLOAD,
  /** Lambda Event (asynchronous) invocation payload: 1 MB since October 2025. */
  lambdaAsyncPayload: LAMBDA_ASYNC_PAYLOAD,
  /** SQS message, body and message attributes together: 1 MiB since August 2025. */
  sqsMessage: SQS_MESSAGE,
  /** SQS SendMessageBatch: all entries together. */
  sqsBatch: SQS_BATCH,
  /** SQS SendMessageBatch: entries per request. */
  sqsBatchEntries: SQS_BATCH_ENTRIES,
  /** SNS message, body and message attributes together: 256 KiB. */
  snsMessage: SNS_MESSAGE,
  /** SNS PublishBatch: all entries together. */
  snsBatch: SNS_BATCH,
  /** SNS PublishBatch: entries per request. */
  snsBatchEntries: SNS_BATCH_ENTRIES,
  /** Step Functions execution input (StartExecution, StartSyncExecution): 256 KiB. */
  sfnInput: SFN_INPUT,
  /**
   * EventBridge PutEvents entry: 256 KiB, counted as EventBridge does (`Source`, `DetailType`,
   * `Detail` and each of `Resources`, in UTF-8 bytes).
   */
  eventBridgeEntry: EVENTBRIDGE_ENTRY,
  /** EventBridge PutEvents: all entries together. */
  eventBridgeBatch: EVENTBRIDGE_BATCH,
  /** EventBridge PutEvents: entries per request. */
  eventBridgeBatchEntries: EVENTBRIDGE_BATCH_ENTRIES,
} as const
