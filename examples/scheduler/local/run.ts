// The scheduler, end to end on this machine: moto stands in for AWS, the template's
// functions run as local Lambdas, and the scenario is driven over the local HTTP API.
//   pnpm demo                       (from the repository root)
// With DEMO_REPORT=<file>, the outcome is also written there as JSON (the CI test reads it).
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type LocalApp, startLocalApp, type Trace } from '@cloudmap-middy/sam-local'

const started = performance.now()
const counts = { discover: 0, hits: 0, misses: 0, stale: 0 }
/** The functions' metrics, summed from the EMF lines their logMetrics printed: name -> { unit, values }. */
const metrics = new Map<string, { unit: string; count: number; sum: number }>()
/** The functions' spans (local/otel.ts prints one line per span), by name and cache outcome. */
const spans = new Map<string, { count: number; totalMs: number }>()

/** Takes in an EMF document (Powertools Metrics) or a span line; true when the line was one. */
function collect(message: string): boolean {
  if (message.startsWith('otel span ')) {
    const span = JSON.parse(message.slice('otel span '.length)) as { name: string; attributes: Record<string, unknown>; durationMs: number }
    const key = `${span.name} (${span.attributes['cloudmap_middy.cache.outcome'] ?? '-'}, ${span.attributes['cloudmap_middy.refresh.outcome'] ?? '-'})`
    const seen = spans.get(key) ?? { count: 0, totalMs: 0 }
    spans.set(key, { count: seen.count + 1, totalMs: seen.totalMs + span.durationMs })
    return true
  }
  if (!message.startsWith('{"_aws"')) return false
  const emf = JSON.parse(message) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] } } & Record<
    string,
    unknown
  >
  for (const { Name, Unit } of emf._aws.CloudWatchMetrics.flatMap((set) => set.Metrics)) {
    const values = ([] as number[]).concat(emf[Name] as number | number[])
    const seen = metrics.get(Name) ?? { unit: Unit, count: 0, sum: 0 }
    metrics.set(Name, { unit: Unit, count: seen.count + values.length, sum: seen.sum + values.reduce((a, b) => a + b, 0) })
  }
  return true
}

const trace: Trace = (source, message) => {
  if (collect(message)) return
  if (message.includes('cloudmap-middy: discovered')) counts.discover += 1
  if (message.includes('cloudmap-middy: cache hit')) counts.hits += 1
  if (message.includes('cloudmap-middy: cache miss')) counts.misses += 1
  if (message.includes('cloudmap-middy: stale answer served')) counts.stale += 1
  const at = `${Math.round(performance.now() - started)}`.padStart(6)
  console.log(`${at} ms  ${source.padEnd(16)} ${message.replace(/^cloudmap-middy: /, 'cloud map: ')}`)
}

const step = (title: string) => console.log(`\n── ${title}`)

/** The job bus of the Stage the scenario runs (dev), as both templates name it. */
const JOB_BUS = 'scheduler-dev'

async function call(app: LocalApp, method: string, path: string, body?: unknown) {
  const response = await fetch(`${app.apiUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  const text = await response.text()
  trace('client', `${method} ${path} -> ${response.status} ${text}`)
  return { status: response.status, body: text ? JSON.parse(text) : undefined }
}

async function main(): Promise<number> {
  // DEMO_TEMPLATE: the same app from another template (cdk/local.ts writes the CDK app's).
  const templatePath = process.env.DEMO_TEMPLATE ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'template.yaml')
  step(`provision ${process.env.DEMO_TEMPLATE ?? 'template.yaml'} into moto and start the functions`)
  const preload = join(dirname(fileURLToPath(import.meta.url)), 'otel.ts')
  const app = await startLocalApp({ templatePath, trace, preload })
  const stopOnSignal = () => {
    trace('demo', 'interrupted: stopping every process it started')
    app.stop().finally(() => process.exit(130))
  }
  process.once('SIGINT', stopOnSignal)
  process.once('SIGTERM', stopOnSignal)

  try {
    // Local only: a rule on the job bus sends the scheduler's events to a queue, to show them arrive.
    step('a rule on the job bus (local only), to watch its events')
    const watched = await app.aws.queue('job-bus-watch')
    await app.aws.routeEvents(JOB_BUS, ['scheduler'], watched.arn)
    trace('events', `rule ${JOB_BUS} (source scheduler) -> queue ${watched.name}`)

    step('POST /jobs (schedule-job: zod check, table, FIFO queue, topic)')
    const scheduled = await call(app, 'POST', '/jobs', { name: 'nightly-report' })
    const id = String(scheduled.body?.id ?? '')

    step('POST /jobs with a bad body (rejected before anything is sent)')
    const rejected = await call(app, 'POST', '/jobs', { name: '' })

    step('the worker receives the job from the queue, runs it and puts Job Done on the bus')
    let job: { status?: string } | undefined
    for (let i = 0; id !== '' && i < 40 && job?.status !== 'done'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250))
      step(`GET /jobs/${id} (jobs-api -> Cloud Map -> get-job, Lambda to Lambda)`)
      job = (await call(app, 'GET', `/jobs/${id}`)).body
    }

    step('GET an unknown job')
    const missing = await call(app, 'GET', '/jobs/no-such-job')

    step(`the events the rule delivered from ${JOB_BUS}`)
    const events = (await app.aws.drain(watched.url, 1)).map((message) => {
      const event = JSON.parse(message.Body ?? '{}')
      trace('events', `${event.source} ${event['detail-type']} ${JSON.stringify(event.detail)} -> ${watched.name}`)
      return { source: event.source, detailType: event['detail-type'], detail: event.detail }
    })

    step('metrics (Powertools EMF, as logMetrics flushed them; summed over the functions)')
    for (const [name, { unit, count, sum }] of [...metrics].sort(([a], [b]) => a.localeCompare(b)))
      console.log(`  ${name.padEnd(28)} ${String(sum).padStart(6)} ${unit.padEnd(12)} (${count} values)`)
    step('spans (OpenTelemetry, in-memory per function: name, cache outcome, refresh outcome)')
    for (const [key, { count, totalMs }] of spans) console.log(`  ${key.padEnd(64)} ×${count}  ${totalMs} ms in all`)

    const outcome = {
      scheduled: { status: scheduled.status, id },
      rejected: rejected.status,
      job,
      missing: missing.status,
      events,
      registered: app.registered,
      cloudMap: counts,
      metrics: Object.fromEntries([...metrics].map(([name, { sum }]) => [name, sum])),
      spans: Object.fromEntries([...spans].map(([key, { count }]) => [key, count])),
    }
    step('outcome')
    console.log(JSON.stringify(outcome, null, 2))
    if (process.env.DEMO_REPORT) writeFileSync(process.env.DEMO_REPORT, JSON.stringify(outcome))
    const ok =
      scheduled.status === 202 &&
      rejected.status === 400 &&
      job?.status === 'done' &&
      missing.status === 404 &&
      events.some((event) => event.detailType === 'Job Done' && event.detail?.jobId === id)
    console.log(ok ? '\ndemo: the scenario passed' : '\ndemo: the scenario FAILED')
    return ok ? 0 : 1
  } finally {
    step('stop')
    await app.stop()
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`demo failed: ${error.stack ?? error.message}`)
    process.exit(1)
  },
)
