import { createResolver, lambda, queue, topic } from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { awsConfig, queueLambdaResults } from '@cloudmap-middy/moto-harness'
import { beforeEach, describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { z } from 'zod'
import { cloudMap } from '../../src/index.js'
import { lambdaContext, quietLogger, useMoto } from './moto.js'

const moto = useMoto()
const resolver = () =>
  createResolver({
    clientConfig: awsConfig(moto.server.endpoint),
    clients: { config: awsConfig(moto.server.endpoint) },
    logger: quietLogger,
  })

const Job = z.object({ id: z.string(), step: z.number().int() })

beforeEach(() => clearCache())

describe('Integration: call helpers through cloudMap() against moto', () => {
  it('It should send a message to a discovered queue and read it back', async () => {
    // Prepare
    const jobs = await moto.aws.queue('it-jobs')
    await moto.aws.register('it-calls', 'scheduler', 'jobs', { type: 'queue', url: jobs.url, arn: jobs.arn })
    const handler = middy<{ id: string }>()
      .use(cloudMap({ resolver: resolver(), services: { jobs: queue('it-calls.scheduler->jobs', { message: Job }) } }))
      .handler(async (event, context) => {
        await context.services.jobs.send({ id: event.id, step: 1 }, { attributes: { tenant: 'acme', priority: 5 } })
        return context.services.jobs.receive({ max: 1, waitSeconds: 2 })
      })

    // Act
    const [received] = await handler({ id: 'job-1' }, lambdaContext())

    // Assess
    expect(received?.body).toEqual({ id: 'job-1', step: 1 })
    expect(received?.attributes).toEqual({ tenant: 'acme', priority: 5 })
    await received?.ack()
    expect(await moto.aws.drain(jobs.url, 1, 1_500)).toEqual([])
  })

  it('It should publish to a discovered topic and deliver to the subscribed queue', async () => {
    const events = await moto.aws.topic('it-events')
    const inbox = await moto.aws.queue('it-events-inbox')
    await moto.aws.subscribe(events, inbox.arn)
    await moto.aws.register('it-calls', 'events', 'job-events', { type: 'topic', arn: events })
    const handler = middy<{ id: string }>()
      .use(cloudMap({ resolver: resolver(), services: { events: topic('it-calls.events->job-events', { message: Job }) } }))
      .handler(async (event, context) => {
        await context.services.events.publish({ id: event.id, step: 2 }, { subject: 'job.scheduled' })
        await context.services.events.publishBatch([
          { id: `${event.id}-a`, step: 3 },
          { id: `${event.id}-b`, step: 4 },
        ])
      })

    await handler({ id: 'job-2' }, lambdaContext())

    const delivered = await moto.aws.drain(inbox.url, 3)
    expect(delivered.map((m) => JSON.parse(m.Body ?? '')).sort((a, b) => a.step - b.step)).toEqual([
      { id: 'job-2', step: 2 },
      { id: 'job-2-a', step: 3 },
      { id: 'job-2-b', step: 4 },
    ])
  })

  it('It should return the queued result of a discovered Lambda through request()', async () => {
    const arn = await moto.aws.function('it-get-job')
    await moto.aws.register('it-calls', 'scheduler', 'get-job', { type: 'function', arn })
    await queueLambdaResults(moto.server.endpoint, [{ id: 'job-3', step: 7 }])
    const handler = middy<{ id: string }>()
      .use(
        cloudMap({
          resolver: resolver(),
          services: { getJob: lambda('it-calls.scheduler->get-job', { payload: z.object({ id: z.string() }), result: Job }) },
        }),
      )
      .handler(async (event, context) => {
        const job = await context.services.getJob.request({ id: event.id })
        await context.services.getJob.invoke({ id: event.id })
        return job
      })

    expect(await handler({ id: 'job-3' }, lambdaContext())).toEqual({ id: 'job-3', step: 7 })
  })

  it('It should keep FIFO order per message group', async () => {
    const fifo = await moto.aws.queue('it-jobs.fifo', { ContentBasedDeduplication: 'true' })
    await moto.aws.register('it-calls', 'scheduler', 'jobs-fifo', { type: 'sqs', url: fifo.url, arn: fifo.arn })
    const handler = middy()
      .use(cloudMap({ resolver: resolver(), services: { jobs: queue('it-calls.scheduler->jobs-fifo', { message: Job }) } }))
      .handler(async (_event: unknown, context) => {
        const messages = Array.from({ length: 24 }, (_, i) => ({ id: i % 2 === 0 ? 'even' : 'odd', step: i }))
        await context.services.jobs.sendBatch(messages, (message) => ({ groupId: message.id }))
      })

    await handler({}, lambdaContext())

    const delivered = (await moto.aws.drain(fifo.url, 24)).map((m) => JSON.parse(m.Body ?? '') as z.infer<typeof Job>)
    expect(delivered).toHaveLength(24)
    for (const group of ['even', 'odd']) {
      const steps = delivered.filter((m) => m.id === group).map((m) => m.step)
      expect(steps).toEqual([...steps].sort((a, b) => a - b))
      expect(steps).toHaveLength(12)
    }
  })
})
