// The bootstrap of one Lambda environment, as the Node.js runtime interface client behaves:
// `await import()` of the handler module (so a top-level await in it delays the runtime's first
// /invocation/next, and an extension registered there is in time), then the loop
// next -> handler -> response or error, against AWS_LAMBDA_RUNTIME_API. Like the runtime
// client, which posts the response synchronously (a native HTTP client) as soon as the handler's
// promise settles, the response goes on the wire before the event loop's next phase: on a
// kept-alive connection, written in the same turn (a fresh connection would wait for its connect,
// letting work scheduled after the response, with setImmediate, run before it).
// Plain JavaScript: a bundled handler (.js, .mjs) loads with no loader hooks, as in Lambda, where
// they would slow every import of its init; a TypeScript handler or preload (the examples'
// sources) loads through tsx.
import { Agent, request } from 'node:http'
import { pathToFileURL } from 'node:url'

const [entry = '', exportName = 'handler', preload] = process.argv.slice(2)
const api = process.env.AWS_LAMBDA_RUNTIME_API ?? ''
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local'
// One connection, kept alive between calls, as the runtime client's own agent does.
const agent = new Agent({ keepAlive: true, maxSockets: 1 })

/**
 * @param {'GET' | 'POST'} method
 * @param {string} path
 * @param {string} [body]
 * @returns {Promise<{ headers: import('node:http').IncomingHttpHeaders; body: string }>}
 */
function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const [host, port] = api.split(':')
    const sent = request({ host, port: Number(port), method, path, agent }, (response) => {
      /** @type {Buffer[]} */
      const chunks = []
      response.on('data', (chunk) => chunks.push(chunk))
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }))
      response.on('error', reject)
    })
    sent.on('error', reject)
    sent.end(body)
  })
}

/** @param {unknown} caught */
function errorPayload(caught) {
  const error = caught instanceof Error ? caught : new Error(String(caught))
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') })
}

/** @type {(event: unknown, context: unknown) => Promise<unknown>} */
let handler
try {
  if ([entry, preload].some((path) => path !== undefined && /\.[cm]?tsx?$/.test(path))) (await import('tsx/esm/api')).register()
  // The preload first, as `--import` runs before the handler module in Lambda.
  if (preload) await import(pathToFileURL(preload).href)
  const module = await import(pathToFileURL(entry).href)
  const found = module[exportName]
  if (typeof found !== 'function') throw new Error(`${entry} exports no function "${exportName}"`)
  handler = found
} catch (error) {
  await call('POST', '/2018-06-01/runtime/init/error', errorPayload(error))
  process.exit(1)
}

for (;;) {
  const next = await call('GET', '/2018-06-01/runtime/invocation/next')
  const requestId = String(next.headers['lambda-runtime-aws-request-id'])
  const deadline = Number(next.headers['lambda-runtime-deadline-ms'])
  // As the runtime client does for each invocation: X-Ray (Powertools Tracer) reads the trace from here.
  const traceId = next.headers['lambda-runtime-trace-id']
  if (typeof traceId === 'string' && traceId !== '') process.env._X_AMZN_TRACE_ID = traceId
  else delete process.env._X_AMZN_TRACE_ID
  const context = {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: String(next.headers['lambda-runtime-invoked-function-arn']),
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  }
  try {
    const result = await handler(JSON.parse(next.body), context)
    await call('POST', `/2018-06-01/runtime/invocation/${requestId}/response`, JSON.stringify(result ?? null))
  } catch (error) {
    await call('POST', `/2018-06-01/runtime/invocation/${requestId}/error`, errorPayload(error))
  }
}
