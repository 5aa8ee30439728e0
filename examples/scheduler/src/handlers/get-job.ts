import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { GetCommand } from '@aws-sdk/lib-dynamodb'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import { db } from '../db.js'
import { GetJobInput, Job } from '../jobs.js'
import { metrics } from '../metrics.js'
import { jobsTable } from '../services.js'

/** Returns one job, or null when there is none; invoked directly by other functions. */
export const handler = middy<unknown, Job | null>()
  .use(logMetrics(metrics)) // flushes the app's metrics and cloudMap()'s
  .use(cloudMap({ services: { table: jobsTable() }, metrics }))
  .handler(async (event, context) => {
    const { id } = GetJobInput.parse(event)
    const { Item } = await db.send(new GetCommand({ TableName: context.services.table.attributes.tableName, Key: { id } }))
    return Item ? Job.parse(Item) : null
  })
