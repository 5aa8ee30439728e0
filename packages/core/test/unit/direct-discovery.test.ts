import { createHash, createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { SignatureV4 } from '@smithy/signature-v4'
import { fakeCloudMapSdk, type SeenByFakeSdk } from '../fake-cloud-map-sdk.js'

// The Cloud Map SDK module's stand-in records whether it is loaded and what it sends.
const seen: SeenByFakeSdk = { loaded: [], configs: [], sent: [] }
const { loaded, sent: sdkSent } = seen
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:get-job'

jest.unstable_mockModule('@aws-sdk/client-servicediscovery', () =>
  fakeCloudMapSdk(seen, [{ InstanceId: 'from-sdk', Attributes: { type: 'lambda', arn: ARN } }]),
)

/** Cloud Map over HTTP on loopback: answers each request with the next of `answers`, and records them. */
interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}
const received: Received[] = []
const answers: Array<{ status: number; body: unknown }> = []
const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    received.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString(),
    })
    const answer = answers.shift() ?? { status: 500, body: { __type: 'InternalServerError' } }
    response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer.body))
  })
})
await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready))
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

const saved = { ...process.env }
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE',
}
/** A Lambda init: credentials and region in the environment, no trace yet. */
const LAMBDA_INIT: NodeJS.ProcessEnv = {
  LAMBDA_TASK_ROOT: '/var/task',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: CREDENTIALS.sessionToken,
  AWS_ENDPOINT_URL_SERVICEDISCOVERY: endpoint,
}
process.env = { PATH: saved.PATH, ...LAMBDA_INIT }

const { cloudMapRegistry } = await import('../../src/registry/cloud-map.js')
const { directEndpoint, discoverDirect } = await import('../../src/registry/direct.js')
const { NamespaceNotFoundError } = await import('../../src/errors.js')
const { isTransient } = await import('../../src/transient.js')

afterAll(async () => {
  process.env = saved
  await new Promise((closed) => server.close(closed))
})
beforeEach(() => {
  process.env = { PATH: saved.PATH, ...LAMBDA_INIT }
  received.length = 0
  answers.length = 0
  sdkSent.length = 0
})

const query = { namespace: 'example.com.prod', service: 'scheduler', healthStatus: 'HEALTHY_OR_ELSE_ALL' as const }
const instance = {
  InstanceId: 'get-job',
  NamespaceName: 'example.com.prod',
  ServiceName: 'scheduler',
  Attributes: { type: 'lambda', arn: ARN },
}

/** Node's crypto as the SDK signer's hash: a keyed one is an HMAC. */
class Sha256 {
  readonly #hash
  constructor(secret?: string | Uint8Array) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret)
  }
  update(data: string | Uint8Array) {
    this.#hash.update(data)
  }
  async digest() {
    return new Uint8Array(this.#hash.digest())
  }
}

/** What the AWS SDK's own signer makes of the request as received: the Authorization the service computes. */
async function sdkAuthorization(request: Received, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  const date = (request.headers['x-amz-date'] as string).replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')
  // The signer's hash type asks for more than it uses: update and digest.
  const signer = new SignatureV4({
    service: 'servicediscovery',
    region: 'us-east-1',
    credentials,
    sha256: Sha256 as never,
    applyChecksum: false,
  })
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: '/',
      query: {},
      headers: {
        host: request.headers.host as string,
        'content-type': request.headers['content-type'] as string,
        'x-amz-target': request.headers['x-amz-target'] as string,
      },
      body: request.body,
    },
    { signingDate: new Date(date) },
  )
  return signed.headers.authorization
}

describe('Function: cloudMapRegistry, at a Lambda init', () => {
  it('It should send DiscoverInstances itself, signed as the AWS SDK signs it, untraced, without loading the SDK', async () => {
    answers.push({ status: 200, body: { Instances: [instance], InstancesRevision: 7 } })

    const discovery = await cloudMapRegistry().discover({ ...query, queryParameters: { stage: 'blue' }, maxResults: 5 })

    expect(discovery).toEqual({ instances: [{ instanceId: 'get-job', attributes: instance.Attributes }], revision: 7 })
    expect(loaded).toEqual([])
    expect(received).toHaveLength(1)
    const [request] = received as [Received]
    expect(request).toMatchObject({ method: 'POST', url: '/' })
    expect(request.headers).toMatchObject({
      'x-amz-target': 'Route53AutoNaming_v20170314.DiscoverInstances',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-security-token': CREDENTIALS.sessionToken,
      'x-amzn-trace-id': 'Sampled=0',
    })
    expect(JSON.parse(request.body)).toEqual({
      NamespaceName: 'example.com.prod',
      ServiceName: 'scheduler',
      HealthStatus: 'HEALTHY_OR_ELSE_ALL',
      QueryParameters: { stage: 'blue' },
      MaxResults: 5,
    })
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/servicediscovery\/aws4_request, /,
    )
    expect(request.headers.authorization).toBe(await sdkAuthorization(request, CREDENTIALS))
  })

  it('It should sign without a session token when the environment has none', async () => {
    delete process.env.AWS_SESSION_TOKEN
    answers.push({ status: 200, body: { Instances: [instance] } })
    await cloudMapRegistry().discover(query)

    const [request] = received as [Received]
    expect(request.headers['x-amz-security-token']).toBeUndefined()
    const { sessionToken: _, ...keys } = CREDENTIALS
    expect(request.headers.authorization).toBe(await sdkAuthorization(request, keys))
  })

  it("It should give Cloud Map's not-found answer as NamespaceNotFoundError naming the address, and a throttle as a transient error, without the SDK", async () => {
    answers.push({ status: 400, body: { __type: 'NamespaceNotFound', Message: 'Namespace not found' } })
    answers.push({ status: 400, body: { __type: 'com.amazonaws.servicediscovery#RequestLimitExceeded', message: 'Rate exceeded' } })
    const registry = cloudMapRegistry()

    const missing = await registry.discover(query).catch((error: unknown) => error)
    const throttled = await registry.discover(query).catch((error: unknown) => error)

    expect(missing).toBeInstanceOf(NamespaceNotFoundError)
    expect((missing as Error).message).toContain('example.com.prod')
    expect(throttled).toMatchObject({ name: 'RequestLimitExceeded', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })
    expect(isTransient(throttled)).toBe(true)
    expect(received).toHaveLength(2)
    expect(loaded).toEqual([])
  })

  it('It should send through the SDK from then on once an answer says nothing of Cloud Map (a refused signature), that request included', async () => {
    answers.push({
      status: 403,
      body: { __type: 'InvalidSignatureException', message: 'The request signature we calculated does not match' },
    })
    const registry = cloudMapRegistry()

    const first = await registry.discover(query)
    const second = await registry.discover(query)

    expect(received).toHaveLength(1)
    expect(sdkSent).toEqual([
      expect.objectContaining({ NamespaceName: 'example.com.prod' }),
      expect.objectContaining({ NamespaceName: 'example.com.prod' }),
    ])
    expect(first.instances).toEqual([{ instanceId: 'from-sdk', attributes: { type: 'lambda', arn: ARN } }])
    expect(second.instances[0]?.instanceId).toBe('from-sdk')
  })

  it('It should send through the SDK in an invocation, with a configured client, or outside Lambda', async () => {
    process.env._X_AMZN_TRACE_ID = 'Root=1-65f00000-0123456789abcdef01234567;Sampled=0'
    await cloudMapRegistry().discover(query)
    delete process.env._X_AMZN_TRACE_ID
    await cloudMapRegistry({ clientConfig: { region: 'us-east-1' } }).discover(query)
    delete process.env.LAMBDA_TASK_ROOT
    await cloudMapRegistry().discover(query)

    expect(received).toEqual([])
    expect(sdkSent).toHaveLength(3)
  })
})

describe('Function: directEndpoint', () => {
  const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    const { AWS_ENDPOINT_URL_SERVICEDISCOVERY: _, ...rest } = LAMBDA_INIT
    return { ...rest, ...extra }
  }

  it("It should name Cloud Map's data plane in the region's aws partition, as the SDK's default client does", () => {
    for (const region of ['us-east-1', 'eu-north-1', 'ap-southeast-4', 'me-central-1', 'ca-west-1', 'il-central-1'])
      expect(directEndpoint(env({ AWS_REGION: region }))?.href).toBe(`https://data-servicediscovery.${region}.amazonaws.com/`)
  })

  it('It should leave to the SDK what it would not send there with the environment credentials', () => {
    for (const extra of [
      { AWS_REGION: 'us-gov-west-1' },
      { AWS_REGION: 'cn-north-1' },
      { AWS_REGION: 'us-isob-east-1' },
      { AWS_REGION: 'eusc-de-east-1' },
      { AWS_REGION: undefined },
      { AWS_ACCESS_KEY_ID: undefined },
      { AWS_SECRET_ACCESS_KEY: '' },
      { AWS_PROFILE: 'dev' },
      { AWS_USE_FIPS_ENDPOINT: 'true' },
      { AWS_USE_DUALSTACK_ENDPOINT: 'true' },
      { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' },
      { AWS_ENDPOINT_URL: 'http://127.0.0.1:5000/base' },
      { AWS_ENDPOINT_URL: 'http://user:secret@127.0.0.1:5000' },
      { AWS_ENDPOINT_URL: 'file:///tmp/socket' },
      { AWS_ENDPOINT_URL: 'not a url' },
    ])
      expect([extra, directEndpoint(env(extra))]).toEqual([extra, undefined])
  })

  it('It should send to a custom endpoint as the SDK does with disableHostPrefix', () => {
    expect(directEndpoint(env({ AWS_ENDPOINT_URL: 'http://127.0.0.1:5000' }))?.href).toBe('http://127.0.0.1:5000/')
    expect(directEndpoint(env({ AWS_ENDPOINT_URL: 'http://x', AWS_ENDPOINT_URL_SERVICEDISCOVERY: 'https://vpce.example/' }))?.href).toBe(
      'https://vpce.example/',
    )
  })

  it('It should not send outside an init (discoverDirect answers undefined in an invocation)', () => {
    process.env._X_AMZN_TRACE_ID = 'Root=1-65f00000-0123456789abcdef01234567;Sampled=0'
    expect(discoverDirect(query, {})).toBeUndefined()
  })
})
