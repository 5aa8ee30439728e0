// The real Powertools Tracer in a Lambda-like process of its own (X-Ray patches http/https for the whole process),
// against a stand-in X-Ray daemon (a UDP socket collecting segment documents) and a stand-in AWS (Cloud Map, Lambda).
import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'

const here = dirname(fileURLToPath(import.meta.url))
const T1 = '1-67f0a6b0-0123456789abcdef01234567'
const T2 = '1-67f0a6b1-0123456789abcdef01234568'
const traceHeader = (root: string) => `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`

/** One subsegment as the daemon got it, flattened with the trace it belongs to. */
interface Subsegment {
  readonly name: string
  readonly traceId: string
  readonly namespace?: string
  readonly operation?: string
}

/** What the stand-in AWS was asked: the API and the trace header it came with. */
interface AwsRequest {
  readonly api: string
  readonly traceHeader: string | undefined
}

const requests: AwsRequest[] = []
const documents: Record<string, unknown>[] = []
let output = ''
let daemon: Socket
let aws: Server
let child: ChildProcess
let exited: Promise<number | null>

/** The instance registered for each service: `prod.scheduler->get-job`, `prod.orders->pricing`, `prod.config->flags`. */
const registered: Record<string, string> = { scheduler: 'get-job', orders: 'pricing', config: 'flags' }

function answer(request: IncomingMessage, body: string): { body: unknown; api: string } {
  const target = request.headers['x-amz-target']
  if (typeof target === 'string' && target.endsWith('.DiscoverInstances')) {
    const service = (JSON.parse(body) as { ServiceName: string }).ServiceName
    const id = registered[service] ?? 'none'
    const arn = `arn:aws:lambda:us-east-1:123456789012:function:${id}`
    return {
      body: { Instances: [{ InstanceId: id, NamespaceName: 'prod', ServiceName: service, Attributes: { type: 'lambda', arn } }] },
      api: 'DiscoverInstances',
    }
  }
  return { body: { ok: true }, api: 'Invoke' }
}

/** Every subsegment in the documents, nested ones included. */
function subsegments(): Subsegment[] {
  const found: Subsegment[] = []
  const walk = (node: Record<string, unknown>, traceId: string) => {
    const aws = node.aws as { operation?: string } | undefined
    found.push({
      name: String(node.name),
      traceId,
      ...(typeof node.namespace === 'string' ? { namespace: node.namespace } : {}),
      ...(aws?.operation ? { operation: aws.operation } : {}),
    })
    for (const child of (node.subsegments as Record<string, unknown>[] | undefined) ?? []) walk(child, traceId)
  }
  for (const document of documents) walk(document, String(document.trace_id))
  return found
}

/** Resolves when `condition` holds after a message from the daemon or the child; rejects when the child exits first. */
function when(condition: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!condition()) return
      daemon.off('message', check)
      child.stdout?.off('data', check)
      resolve()
    }
    daemon.on('message', check)
    child.stdout?.on('data', check)
    exited.then((code) => reject(new Error(`the Lambda process exited (${code}) before ${what}:\n${output}`)))
    check()
  })
}

beforeAll(async () => {
  daemon = createSocket('udp4')
  daemon.on('message', (message) => {
    // A document is a header line, then the segment or subsegment.
    const [, body] = message.toString('utf8').split('\n')
    if (body) documents.push(JSON.parse(body) as Record<string, unknown>)
  })
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve))
  aws = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const { body, api } = answer(request, Buffer.concat(chunks).toString('utf8'))
      const header = request.headers['x-amzn-trace-id']
      requests.push({ api, traceHeader: typeof header === 'string' ? header : undefined })
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
      response.end(JSON.stringify(body))
    })
  })
  await new Promise<void>((resolve) => aws.listen(0, '127.0.0.1', resolve))

  const { NODE_OPTIONS: _, ...inherited } = process.env
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(here, '../fixtures/xray-lambda.ts'),
      JSON.stringify([
        { handler: 'pricingHandler', traceId: traceHeader(T1) },
        { handler: 'handler', traceId: traceHeader(T2) },
      ]),
    ],
    {
      cwd: join(here, '../..'),
      env: {
        ...inherited,
        // As Lambda sets them for a function with active tracing, before any invocation (no _X_AMZN_TRACE_ID yet).
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        AWS_LAMBDA_FUNCTION_NAME: 'orders',
        LAMBDA_TASK_ROOT: '/var/task',
        _HANDLER: 'index.handler',
        AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
        AWS_ENDPOINT_URL: `http://127.0.0.1:${(aws.address() as AddressInfo).port}`,
        AWS_SAM_LOCAL: '',
        _X_AMZN_TRACE_ID: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  exited = new Promise((resolve) => child.on('exit', resolve))
  child.stdout?.on('data', (data: Buffer) => {
    output += data.toString('utf8')
  })
  child.stderr?.on('data', (data: Buffer) => {
    output += data.toString('utf8')
  })
  // Every document is in once both handler subsegments (the last to close in each invocation) came.
  await when(
    () => output.includes('done\n') && subsegments().filter((s) => s.name === '## index.handler').length === 2,
    'both invocations were traced',
  )
}, 60_000)

afterAll(async () => {
  child?.kill()
  await exited
  daemon?.close()
  await new Promise((resolve) => aws?.close(resolve))
})

describe('X-Ray: cloudMap({ awsClientCapture }) with Powertools Tracer', () => {
  it('It should log no X-Ray error at a cold start, its prefetches untraced, with awsClientCapture or without', () => {
    // Assess: both prefetches (a middleware with a capture, one without) asked Cloud Map, marked as not traced, and nothing complained.
    expect(output).not.toMatch(/Missing AWS Lambda trace data|Error/)
    expect(requests.filter((r) => !r.traceHeader?.startsWith('Root='))).toEqual([
      { api: 'DiscoverInstances', traceHeader: 'Sampled=0' },
      { api: 'DiscoverInstances', traceHeader: 'Sampled=0' },
    ])
    expect(subsegments().filter((s) => s.traceId !== T1 && s.traceId !== T2)).toEqual([])
  })

  it("It should trace DiscoverInstances of a cold key and the call in the cold invocation's trace", () => {
    const traced = subsegments().filter((s) => s.traceId === T1)
    expect(traced).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'ServiceDiscovery', namespace: 'aws', operation: 'DiscoverInstances' }),
        expect.objectContaining({ name: 'Lambda', namespace: 'aws', operation: 'Invoke' }),
      ]),
    )
    expect(requests.filter((r) => r.traceHeader?.startsWith(`Root=${T1};`)).map((r) => r.api)).toEqual(['DiscoverInstances', 'Invoke'])
  })

  it('It should trace the call of a warm invocation, with no DiscoverInstances (its key was prefetched)', () => {
    const traced = subsegments().filter((s) => s.traceId === T2)
    expect(traced.filter((s) => s.namespace === 'aws').map((s) => s.name)).toEqual(['Lambda'])
    expect(requests.filter((r) => r.traceHeader?.startsWith(`Root=${T2};`)).map((r) => r.api)).toEqual(['Invoke'])
  })
})
