import { spawn } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const TARGET = 'Route53AutoNaming_v20170314.DiscoverInstances'

/** Instances by `namespace.service`, by instance id, with their attributes. */
export type Table = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>>

/** Who a DiscoverInstances request asks for. */
export interface DiscoverInput {
  readonly NamespaceName?: string
  readonly ServiceName?: string
}

/** DiscoverInstances' answer, as Cloud Map gives it: `instances` (by instance id) of the service `input` names, all healthy. */
export function discoverAnswer(input: DiscoverInput, instances: Table[string]) {
  return {
    Instances: Object.entries(instances).map(([InstanceId, Attributes]) => ({
      InstanceId,
      NamespaceName: input.NamespaceName,
      ServiceName: input.ServiceName,
      HealthStatus: 'HEALTHY',
      Attributes,
    })),
    InstancesRevision: 1,
  }
}

/** A loopback stand-in for Cloud Map's data plane: DiscoverInstances only, answered after a fixed delay. */
export interface DiscoverServer {
  readonly endpoint: string
  /** DiscoverInstances requests received so far. */
  requests(): Promise<number>
  close(): Promise<void>
}

function reply(response: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload)
  response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(text) })
  response.end(text)
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Starts a server on 127.0.0.1 (a free port) that answers awsJson1_1
 * DiscoverInstances after `delayMs`, as `{"Instances":[...],"InstancesRevision":1}`.
 * An unknown service answers `ServiceNotFound` (400), like Cloud Map.
 */
export async function startDiscoverServer(table: Table, delayMs: number): Promise<DiscoverServer> {
  let requests = 0
  const server = createServer((request, response) => {
    void (async () => {
      const text = await readBody(request)
      if (request.method === 'GET' && request.url === '/__requests') {
        reply(response, 200, { requests })
        return
      }
      if (request.method !== 'POST' || request.headers['x-amz-target'] !== TARGET) {
        reply(response, 400, { __type: 'UnknownOperationException', message: `not ${TARGET}` })
        return
      }
      requests += 1
      const input = JSON.parse(text) as DiscoverInput
      const key = `${input.NamespaceName}.${input.ServiceName}`
      const instances = table[key]
      await new Promise((resolve) => setTimeout(resolve, delayMs))
      if (!instances) {
        reply(response, 400, { __type: 'ServiceNotFound', message: `Service not found: ${key}` })
        return
      }
      reply(response, 200, discoverAnswer(input, instances))
    })().catch((error: unknown) => {
      reply(response, 500, { __type: 'InternalServerError', message: String(error) })
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: async () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/**
 * The same server in a child process, as Cloud Map is not in the caller's process:
 * its parsing and answering do not run on the event loop being measured.
 */
export async function spawnDiscoverServer(table: Table, delayMs: number): Promise<DiscoverServer> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_SERVER_TABLE: JSON.stringify(table), BENCH_SERVER_DELAY_MS: String(delayMs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines = createInterface({ input: child.stdout })
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the Cloud Map stand-in exited (${code}) before listening`)))
    lines.once('line', (line) => resolve((JSON.parse(line) as { endpoint: string }).endpoint))
  })
  return {
    endpoint,
    requests: async () => {
      const response = await fetch(`${endpoint}/__requests`)
      return ((await response.json()) as { requests: number }).requests
    },
    close: async () => {
      lines.close()
      child.kill('SIGTERM')
      await exited
    },
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = JSON.parse(process.env.BENCH_SERVER_TABLE ?? '{}') as Table
  const server = await startDiscoverServer(table, Number(process.env.BENCH_SERVER_DELAY_MS ?? '25'))
  process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`)
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)))
}
