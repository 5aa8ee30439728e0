// Runs in a process of its own, one per function, confined (see isolation.ts; guard.ts is loaded
// first): loads the handler module while recording what it declares, reports the declarations,
// then binds each dependency to the instances the check sends (the template's, and Cloud Map's
// with --live: the check asks Cloud Map, this process never holds the caller's credentials).
// One JSON message a line on fd 3; what this process says is read by the check as untrusted.
import net from 'node:net'
import { pathToFileURL } from 'node:url'
import { type AnyDependency, getDefaultResolver, type RegisteredInstance, type Resolver } from '@cloudmap-middy/core'
import { type BindContext, type Declaration, recordDeclarations } from '@cloudmap-middy/core/declarations'
import { boundTarget } from './bound-target.js'
import type { Binding, BindRequest, ChildMessage, DeclaredDependency } from './protocol.js'
import type { Pseudo } from './sam-policies.js'

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

/** Binds one instance as the resolver would, and says what came of it. */
async function bind(
  job: { pseudo: Pseudo },
  dependency: AnyDependency,
  instance: RegisteredInstance,
  context: BindContext,
): Promise<Binding> {
  try {
    const value: unknown = await dependency.bind(instance, context)
    const target = boundTarget(dependency.kind, value, job.pseudo)
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
  job: BindRequest,
  dependency: AnyDependency,
  instances: readonly RegisteredInstance[],
  resolvers: readonly Resolver[],
  live: boolean,
): Promise<Binding[]> {
  // The kinds' warnings (an ECS attribute ignored, ...) are not findings.
  const logger = { warn: () => undefined }
  const bindings: Binding[] = []
  for (const instance of instances) {
    let result: Binding | undefined
    for (const resolver of resolvers) {
      // Cloud Map's queue URLs may be on the caller's custom endpoint (moto, LocalStack), which this process is not given.
      const clients = live && job.liveSqsEndpoint !== undefined ? { config: { endpoint: job.liveSqsEndpoint } } : undefined
      const context: BindContext = {
        label: dependency.label,
        address: dependency.address,
        logger,
        clients,
        policy: resolver.settings.policy,
      }
      result = await bind(job, dependency, instance, context)
      if (!result.ok) break
    }
    if (result) bindings.push(result)
  }
  return bindings
}

/** The check's pipe: one JSON message a line, each way. */
const channel = new net.Socket({ fd: 3, readable: true, writable: true })
const say = (message: ChildMessage) => channel.write(`${JSON.stringify(message)}\n`)

/** The next message from the check. */
function hear(): Promise<unknown> {
  return new Promise((resolve) => {
    let buffer = ''
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      const cut = buffer.indexOf('\n')
      if (cut === -1) return
      channel.off('data', onData)
      resolve(JSON.parse(buffer.slice(0, cut)))
    }
    channel.on('data', onData)
  })
}

async function run(url: string, exportName: string): Promise<void> {
  const declarations: Declaration[] = []
  const stop = recordDeclarations((declaration) => declarations.push(declaration))
  let exported: unknown
  try {
    const module = (await import(url)) as Record<string, unknown>
    // A named export, as Lambda's Node.js runtimes look the handler up (not `export default { handler }`).
    exported = module[exportName]
  } catch (error) {
    stop()
    say({ type: 'failed', error: describe(error) })
    return
  }
  stop()

  const created = [...new Set(declarations.flatMap((d) => (d.type === 'resolver' ? [d.resolver] : [])))]
  const gathered = gather(declarations).map((entry) => ({ ...entry, resolvers: resolversOf(entry.context, created) }))
  const dependencies = gathered.map(({ dependency, name, by, resolvers }): DeclaredDependency => {
    const { address, discovery } = dependency
    return {
      ...(name === undefined ? {} : { name }),
      by,
      kind: dependency.kind,
      namespace: address.namespace,
      service: address.service,
      ...(address.instance === undefined ? {} : { instance: address.instance }),
      ...(address.account === undefined ? {} : { account: address.account }),
      optional: dependency.optional,
      ...(discovery.maxResults === undefined ? {} : { maxResults: discovery.maxResults }),
      ...(discovery.queryParameters === undefined ? {} : { queryParameters: discovery.queryParameters }),
      // The filter the handler's resolution asks for: its own, else its resolver's.
      healthStatus: discovery.healthStatus ?? resolvers[0]?.settings.healthStatus ?? 'HEALTHY_OR_ELSE_ALL',
      revalidate: resolvers.some((resolver) => resolver.settings.revalidate === 'revision') ? 'revision' : 'full',
    }
  })
  say({ type: 'declared', exported: typeof exported === 'function', dependencies })

  const request = (await hear()) as BindRequest
  const sets: { template: Binding[]; live?: Binding[] }[] = []
  for (const [index, { dependency, resolvers }] of gathered.entries()) {
    const set = request.sets[index]
    if (set === undefined) break
    const template = await bindAll(request, dependency, set.template, resolvers, false)
    const live = set.live === undefined ? undefined : await bindAll(request, dependency, set.live, resolvers, true)
    sets.push({ template, ...(live === undefined ? {} : { live }) })
  }
  say({ type: 'bound', sets })
  // This process waits to be ended by the check, which reads the message first.
}

const [module, exportName] = process.argv.slice(2)
run(pathToFileURL(module ?? '').href, exportName ?? 'handler').catch((error: unknown) => say({ type: 'failed', error: describe(error) }))
