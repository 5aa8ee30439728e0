import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { hostname } from 'node:os'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { z } from 'zod'
import {
  AttributeValidationError,
  DisallowedPathError,
  DisallowedTargetError,
  HttpRequestError,
  InstanceTypeMismatchError,
} from '../../src/errors.js'
import { createResolver, type ResolverOptions } from '../../src/index.js'
import { http } from '../../src/kinds/http.js'
import { queue } from '../../src/kinds/queue.js'
import { type StaticTable, staticRegistry } from '../../src/testing/index.js'
import { withEnv } from '../env.js'
import { until } from '../events.js'

const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }
/** Every request the servers saw, as `<server> <method> <path>`. */
const hits: string[] = []
const servers: Server[] = []
/** Told each request's server as it arrives: a test waits on that rather than on a timer. */
let onRequest: (server: string) => void = () => undefined

async function serve(name: string, handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<number> {
  const server = createServer((request, response) => {
    hits.push(`${name} ${request.method} ${request.url}`)
    onRequest(name)
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
  onRequest = () => undefined
})

afterEach(() => {
  jest.restoreAllMocks()
})

const at = (port: number, path = '') => ({ type: 'http', url: `http://127.0.0.1:${port}${path}` })
const resolverFor = (instances: StaticTable[string], options: ResolverOptions = {}) =>
  createResolver({ registry: staticRegistry({ 'prod.orders': instances }), logger, ...options })
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
    const response = await task.fetch('/health', { method: 'HEAD' })

    // Assess
    expect(task.url).toBe(`http://127.0.0.1:${live}`)
    expect(host.url).toBe('http://orders.internal')
    expect(response.status).toBe(200)
    expect(hits).toEqual(['live HEAD /health'])
  })

  it('It should take an instance registered by ECS (no type, IP and port, ECS attributes) as an HTTP endpoint', async () => {
    // Prepare: what ECS service discovery registers for a task; ECS cannot add a type.
    const ecs = {
      AWS_INSTANCE_IPV4: '127.0.0.1',
      AWS_INSTANCE_PORT: String(live),
      AVAILABILITY_ZONE: 'eu-west-1a',
      AWS_INIT_HEALTH_STATUS: 'HEALTHY',
      ECS_CLUSTER_NAME: 'prod',
      ECS_SERVICE_NAME: 'orders',
      ECS_TASK_DEFINITION_FAMILY: 'orders',
      REGION: 'eu-west-1',
    }
    const resolver = resolverFor({ task: ecs, v6: { AWS_INSTANCE_IPV6: '::1', AWS_INSTANCE_PORT: String(live) } })

    // Act
    const task = await resolver.resolve(http('prod.orders->task'))
    const v6 = await resolver.resolve(http('prod.orders->v6'))
    const response = await task.fetch('/orders')
    const asQueue = await resolver.resolve(queue('prod.orders->task')).catch((caught: unknown) => caught)

    // Assess
    expect(task.url).toBe(`http://127.0.0.1:${live}`)
    expect(v6.url).toBe(`http://[::1]:${live}`)
    expect(response.status).toBe(200)
    expect(asQueue).toBeInstanceOf(InstanceTypeMismatchError)
    expect((asQueue as Error).message).toContain('no "type" attribute')
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
    // An attempt's time runs out when the hanging server holds its request, not after 100 real ms: on a busy machine
    // the live server may take longer than that to answer (attempts run one at a time: the latest is the one held).
    const attempts: AbortController[] = []
    const timeouts = jest.spyOn(AbortSignal, 'timeout').mockImplementation(() => {
      const attempt = new AbortController()
      attempts.push(attempt)
      return attempt.signal
    })
    onRequest = (server) => {
      if (server === 'hanging') attempts.at(-1)?.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
    }

    // Act: it settles only if the hanging attempt is given up.
    const response = await orders.fetch('/orders')

    // Assess
    expect(await response.json()).toMatchObject({ server: 'live' })
    expect(timeouts).toHaveBeenCalledWith(100)
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
    await until(() => hits.length > 0, 'the request at the hanging instance')
    controller.abort(reason)

    // Assess
    await expect(pending).rejects.toBe(reason)
    expect(hits).toEqual(['hanging GET /orders'])
  })

  it('It should refuse a timeout a timer cannot keep, naming the address: at declaration, and per call before any request', async () => {
    // Prepare
    const orders = await resolverFor({ up: at(live) }).resolve(api())
    const bad = [-1, 0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, 1e300]

    // Act
    const declared = bad.map((timeoutMs) => {
      try {
        return api({ timeoutMs })
      } catch (error) {
        return error
      }
    })
    const called = await Promise.all(bad.map((timeoutMs) => orders.fetch('/orders', { timeoutMs }).catch((caught: unknown) => caught)))

    // Assess
    for (const error of [...declared, ...called]) {
      expect(error).toBeInstanceOf(RangeError)
      expect((error as Error).message).toMatch(/^timeoutMs of (a fetch from )?"prod.orders": .* is not a number of milliseconds above 0/)
    }
    expect((called[0] as Error).message).toContain('-1 is not')
    expect(hits).toEqual([])
  })

  it('It should take a timeout in fractions of a millisecond', async () => {
    // Prepare
    const orders = await resolverFor({ up: at(live) }).resolve(api({ timeoutMs: 2_000.5 }))

    // Act
    const responses = await Promise.all([orders.fetch('/orders'), orders.fetch('/orders', { timeoutMs: 1_999.25 })])

    // Assess
    expect(responses.map((response) => response.status)).toEqual([200, 200])
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
      ['AWS_INSTANCE_IPV6'],
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

  describe('target policy', () => {
    /** Resolves each instance on its own and returns what it failed with. */
    const failures = async (instances: StaticTable[string], options: ResolverOptions = {}) => {
      const resolver = resolverFor(instances, options)
      return Promise.all(
        Object.keys(instances).map((id) => resolver.resolve(http(`prod.orders->${id}`)).catch((caught: unknown) => caught)),
      )
    }

    it('It should refuse instance-metadata and link-local targets in every spelling, with no allowlist set', async () => {
      // Prepare
      const instances = {
        imds: { type: 'http', url: 'http://169.254.169.254/latest/meta-data/' },
        decimal: { type: 'http', url: 'http://2852039166/latest/' },
        hex: { type: 'http', url: 'http://0xa9.0xfe.0xa9.0xfe/' },
        mapped: { type: 'http', url: 'http://[::ffff:169.254.169.254]/' },
        v6: { type: 'http', url: 'http://[fd00:ec2::254]/' },
        ecs: { type: 'http', AWS_INSTANCE_IPV4: '169.254.170.2', AWS_INSTANCE_PORT: '80' },
        linklocal6: { type: 'http', AWS_INSTANCE_IPV6: 'fe80::1' },
        name: { type: 'http', AWS_INSTANCE_CNAME: 'instance-data.ec2.internal' },
      }

      // Act
      const errors = await failures(instances)

      // Assess
      for (const error of errors) expect(error).toMatchObject({ name: 'DisallowedTargetError', rule: 'always refused' })
      expect(errors.map((error) => (error as DisallowedTargetError).instanceId)).toEqual(Object.keys(instances))
    })

    it('It should refuse the Lambda Runtime API (and the Extensions API on its address) in every spelling of its address', async () => {
      // Prepare: every host that reaches 127.0.0.1:9001, as a URL or as the attributes ECS registers.
      const hosts = [
        '127.0.0.1',
        'localhost',
        'LOCALHOST',
        'localhost.',
        'api.localhost',
        '127.1',
        '127.0.0.2',
        '0.0.0.0',
        '0',
        '[::1]',
        '[::]',
        '[0:0:0:0:0:0:0:1]',
        '[::ffff:127.0.0.1]',
        '[::ffff:7f00:1]',
        '2130706433',
        '0x7f000001',
        '0177.0.0.1',
      ]
      const instances: StaticTable[string] = {
        ...Object.fromEntries(
          hosts.map((host, index) => [`url${index}`, { type: 'http', url: `http://${host}:9001/2018-06-01/runtime/invocation/next` }]),
        ),
        extension: { type: 'http', url: 'http://localhost:9001/2020-01-01/extension/register' },
        ecs: { AWS_INSTANCE_IPV4: '127.0.0.1', AWS_INSTANCE_PORT: '9001' },
        ecs6: { AWS_INSTANCE_IPV6: '::ffff:127.0.0.1', AWS_INSTANCE_PORT: '9001' },
        cname: { AWS_INSTANCE_CNAME: 'LocalHost', AWS_INSTANCE_PORT: '9001' },
      }

      // Act
      const errors = await withEnv({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' }, () => failures(instances))

      // Assess
      for (const error of errors) expect(error).toMatchObject({ name: 'DisallowedTargetError', rule: 'always refused' })
      expect(errors.map((error) => (error as DisallowedTargetError).instanceId)).toEqual(Object.keys(instances))
      expect((errors[0] as Error).message).toContain('Lambda Runtime API (127.0.0.1:9001)')
    })

    it('It should refuse IPv6 addresses embedding a refused IPv4 one: IPv4-compatible, IPv4-translated and NAT64', async () => {
      // Prepare
      const embedded = (v4: string, v4hex: string, port: string) =>
        ['::', '::ffff:0:', '64:ff9b::'].flatMap((prefix) => [`http://[${prefix}${v4hex}]${port}/`, `http://[${prefix}${v4}]${port}/`])
      const urls = [...embedded('169.254.169.254', 'a9fe:a9fe', ''), ...embedded('127.0.0.1', '7f00:1', ':9001')]
      const instances = Object.fromEntries(urls.map((url, index) => [`i${index}`, { type: 'http', url }]))

      // Act
      const errors = await withEnv({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' }, () => failures(instances))

      // Assess
      for (const error of errors) expect(error).toMatchObject({ name: 'DisallowedTargetError', rule: 'always refused' })
      expect((errors[0] as Error).message).toContain('link-local or instance-metadata')
      expect((errors.at(-1) as Error).message).toContain('Lambda Runtime API')
    })

    it("It should refuse the machine's own host name on the Runtime API's port, in any case and with a final dot", async () => {
      // Prepare: /etc/hosts maps it to this machine.
      const name = hostname()
      const instances = {
        url: { type: 'http', url: `http://${name}:9001/2018-06-01/runtime/invocation/next` },
        upper: { type: 'http', url: `http://${name.toUpperCase()}.:9001/` },
        cname: { AWS_INSTANCE_CNAME: name, AWS_INSTANCE_PORT: '9001' },
      }

      // Act
      const errors = await withEnv({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' }, () => failures(instances))
      const otherPort = await withEnv({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' }, () =>
        resolverFor({ a: { type: 'http', url: `http://${name}:8080/` } }).resolve(http('prod.orders')),
      )

      // Assess
      for (const error of errors) expect(error).toMatchObject({ name: 'DisallowedTargetError', rule: 'always refused' })
      expect(otherPort.url).toBe(`http://${name}:8080/`)
    })

    it('It should refuse the Runtime API on the default port of the scheme, and allow this machine on another port', async () => {
      // Act
      const [runtime, other] = await withEnv({ AWS_LAMBDA_RUNTIME_API: 'localhost:80' }, () =>
        failures({ runtime: { type: 'http', url: 'http://[::1]/' }, other: at(live) }),
      )

      // Assess
      expect(runtime).toMatchObject({ name: 'DisallowedTargetError', rule: 'always refused' })
      expect(other).toMatchObject({ url: `http://127.0.0.1:${live}` })
    })

    it('It should refuse userinfo in a base URL without showing the password anywhere', async () => {
      // Prepare
      const resolver = resolverFor({ creds: { type: 'http', url: `http://admin:hunter2@127.0.0.1:${live}/` } })

      // Act
      const error = await resolver.resolve(http('prod.orders')).catch((caught: unknown) => caught)

      // Assess
      expect(error).toBeInstanceOf(DisallowedTargetError)
      expect(error).toMatchObject({ rule: 'http url', target: `http://***@127.0.0.1:${live}/` })
      expect(`${(error as Error).message} ${(error as Error).stack} ${warnings.join(' ')}`).not.toContain('hunter2')
      expect(hits).toEqual([])
    })

    it('It should accept only a host name as AWS_INSTANCE_CNAME', async () => {
      // Act
      const errors = await failures({
        userinfo: { type: 'http', AWS_INSTANCE_CNAME: 'user@evil.example' },
        path: { type: 'http', AWS_INSTANCE_CNAME: 'evil.example/x' },
        ip: { type: 'http', AWS_INSTANCE_CNAME: '169.254.169.254' },
      })

      // Assess
      for (const error of errors) {
        expect(error).toBeInstanceOf(AttributeValidationError)
        expect((error as AttributeValidationError).issues[0]?.path).toEqual(['AWS_INSTANCE_CNAME'])
      }
    })

    it('It should allow only the hosts of allowedHosts: names, *.suffix wildcards, addresses and CIDR blocks', async () => {
      // Prepare
      const instances = { local: at(live), named: { type: 'http', url: 'https://api.internal.example.com/v1' } }
      const resolve = (allowedHosts: string[]) =>
        Promise.all(
          Object.keys(instances).map((id) =>
            resolverFor(instances, { allowedHosts })
              .resolve(http(`prod.orders->${id}`))
              .then(
                () => 'allowed',
                (error: unknown) => (error as DisallowedTargetError).rule,
              ),
          ),
        )

      // Act
      const outcomes = {
        cidr: await resolve(['127.0.0.0/8']),
        address: await resolve(['127.0.0.1', 'api.internal.example.com']),
        wildcard: await resolve(['*.example.com']),
        apex: await resolve(['*.internal.example.com.', '::1']),
        v6: await resolve(['fd00::/8']),
      }

      // Assess
      expect(outcomes).toEqual({
        cidr: ['allowed', 'allowedHosts'],
        address: ['allowed', 'allowed'],
        wildcard: ['allowedHosts', 'allowed'],
        apex: ['allowedHosts', 'allowed'],
        v6: ['allowedHosts', 'allowedHosts'],
      })
    })

    it('It should refuse a malformed allowedHosts entry when the resolver is created', () => {
      for (const entry of ['10.0.0.0/33', 'exa mple.com', '*.', 'https://api.example.com', '']) {
        expect(() => resolverFor({}, { allowedHosts: [entry] })).toThrow(/allowedHosts/)
      }
    })
  })

  describe('request paths', () => {
    let evil: number
    beforeAll(async () => {
      evil = await serve('evil', echo('evil'))
    })

    it('It should refuse a path that leaves the base URL, before any request', async () => {
      // Prepare
      const orders = await resolverFor({ a: at(live, '/api/v1') }).resolve(api())
      const escapes = [
        `http://127.0.0.1:${evil}/x`,
        `//127.0.0.1:${evil}/x`,
        `/\\/127.0.0.1:${evil}/x`,
        `\\\\127.0.0.1:${evil}/x`,
        '/orders\\..\\..\\admin',
        '../admin',
        '/../../admin',
        '%2e%2e/%2e%2e/admin',
        'orders/../../admin',
        'javascript:alert(1)',
      ]

      // Act
      const errors = await Promise.all(escapes.map((path) => orders.fetch(path).catch((caught: unknown) => caught)))

      // Assess
      for (const error of errors) expect(error).toBeInstanceOf(DisallowedPathError)
      expect((errors[0] as Error).message).toContain('prod.orders')
      expect(hits).toEqual([])
    })

    it('It should refuse encoded slashes, backslashes and dot segments, and dot segments with ";" parameters, before any request', async () => {
      // Prepare
      const orders = await resolverFor({ a: at(live, '/api/v1') }).resolve(api())
      const paths = [
        '..%2fadmin',
        '%2E%2E%2Fadmin',
        '%2f%2fevil.com',
        'orders%5c..%5cadmin',
        'orders/%2e%2e/items',
        '.%2E/x',
        '/..;/admin',
        '..;x/admin',
        '.;/x',
        '..%3b/admin',
      ]

      // Act
      const errors = await Promise.all(paths.map((path) => orders.fetch(path).catch((caught: unknown) => caught)))

      // Assess
      for (const error of errors) expect(error).toBeInstanceOf(DisallowedPathError)
      expect((errors[0] as Error).message).toMatch(/"prod\.orders".*encoded slash/)
      expect((errors[6] as Error).message).toContain('";" parameters')
      expect(hits).toEqual([])
    })

    it('It should keep a path that stays under the base URL, dot segments included', async () => {
      // Prepare
      const orders = await resolverFor({ a: at(live, '/api/v1') }).resolve(api())

      // Act
      const bodies = [await (await orders.fetch('orders/../items?q=a:b')).json(), await (await orders.fetch('./x:y')).json()]

      // Assess
      expect(bodies).toEqual([
        { server: 'live', method: 'GET', path: '/api/v1/items?q=a:b' },
        { server: 'live', method: 'GET', path: '/api/v1/x:y' },
      ])
    })

    it('It should not show the query of a refused path', async () => {
      // Prepare
      const orders = await resolverFor({ a: at(live, '/api/v1') }).resolve(api())

      // Act
      const error = await orders.fetch('../admin?token=s3cret').catch((caught: unknown) => caught)

      // Assess
      expect(error).toMatchObject({ name: 'DisallowedPathError', path: '../admin' })
      expect((error as Error).message).not.toContain('s3cret')
    })
  })

  describe('redirects', () => {
    let runtime: number
    let redirector: number
    let evil: number
    /** Where each path of the redirector sends its caller: [status, Location]. */
    const routes = new Map<string, [number, string]>()
    /** The request as the redirector's echo saw it. */
    const echoBody = (request: IncomingMessage, response: ServerResponse) => {
      let body = ''
      request.setEncoding('utf8')
      request.on('data', (chunk: string) => {
        body += chunk
      })
      request.on('end', () =>
        response.end(JSON.stringify({ method: request.method, path: request.url, body, type: request.headers['content-type'] ?? null })),
      )
    }

    beforeAll(async () => {
      // Stands for the Lambda Runtime API: any request arriving here fails the test (see `hits`).
      runtime = await serve('runtime', (_, response) => response.end('RUNTIME API'))
      evil = await serve('evil', echo('evil'))
      redirector = await serve('redirector', (request, response) => {
        const route = routes.get((request.url ?? '').split('?')[0] ?? '')
        if (!route) return echoBody(request, response)
        request.resume()
        response.statusCode = route[0]
        response.setHeader('location', route[1])
        response.end('moved')
      })
      const runtimeApi = `http://127.0.0.1:${runtime}/2018-06-01/runtime/invocation/next`
      const entries: [string, [number, string]][] = [
        ['/api/to-runtime', [307, runtimeApi]],
        ['/api/to-runtime-by-name', [308, `http://localhost:${runtime}/2018-06-01/runtime/invocation/next`]],
        ['/api/to-other-origin', [302, `http://127.0.0.1:${evil}/api/x`]],
        ['/api/to-other-name', [302, `http://localhost:${redirector}/api/echo`]],
        ['/api/above-base', [301, '/admin']],
        ['/api/encoded', [302, '/api/..%2fadmin']],
        ['/api/userinfo', [302, `http://user:s3cret@127.0.0.1:${redirector}/api/echo`]],
        ['/api/see-other', [303, '/api/echo?from=303']],
        ['/api/found', [302, 'echo?from=302']],
        ['/api/temporary', [307, '/api/echo?from=307']],
        ['/api/permanent', [308, `http://127.0.0.1:${redirector}/api/echo?from=308`]],
        ['/api/loop', [302, '/api/loop']],
      ]
      for (const [path, route] of entries) routes.set(path, route)
    })

    const withRuntime = <T>(run: () => Promise<T>) => withEnv({ AWS_LAMBDA_RUNTIME_API: `127.0.0.1:${runtime}` }, run)
    const service = (options: ResolverOptions = {}) => resolverFor({ a: at(redirector, '/api') }, options).resolve(api())
    const arrived = (name: string) => hits.filter((hit) => hit.startsWith(`${name} `))

    it('It should refuse a redirect to the Lambda Runtime API, for a GET and for a POST with a body, sending nothing there', async () => {
      // Prepare
      const orders = await service({ allowedHosts: ['127.0.0.1'] })

      // Act
      const errors = await withRuntime(() =>
        Promise.all([
          orders.fetch('/to-runtime').catch((caught: unknown) => caught),
          orders.fetch('/to-runtime', { method: 'POST', body: 'payload' }).catch((caught: unknown) => caught),
          orders.fetch('/to-runtime-by-name', { method: 'PUT', body: 'payload' }).catch((caught: unknown) => caught),
        ]),
      )

      // Assess
      for (const error of errors) expect(error).toMatchObject({ name: 'DisallowedTargetError', rule: 'always refused', instanceId: 'a' })
      expect((errors[0] as DisallowedTargetError).target).toBe(`http://127.0.0.1:${runtime}/2018-06-01/runtime/invocation/next`)
      expect((errors[0] as Error).message).toContain('"prod.orders"')
      expect((errors[0] as Error).message).toContain(`a 307 redirect from http://127.0.0.1:${redirector}/api/to-runtime`)
      expect((errors[0] as Error).message).toContain('Lambda Runtime API')
      expect(arrived('runtime')).toEqual([])
      expect(arrived('redirector')).toHaveLength(3)
    })

    it('It should refuse a redirect outside allowedHosts, to another origin, above the base path, or with userinfo', async () => {
      // Prepare
      const orders = await service({ allowedHosts: ['127.0.0.1'] })
      const paths = ['/to-other-name', '/to-other-origin', '/above-base', '/encoded', '/userinfo']

      // Act
      const errors = await Promise.all(paths.map((path) => orders.fetch(`${path}?token=s3cret`).catch((caught: unknown) => caught)))

      // Assess
      expect(errors.map((error) => (error as DisallowedTargetError).rule)).toEqual([
        'allowedHosts',
        'http redirect',
        'http redirect',
        'http redirect',
        'http url',
      ])
      for (const error of errors) {
        expect(error).toBeInstanceOf(DisallowedTargetError)
        expect((error as Error).message).not.toContain('s3cret')
      }
      expect((errors[1] as DisallowedTargetError).target).toBe(`http://127.0.0.1:${evil}/api/x`)
      expect((errors[4] as DisallowedTargetError).target).toBe(`http://***@127.0.0.1:${redirector}/api/echo`)
      expect(hits.filter((hit) => !hit.startsWith('redirector ') || !paths.some((path) => hit.includes(path)))).toEqual([])
    })

    it('It should follow a redirect inside the base URL as fetch does: 303 (and 302 after a POST) to a GET without body, 307 and 308 keeping both', async () => {
      // Prepare
      const orders = await service({ allowedHosts: ['127.0.0.1'] })
      const post = { method: 'POST', body: '{"id":1}', headers: { 'content-type': 'application/json' } }

      // Act
      const responses = [
        await orders.fetch('/see-other', post),
        await orders.fetch('/found', post),
        await orders.fetch('/temporary', post),
        await orders.fetch('/permanent', { ...post, method: 'PUT' }),
      ]
      const bodies = await Promise.all(responses.map((response) => response.json()))

      // Assess
      expect(bodies).toEqual([
        { method: 'GET', path: '/api/echo?from=303', body: '', type: null },
        { method: 'GET', path: '/api/echo?from=302', body: '', type: null },
        { method: 'POST', path: '/api/echo?from=307', body: '{"id":1}', type: 'application/json' },
        { method: 'PUT', path: '/api/echo?from=308', body: '{"id":1}', type: 'application/json' },
      ])
      expect(responses.map((response) => [response.redirected, new URL(response.url).pathname])).toEqual(
        responses.map(() => [true, '/api/echo']),
      )
    })

    it('It should refuse to follow a 307 with a streamed body, which cannot be sent twice', async () => {
      // Prepare
      const orders = await service()
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('payload'))
          controller.close()
        },
      })

      // Act
      const error = await orders
        .fetch('/temporary', { method: 'POST', body, duplex: 'half' } as RequestInit)
        .catch((caught: unknown) => caught)

      // Assess
      expect(error).toBeInstanceOf(HttpRequestError)
      expect(error).toMatchObject({ status: 307, attempts: ['a'] })
      expect((error as Error).message).toContain('streamed body')
      expect(hits).toEqual(['redirector POST /api/temporary'])
    })

    it('It should give up after 5 redirects', async () => {
      // Prepare
      const orders = await service()

      // Act
      const error = await orders.fetch('/loop').catch((caught: unknown) => caught)

      // Assess
      expect(error).toBeInstanceOf(HttpRequestError)
      expect((error as Error).message).toContain('more than 5 redirects')
      expect(hits).toHaveLength(6)
    })

    it("It should keep the caller's redirect: 'manual' returns the redirect, 'error' rejects it without failover, nothing sent to the target", async () => {
      // Prepare: a second instance, which a failover would reach.
      const orders = await resolverFor({ a: at(redirector, '/api'), b: at(live, '/api') }).resolve(api())

      // Act
      const [manual, error] = await withRuntime(() =>
        Promise.all([
          orders.fetch('/to-runtime', { redirect: 'manual' }),
          orders.fetch('/to-runtime', { redirect: 'error' }).catch((caught: unknown) => caught),
        ]),
      )

      // Assess
      expect(manual.status).toBe(307)
      expect(manual.headers.get('location')).toBe(`http://127.0.0.1:${runtime}/2018-06-01/runtime/invocation/next`)
      expect(error).toBeInstanceOf(HttpRequestError)
      expect(error).toMatchObject({ status: 307, attempts: ['a'] })
      expect((error as Error).message).toContain("unexpected 307 redirect (redirect: 'error')")
      expect(arrived('runtime')).toEqual([])
      expect(arrived('live')).toEqual([])
    })
  })
})
