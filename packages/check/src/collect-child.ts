// Runs in a process of its own, one per function, with the function's environment: loads the
// handler module while recording what it declares (no Cloud Map call is made: no socket can be
// opened in this process, and the AWS endpoint is a closed port), then binds each dependency to
// the instances the template registers and, with --live, to those the parent found in Cloud Map
// (the parent asks Cloud Map: this process never holds the caller's credentials).
import net from 'node:net'
import {
  type AnyDependency,
  type BindContext,
  type Declaration,
  getDefaultResolver,
  type RegisteredInstance,
  type Resolver,
  recordDeclarations,
} from '@cloudmap-middy/core'
import type {
  Binding,
  ChildMessage,
  CollectedDependency,
  CollectJob,
  CollectResult,
  LiveAnswer,
  LiveQuery,
  ParentMessage,
} from './collect.js'

// No network for the module: a connection it opens while it loads (or later) fails at once.
const NO_NETWORK = 'cloudmap-middy check: no network while a handler module is checked'
net.Socket.prototype.connect = function refuse(this: net.Socket) {
  process.nextTick(() => this.destroy(Object.assign(new Error(NO_NETWORK), { code: 'ECONNREFUSED' })))
  return this
} as typeof net.Socket.prototype.connect

/** An error as the report shows it: its name and message (they name the address, never a payload). */
function describe(error: unknown): string {
  // One line: a message of several (a TypeScript syntax error) has its lines joined.
  if (error instanceof Error)
    return `${error.name}: ${error.message
      .trim()
      .split(/\s*\n\s*/)
      .join(' | ')}`
  return `thrown: ${typeof error}`
}

/** `arn:…:<service>:<region>:<account>:<resource>`: the caller's region and account unless given. */
function toArn(job: CollectJob, service: string, resource: string, region: string, account = job.pseudo.accountId): string {
  return `arn:${job.pseudo.partition}:${service}:${region || job.pseudo.region}:${account}:${resource}`
}

/** The resource the kind's calls act on, as IAM names it, from the bound value. */
function targetOf(job: CollectJob, kind: string, value: Record<string, unknown>): string | undefined {
  const arn = typeof value.arn === 'string' ? value.arn : undefined
  const region = typeof value.region === 'string' ? value.region : ''
  switch (kind) {
    case 'lambda': {
      if (arn?.startsWith('arn:')) return arn
      // A partial ARN (account:function:name[:qualifier]) or a function name, in the caller's region.
      const parts = arn?.split(':') ?? []
      if (parts.length >= 3 && parts[1] === 'function') {
        return toArn(job, 'lambda', parts.slice(1).join(':'), region, parts[0])
      }
      return arn === undefined ? undefined : toArn(job, 'lambda', `function:${arn}`, region)
    }
    case 'queue': {
      if (arn !== undefined) return arn
      const url = typeof value.url === 'string' ? new URL(value.url) : undefined
      const [account, name] = url?.pathname.split('/').filter(Boolean) ?? []
      const host = url?.hostname.match(/^sqs\.([a-z0-9-]+)\./)
      return account && name ? `arn:${job.pseudo.partition}:sqs:${host?.[1] ?? job.pseudo.region}:${account}:${name}` : undefined
    }
    case 'stateMachine':
      // A version or alias is authorized on its state machine's ARN (with states:StateMachineQualifier).
      return arn?.split(':').slice(0, 7).join(':')
    case 'eventBus':
      return arn ?? (typeof value.name === 'string' ? toArn(job, 'events', `event-bus/${value.name}`, region) : undefined)
    default:
      return arn
  }
}

/** Does the instance have every attribute the dependency's `queryParameters` ask for? */
function matchesQuery(dependency: AnyDependency, instance: RegisteredInstance): boolean {
  const query = dependency.discovery.queryParameters ?? {}
  return Object.entries(query).every(([key, value]) => instance.attributes[key] === value)
}

/** Binds one instance as the resolver would, and says what came of it. */
async function bind(job: CollectJob, dependency: AnyDependency, instance: RegisteredInstance, context: BindContext): Promise<Binding> {
  try {
    const value = (await dependency.bind(instance, context)) as Record<string, unknown> | undefined
    const target = value && typeof value === 'object' ? targetOf(job, dependency.kind, value) : undefined
    return { instanceId: instance.instanceId, ok: true, ...(target === undefined ? {} : { target }) }
  } catch (error) {
    // The class name and a refusal's rule travel as data: the report classifies by them, not by text.
    const errorName = error instanceof Error ? error.name : typeof error
    const rule = (error as { rule?: unknown } | null)?.rule
    return { instanceId: instance.instanceId, ok: false, error: describe(error), errorName, ...(typeof rule === 'string' ? { rule } : {}) }
  }
}

/**
 * What the handler module declared: each dependency given to a middleware, once per name,
 * dependency and resolver (two middlewares with different resolvers are both checked), then each
 * dependency given to none. Identity is the dependency's `bind` (an `optional()` wrapper shares
 * its dependency's), never its address: two declarations of one address may differ in schema.
 */
function gather(declarations: readonly Declaration[]): { dependency: AnyDependency; name?: string; by: string; context?: Declaration }[] {
  const out: { dependency: AnyDependency; name?: string; by: string; context?: Declaration }[] = []
  const given = new Set<unknown>()
  const seen = new Map<unknown, Set<unknown>>()
  for (const declaration of declarations) {
    if (declaration.type !== 'services') continue
    for (const [name, dependency] of Object.entries(declaration.services)) {
      given.add(dependency.bind)
      const byName = `${declaration.by}\u0000${name}`
      const resolvers = seen.get(dependency.bind) ?? new Set<unknown>()
      seen.set(dependency.bind, resolvers)
      if (
        resolvers.has(declaration.resolver) &&
        out.some((entry) => entry.dependency.bind === dependency.bind && `${entry.by}\u0000${entry.name}` === byName)
      )
        continue
      resolvers.add(declaration.resolver)
      out.push({ dependency, name, by: declaration.by, context: declaration })
    }
  }
  for (const declaration of declarations) {
    if (declaration.type !== 'dependency' || given.has(declaration.dependency.bind)) continue
    given.add(declaration.dependency.bind)
    out.push({ dependency: declaration.dependency, by: 'module scope' })
  }
  return out
}

/** The resolvers a dependency is resolved by: its middleware's, else each one the module created (else the default). */
function resolversOf(context: Declaration | undefined, created: readonly Resolver[]): readonly Resolver[] {
  if (context?.type === 'services') return [context.resolver]
  return created.length > 0 ? created : [getDefaultResolver()]
}

/** Binds each instance with the policy of each resolver: the first failure counts. */
async function bindAll(
  job: CollectJob,
  dependency: AnyDependency,
  instances: readonly RegisteredInstance[],
  resolvers: readonly Resolver[],
): Promise<Binding[]> {
  // The kinds' warnings (an ECS attribute ignored, ...) are not findings.
  const logger = { warn: () => undefined }
  const bindings: Binding[] = []
  for (const instance of instances) {
    let result: Binding | undefined
    for (const resolver of resolvers) {
      const context: BindContext = { label: dependency.label, logger, clients: undefined, policy: resolver.settings.policy }
      result = await bind(job, dependency, instance, context)
      if (!result.ok) break
    }
    if (result) bindings.push(result)
  }
  return bindings
}

/** Asks the parent for what Cloud Map holds at each address (it answers with its own credentials). */
function askParent(queries: readonly LiveQuery[]): Promise<readonly LiveAnswer[]> {
  return new Promise((resolve) => {
    process.once('message', (message: ParentMessage) => resolve(message.type === 'live' ? message.answers : []))
    process.send?.({ type: 'queries', queries } satisfies ChildMessage)
  })
}

async function run(job: CollectJob): Promise<CollectResult> {
  const declarations: Declaration[] = []
  const stop = recordDeclarations((declaration) => declarations.push(declaration))
  let exported: unknown
  try {
    // TypeScript modules load as they are: the process runs with tsx's loader (see collect()).
    const module = (await import(job.url)) as Record<string, unknown>
    // A named export, as Lambda's Node.js runtimes look the handler up (not `export default { handler }`).
    exported = module[job.exportName]
  } catch (error) {
    stop()
    return { loaded: false, error: describe(error) }
  }
  stop()

  const created = [...new Set(declarations.flatMap((d) => (d.type === 'resolver' ? [d.resolver] : [])))]
  const gathered = gather(declarations).map((entry) => ({ ...entry, resolvers: resolversOf(entry.context, created) }))
  const answers = job.live
    ? await askParent(
        gathered.map(({ dependency, resolvers }): LiveQuery => {
          const { address, discovery } = dependency
          return {
            namespace: address.namespace,
            service: address.service,
            ...(address.account === undefined ? {} : { account: address.account }),
            ...(discovery.queryParameters === undefined ? {} : { queryParameters: discovery.queryParameters }),
            ...(discovery.optionalParameters === undefined ? {} : { optionalParameters: discovery.optionalParameters }),
            ...(discovery.maxResults === undefined ? {} : { maxResults: discovery.maxResults }),
            // The filter the handler's resolution asks for: its own, else its resolver's.
            healthStatus: discovery.healthStatus ?? resolvers[0]?.settings.healthStatus ?? 'HEALTHY_OR_ELSE_ALL',
          }
        }),
      )
    : []

  const dependencies: CollectedDependency[] = []
  for (const [index, { dependency, name, by, resolvers }] of gathered.entries()) {
    const { address } = dependency
    const registered = job.instances
      .filter((instance) => instance.namespace === address.namespace && instance.service === address.service)
      .filter((instance) => address.instance === undefined || instance.instanceId === address.instance)
      .map((instance): RegisteredInstance => ({ instanceId: instance.instanceId, attributes: instance.attributes }))
      .filter((instance) => matchesQuery(dependency, instance))
    const bindings = await bindAll(job, dependency, registered, resolvers)

    let live: CollectedDependency['live']
    if (job.live) {
      const answer = answers[index]
      if (answer === undefined || 'error' in answer) {
        live = { error: answer?.error ?? 'no answer' }
      } else {
        const instances = answer.instances.filter((instance) => address.instance === undefined || instance.instanceId === address.instance)
        live = { bindings: await bindAll(job, dependency, instances, resolvers) }
      }
    }
    dependencies.push({
      ...(name === undefined ? {} : { name }),
      by,
      kind: dependency.kind,
      label: dependency.label,
      namespace: address.namespace,
      service: address.service,
      ...(address.instance === undefined ? {} : { instance: address.instance }),
      ...(address.account === undefined ? {} : { account: address.account }),
      optional: dependency.optional,
      ...(dependency.discovery.queryParameters === undefined ? {} : { queryParameters: dependency.discovery.queryParameters }),
      ...(dependency.discovery.maxResults === undefined ? {} : { maxResults: dependency.discovery.maxResults }),
      revalidate: resolvers.some((resolver) => resolver.settings.revalidate === 'revision') ? 'revision' : 'full',
      bindings,
      ...(live === undefined ? {} : { live }),
    })
  }
  return { loaded: true, exported: typeof exported === 'function', dependencies }
}

process.once('message', (message: ParentMessage) => {
  if (message.type !== 'job') return
  const reply = (result: CollectResult) => process.send?.({ type: 'result', result } satisfies ChildMessage, () => process.exit(0))
  run(message.job).then(reply, (error: unknown) => reply({ loaded: false, error: describe(error) }))
})
