import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { db } from '../db.js'
import { JobMessage } from '../jobs.js'
import { metrics } from '../metrics.js'
import { jobBus, jobsTable } from '../services.js'

/**
 * Runs the jobs of the scheduler queue (a FIFO queue). A message that fails is reported
 * back, and so is every message after it, so the queue redelivers them in order and,
 * after three tries, moves them to the dead-letter queue: none is lost. Each job run puts a
 * `Job Done` event on the job bus (dev.events->job-bus).
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logMetrics(metrics)) // flushes the app's metrics and cloudMap()'s
  .use(cloudMap({ services: { table: jobsTable(), bus: jobBus() }, metrics }))
  .handler(async (event, context) => {
    const batchItemFailures: SQSBatchItemFailure[] = []
    for (const record of event.Records) {
      if (batchItemFailures.length > 0) {
        batchItemFailures.push({ itemIdentifier: record.messageId })
        continue
      }
      try {
        const { jobId } = JobMessage.parse(JSON.parse(record.body))
        const { table, bus } = context.services
        // if_not_exists: a redelivered job keeps its first doneAt, so its event says the same.
        const { Attributes } = await db.send(
          new UpdateCommand({
            TableName: table.attributes.tableName,
            Key: { id: jobId },
            UpdateExpression: 'SET #status = :done, doneAt = if_not_exists(doneAt, :now)',
            ConditionExpression: 'attribute_exists(id)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':done': 'done', ':now': new Date().toISOString() },
            ReturnValues: 'ALL_NEW',
          }),
        )
        console.log(`ran job ${jobId}`)
        // A put that fails throws into the catch below: the message is reported as failed, so SQS
        // redelivers it and the (idempotent) run puts the event again. Job Done is therefore sent
        // at least once: consumers dedupe by jobId.
        await bus.put('Job Done', { jobId, doneAt: String(Attributes?.doneAt) })
        console.log(`put Job Done for ${jobId} on ${bus.address}`)
      } catch (error) {
        console.error(`job message ${record.messageId} failed: ${(error as Error).message}`)
        batchItemFailures.push({ itemIdentifier: record.messageId })
      }
    }
    return { batchItemFailures }
  })
