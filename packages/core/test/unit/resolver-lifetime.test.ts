import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import type { ServiceDiscoveryClientConfig } from '@aws-sdk/client-servicediscovery'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { cloudMapRegistry, createResolver, instance, NOT_READY } from '../../src/index.js'
import { cacheOf } from '../../src/resolver/cache.js'
import { clearCache } from '../../src/testing/index.js'

// Jest runs without --expose-gc: turn it on for this worker to see what a collection frees.
setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const logger = { warn: () => undefined }
let discoverCalls = 0
/**
 * Cloud Map's side of the SDK, in memory: every request is a DiscoverInstances answered with one instance.
 * (A stubbed `send` records every call, and what the records reference kept the registry alive in these tests.)
 */
const requestHandler = {
  async handle() {
    discoverCalls += 1
    const body = JSON.stringify({ Instances: [{ InstanceId: 'a', Attributes: { type: 'http', url: 'https://a.example.com/' } }] })
    return {
      response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body: new TextEncoder().encode(body) },
    }
  },
}
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }
/** A configuration that reaches the in-memory Cloud Map; each call builds a new, equal object. */
const config = (more: ServiceDiscoveryClientConfig = {}): ServiceDiscoveryClientConfig => ({
  region: 'eu-west-1',
  credentials: { ...credentials },
  requestHandler,
  ...more,
})

/** Resolves the promise `finalization()` made for a target, when that target is finalized. */
const finalizers = new FinalizationRegistry<() => void>((resolve) => resolve())

/** A promise resolved when `target` is finalized. No closure here holds `target`: it would keep it alive. */
function finalization(target: object): Promise<void> {
  let resolve: () => void = () => undefined
  const finalized = new Promise<void>((settle) => {
    resolve = settle
  })
  finalizers.register(target, resolve)
  return finalized
}

/**
 * Resolves once `finalized` does: a full collection runs on each turn of the event loop until then (WeakRefs and
 * finalizers act between jobs), at most `turns` times; rejects naming `what` after that.
 */
async function collected(finalized: Promise<void>, what: string, turns = 100): Promise<void> {
  let done = false
  void finalized.then(() => {
    done = true
  })
  for (let turn = 0; turn < turns && !done; turn++) {
    gc()
    await new Promise((resolve) => setImmediate(resolve))
  }
  if (!done) throw new Error(`${what} was not collected after ${turns} full collections`)
}

beforeEach(() => {
  discoverCalls = 0
  clearCache()
})

describe('Function: createResolver, clientConfig', () => {
  it('It should make one DiscoverInstances call for two resolvers with equal client configurations', async () => {
    // Prepare
    const first = createResolver({ logger, clientConfig: config({ maxAttempts: 2 }) })
    const second = createResolver({ logger, clientConfig: { maxAttempts: 2, ...config() } })

    // Act
    await first.resolve(instance('prod.web'))
    const value = second.resolveSync(instance('prod.web'))

    // Assess
    expect(value).not.toBe(NOT_READY)
    expect(second.settings.registry).toBe(first.settings.registry)
    expect(discoverCalls).toBe(1)
  })

  it('It should compare functions and class instances in a configuration by identity', async () => {
    // Prepare
    const provider = async () => ({ accessKeyId: 'x', secretAccessKey: 'y' })
    const sameProvider = [
      createResolver({ logger, clientConfig: config({ credentials: provider }) }),
      createResolver({ logger, clientConfig: config({ credentials: provider }) }),
    ]
    const otherProvider = createResolver({
      logger,
      clientConfig: config({ credentials: async () => ({ accessKeyId: 'x', secretAccessKey: 'y' }) }),
    })

    // Act
    for (const resolver of [...sameProvider, otherProvider]) await resolver.resolve(instance('prod.web'))

    // Assess
    expect(sameProvider[0]?.settings.registry).toBe(sameProvider[1]?.settings.registry)
    expect(otherProvider.settings.registry).not.toBe(sameProvider[0]?.settings.registry)
    expect(discoverCalls).toBe(2)
  })

  it('It should tell apart configurations that differ in a nested plain value', () => {
    const east = cloudMapRegistry({ clientConfig: { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } } })
    const other = cloudMapRegistry({ clientConfig: { region: 'us-east-1', credentials: { accessKeyId: 'b', secretAccessKey: 's' } } })
    const again = cloudMapRegistry({ clientConfig: { credentials: { secretAccessKey: 's', accessKeyId: 'a' }, region: 'us-east-1' } })

    expect(other).not.toBe(east)
    expect(again).toBe(east)
  })

  it('It should use the process-wide registry for an empty configuration', () => {
    expect(cloudMapRegistry({ clientConfig: {} })).toBe(cloudMapRegistry())
    expect(createResolver({ clientConfig: { region: undefined } as ServiceDiscoveryClientConfig }).settings.registry).toBe(
      cloudMapRegistry(),
    )
  })
})

describe('Function: cacheOf, lifetime', () => {
  it('It should let a registry and its cache be collected once no resolver uses them', async () => {
    // Prepare: a resolver that fetched something, then dropped; only the finalizers see its registry and cache.
    const gone = await (async () => {
      const resolver = createResolver({ logger, clientConfig: config({ region: 'ap-south-2' }) })
      await resolver.resolve(instance('prod.web'))
      const { registry } = resolver.settings
      return { registry: finalization(registry), cache: finalization(cacheOf(registry)) }
    })()

    // Act, Assess: both finalizers run (the one GC-driven test: its wait ends on the event, its timeout is generous).
    await collected(gone.registry, 'the registry')
    await collected(gone.cache, 'its cache')
    expect(discoverCalls).toBe(1)
  }, 30_000)

  it('It should keep a shared registry while one resolver still uses it', async () => {
    // Prepare
    const kept = createResolver({ logger, clientConfig: config({ region: 'ap-south-2', maxAttempts: 5 }) })
    await (async () => {
      const dropped = createResolver({ logger, clientConfig: config({ region: 'ap-south-2', maxAttempts: 5 }) })
      await dropped.resolve(instance('prod.web'))
    })()

    // Act: one full collection, in a later job than the one that dropped the other resolver.
    await new Promise((resolve) => setImmediate(resolve))
    gc()
    await new Promise((resolve) => setImmediate(resolve))

    // Assess: the shared registry survives, with its cache and its place for equal configurations.
    expect(kept.resolveSync(instance('prod.web'))).not.toBe(NOT_READY)
    expect(cloudMapRegistry({ clientConfig: config({ region: 'ap-south-2', maxAttempts: 5 }) })).toBe(kept.settings.registry)
    expect(discoverCalls).toBe(1)
  })

  it('It should forget the entries of every cache on clearCache(), though it cannot list them', async () => {
    // Prepare
    const resolver = createResolver({ logger, clientConfig: config({ region: 'ca-west-1' }) })
    await resolver.resolve(instance('prod.web'))

    // Act
    clearCache()

    // Assess
    expect(resolver.resolveSync(instance('prod.web'))).toBe(NOT_READY)
    expect(cacheOf(resolver.settings.registry).size).toBe(0)
    await resolver.resolve(instance('prod.web'))
    expect(discoverCalls).toBe(2)
  })
})
