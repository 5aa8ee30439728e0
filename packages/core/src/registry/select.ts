import type { DiscoveryQuery, RegisteredInstance } from '../types/registry.js'

const matches = (attributes: Readonly<Record<string, string>>, wanted: Readonly<Record<string, string>>) =>
  Object.keys(wanted).every((key) => Object.hasOwn(attributes, key) && attributes[key] === wanted[key])

/**
 * The instances of a service that Cloud Map's DiscoverInstances would answer to `query`, for a
 * registry that holds them itself (the static registry, the deploy-time snapshot):
 * `queryParameters` filter, `optionalParameters` are preferred when some match them all,
 * `maxResults` truncates.
 *
 * @internal
 */
export function selectInstances<I extends RegisteredInstance>(instances: readonly I[], query: DiscoveryQuery): readonly I[] {
  const { queryParameters, optionalParameters, maxResults } = query
  let found = queryParameters === undefined ? instances : instances.filter((i) => matches(i.attributes, queryParameters))
  if (optionalParameters !== undefined) {
    const preferred = found.filter((i) => matches(i.attributes, optionalParameters))
    if (preferred.length > 0) found = preferred
  }
  return maxResults === undefined ? found : found.slice(0, maxResults)
}
