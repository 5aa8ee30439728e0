import { describeAddress, toAddress } from '../address/address.js'
import { NamespaceNotFoundError, ServiceNotFoundError } from '../errors.js'
import { selectInstances } from '../registry/select.js'
import type { AddressInput } from '../types/address.js'
import type { Discovery, DiscoveryQuery, RegisteredInstance, Registry } from '../types/registry.js'

/** Instances by service (`namespace.service`), then by instance id, with their attributes. */
export type StaticTable = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, string>>>>>>

/** A registry held in memory, for tests: change it while they run. */
export interface StaticRegistry extends Registry {
  /** Adds or replaces an instance (the service is created when missing). */
  register(service: AddressInput, instanceId: string, attributes: Readonly<Record<string, string>>): void
  /** Removes an instance; the service stays, possibly empty. */
  deregister(service: AddressInput, instanceId: string): void
  /** Removes a service and its instances. */
  remove(service: AddressInput): void
  /** How many times `discover` was called, by service (`namespace.service`). */
  readonly calls: ReadonlyMap<string, number>
}

function serviceKey(namespace: string, service: string): string {
  return `${namespace}\u0000${service}`
}

/**
 * A registry that serves a fixed table, so a handler can be unit-tested without
 * Cloud Map. It honours `queryParameters`, `optionalParameters` and `maxResults`;
 * every instance counts as healthy. An unknown service throws `ServiceNotFoundError`
 * as Cloud Map does, and `NamespaceNotFoundError` when no service of its namespace is in the table.
 *
 * @example
 * ```ts
 * import { staticRegistry } from '@cloudmap-middy/core/testing'
 *
 * const registry = staticRegistry({
 *   'prod.scheduler': {
 *     'get-job': { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' },
 *   },
 * })
 * const resolver = createResolver({ registry })
 * ```
 */
export function staticRegistry(table: StaticTable = {}): StaticRegistry {
  const services = new Map<string, Map<string, Readonly<Record<string, string>>>>()
  const revisions = new Map<string, number>()
  const calls = new Map<string, number>()

  const locate = (input: AddressInput) => {
    const address = toAddress(input)
    return {
      key: serviceKey(address.namespace, address.service),
      label: describeAddress({ namespace: address.namespace, service: address.service }),
    }
  }
  const bump = (key: string) => revisions.set(key, (revisions.get(key) ?? 0) + 1)
  const find = (query: DiscoveryQuery) => {
    const key = serviceKey(query.namespace, query.service)
    const instances = services.get(key)
    if (!instances) {
      const label = describeAddress({ namespace: query.namespace, service: query.service })
      const prefix = serviceKey(query.namespace, '')
      // As Cloud Map answers: a namespace with no service in the table does not exist.
      if (![...services.keys()].some((known) => known.startsWith(prefix))) throw new NamespaceNotFoundError(label, query.namespace)
      throw new ServiceNotFoundError(label)
    }
    return { key, instances }
  }

  const registry: StaticRegistry = {
    calls,
    async discover(query): Promise<Discovery> {
      const label = `${query.namespace}.${query.service}`
      calls.set(label, (calls.get(label) ?? 0) + 1)
      const { key, instances } = find(query)
      const all: RegisteredInstance[] = [...instances].map(([instanceId, attributes]) => ({
        instanceId,
        attributes: { ...attributes },
        healthStatus: 'HEALTHY',
      }))
      return { instances: selectInstances(all, query), revision: revisions.get(key) ?? 0 }
    },
    async revision(query) {
      return revisions.get(find(query).key) ?? 0
    },
    register(service, instanceId, attributes) {
      const { key } = locate(service)
      let instances = services.get(key)
      if (!instances) {
        instances = new Map()
        services.set(key, instances)
      }
      instances.set(instanceId, { ...attributes })
      bump(key)
    },
    deregister(service, instanceId) {
      const { key } = locate(service)
      if (services.get(key)?.delete(instanceId)) bump(key)
    },
    remove(service) {
      const { key } = locate(service)
      services.delete(key)
      bump(key)
    },
  }
  for (const [service, instances] of Object.entries(table)) {
    const { key, label } = locate(service)
    if (!services.has(key)) services.set(key, new Map())
    for (const [instanceId, attributes] of Object.entries(instances)) registry.register(label, instanceId, attributes)
  }
  return registry
}
