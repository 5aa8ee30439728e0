import { Annotations } from 'aws-cdk-lib'
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery'
import { checkAttributes, checkInstanceId } from './limits.js'
import { literal, registrationsOf, serviceNames } from './registry.js'
import { type DescribedTarget, describeTarget, type InstanceTarget } from './targets.js'

/** Props of `registerInstance()`. */
export interface RegisterInstanceProps {
  /**
   * The instance id: what an address pins after `->` (`get-job` in `prod.scheduler->get-job`).
   * 1 to 64 letters, digits and `_ / : . @ -`; unique in the service. It also names the
   * instance's construct, under the service.
   */
  readonly instanceId: string
  /**
   * Attributes of your own, besides those of the target's kind (`type`, `arn`, `url`, which
   * you cannot override). What a dependency's `attributes` schema validates, or what an
   * `instance()` dependency reads. Checked against Cloud Map's limits at synth time: at most
   * 30 custom attributes, keys of at most 255 and values of at most 1,024 printable ASCII
   * characters, 5,000 characters in all. A value that is a token is checked by Cloud Map at
   * deploy time, with a warning now.
   *
   * @default - none: only the kind's attributes (required when there is no target)
   */
  readonly attributes?: Readonly<Record<string, string>>
}

/** The attributes the kinds themselves read: a target's are written by `registerInstance()`, never by the caller. */
const KIND_ATTRIBUTES = ['type', 'arn', 'url']

const WARNING = '@cloudmap-middy/cdk:attributes'

/**
 * Registers a target in a Cloud Map service, as an instance with exactly the attributes
 * the matching dependency kind reads, and records it for `grantServices()`:
 *
 * | target | kind | attributes |
 * |---|---|---|
 * | `lambda.IFunction` (a version or alias too) | `lambda()` | `type: lambda`, `arn` |
 * | `sqs.IQueue` | `queue()` | `type: sqs`, `arn`, `url` |
 * | `sns.ITopic` | `topic()` | `type: sns`, `arn` |
 * | `sfn.IStateMachine` | `stateMachine()` | `type: stepfunctions`, `arn` |
 * | `events.IEventBus` | `eventBus()` | `type: eventbridge`, `arn` |
 * | `{ url }` | `http()` | `type: http`, `url` |
 *
 * plus `props.attributes`. The service must be one whose instances need no IP address: a
 * service of an HTTP namespace, or one created with `DiscoveryType.API`. The instance is a
 * `servicediscovery.NonIpInstance` whose construct is a child of the service, named after
 * the instance id.
 *
 * @param service - the Cloud Map service (`namespace.createService()`, or an imported one).
 * @param target - what the instance points to.
 * @param props - the instance id and attributes of your own.
 * @returns the instance.
 * @throws {Error} at synth time for an instance id or attributes Cloud Map would refuse, an
 *   attribute that overrides the kind's own, an instance id registered twice in the service,
 *   or an HTTP endpoint whose URL is not http(s) or carries credentials.
 * @example
 * ```ts
 * const namespace = new servicediscovery.HttpNamespace(this, 'Namespace', { name: 'prod' })
 * const scheduler = namespace.createService('Scheduler', { name: 'scheduler' })
 * const getJob = new lambda.Function(this, 'GetJob', { ... })
 * registerInstance(scheduler, getJob, { instanceId: 'get-job' }) // prod.scheduler->get-job
 * registerInstance(scheduler, queue, { instanceId: 'scheduler-queue', attributes: { team: 'jobs' } })
 * registerInstance(scheduler, { url: 'https://jobs.internal.example.com/v1' }, { instanceId: 'jobs-http' })
 * ```
 */
export function registerInstance(
  service: servicediscovery.IService,
  target: InstanceTarget,
  props: RegisterInstanceProps,
): servicediscovery.IInstance
/**
 * Registers an instance of attributes only, for `instance()` dependencies (a table name, a
 * bucket, a feature flag): no target, no `type`.
 *
 * @param service - the Cloud Map service.
 * @param props - the instance id and its attributes (at least one).
 * @returns the instance.
 * @throws {Error} at synth time as the other form does, and when there is no attribute.
 * @example
 * ```ts
 * registerInstance(storage, { instanceId: 'jobs-table', attributes: { tableName: table.tableName } })
 * // instance('prod.storage->jobs-table', { attributes: z.object({ tableName: z.string() }) })
 * ```
 */
export function registerInstance(service: servicediscovery.IService, props: RegisterInstanceProps): servicediscovery.IInstance
export function registerInstance(
  service: servicediscovery.IService,
  targetOrProps: InstanceTarget | RegisterInstanceProps,
  maybeProps?: RegisterInstanceProps,
): servicediscovery.IInstance {
  const props = (maybeProps ?? targetOrProps) as RegisterInstanceProps
  const names = serviceNames(service)
  const instanceId = literal(service, props?.instanceId)
  const label = `registerInstance(${names.namespace ?? '<namespace token>'}.${names.service ?? '<service token>'}->${instanceId ?? '<instance id token>'})`
  if (typeof props !== 'object' || props === null) throw new TypeError(`${label}: props { instanceId, attributes? } are required`)
  checkInstanceId(label, props.instanceId)

  const given = { ...props.attributes }
  let target: DescribedTarget | undefined
  if (maybeProps !== undefined) {
    target = describeTarget(label, targetOrProps as InstanceTarget)
    const overridden = Object.keys(given).filter((key) => KIND_ATTRIBUTES.includes(key))
    if (overridden.length > 0) {
      throw new Error(
        `${label}: the attribute(s) ${overridden.join(', ')} are the ${target.type} kind's own; registerInstance() writes them`,
      )
    }
  } else if (Object.keys(given).length === 0) {
    throw new Error(`${label}: an instance with no target needs at least one attribute`)
  }
  const attributes = { ...target?.attributes, ...given }
  const warnings = checkAttributes(label, attributes, new Set(Object.keys(given)))

  const registrations = registrationsOf(service)
  const duplicate = registrations.find((r) =>
    instanceId === undefined || names.service === undefined || names.namespace === undefined
      ? false
      : r.namespace === names.namespace && r.service === names.service && r.instanceId === instanceId,
  )
  if (duplicate) throw new Error(`${label}: the instance id is already registered in this app (${duplicate.construct.node.path})`)

  const id = instanceId === undefined ? `Instance${registrations.length}` : instanceId.replaceAll('/', '_')
  const instance = new servicediscovery.NonIpInstance(service, id, { service, instanceId: props.instanceId, customAttributes: attributes })
  const annotations = Annotations.of(instance)
  for (const key of warnings.unchecked) {
    annotations.addWarningV2(`${WARNING}.token`, `attribute "${key}" is a token: Cloud Map checks its length and characters at deploy time`)
  }
  if (warnings.mayExceedTotal) {
    annotations.addWarningV2(`${WARNING}.total`, 'the attributes may exceed 5,000 characters in all once their tokens are resolved')
  }
  if (names.namespace === undefined || names.service === undefined) {
    annotations.addWarningV2(
      `${WARNING}.names`,
      'the namespace or service name is a token: grantServices() cannot match a declared address to this instance',
    )
  }
  registrations.push({
    namespace: names.namespace,
    service: names.service,
    instanceId,
    target,
    attributes,
    construct: instance,
  })
  return instance
}
