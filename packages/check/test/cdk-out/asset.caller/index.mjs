// A handler as the CDK CLI stages it (the function's aws:asset:path): built JavaScript.
import { lambda } from '@cloudmap-middy/core'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'

export const handler = middy()
  .use(cloudMap({ services: { getJob: lambda('dev.scheduler->get-job') } }))
  .handler(async (_event, context) => context.services.getJob.request({ id: '1' }))
