import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { settleRefreshes } from '../../src/adapter.js'
import { createResolver, defineServices, instance, NOT_READY, type Resolver } from '../../src/index.js'
import { cacheOf } from '../../src/resolver/cache.js'
import { clearCache, type StaticRegistry, staticRegistry } from '../../src/testing/index.js'

const logger = { warn: () => undefined }

let now = 1_700_000_000_000
const advance = (ms: number) => {
  now += ms
}

let registry: StaticRegistry
/** A dependency with a cache key of its own (optional parameters are part of the key, and match every instance here). */
const shard = (i: number) => instance('prod.scheduler', { optionalParameters: { shard: String(i) } })
const cacheSize = (resolver: Resolver) => cacheOf(resolver.settings.registry).size

beforeEach(() => {
  clearCache()
  registry = staticRegistry({ 'prod.scheduler': { a: { n: '1' } }, 'prod.config': { flags: { beta: 'on' } } })
  jest.spyOn(Date, 'now').mockImplementation(() => now)
})

afterEach(() => {
  jest.restoreAllMocks()
})

describe('Class: Cache, pruning', () => {
  it('It should prune entries nobody read past maxStaleMs once the cache is used again', async () => {
    // Prepare
    const resolver = createResolver({ registry, logger, ttlMs: 1_000, maxStaleMs: 10_000 })
    for (let i = 0; i < 300; i++) await resolver.resolve(shard(i))
    expect(cacheSize(resolver)).toBe(300)
    advance(60_001)
    expect(cacheSize(resolver)).toBe(300) // nothing runs while the cache is not used: no timer

    // Act
    await resolver.resolve(instance('prod.config->flags'))

    // Assess
    expect(cacheSize(resolver)).toBe(1)
  })

  it('It should keep the entries still read, and entries another resolver may still serve', async () => {
    // Prepare
    const short = createResolver({ registry, logger, ttlMs: 1_000, maxStaleMs: 10_000 })
    const long = createResolver({ registry, logger, ttlMs: 1_000, maxStaleMs: 3_600_000 })
    const read = instance('prod.scheduler->a')
    await short.resolve(read)
    await long.resolve(instance('prod.config->flags'))
    for (let i = 0; i < 10; i++) await short.resolve(shard(i))

    // Act: the read one is read every 5 s (stale, refreshed in the background) for two minutes.
    for (let i = 0; i < 24; i++) {
      advance(5_000)
      await short.resolve(read)
      await settleRefreshes(1_000)
    }
    await short.resolve(shard(1_000))

    // Assess: the read entry, the long resolver's entry, the new one.
    expect(cacheSize(short)).toBe(3)
    expect(short.resolveSync(read)).not.toBe(NOT_READY)
    expect(registry.calls.get('prod.config')).toBe(1)
    expect(long.resolveSync(instance('prod.config->flags'))).not.toBe(NOT_READY)
  })

  it('It should bound the cache when every query is new and none is read again', async () => {
    // Prepare
    const resolver = createResolver({ registry, logger, ttlMs: 1_000, maxStaleMs: 1_000 })
    let largest = 0

    // Act: a new key every 10 ms, each expired after 1 s, never read again.
    for (let i = 0; i < 3_000; i++) {
      await resolver.resolve(shard(i))
      advance(10)
      largest = Math.max(largest, cacheSize(resolver))
    }

    // Assess
    expect(largest).toBeLessThanOrEqual(512)
  })

  it('It should not let a warm service set keep serving an entry that was pruned', async () => {
    // Prepare
    const resolver = createResolver({ registry, logger, ttlMs: 1_000, maxStaleMs: 10_000 })
    const set = defineServices({ flags: instance('prod.config->flags') })
    await set.prefetch(resolver)
    expect(set.resolveSync(resolver)).not.toBe(NOT_READY)
    advance(60_001)
    await resolver.resolve(shard(1)) // prunes the flags entry
    registry.register('prod.config', 'flags', { beta: 'off' })

    // Act
    const expired = set.resolveSync(resolver)
    const resolved = await set.resolve(resolver)
    const warm = set.resolveSync(resolver)

    // Assess
    expect(expired).toBe(NOT_READY)
    expect(resolved.flags.attributes).toEqual({ beta: 'off' })
    expect(warm).not.toBe(NOT_READY)
    expect(warm === NOT_READY ? undefined : warm.flags.attributes).toEqual({ beta: 'off' })
  })
})
