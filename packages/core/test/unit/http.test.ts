import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { z } from 'zod'
import { AttributeValidationError, HttpRequestError, InstanceTypeMismatchError } from '../../src/errors.js'
import { createResolver } from '../../src/index.js'
import { http } from '../../src/kinds/http.js'
import { type StaticTable, staticRegistry } from '../../src/testing/index.js'

const warnings: string[] = []
const logger = { warn: (message: string) => void warnings.push(message) }
/** Every request the servers saw, as `<server> <method> <path>`. */
const hits: string[] = []
const servers: Server[] = []

async function serve(name: string, handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<number> {
  const server = createServer((request, response) => {
    hits.push(`${name} ${request.method} ${request.url}`)
    handle(request, response)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const echo = (name: string) => (request: IncomingMessage, response: ServerResponse) => {
  response.setHeader('content-type', 'application/json')
  response.end(JSON.stringify({ server: name, method: request.method, path: request.url }))
}

let live: number
let unavailable: number
let hanging: number
let refused: number

beforeAll(async () => {
  live = await serve('live', echo('live'))
  unavailable = await serve('unavailable', (_, response) => {
    response.statusCode = 503
    response.end('overloaded')
  })
  hanging = await serve('hanging', () => undefined)
  // A port that was just released: connecting to it is refused.
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  refused = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
})

afterAll(async () => {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    ),
  )
})

beforeEach(() => {
  hits.length = 0
  warnings.length = 0
})

const at = (port: number, path = '') => ({ type: 'http', url: `http://127.0.0.1:${port}${path}` })
const resolverFor = (instances: StaticTable[string]) => createResolver({ registry: staticRegistry({ 'prod.orders': instances }), logger })
/** The first registered instance is selected, so failover order is the registry's. */
const api = (options: Parameters<typeof http>[1] = {}) => http('prod.orders', { pick: 'first', ...options })

describe('Function: http', () => {
  it('It should take the base URL from the url attribute and keep its path prefix', async () => {
    // Prepare
    const orders = await resolverFor({ a: at(live, '/api/v1') }).resolve(api())

    // Act
    const bodies = [await orders.fetch('/orders?state=open'), await orders.fetch('orders/42'), await orders.fetch('')]

    // Assess
    expect(orders.url).toBe(`http://127.0.0.1:${live}/api/v1`)
    expect(await Promise.all(bodies.map((response) => response.json()))).toEqual([
      { server: 'live', method: 'GET', path: '/api/v1/orders?state=open' },
      { server: 'live', method: 'GET', path: '/api/v1/orders/42' },
      { server: 'live', method: 'GET', path: '/api/v1/' },
    ])
  })

  it('It should build the base URL from AWS_INSTANCE_IPV4 and AWS_INSTANCE_PORT, or a CNAME without a port', async () => {
    // Prepare
    const resolver = resolverFor({
      task: { type: 'http', AWS_INSTANCE_IPV4: '127.0.0.1', AWS_INSTANCE_PORT: String(live) },
      host: { type: 'http', AWS_INSTANCE_CNAME: 'orders.internal' },
    })

    // Act
    const task = await resolver.resolve(http('prod.orders->task'))
    const host = await resolver.resolve(http('prod.orders->host'))
    const response = await task.fetch('//health', { method: 'HEAD' })

    // Assess
    expect(task.url).toBe(`http://127.0.0.1:${live}`)
    expect(host.url).toBe('http://orders.internal')
    expect(response.status).toBe(200)
    expect(hits).toEqual(['live HEAD /health'])
  })

  it('It should fail a GET over from a refused port to the next instance', async () => {
    // Prepare
    const orders = await resolverFor({ down: at(refused), up: at(live) }).resolve(api())

    // Act
    const response = await orders.fetch('/orders')

    // Assess
    expect(orders.instanceId).toBe('down')
    expect(await response.json()).toEqual({ server: 'live', method: 'GET', path: '/orders' })
  })

  it('It should fail a GET over after a 503, to the instances after the selected one, then the ones before', async () => {
    // Prepare
    const resolver = resolverFor({ up: at(live), busy: at(unavailable), down: at(refused) })
    const dependency = api({ pick: 'round-robin' })
    await resolver.resolve(dependency)
    const orders = await resolver.resolve(dependency)

    // Act
    const response = await orders.fetch('/orders')

    // Assess
    expect(orders.instanceId).toBe('busy')
    expect(await response.json()).toMatchObject({ server: 'live' })
    expect(hits).toEqual(['unavailable GET /orders', 'live GET /orders'])
  })

  it('It should not fail over from an address pinned to one instance', async () => {
    // Prepare
    const orders = await resolverFor({ busy: at(unavailable), up: at(live) }).resolve(http('prod.orders->busy'))

    // Act
    const response = await orders.fetch('/orders')

    // Assess
    expect(response.status).toBe(503)
    expect(hits).toEqual(['unavailable GET /orders'])
  })

  it('It should not retry a POST after a 503, and return that response', async () => {
    // Prepare
    const orders = await resolverFor({ busy: at(unavailable), up: at(live) }).resolve(api())

    // Act
    const response = await orders.fetch('/orders', { method: 'POST', body: JSON.stringify({ id: 1 }) })

    // Assess
    expect(response.status).toBe(503)
    expect(await response.text()).toBe('overloaded')
    expect(hits).toEqual(['unavailable POST /orders'])
  })

  it('It should return the 5xx response of the last instance when every one answers 5xx', async () => {
    // Prepare
    const orders = await resolverFor({ first: at(unavailable), second: at(unavailable) }).resolve(api())

    // Act
    const response = await orders.fetch('/orders')

    // Assess
    expect(response.status).toBe(503)
    expect(hits).toEqual(['unavailable GET /orders', 'unavailable GET /orders'])
  })

  it('It should time out on a hanging instance and fail over', async () => {
    // Prepare
    const orders = await resolverFor({ stuck: at(hanging), up: at(live) }).resolve(api({ timeoutMs: 100 }))
    const started = Date.now()

    // Act
    const response = await orders.fetch('/orders')

    // Assess
    expect(await response.json()).toMatchObject({ server: 'live' })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(hits).toEqual(['hanging GET /orders', 'live GET /orders'])
  })

  it('It should throw an HttpRequestError naming every instance tried when none answers', async () => {
    // Prepare
    const orders = await resolverFor({ busy: at(unavailable), stuck: at(hanging), down: at(refused) }).resolve(api())

    // Act
    const error = await orders.fetch('/orders', { timeoutMs: 100 }).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(HttpRequestError)
    expect(error).toMatchObject({ attempts: ['busy', 'stuck', 'down'], status: 503 })
    expect((error as HttpRequestError).message).toContain('instances tried: busy, stuck, down')
  })

  it("It should rethrow the caller's abort as is, without failover", async () => {
    // Prepare
    const orders = await resolverFor({ stuck: at(hanging), up: at(live) }).resolve(api())
    const controller = new AbortController()
    const reason = new Error('handler out of time')

    // Act
    const pending = orders.fetch('/orders', { signal: controller.signal })
    setTimeout(() => controller.abort(reason), 50)

    // Assess
    await expect(pending).rejects.toBe(reason)
    expect(hits).toEqual(['hanging GET /orders'])
  })

  it('It should refuse an instance without url or IP address, or with a bad one', async () => {
    // Prepare
    const resolver = resolverFor({
      bare: { type: 'http', AWS_INSTANCE_PORT: '8080' },
      ftp: { type: 'http', url: 'ftp://files.internal' },
      ip: { type: 'http', AWS_INSTANCE_IPV4: '10.0.0.300' },
    })

    // Act
    const errors = await Promise.all(
      ['bare', 'ftp', 'ip'].map((id) => resolver.resolve(http(`prod.orders->${id}`)).catch((caught: unknown) => caught)),
    )

    // Assess
    for (const error of errors) expect(error).toBeInstanceOf(AttributeValidationError)
    expect((errors[0] as AttributeValidationError).issues.map((issue) => issue.path)).toEqual([
      ['url'],
      ['AWS_INSTANCE_IPV4'],
      ['AWS_INSTANCE_CNAME'],
    ])
    expect((errors[1] as AttributeValidationError).message).toContain('not an http or https URL')
    expect((errors[2] as AttributeValidationError).issues[0]?.path).toEqual(['AWS_INSTANCE_IPV4'])
  })

  it('It should validate the attributes with their schema', async () => {
    // Prepare
    const resolver = resolverFor({ a: { ...at(live), version: '2' } })

    // Act
    const orders = await resolver.resolve(http('prod.orders', { attributes: z.object({ version: z.coerce.number() }) }))

    // Assess
    expect(orders.attributes).toEqual({ version: 2 })
  })

  it('It should refuse an instance registered as a queue', async () => {
    // Prepare
    const resolver = resolverFor({ q: { type: 'queue', url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' } })

    // Act
    const error = await resolver.resolve(http('prod.orders')).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(InstanceTypeMismatchError)
    expect(error).toMatchObject({ expected: 'http', actual: 'queue' })
  })
})
