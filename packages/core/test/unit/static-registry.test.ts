import { describe, expect, it } from '@jest/globals'
import { z } from 'zod'
import { createResolver, instance, ServiceNotFoundError } from '../../src/index.js'
import { staticRegistry } from '../../src/testing/index.js'

const logger = { warn: () => undefined }

describe('Function: staticRegistry', () => {
  it('It should serve its table through a resolver, validated by the schema', async () => {
    const registry = staticRegistry({ 'prod.storage': { orders: { tableName: 'orders-prod', region: 'eu-west-1' } } })
    const resolver = createResolver({ registry, logger })

    const orders = await resolver.resolve(instance('prod.storage->orders', { attributes: z.object({ tableName: z.string() }) }))

    expect(orders.attributes.tableName).toBe('orders-prod')
    expect(registry.calls.get('prod.storage')).toBe(1)
  })

  it('It should filter by query parameters, prefer optional parameters and cap by maxResults', async () => {
    const registry = staticRegistry({
      'prod.api': { a: { stage: 'blue', zone: '1' }, b: { stage: 'blue', zone: '2' }, c: { stage: 'green', zone: '2' } },
    })
    const ids = async (query: Parameters<typeof registry.discover>[0]) =>
      (await registry.discover(query)).instances.map((i) => i.instanceId)

    expect(await ids({ namespace: 'prod', service: 'api', queryParameters: { stage: 'blue' } })).toEqual(['a', 'b'])
    expect(await ids({ namespace: 'prod', service: 'api', optionalParameters: { zone: '2' } })).toEqual(['b', 'c'])
    expect(await ids({ namespace: 'prod', service: 'api', optionalParameters: { zone: '9' } })).toEqual(['a', 'b', 'c'])
    expect(await ids({ namespace: 'prod', service: 'api', maxResults: 1 })).toEqual(['a'])
  })

  it('It should change as the test registers, deregisters and removes, bumping the revision', async () => {
    const registry = staticRegistry()
    const query = { namespace: 'prod', service: 'api' }
    await expect(registry.discover(query)).rejects.toThrow(ServiceNotFoundError)

    registry.register('prod.api', 'a', { url: 'http://a' })
    const first = await registry.revision(query)
    registry.deregister('prod.api', 'a')

    expect((await registry.discover(query)).instances).toEqual([])
    expect(await registry.revision(query)).toBeGreaterThan(first ?? 0)
    registry.remove('prod.api')
    await expect(registry.discover(query)).rejects.toThrow('"prod.api"')
  })
})
