import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { createResolver, getDefaultResolver, instance } from '../../src/index.js'
import { restoreDefaultRegistry, useStaticRegistry } from '../../src/testing/index.js'

process.env.AWS_REGION ??= 'us-east-1'

// The process-wide Cloud Map client, mocked: a request that reaches it is counted, never sent.
const cloudMap = mockClient(ServiceDiscoveryClient)
const logger = { warn: () => undefined }
const asked = () => cloudMap.commandCalls(DiscoverInstancesCommand).length

beforeEach(() => {
  cloudMap.reset()
  cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [{ InstanceId: 'flags', Attributes: { from: 'cloud map' } }] })
})
afterAll(() => restoreDefaultRegistry())

// In order: the process remembers that it asked Cloud Map, as a test file's module would.
describe('Function: useStaticRegistry', () => {
  it('It should take over resolvers created before it, the process default among them, that have not asked Cloud Map yet', async () => {
    // Prepare: as a handler module imported first, with prefetch off.
    const processDefault = getDefaultResolver()
    const own = createResolver({ ttlMs: 5_000, logger })

    // Act
    useStaticRegistry({ 'prod.config': { flags: { beta: 'on' } } })

    // Assess
    expect((await processDefault.resolve(instance('prod.config->flags'))).attributes).toEqual({ beta: 'on' })
    expect((await own.resolve(instance('prod.config->flags'))).attributes).toEqual({ beta: 'on' })
    expect(asked()).toBe(0)
  })

  it('It should swap the table for every such resolver when called again', async () => {
    const processDefault = getDefaultResolver()

    useStaticRegistry({ 'prod.config': { flags: { beta: 'off' } } })

    expect((await processDefault.resolve(instance('prod.config->flags'))).attributes).toEqual({ beta: 'off' })
    expect(asked()).toBe(0)
  })

  it('It should fail loudly, naming the fix, once the process asked Cloud Map through them', async () => {
    // Prepare: back to Cloud Map, which the process default then asks (as a handler module's prefetch does at import).
    restoreDefaultRegistry()
    await getDefaultResolver().resolve(instance('prod.config->flags'))
    expect(asked()).toBe(1)

    // Act
    const late = () => useStaticRegistry({ 'prod.config': { flags: { beta: 'on' } } })

    // Assess
    expect(late).toThrow('useStaticRegistry() came too late: the process already asked Cloud Map for "prod.config"')
    expect(late).toThrow('Call useStaticRegistry() before the handler module is imported')
    expect((await getDefaultResolver().resolve(instance('prod.config->flags'))).attributes).toEqual({ from: 'cloud map' })
  })
})
