// Runs a SAM template locally: its resources provisioned into moto, its functions in
// child processes behind a local Lambda Invoke endpoint (each with its own Runtime and
// Extensions API, frozen between invocations as Lambda freezes them), its HTTP API routes and SQS
// event sources wired to them. Only what the examples use is emulated.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { dirname, join } from 'node:path'
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs'
import { ACCOUNT, awsConfig, MotoResources, type MotoServer, REGION, startMoto } from '@cloudmap-middy/moto-harness'
import { FunctionFailure, LambdaEnvironment } from './lambda-environment.js'
import { loadTemplate, type Resource, TemplateResolver } from './template.js'

/** Writes one line of the trace. */
export type Trace = (source: string, message: string) => void

export interface FunctionHost {
  readonly logicalId: string
  readonly name: string
  readonly arn: string
  /** Its execution environment: `freeze` / `thaw` events, the extensions registered. */
  readonly environment: LambdaEnvironment
  invoke(event: unknown): Promise<unknown>
  stop(): Promise<void>
}

interface Route {
  readonly method: string
  readonly pattern: RegExp
  readonly path: string
  readonly names: readonly string[]
  readonly fn: FunctionHost
}

/** A template running locally. */
export interface LocalApp {
  readonly apiUrl: string
  readonly lambdaEndpoint: string
  readonly moto: MotoServer
  readonly aws: MotoResources
  readonly functions: ReadonlyMap<string, FunctionHost>
  /** Namespace, service and instance ids registered in Cloud Map. */
  readonly registered: readonly string[]
  stop(): Promise<void>
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      resolve(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`)
    })
  })
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

const functionArn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`

async function startFunction(
  logicalId: string,
  name: string,
  entry: string,
  exportName: string,
  timeoutMs: number,
  env: Record<string, string>,
  trace: Trace,
  preload: string | undefined,
): Promise<FunctionHost> {
  const arn = functionArn(name)
  const environment = await LambdaEnvironment.start({
    entry,
    exportName,
    functionName: name,
    arn,
    timeoutMs,
    env,
    log: (line) => trace(name, line),
    ...(preload === undefined ? {} : { preload }),
  })
  environment.on('extension', (extension, events) => trace(name, `extension ${extension} registered (${events.join(', ')})`))
  return {
    logicalId,
    name,
    arn,
    environment,
    invoke: (event) => environment.invoke(event),
    stop: () => environment.stop(),
  }
}

/** The local Lambda Invoke API: `POST /2015-03-31/functions/{name or ARN}/invocations`. */
function lambdaApi(functions: Map<string, FunctionHost>, trace: Trace): Server {
  return createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '')
    const target = match ? decodeURIComponent(match[1] ?? '') : ''
    const fn = [...functions.values()].find((f) => f.name === target || f.arn === target)
    const body = await readBody(request)
    if (!fn) {
      response.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' })
      response.end(JSON.stringify({ message: `Function not found: ${target}` }))
      return
    }
    const event = body === '' ? {} : JSON.parse(body)
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse')
    const started = performance.now()
    trace('lambda', `Invoke ${fn.name} (${type}) ${body.slice(0, 120)}`)
    if (type === 'Event') {
      response.writeHead(202).end()
      fn.invoke(event).catch((error: Error) => trace('lambda', `${fn.name} (Event) failed: ${error.message}`))
      return
    }
    try {
      const result = await fn.invoke(event)
      const text = JSON.stringify(result ?? null)
      trace('lambda', `${fn.name} answered in ${Math.round(performance.now() - started)} ms: ${text.slice(0, 160)}`)
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' }).end(text)
    } catch (error) {
      const payload = error instanceof FunctionFailure ? error.payload : { errorType: 'Error', errorMessage: String(error) }
      trace('lambda', `${fn.name} failed (Unhandled): ${payload.errorType}: ${payload.errorMessage}`)
      response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' }).end(JSON.stringify(payload))
    }
  })
}

/** The local HTTP API: each route calls its function with an API Gateway v2 event. */
function httpApi(routes: readonly Route[], trace: Trace): Server {
  return createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    const route = routes.find((r) => r.method === request.method && r.pattern.test(url.pathname))
    const body = await readBody(request)
    if (!route) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}')
      return
    }
    const values = route.pattern.exec(url.pathname)?.slice(1) ?? []
    const event = {
      version: '2.0',
      routeKey: `${route.method} ${route.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])),
      pathParameters: Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(values[i] ?? '')])),
      requestContext: { http: { method: route.method, path: url.pathname }, routeKey: `${route.method} ${route.path}`, stage: '$default' },
      body,
      isBase64Encoded: false,
    }
    trace('http-api', `${request.method} ${url.pathname} -> ${route.fn.name}`)
    try {
      const result = (await route.fn.invoke(event)) as { statusCode?: number; headers?: Record<string, string>; body?: string }
      response.writeHead(result?.statusCode ?? 200, result?.headers ?? {}).end(result?.body ?? '')
    } catch (error) {
      trace('http-api', `${route.fn.name} failed: ${(error as Error).message}`)
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}')
    }
  })
}

/** Polls a queue as Lambda's SQS event source does, deleting only what the function did not report as failed. */
function pollQueue(
  aws: MotoResources,
  queue: { url: string; arn: string },
  fn: FunctionHost,
  batchSize: number,
  trace: Trace,
  signal: AbortSignal,
): Promise<void> {
  return (async () => {
    while (!signal.aborted) {
      const { Messages = [] } = await aws.sqs
        .send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
          { abortSignal: signal },
        )
        .catch(() => ({ Messages: [] }))
      if (Messages.length === 0 || signal.aborted) continue
      const event = {
        Records: Messages.map((m) => ({
          messageId: m.MessageId,
          receiptHandle: m.ReceiptHandle,
          body: m.Body,
          attributes: m.Attributes ?? {},
          messageAttributes: {},
          md5OfBody: m.MD5OfBody,
          eventSource: 'aws:sqs',
          eventSourceARN: queue.arn,
          awsRegion: REGION,
        })),
      }
      trace('sqs', `${Messages.length} message(s) from ${queue.url.split('/').pop()} -> ${fn.name}`)
      let failed = new Set<string>(Messages.map((m) => m.MessageId ?? ''))
      try {
        const result = (await fn.invoke(event)) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined
        failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier))
      } catch (error) {
        trace('sqs', `${fn.name} failed, the batch returns to the queue: ${(error as Error).message}`)
      }
      const done = Messages.filter((m) => !failed.has(m.MessageId ?? ''))
      if (done.length > 0) {
        await aws.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.url,
            Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        )
      }
      trace('sqs', `${fn.name} done: ${done.length} deleted, ${failed.size} left for redelivery`)
    }
  })()
}

const str = (value: unknown) => (value === undefined ? undefined : String(value))

/**
 * Starts moto, provisions the template's resources into it (reading template.yaml,
 * resolving !Ref / !GetAtt / !Sub), and serves its functions, HTTP API and queues.
 */
export async function startLocalApp(options: {
  templatePath: string
  parameters?: Record<string, string>
  trace: Trace
  /** A module each function's worker imports before its handler (as `NODE_OPTIONS=--import` would in Lambda): an OpenTelemetry setup, typically. */
  preload?: string
}): Promise<LocalApp> {
  const { templatePath, trace } = options
  const template = loadTemplate(templatePath)
  const root = dirname(templatePath)
  const given = { ...options.parameters }
  const parameters = Object.fromEntries(
    Object.entries(template.Parameters ?? {}).map(([name, p]) => {
      const text = String(given[name] ?? p.Default ?? '')
      return [name, p.Type === 'CommaDelimitedList' ? (text === '' ? [''] : text.split(',')) : text]
    }),
  )
  const resolver = new TemplateResolver(
    { ...parameters, 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': 'local' },
    template.Conditions,
  )

  const moto = await startMoto()
  trace('moto', `moto_server pid ${moto.pid} on ${moto.endpoint}`)
  const aws = new MotoResources(moto.endpoint)
  const dynamo = new DynamoDBClient(awsConfig(moto.endpoint))
  const functions = new Map<string, FunctionHost>()
  const routes: Route[] = []
  const servers: Server[] = []
  const polling = new AbortController()
  const pollers: Promise<void>[] = []
  const registered: string[] = []
  /** Each function's start, in template order, run once every resource is created. */
  const starts: Array<() => Promise<void>> = []
  const namespaces = new Map<string, string>()
  const services = new Map<string, { namespace: string; name: string }>()
  const queues = new Map<string, { url: string; arn: string }>()

  const stop = async () => {
    polling.abort()
    await Promise.allSettled(pollers)
    await Promise.allSettled([...functions.values()].map((fn) => fn.stop()))
    await Promise.allSettled(servers.map(close))
    await moto.stop()
    trace('moto', `stopped pid ${moto.pid}`)
  }

  try {
    const lambdaServer = lambdaApi(functions, trace)
    servers.push(lambdaServer)
    const lambdaEndpoint = await listen(lambdaServer)
    const apiServer = httpApi(routes, trace)
    servers.push(apiServer)
    const apiUrl = await listen(apiServer)

    const globals = resolver.resolve(template.Globals?.Function ?? {}) as Record<string, unknown>
    const create: Record<string, (logicalId: string, props: Record<string, unknown>) => Promise<void>> = {
      'AWS::ServiceDiscovery::HttpNamespace': async (logicalId, props) => {
        const name = String(props.Name)
        const id = await aws.namespace(name)
        namespaces.set(id, name)
        resolver.provided.set(logicalId, {
          ref: id,
          attributes: { Id: id, Arn: `arn:aws:servicediscovery:${REGION}:${ACCOUNT}:namespace/${id}` },
        })
        trace('cloudmap', `namespace ${name} (${id})`)
      },
      'AWS::ServiceDiscovery::Service': async (logicalId, props) => {
        const namespace = namespaces.get(String(props.NamespaceId)) ?? String(props.NamespaceId)
        const name = String(props.Name)
        const id = await aws.service(namespace, name)
        services.set(id, { namespace, name })
        resolver.provided.set(logicalId, { ref: id, attributes: { Id: id, Name: name } })
      },
      'AWS::SQS::Queue': async (logicalId, props) => {
        const name = String(props.QueueName ?? logicalId)
        const attributes: Record<string, string> = {}
        for (const key of ['FifoQueue', 'ContentBasedDeduplication', 'VisibilityTimeout', 'MessageRetentionPeriod', 'DelaySeconds']) {
          const value = str(props[key])
          if (value !== undefined) attributes[key] = value
        }
        if (props.RedrivePolicy) attributes.RedrivePolicy = JSON.stringify(props.RedrivePolicy)
        const queue = await aws.queue(name, attributes)
        queues.set(queue.arn, queue)
        resolver.provided.set(logicalId, { ref: queue.url, attributes: { Arn: queue.arn, QueueName: name, QueueUrl: queue.url } })
        trace('sqs', `queue ${name}`)
      },
      'AWS::SNS::Topic': async (logicalId, props) => {
        const name = String(props.TopicName ?? logicalId)
        const arn = await aws.topic(name)
        resolver.provided.set(logicalId, { ref: arn, attributes: { TopicArn: arn, TopicName: name } })
        trace('sns', `topic ${name}`)
      },
      'AWS::Events::EventBus': async (logicalId, props) => {
        const name = String(props.Name ?? logicalId)
        const arn = await aws.eventBus(name)
        resolver.provided.set(logicalId, { ref: name, attributes: { Arn: arn, Name: name } })
        trace('events', `event bus ${name}`)
      },
      'AWS::DynamoDB::Table': async (logicalId, props) => {
        const name = String(props.TableName ?? logicalId)
        await dynamo.send(
          new CreateTableCommand({
            TableName: name,
            BillingMode: 'PAY_PER_REQUEST',
            AttributeDefinitions: props.AttributeDefinitions as never,
            KeySchema: props.KeySchema as never,
          }),
        )
        resolver.provided.set(logicalId, { ref: name, attributes: { Arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}` } })
        trace('dynamodb', `table ${name}`)
      },
      'AWS::Serverless::Function': async (logicalId, props) => {
        const merged = { ...globals, ...props } as Record<string, unknown>
        const name = String(merged.FunctionName ?? logicalId)
        const [module, exportName] = String(merged.Handler).split(/\.(?=[^.]+$)/) as [string, string]
        const entry = join(root, String(merged.CodeUri ?? ''), `${module}.ts`)
        const variables = {
          ...((globals.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}),
          ...((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {}),
        }
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? '',
          ...(Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])) as Record<string, string>),
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: 'test',
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint,
          AWS_LAMBDA_FUNCTION_NAME: name,
          AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(merged.MemorySize ?? 128),
          _HANDLER: String(merged.Handler),
          CLOUDMAP_MIDDY_LOG: 'debug',
          NODE_NO_WARNINGS: '1',
        }
        delete env.NODE_OPTIONS
        const timeoutMs = Number(merged.Timeout ?? 3) * 1000
        resolver.provided.set(logicalId, { ref: name, attributes: { Arn: functionArn(name) } })
        starts.push(async () => {
          const fn = await startFunction(logicalId, name, entry, exportName, timeoutMs, env, trace, options.preload)
          functions.set(logicalId, fn)
          trace('lambda', `function ${name} <- ${module}.${exportName}`)
          for (const [, source] of Object.entries(
            (props.Events ?? {}) as Record<string, { Type: string; Properties: Record<string, unknown> }>,
          )) {
            if (source.Type === 'HttpApi') {
              const path = String(source.Properties.Path)
              const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '')
              const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '([^/]+)')}$`)
              routes.push({ method: String(source.Properties.Method).toUpperCase(), path, pattern, names, fn })
              trace('http-api', `route ${String(source.Properties.Method).toUpperCase()} ${path} -> ${name}`)
            } else if (source.Type === 'SQS') {
              const queue = queues.get(String(source.Properties.Queue))
              if (!queue)
                throw new Error(`${logicalId}: SQS event source ${String(source.Properties.Queue)} is not a queue of this template`)
              pollers.push(pollQueue(aws, queue, fn, Number(source.Properties.BatchSize ?? 10), trace, polling.signal))
              trace('sqs', `event source ${queue.url.split('/').pop()} -> ${name}`)
            }
          }
        })
      },
      'AWS::ServiceDiscovery::Instance': async (_logicalId, props) => {
        const service = services.get(String(props.ServiceId))
        if (!service) throw new Error(`instance ${String(props.InstanceId)}: unknown service ${String(props.ServiceId)}`)
        const attributes = Object.fromEntries(
          Object.entries((props.InstanceAttributes ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
        )
        await aws.register(service.namespace, service.name, String(props.InstanceId), attributes)
        const address = `${service.namespace}.${service.name}->${String(props.InstanceId)}`
        registered.push(address)
        trace('cloudmap', `registered ${address} ${JSON.stringify(attributes)}`)
      },
    }

    // Create in dependency order: a resource waits until everything it refers to exists.
    let pending = Object.entries(template.Resources) as Array<[string, Resource]>
    while (pending.length > 0) {
      const waiting: Array<[string, Resource]> = []
      for (const [logicalId, resource] of pending) {
        const make = create[resource.Type]
        if (!make) {
          trace('template', `${logicalId} (${resource.Type}) is not emulated locally`)
          continue
        }
        let props: Record<string, unknown>
        try {
          props = resolver.resolve(resource.Properties ?? {}) as Record<string, unknown>
        } catch {
          waiting.push([logicalId, resource])
          continue
        }
        await make(logicalId, props)
      }
      if (waiting.length === pending.length) throw new Error(`template: cannot resolve ${waiting.map(([id]) => id).join(', ')}`)
      pending = waiting
    }
    // The functions start once every resource exists, as after a deploy: an init never meets a
    // registry still being filled (which the function would cache as not registered for a TTL).
    for (const start of starts) await start()
    return { apiUrl, lambdaEndpoint, moto, aws, functions, registered, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
