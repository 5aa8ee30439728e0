import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { createResolver, lambda, optional, queue } from '@cloudmap-middy/core'
import { type Declaration, isRecordingDeclarations, recordDeclaration, recordDeclarations } from '@cloudmap-middy/core/declarations'
import { afterEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { cloudMap } from '../../src/index.js'

const sdk = mockClient(ServiceDiscoveryClient)
const client = new ServiceDiscoveryClient({ region: 'us-east-1' })

afterEach(() => {
  sdk.reset()
})

describe('recording what a handler module declares', () => {
  it('reports each dependency as it is declared, only while a recorder is installed', () => {
    const seen: Declaration[] = []
    expect(isRecordingDeclarations()).toBe(false)
    lambda('dev.scheduler->before')
    const stop = recordDeclarations((declaration) => seen.push(declaration))
    expect(isRecordingDeclarations()).toBe(true)
    const jobs = queue('dev.scheduler->jobs')
    const maybe = optional(lambda('dev.scheduler->get-job'))
    stop()
    lambda('dev.scheduler->after')
    expect(isRecordingDeclarations()).toBe(false)
    expect(seen.map((d) => (d.type === 'dependency' ? `${d.dependency.kind} ${d.dependency.label}` : d.type))).toEqual([
      'queue dev.scheduler->jobs',
      'lambda dev.scheduler->get-job',
    ])
    expect(seen[0]).toEqual({ type: 'dependency', dependency: jobs })
    expect(maybe.optional).toBe(true)
  })

  it('gives the recorder slot back to the one installed before', () => {
    const outer: string[] = []
    const inner: string[] = []
    const stopOuter = recordDeclarations((d) => outer.push(d.type))
    const stopInner = recordDeclarations((d) => inner.push(d.type))
    lambda('dev.a->one')
    stopInner()
    lambda('dev.a->two')
    stopOuter()
    recordDeclaration({ type: 'dependency', dependency: lambda('dev.a->three') })
    expect(inner).toEqual(['dependency'])
    expect(outer).toEqual(['dependency'])
  })

  it('reports the services and resolver of cloudMap(), which then makes no Cloud Map call', async () => {
    sdk.on(DiscoverInstancesCommand).resolves({ Instances: [] })
    const resolver = createResolver({ client, allowedAccounts: ['111122223333'] })
    const services = { jobs: queue('dev.scheduler->jobs') }
    const seen: Declaration[] = []
    const stop = recordDeclarations((declaration) => seen.push(declaration))
    try {
      cloudMap({ services, resolver })
      // A prefetch would have sent by the next turn of the event loop (the same middleware does, below).
      await new Promise((resolve) => setImmediate(resolve))
    } finally {
      stop()
    }
    expect(seen.filter((d) => d.type === 'services')).toEqual([{ type: 'services', by: 'cloudMap()', services, resolver }])
    expect(sdk.commandCalls(DiscoverInstancesCommand)).toHaveLength(0)

    // Without a recorder, the same middleware prefetches at once.
    cloudMap({ services, resolver })
    await new Promise((resolve) => setImmediate(resolve))
    expect(sdk.commandCalls(DiscoverInstancesCommand)).toHaveLength(1)
  })
})
