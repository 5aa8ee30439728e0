import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { settleRefreshes } from '../../src/adapter.js'
import { createResolver, defineServices, instance, NOT_READY, type Resolver, type ResolverOptions } from '../../src/index.js'
import { clearCache, type StaticRegistry, staticRegistry } from '../../src/testing/index.js'

const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

let now = 1_700_000_000_000
const advance = (ms: number) => {
  now += ms
}

let registry: StaticRegistry
const resolverOn = (options: Omit<ResolverOptions, 'registry' | 'logger'> = {}) => createResolver({ registry, logger, ...options })
const idOf = (value: unknown) => (value as { instanceId: string }).instanceId

beforeEach(() => {
  clearCache()
  warnings.length = 0
  registry = staticRegistry({
    'prod.config': { flags: { beta: 'on' } },
    'prod.scheduler': { a: { n: '1' } },
  })
  jest.spyOn(Date, 'now').mockImplementation(() => now)
})

afterEach(() => {
  jest.restoreAllMocks()
})

describe('Function: defineServices', () => {
  it('It should answer synchronously with the same frozen object per call while nothing changed', async () => {
    // Prepare
    const set = defineServices({ flags: instance('prod.config->flags'), worker: instance('prod.scheduler') })
    const resolver = resolverOn()
    expect(set.resolveSync(resolver)).toBe(NOT_READY)
    await set.prefetch(resolver)

    // Act
    const first = set.resolveSync(resolver)
    const second = set.resolveSync(resolver)

    // Assess
    expect(first).not.toBe(NOT_READY)
    expect(first).toBe(second)
    expect(Object.keys(first)).toEqual(['flags', 'worker'])
    if (first === NOT_READY) return
    expect(first.flags.attributes).toEqual({ beta: 'on' })
    expect(Object.isFrozen(first)).toBe(true)
    expect(() => {
      ;(first as Record<string, unknown>).flags = 'changed by a handler'
    }).toThrow(TypeError)
    expect(set.resolveSync(resolver)).toMatchObject({ flags: { instanceId: 'flags' } })
  })

  it('It should build a new object once an entry changed, and only then', async () => {
    // Prepare
    const set = defineServices({ flags: instance('prod.config->flags'), worker: instance('prod.scheduler') })
    const resolver = resolverOn({ ttlMs: 1_000 })
    await set.prefetch(resolver)
    const before = set.resolveSync(resolver)
    registry.register('prod.scheduler', 'a', { n: '9' })

    // Act
    advance(1_001)
    const stale = set.resolveSync(resolver)
    await settleRefreshes(1_000)
    const refreshed = set.resolveSync(resolver)
    const again = set.resolveSync(resolver)

    // Assess
    expect(stale).toBe(before)
    expect(refreshed).not.toBe(before)
    expect(refreshed).toMatchObject({ worker: { attributes: { n: '9' } } })
    expect(again).toBe(refreshed)
  })

  it('It should read the clock once per call, whatever the number of dependencies', async () => {
    // Prepare
    const set = defineServices({ a: instance('prod.config->flags'), b: instance('prod.scheduler'), c: instance('prod.scheduler->a') })
    const resolver = resolverOn()
    await set.prefetch(resolver)
    const clock = jest.mocked(Date.now)
    clock.mockClear()

    // Act
    set.resolveSync(resolver)

    // Assess
    expect(clock).toHaveBeenCalledTimes(1)
  })

  it('It should not serve an entry dropped by clearCache()', async () => {
    // Prepare
    const set = defineServices({ flags: instance('prod.config->flags') })
    const resolver = resolverOn()
    await set.prefetch(resolver)
    expect(set.resolveSync(resolver)).not.toBe(NOT_READY)

    // Act
    clearCache()

    // Assess
    expect(set.resolveSync(resolver)).toBe(NOT_READY)
    expect(resolver.resolveSync(instance('prod.config->flags'))).toBe(NOT_READY)
  })

  it('It should not serve an entry evicted after its service was removed', async () => {
    // Prepare
    const dependency = instance('prod.scheduler')
    const set = defineServices({ worker: dependency })
    const resolver = resolverOn({ ttlMs: 1_000 })
    await set.prefetch(resolver)
    registry.remove('prod.scheduler')
    advance(1_001)

    // Act
    const stale = set.resolveSync(resolver) // served while the refresh runs
    await settleRefreshes(1_000)

    // Assess
    expect(stale).toMatchObject({ worker: { instanceId: 'a' } })
    expect(set.resolveSync(resolver)).toBe(NOT_READY)
    expect(resolver.resolveSync(dependency)).toBe(NOT_READY)
    expect(warnings.some((warning) => warning.includes('evicted instances {"address":"prod.scheduler"'))).toBe(true)
  })

  it('It should serve the new instances once a refresh fetched them', async () => {
    // Prepare
    const set = defineServices({ worker: instance('prod.scheduler') })
    const resolver = resolverOn({ ttlMs: 1_000 })
    await set.prefetch(resolver)
    registry.deregister('prod.scheduler', 'a')
    registry.register('prod.scheduler', 'b', { n: '2' })
    advance(1_001)

    // Act
    const stale = set.resolveSync(resolver)
    await settleRefreshes(1_000)
    const fresh = set.resolveSync(resolver)

    // Assess
    expect(stale).toMatchObject({ worker: { instanceId: 'a' } })
    expect(fresh).toMatchObject({ worker: { instanceId: 'b', attributes: { n: '2' } } })
  })

  it('It should go round-robin over several instances, picking when an invocation first reads the dependency', async () => {
    // Prepare
    registry.register('prod.scheduler', 'b', { n: '2' })
    const set = defineServices({ worker: instance('prod.scheduler', { pick: 'round-robin' }) })
    const resolver = resolverOn()
    await set.prefetch(resolver)

    // Act: each call is an invocation; the handler reads the dependency (twice in the third, not at all in the fifth).
    const picks: unknown[] = []
    for (const reads of [1, 1, 2, 1, 0, 1]) {
      const services = set.resolveSync(resolver)
      if (services === NOT_READY) throw new Error('not ready')
      for (let read = 0; read < reads; read++) picks.push(idOf(services.worker))
    }

    // Assess: one pick per invocation that reads it, the same for every read in that invocation.
    expect(picks).toEqual(['b', 'a', 'b', 'b', 'a', 'b'])
  })

  it('It should keep the values of each resolver apart when two are used in turn', async () => {
    // Prepare
    const other = staticRegistry({ 'prod.config': { flags: { beta: 'off' } }, 'prod.scheduler': { z: {} } })
    const set = defineServices({ flags: instance('prod.config->flags'), worker: instance('prod.scheduler') })
    const mine = resolverOn()
    const theirs = createResolver({ registry: other, logger })
    await Promise.all([set.prefetch(mine), set.prefetch(theirs)])

    // Act
    const answers = [mine, theirs, mine, theirs].map((resolver) => set.resolveSync(resolver))

    // Assess
    expect(answers.map((answer) => (answer === NOT_READY ? answer : [answer.flags.attributes.beta, idOf(answer.worker)]))).toEqual([
      ['on', 'a'],
      ['off', 'z'],
      ['on', 'a'],
      ['off', 'z'],
    ])
  })

  it('It should use the public resolveSync of a resolver it does not know', async () => {
    // Prepare
    const set = defineServices({ flags: instance('prod.config->flags'), worker: instance('prod.scheduler') })
    const inner = resolverOn()
    await set.prefetch(inner)
    const asked: string[] = []
    const wrapper: Resolver = {
      settings: inner.settings,
      resolve: (dependency, options) => inner.resolve(dependency, options),
      resolveSync: (dependency) => {
        asked.push(dependency.label)
        return inner.resolveSync(dependency)
      },
      prefetch: (dependencies) => inner.prefetch(dependencies),
    }

    // Act
    const resolved = set.resolveSync(wrapper)

    // Assess
    expect(asked).toEqual(['prod.config->flags', 'prod.scheduler'])
    expect(resolved).toMatchObject({ flags: { instanceId: 'flags' }, worker: { instanceId: 'a' } })
  })
})
