// One Lambda "container": a worker thread with its own module state (and so its own
// cloudmap-middy cache), running one handler of the template for the local app.
import { randomUUID } from 'node:crypto'
import { pathToFileURL } from 'node:url'
import { parentPort, workerData } from 'node:worker_threads'

interface Setup {
  readonly entry: string
  readonly exportName: string
  readonly functionName: string
  readonly arn: string
  readonly timeoutMs: number
  readonly preload: string | undefined
}

interface Invocation {
  readonly id: number
  readonly event: unknown
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>

const setup = workerData as Setup
const port = parentPort
if (!port) throw new Error('function-worker runs as a worker thread')

// The preload first, as `--import` runs before the handler module in Lambda.
const preloaded = setup.preload === undefined ? Promise.resolve() : import(pathToFileURL(setup.preload).href)
const loaded: Promise<Handler> = preloaded
  .then(() => import(pathToFileURL(setup.entry).href))
  .then((module: Record<string, unknown>) => {
    const handler = module[setup.exportName]
    if (typeof handler !== 'function') throw new Error(`${setup.entry} exports no function "${setup.exportName}"`)
    return handler as Handler
  })
// Report a module that fails to load at once (as Lambda's init error would).
loaded.catch((error: Error) => port.postMessage({ id: -1, error: { errorType: error.name, errorMessage: error.message } }))

port.on('message', async ({ id, event }: Invocation) => {
  // Lambda's timeout starts after init: an invocation that waited for the module to load has its full time.
  const handler = await loaded.catch(() => undefined)
  const deadline = Date.now() + setup.timeoutMs
  const context = {
    functionName: setup.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: setup.arn,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${setup.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  }
  try {
    const result = await (handler ?? (await loaded))(event, context)
    port.postMessage({ id, result })
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught))
    port.postMessage({ id, error: { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') } })
  }
})
