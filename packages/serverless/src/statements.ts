// A function's declarations → its IAM statements, as grantServices() grants them from a handler's
// services: DiscoverInstances under the namespace and service condition keys, and each kind's call
// actions (core's list of kinds) on the targets registered at the declared addresses only.
import type { Declaration } from '@cloudmap-middy/check'
import { defaultCalls, type KindCalls, kindCalls, unknownCall } from '@cloudmap-middy/core/iam'
import type { FunctionCloudMapConfig } from './config.js'
import type { CfnValue, Registration } from './registrations.js'

/** An IAM policy statement. */
export interface Statement {
  /** `Allow`. */
  readonly Effect: 'Allow'
  /** The actions. */
  readonly Action: readonly string[]
  /** The resources (intrinsics as they are). */
  readonly Resource: readonly CfnValue[] | '*'
  /** The conditions. */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>
}

/** What a function's statements are derived from. */
export interface FunctionGrants {
  /** The statements. */
  readonly statements: readonly Statement[]
  /** What could not be granted and is not an error (an `optional()` dependency registered nowhere). */
  readonly warnings: readonly string[]
}

/** The registrations a declared dependency may resolve to, or why there are none. */
function match(declared: Declaration, kind: KindCalls, registrations: readonly Registration[]): readonly Registration[] | string {
  const inService = registrations.filter((r) => r.namespace === declared.namespace && r.service === declared.service)
  const query = Object.entries(declared.queryParameters ?? {})
  const candidates = inService.filter(
    (r) =>
      (declared.instance === undefined || r.instanceId === declared.instance) &&
      // An intrinsic might equal the value: such an instance is kept.
      query.every(([key, value]) => r.attributes[key] === value || typeof r.attributes[key] === 'object'),
  )
  const ids = (list: readonly Registration[]) => list.map((r) => r.instanceId).join(', ')
  if (candidates.length === 0) {
    const there = inService.length > 0 ? ` (${declared.namespace}.${declared.service} has ${ids(inService)})` : ''
    const filtered = query.length > 0 ? ' with its query parameters' : ''
    return `nothing is registered as ${declared.label}${filtered} in custom.cloudMap${there}: register it there, or list it in the function's cloudMap.external if it is registered elsewhere`
  }
  if (kind.type === undefined) return candidates
  const typed = candidates.filter((r) => r.type === kind.type)
  if (typed.length === 0) {
    const types = [...new Set(candidates.map((r) => r.type ?? 'attributes only'))].join(', ')
    return `${declared.label} is declared with ${kind.factory} (type ${kind.type}) but registered as ${types} (${ids(candidates)})`
  }
  return typed
}

/**
 * The IAM statements a function's handler needs for what it declares: one `DiscoverInstances`
 * statement per namespace (on `*`, limited by `servicediscovery:NamespaceName` and
 * `servicediscovery:ServiceName`; `DiscoverInstancesRevision` too for a resolver that revalidates
 * by revision), and per set of actions the calls' actions on the registered targets.
 *
 * @param where - the function, for errors (`functions.api`).
 * @param declared - what its handler module declares.
 * @param registrations - what `custom.cloudMap` registers.
 * @param config - the function's `cloudMap` (calls, external).
 * @throws {Error} naming the function and the address when nothing of the dependency's kind is
 *   registered there (not for an `optional()` one: a warning), for an unknown kind or call.
 * @example
 * ```ts
 * grantsOf('functions.api', declared, registrations, {}).statements
 * // [{ Effect: 'Allow', Action: ['servicediscovery:DiscoverInstances'], Resource: '*', Condition: … }, …]
 * ```
 */
export function grantsOf(
  where: string,
  declared: readonly Declaration[],
  registrations: readonly Registration[],
  config: FunctionCloudMapConfig = {},
): FunctionGrants {
  const names = new Set(declared.flatMap((d) => (d.name === undefined ? [] : [d.name])))
  const external = new Set(config.external ?? [])
  for (const name of [...external, ...Object.keys(config.calls ?? {})]) {
    if (!names.has(name))
      throw new Error(`${where}.cloudMap: "${name}" is not a dependency its handler declares (${[...names].join(', ')})`)
  }
  const statements: Statement[] = []
  const warnings: string[] = []
  const byNamespace = new Map<string, { services: Set<string>; revision: boolean }>()
  for (const d of declared) {
    const entry = byNamespace.get(d.namespace) ?? { services: new Set<string>(), revision: false }
    entry.services.add(d.service)
    entry.revision ||= d.revalidate === 'revision'
    byNamespace.set(d.namespace, entry)
  }
  for (const [namespace, { services, revision }] of byNamespace) {
    const sorted = [...services].sort()
    statements.push({
      Effect: 'Allow',
      Action: ['servicediscovery:DiscoverInstances', ...(revision ? ['servicediscovery:DiscoverInstancesRevision'] : [])],
      Resource: '*',
      Condition: {
        StringEquals: {
          'servicediscovery:NamespaceName': namespace,
          'servicediscovery:ServiceName': sorted.length === 1 ? (sorted[0] as string) : sorted,
        },
      },
    })
  }
  const groups = new Map<string, { actions: readonly string[]; resources: Map<string, CfnValue> }>()
  for (const d of declared) {
    if (d.name !== undefined && external.has(d.name)) continue
    const label = `${where}: ${d.name ?? 'a dependency'} (${d.label})`
    const kind = kindCalls(d.kind)
    if (kind === undefined) throw new Error(`${label}: the plugin does not know the kind "${d.kind}"; list it in cloudMap.external`)
    const listed = d.name === undefined ? undefined : config.calls?.[d.name]
    for (const call of listed ?? []) {
      const unknown = unknownCall(kind, call)
      if (unknown !== undefined) throw new Error(`${label}: ${unknown}`)
    }
    const found = match(d, kind, registrations)
    if (typeof found === 'string') {
      if (!d.optional) throw new Error(`${label}: ${found}`)
      warnings.push(`${label} (optional): ${found}; only discovery is granted`)
      continue
    }
    for (const target of found) {
      if (target.arn === undefined) continue
      const calls = listed ?? defaultCalls(kind, target)
      const actions = [...new Set(calls.flatMap((call) => kind.calls[call]?.actions ?? []))]
      if (actions.length === 0) continue
      const key = actions.join(' ')
      const group = groups.get(key) ?? { actions, resources: new Map<string, CfnValue>() }
      group.resources.set(JSON.stringify(target.arn), target.arn)
      groups.set(key, group)
    }
  }
  for (const { actions, resources } of groups.values()) {
    statements.push({ Effect: 'Allow', Action: [...actions], Resource: [...resources.values()] })
  }
  return { statements, warnings }
}
