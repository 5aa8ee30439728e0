import { UpdateCommand } from '@aws-sdk/lib-dynamodb'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda'
import { db } from '../db.js'
import { JobMessage } from '../jobs.js'
import { jobsTable } from '../services.js'

/**
 * Runs the jobs of the scheduler queue (a FIFO queue). A message that fails is reported
 * back, and so is every message after it, so the queue redelivers them in order and,
 * after three tries, moves them to the dead-letter queue: none is lost.
 */
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(cloudMap({ services: { table: jobsTable() } }))
  .handler(async (event, context) => {
    const batchItemFailures: SQSBatchItemFailure[] = []
    for (const record of event.Records) {
      if (batchItemFailures.length > 0) {
        batchItemFailures.push({ itemIdentifier: record.messageId })
        continue
      }
      try {
        const { jobId } = JobMessage.parse(JSON.parse(record.body))
        await db.send(
          new UpdateCommand({
            TableName: context.services.table.attributes.tableName,
            Key: { id: jobId },
            UpdateExpression: 'SET #status = :done, doneAt = :now',
            ConditionExpression: 'attribute_exists(id)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':done': 'done', ':now': new Date().toISOString() },
          }),
        )
        console.log(`ran job ${jobId}`)
      } catch (error) {
        console.error(`job message ${record.messageId} failed: ${(error as Error).message}`)
        batchItemFailures.push({ itemIdentifier: record.messageId })
      }
    }
    return { batchItemFailures }
  })
