import { afterAll, describe, expect, it, jest } from '@jest/globals'
import { fakeCloudMapSdk, type SeenByFakeSdk } from '../fake-cloud-map-sdk.js'

// The Cloud Map SDK module's stand-in records when it is loaded, the clients made and what is sent.
const seen: SeenByFakeSdk = { loaded: [], configs: [], sent: [] }
const { loaded, configs, sent } = seen
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:current'

jest.unstable_mockModule('@aws-sdk/client-servicediscovery', () =>
  fakeCloudMapSdk(seen, [{ InstanceId: 'get-job', Attributes: { type: 'lambda', arn: ARN } }]),
)

const saved = { ...process.env }
process.env.AWS_REGION = 'us-east-1'
process.env.AWS_ENDPOINT_URL_SERVICEDISCOVERY = 'http://127.0.0.1:5000'
process.env.CLOUDMAP_MIDDY_SNAPSHOT = JSON.stringify({
  v: 1,
  ns: { 'example.com.prod': { scheduler: { 'get-job': { type: 'lambda', arn: ARN.replace('current', 'deployed') } } } },
})
// The resolver's modules, as a bundle keeps them for a handler: `createCloudMapClient` (the one
// export that imports the SDK with its module) is left out of a bundle that does not use it.
const { createResolver } = await import('../../src/resolver/resolver.js')
const { lambda } = await import('../../src/kinds/lambda.js')
const { settleRefreshes } = await import('../../src/resolver/cache.js')
const loadedByImport = [...loaded]

afterAll(() => {
  process.env = saved
})

describe('Function: createResolver, with the Cloud Map SDK imported on the first request', () => {
  it('It should not load the SDK for a cold start served from the snapshot, and load it for the first refresh, configured as createCloudMapClient configures it', async () => {
    const resolver = createResolver({ ttlMs: 60_000 })
    const job = lambda('example.com.prod.scheduler->get-job')

    await resolver.prefetch([job])
    const loadedAtInit = [...loaded]
    const first = resolver.resolveSync(job)
    await settleRefreshes(1_000)
    const next = resolver.resolveSync(job)

    expect(loadedByImport).toEqual([])
    expect(loadedAtInit).toEqual([])
    expect(first).toMatchObject({ arn: ARN.replace('current', 'deployed') })
    expect(loaded).toEqual(['@aws-sdk/client-servicediscovery'])
    expect(configs).toEqual([expect.objectContaining({ maxAttempts: 1, disableHostPrefix: true })])
    expect(sent).toEqual([expect.objectContaining({ NamespaceName: 'example.com.prod', ServiceName: 'scheduler' })])
    expect(next).toMatchObject({ arn: ARN })
  })
})
