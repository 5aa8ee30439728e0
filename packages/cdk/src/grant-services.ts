import type { AnyDependency, Dependency, ServiceSet, Services } from '@cloudmap-middy/core'
import { defaultCalls, KINDS, type KindCalls, kindCalls, unknownCall } from '@cloudmap-middy/core/iam'
import { Annotations, Token } from 'aws-cdk-lib'
import * as iam from 'aws-cdk-lib/aws-iam'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type { IConstruct } from 'constructs'
import { type Registration, registrationsOf } from './registry.js'
import { addSnapshot } from './snapshot.js'

/**
 * The calls a handler can make on a dependency: the methods of what it resolves to
 * (`'send' | 'sendBatch' | 'receive' | 'listen'` for a `queue()`).
 */
export type CallName<D> =
  D extends Dependency<infer Value>
    ? Extract<
        {
          [K in keyof NonNullable<Value>]-?: NonNullable<Value>[K] extends (...args: never[]) => unknown ? K : never
        }[keyof NonNullable<Value>],
        string
      >
    : never

/** Props of `grantServices()`. */
export interface GrantServicesProps<S extends Services = Services> {
  /**
   * How the handler's resolver revalidates expired entries, as given to
   * `createResolver({ revalidate })`: `revision` also grants
   * `servicediscovery:DiscoverInstancesRevision`, under the same conditions.
   *
   * @default 'full'
   */
  readonly revalidate?: 'full' | 'revision'
  /**
   * The calls the handler makes, by dependency, when they are not the kind's defaults; only
   * what they need is granted. A queue the handler receives from: `{ jobs: ['receive'] }`
   * (`sqs:ReceiveMessage`, `sqs:DeleteMessage`, `sqs:ChangeMessageVisibility`, and no
   * `sqs:SendMessage` unless `'send'` is listed too).
   *
   * @default - per kind: `lambda()` request and invoke (`lambda:InvokeFunction`); `queue()`
   *   send and sendBatch (`sqs:SendMessage`); `topic()` publish and publishBatch
   *   (`sns:Publish`); `stateMachine()` start (`states:StartExecution`), and run
   *   (`states:StartSyncExecution`) when the registered state machine is an EXPRESS one of
   *   this app; `eventBus()` put and putBatch (`events:PutEvents`); `http()` and
   *   `instance()` none. A queue or topic encrypted with a customer managed key of this app
   *   also gets `kms:GenerateDataKey` and `kms:Decrypt` to send (`kms:Decrypt` to receive).
   */
  readonly calls?: { readonly [Name in keyof S]?: readonly CallName<S[Name]>[] }
  /**
   * Dependencies registered outside this app (a stack deployed on its own, a namespace shared
   * by another account, ECS service discovery): they get `DiscoverInstances` only, with no
   * check; grant their calls yourself.
   *
   * @default - none: every dependency must be registered in this app with `registerInstance()`
   */
  readonly external?: readonly (keyof S & string)[]
  /**
   * Gives the function a deploy-time snapshot of the registrations of its declared services
   * (`CLOUDMAP_MIDDY_SNAPSHOT`, see docs/snapshot-format.md): every instance this app registers
   * with `registerInstance()` in each declared service, its values (ARNs, URLs) resolved by
   * CloudFormation at deploy. The handler's first invocation then needs no Cloud Map round trip:
   * the snapshot is served as a stale answer and refreshed on first use. Between a
   * re-registration and a container's first refresh, its first invocation uses the deploy-time
   * target (a call to a target that no longer exists is retried once on the new one).
   *
   * A declared service this app registers nothing in (an `external` one, an unregistered
   * `optional()` one) is left to discovery at cold start, with a synth warning naming it. The
   * synth fails, naming the function, when its environment (the snapshot with its deploy-time
   * values at their longest, plus its other variables) could exceed Lambda's 4 KB. Needs a
   * `lambda.Function` as grantee.
   *
   * @default false
   */
  readonly snapshot?: boolean
}

const WARNING = '@cloudmap-middy/cdk:grantServices'

function isDependency(value: unknown): value is AnyDependency {
  if (typeof value !== 'object' || value === null) return false
  const { kind, address, label, bind } = value as Partial<AnyDependency>
  return typeof kind === 'string' && typeof label === 'string' && typeof bind === 'function' && typeof address === 'object'
}

function isServiceSet(value: object): value is ServiceSet<Services> {
  return 'services' in value && typeof (value as ServiceSet<Services>).resolveSync === 'function'
}

/** The `calls` a dependency is granted: the ones listed, or its kind's defaults. */
function callsOf(label: string, kind: KindCalls, listed: readonly string[] | undefined): readonly string[] {
  if (listed === undefined) return kind.defaults
  if (!Array.isArray(listed)) throw new TypeError(`${label}: calls must be an array of method names`)
  for (const call of listed) {
    const unknown = unknownCall(kind, call)
    if (unknown !== undefined) throw new Error(`${label}: ${unknown}`)
  }
  return listed
}

/** The registrations a dependency may resolve to, or why there are none. */
function match(dependency: AnyDependency, kind: KindCalls, registrations: readonly Registration[]): Registration[] | string {
  const { namespace, service, instance } = dependency.address
  const inService = registrations.filter((r) => r.namespace === namespace && r.service === service)
  const query = Object.entries(dependency.discovery.queryParameters ?? {})
  const candidates = inService.filter(
    (r) =>
      (instance === undefined || r.instanceId === instance) &&
      // A token might equal the value: such an instance is kept.
      query.every(([key, value]) => r.attributes[key] === value || Token.isUnresolved(r.attributes[key])),
  )
  const ids = (list: readonly Registration[]) => list.map((r) => r.instanceId ?? '<token>').join(', ')
  if (candidates.length === 0) {
    const there = inService.length > 0 ? ` (${namespace}.${service} has ${ids(inService)})` : ''
    const filtered = query.length > 0 ? ' with its query parameters' : ''
    return `nothing is registered as ${dependency.label}${filtered} in this app${there}: register it with registerInstance() before grantServices(), or list it in \`external\` if it is registered elsewhere`
  }
  if (kind.type === undefined) return candidates
  const typed = candidates.filter((r) => r.target?.type === kind.type)
  if (typed.length === 0) {
    const types = [...new Set(candidates.map((r) => r.target?.type ?? 'attributes only'))].join(', ')
    return `${dependency.label} is declared with ${kind.factory} (type ${kind.type}) but registered as ${types} (${ids(candidates)})`
  }
  return typed
}

/**
 * Grants a function exactly what its handler's declared dependencies need, from the same
 * `services` object the handler gives `cloudMap()`:
 *
 * - `servicediscovery:DiscoverInstances` (and `DiscoverInstancesRevision` with
 *   `revalidate: 'revision'`) on `*`, as these actions take no resource, limited by the
 *   condition keys `servicediscovery:NamespaceName` and `servicediscovery:ServiceName`: one
 *   statement per namespace, naming its services;
 * - the actions of the calls the handler makes (see `calls`), on the targets registered in
 *   this app with `registerInstance()` at the declared addresses (an address without `->`:
 *   every instance of the service of the dependency's type, filtered by its
 *   `queryParameters`); KMS actions on a queue's or topic's customer managed key.
 *
 * Call it after the targets are registered (`registerInstance()`), in any stack of the app.
 *
 * @param grantee - the function (or its role): an `iam.IGrantable` that is a construct of the app.
 * @param services - the handler's dependencies, as given to `cloudMap({ services })`
 *   (or the result of `defineServices()`).
 * @param props - what the handler calls, how it revalidates, what is registered elsewhere.
 * @returns the grants, combined.
 * @throws {Error} at synth time naming the dependency and its address when nothing of its
 *   kind is registered there in this app (an `optional()` one gets a warning and only
 *   discovery), for a kind `grantServices()` does not know, and for a call the kind does not have.
 * @throws {TypeError} for an entry of `services` that is not a dependency.
 * @throws {Error} with `snapshot` when the grantee is not a `lambda.Function`, and at synth time,
 *   naming the function, when its environment could exceed Lambda's 4 KB.
 * @example
 * ```ts
 * // src/services.ts, imported by the handler and by the CDK app
 * export const getJob = () => lambda('prod.scheduler->get-job', { result: Job })
 * export const jobsQueue = () => queue('prod.scheduler->scheduler-queue', { message: JobMessage })
 *
 * // the CDK app
 * registerInstance(scheduler, getJobFunction, { instanceId: 'get-job' })
 * registerInstance(scheduler, queue, { instanceId: 'scheduler-queue' })
 * grantServices(apiFunction, { getJob: getJob(), queue: jobsQueue() })
 * grantServices(workerFunction, { queue: jobsQueue() }, { calls: { queue: ['receive'] } })
 * // cold starts without a Cloud Map round trip
 * grantServices(apiFunction, { getJob: getJob() }, { snapshot: true })
 * ```
 */
export function grantServices<const S extends Services>(
  grantee: iam.IGrantable & IConstruct,
  services: S | ServiceSet<S>,
  props: GrantServicesProps<S> = {},
): iam.Grant {
  const where = `grantServices(${grantee?.node?.path ?? '?'})`
  if (typeof services !== 'object' || services === null) throw new TypeError(`${where}: services must be an object of dependencies`)
  const declared: Services = isServiceSet(services) ? services.services : services
  const names = Object.keys(declared)
  for (const name of names) {
    if (!isDependency(declared[name])) {
      throw new TypeError(
        `${where}: services.${name} is not a dependency: declare it with ${Object.values(KINDS)
          .map((kind) => kind.factory)
          .join(', ')}`,
      )
    }
  }
  const external = new Set<string>(props.external ?? [])
  for (const name of [...external, ...Object.keys(props.calls ?? {})]) {
    if (!Object.hasOwn(declared, name)) throw new Error(`${where}: "${name}" is not one of the services (${names.join(', ')})`)
  }
  if (names.length === 0) return iam.Grant.drop(grantee, 'no services declared')

  const grants: iam.Grant[] = []

  // Discovery: one statement per namespace, so that no namespace gets another's services.
  const discover = [
    'servicediscovery:DiscoverInstances',
    ...(props.revalidate === 'revision' ? ['servicediscovery:DiscoverInstancesRevision'] : []),
  ]
  const byNamespace = new Map<string, Set<string>>()
  for (const name of names) {
    const { namespace, service } = (declared[name] as AnyDependency).address
    byNamespace.set(namespace, (byNamespace.get(namespace) ?? new Set()).add(service))
  }
  for (const [namespace, set] of byNamespace) {
    const serviceNames = [...set].sort()
    grants.push(
      iam.Grant.addToPrincipal({
        grantee,
        actions: discover,
        resourceArns: ['*'],
        conditions: {
          StringEquals: {
            'servicediscovery:NamespaceName': namespace,
            'servicediscovery:ServiceName': serviceNames.length === 1 ? serviceNames[0] : serviceNames,
          },
        },
      }),
    )
  }

  // Calls: the resources of each distinct set of actions, and the KMS actions of each key.
  const resources = new Map<string, { actions: readonly string[]; arns: Set<string> }>()
  const keys = new Map<kms.IKey, Set<string>>()
  const registrations = registrationsOf(grantee)
  for (const name of names) {
    if (external.has(name)) continue
    const dependency = declared[name] as AnyDependency
    const label = `${where}: services.${name}`
    const kind = kindCalls(dependency.kind)
    if (kind === undefined) {
      throw new Error(
        `${label}: grantServices() does not know the kind "${dependency.kind}"; list it in \`external\` and grant its calls yourself`,
      )
    }
    const listed = (props.calls as Readonly<Record<string, readonly string[]>> | undefined)?.[name]
    const calls = callsOf(label, kind, listed)
    const found = match(dependency, kind, registrations)
    if (typeof found === 'string') {
      if (!dependency.optional) throw new Error(`${label}: ${found}`)
      Annotations.of(grantee).addWarningV2(`${WARNING}.unregistered`, `services.${name} (optional): ${found}; only discovery is granted`)
      continue
    }
    for (const { target } of found) {
      if (target?.arn === undefined) continue
      // An EXPRESS state machine is there to be run(): its default calls include it.
      const made = listed === undefined ? defaultCalls(kind, target) : calls
      const actions = [...new Set(made.flatMap((call) => kind.calls[call]?.actions ?? []))]
      if (actions.length === 0) continue
      const group = actions.join(' ')
      const entry = resources.get(group) ?? { actions, arns: new Set<string>() }
      entry.arns.add(target.arn)
      resources.set(group, entry)
      if (target.key) {
        const set = keys.get(target.key) ?? new Set<string>()
        for (const action of made.flatMap((call) => kind.calls[call]?.kms ?? [])) set.add(action)
        if (set.size > 0) keys.set(target.key, set)
      }
    }
  }
  for (const { actions, arns } of resources.values()) {
    grants.push(iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [...arns] }))
  }
  for (const [key, actions] of keys) grants.push(key.grant(grantee, ...actions))
  if (props.snapshot === true) {
    addSnapshot(where, grantee, new Map(names.map((name) => [name, declared[name] as AnyDependency])), registrations)
  }
  return grants.reduce((all, grant) => all.combine(grant))
}
