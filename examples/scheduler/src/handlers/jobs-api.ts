import { logMetrics } from '@aws-lambda-powertools/metrics/middleware'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda'
import { metrics } from '../metrics.js'
import { getJob } from '../services.js'

/** GET /jobs/{id}: finds get-job through Cloud Map and calls it. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(httpErrorHandler())
  .use(logMetrics(metrics)) // flushes the app's metrics and cloudMap()'s
  .use(cloudMap({ services: { getJob: getJob() }, metrics }))
  .handler(async (event, context) => {
    const id = event.pathParameters?.id ?? ''
    const job = await context.services.getJob.request({ id })
    console.log(`get-job (${context.services.getJob.arn}) answered ${job ? job.status : 'not found'} for ${id}`)
    return job
      ? { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) }
      : { statusCode: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: `no job ${id}` }) }
  })
