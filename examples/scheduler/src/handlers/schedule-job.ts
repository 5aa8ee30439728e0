import { randomUUID } from 'node:crypto'
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { PutCommand } from '@aws-sdk/lib-dynamodb'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { db } from '../db.js'
import { type Job, JobRequest } from '../jobs.js'
import { metrics } from '../metrics.js'
import { jobEvents, jobsTable, schedulerQueue } from '../services.js'

const json = (statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

function parseBody(body: string | undefined): unknown {
  try {
    return JSON.parse(body ?? '')
  } catch {
    return undefined
  }
}

/** POST /jobs: validates the job, stores it, queues it for the worker and announces it. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrorHandler())
  .use(logMetrics(metrics)) // flushes the app's metrics and cloudMap()'s
  .use(cloudMap({ services: { table: jobsTable(), queue: schedulerQueue(), events: jobEvents() }, metrics }))
  .handler(async (event, context) => {
    const request = JobRequest.safeParse(parseBody(event.body))
    if (!request.success) return json(400, { message: 'invalid job', issues: request.error.issues })

    const now = new Date().toISOString()
    const job: Job = { id: randomUUID(), name: request.data.name, runAt: request.data.runAt ?? now, status: 'scheduled', createdAt: now }
    const { table, queue, events } = context.services
    await db.send(new PutCommand({ TableName: table.attributes.tableName, Item: job }))
    const sent = await queue.send({ jobId: job.id }, { groupId: job.id })
    console.log(`queued job ${job.id} on ${queue.address} (message ${sent.messageId})`)
    await events.publish({ type: 'job.scheduled', jobId: job.id, name: job.name, runAt: job.runAt }, { subject: 'job.scheduled' })
    console.log(`published job.scheduled for ${job.id} to ${events.address}`)
    return json(202, { id: job.id, status: job.status })
  })
