// custom.cloudMap → CloudFormation: the namespaces, services and instances, each instance with
// exactly the attributes its kind reads (core's registeredAttributes()) and within Cloud Map's
// limits (core's rules), refused at package time naming the instance.
import { type InstanceType, type Kind, registeredAttributes } from '@cloudmap-middy/core/iam'
import { attributesProblem, instanceIdProblem } from '@cloudmap-middy/core/registration'
import { type CloudMapConfig, type InstanceConfig, TARGET_KEYS } from './config.js'

/** A CloudFormation value: a literal, or an intrinsic (`{ Ref }`, `{ 'Fn::GetAtt' }`). */
export type CfnValue = string | Readonly<Record<string, unknown>>

/** A CloudFormation resource. */
export interface CfnResource {
  /** The resource type. */
  readonly Type: string
  /** Its properties. */
  readonly Properties?: Readonly<Record<string, unknown>>
}

/** An instance the plugin registers, as the grants need it. */
export interface Registration {
  /** The namespace's name. */
  readonly namespace: string
  /** The service's name. */
  readonly service: string
  /** The instance id. */
  readonly instanceId: string
  /** The kind that reads it; `instance` for attributes only. */
  readonly kind: Kind
  /** Its `type` attribute (none for attributes only). */
  readonly type?: InstanceType
  /** The resource its kind's calls act on (an intrinsic), when it has one. */
  readonly arn?: CfnValue
  /** A state machine of this stack known to be EXPRESS (it can be `run()`). */
  readonly express?: boolean
  /** Every attribute it is registered with (intrinsics as they are). */
  readonly attributes: Readonly<Record<string, CfnValue>>
}

/** What the registrations compile to. */
export interface CompiledRegistrations {
  /** The resources to add to the template, by logical id. */
  readonly resources: Readonly<Record<string, CfnResource>>
  /** Each instance registered. */
  readonly registrations: readonly Registration[]
}

/** What the registrations are read against. */
export interface RegistrationContext {
  /** The service's functions (keys of `functions:`). */
  readonly functions: readonly string[]
  /** A function's logical id (`provider.naming.getLambdaLogicalId`). */
  readonly lambdaLogicalId: (name: string) => string
  /** The resources of `resources.Resources`, by logical id. */
  readonly resources: Readonly<Record<string, CfnResource>>
}

/** What each target key registers: its kind, the resource type it names, and the attributes' values. */
const TARGETS = {
  queue: {
    kind: 'queue',
    resource: 'AWS::SQS::Queue',
    values: (id: string) => ({ arn: { 'Fn::GetAtt': [id, 'Arn'] }, url: { Ref: id } }),
  },
  topic: { kind: 'topic', resource: 'AWS::SNS::Topic', values: (id: string) => ({ arn: { Ref: id } }) },
  stateMachine: {
    kind: 'stateMachine',
    resource: 'AWS::StepFunctions::StateMachine',
    values: (id: string) => ({ arn: { Ref: id } }),
  },
  eventBus: { kind: 'eventBus', resource: 'AWS::Events::EventBus', values: (id: string) => ({ arn: { 'Fn::GetAtt': [id, 'Arn'] } }) },
} as const

/** `get-job` → `GetJob`: a name as a part of a logical id (letters and digits only). */
export function logicalPart(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('')
}

const isIntrinsic = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The kind's attributes of an instance's target. */
function targetOf(
  label: string,
  config: InstanceConfig,
  context: RegistrationContext,
): Pick<Registration, 'kind' | 'type' | 'arn' | 'express'> & { attributes: Record<string, CfnValue> } {
  const given = TARGET_KEYS.filter((key) => config[key] !== undefined)
  if (given.length > 1) throw new Error(`${label}: one target per instance, not ${given.join(' and ')}`)
  const key = given[0]
  if (key === undefined) {
    if (Object.keys(config.attributes ?? {}).length === 0) {
      throw new Error(`${label}: give a target (${TARGET_KEYS.join(', ')}) or attributes (an instance() of attributes only)`)
    }
    return { kind: 'instance', attributes: {} }
  }
  const value = config[key] as string
  // registeredAttributes() copies the values it is given as they are: intrinsics are kept.
  const written = (kind: Exclude<Kind, 'instance'>, values: Record<string, CfnValue>) =>
    registeredAttributes(kind, values as Record<string, string>) as unknown as { type: InstanceType } & Record<string, CfnValue>
  if (key === 'http') {
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) throw new Error(`${label}: "${value}" is not an http(s) URL`)
    const url = new URL(value)
    if (url.username !== '' || url.password !== '') {
      throw new Error(`${label}: the URL carries a user name or password, which http() refuses; keep credentials out of Cloud Map`)
    }
    const attributes = written('http', { url: value })
    return { kind: 'http', type: attributes.type, attributes }
  }
  if (key === 'function') {
    if (!context.functions.includes(value)) {
      throw new Error(`${label}: no function ${value} in functions: (${context.functions.join(', ') || 'none'})`)
    }
    const arn = { 'Fn::GetAtt': [context.lambdaLogicalId(value), 'Arn'] }
    const attributes = written('lambda', { arn })
    return { kind: 'lambda', type: attributes.type, arn, attributes }
  }
  const target = TARGETS[key]
  const resource = context.resources[value]
  if (resource === undefined) throw new Error(`${label}: no resource ${value} in resources.Resources (a ${target.resource})`)
  if (resource.Type !== target.resource) throw new Error(`${label}: ${value} is a ${resource.Type}, not a ${target.resource}`)
  const values = target.values(value)
  const attributes = written(target.kind, values)
  const express = key === 'stateMachine' && resource.Properties?.StateMachineType === 'EXPRESS'
  return { kind: target.kind, type: attributes.type, arn: values.arn, ...(express ? { express } : {}), attributes }
}

/** Custom attributes as Cloud Map holds them: strings (numbers and booleans written as text), intrinsics kept. */
function customAttributes(label: string, given: Readonly<Record<string, unknown>>, kindKeys: readonly string[]): Record<string, CfnValue> {
  const out: Record<string, CfnValue> = {}
  for (const [key, value] of Object.entries(given)) {
    if (key === 'type' || kindKeys.includes(key)) {
      throw new Error(`${label}: the attribute "${key}" is the kind's own; the plugin writes it from the target`)
    }
    if (typeof value === 'string' || isIntrinsic(value)) out[key] = value
    else if (typeof value === 'number' || typeof value === 'boolean') out[key] = String(value)
    else throw new Error(`${label}: the attribute "${key}" must be a string, a number, a boolean or an intrinsic`)
  }
  return out
}

/** Cloud Map's limits, as registerInstance() checks them: an intrinsic's value is Cloud Map's to check at deploy. */
function checkLimits(label: string, instanceId: string, attributes: Readonly<Record<string, CfnValue>>): void {
  const idProblem = instanceIdProblem(instanceId)
  if (idProblem !== undefined) throw new Error(`${label}: ${idProblem}`)
  const UNRESOLVED = '\u0000'
  const texts = Object.fromEntries(Object.entries(attributes).map(([key, value]) => [key, typeof value === 'string' ? value : UNRESOLVED]))
  const { problem } = attributesProblem(texts, { unresolved: (value) => value === UNRESOLVED })
  if (problem !== undefined) throw new Error(`${label}: ${problem}`)
}

/**
 * The CloudFormation resources of `custom.cloudMap`: an `AWS::ServiceDiscovery::HttpNamespace` per
 * namespace without an `id`, an `AWS::ServiceDiscovery::Service` per service, and an
 * `AWS::ServiceDiscovery::Instance` per instance with the attributes its kind reads.
 *
 * @throws {Error} naming the instance (`custom.cloudMap dev.scheduler->get-job`) for a target that
 *   is not there or not of its kind, an attribute that overrides the kind's own, and what Cloud Map
 *   refuses (instance id, attributes).
 * @example
 * ```ts
 * const { resources } = compileRegistrations(
 *   { namespaces: { dev: { services: { scheduler: { instances: { 'get-job': { function: 'getJob' } } } } } } },
 *   { functions: ['getJob'], lambdaLogicalId: (name) => `${name}LambdaFunction`, resources: {} },
 * )
 * ```
 */
export function compileRegistrations(config: CloudMapConfig, context: RegistrationContext): CompiledRegistrations {
  const resources: Record<string, CfnResource> = {}
  const registrations: Registration[] = []
  const add = (logicalId: string, what: string, resource: CfnResource) => {
    if (Object.hasOwn(resources, logicalId) || Object.hasOwn(context.resources, logicalId)) {
      throw new Error(`custom.cloudMap ${what}: its logical id ${logicalId} is taken; rename it so that its letters and digits differ`)
    }
    resources[logicalId] = resource
  }
  for (const [key, ns] of Object.entries(config.namespaces ?? {})) {
    const namespace = ns.name ?? key
    const nsId = `CloudMap${logicalPart(key)}Namespace`
    let namespaceId: CfnValue
    if (ns.id !== undefined) namespaceId = ns.id
    else {
      add(nsId, namespace, {
        Type: 'AWS::ServiceDiscovery::HttpNamespace',
        Properties: { Name: namespace, ...(ns.description === undefined ? {} : { Description: ns.description }) },
      })
      namespaceId = { 'Fn::GetAtt': [nsId, 'Id'] }
    }
    for (const [service, svc] of Object.entries(ns.services ?? {})) {
      const svcId = `CloudMap${logicalPart(key)}${logicalPart(service)}Service`
      add(svcId, `${namespace}.${service}`, {
        Type: 'AWS::ServiceDiscovery::Service',
        // An API-only service (Type HTTP): its instances need no IP address, in any kind of namespace.
        Properties: {
          Name: service,
          NamespaceId: namespaceId,
          Type: 'HTTP',
          ...(svc.description === undefined ? {} : { Description: svc.description }),
        },
      })
      for (const [instanceId, instance] of Object.entries(svc.instances ?? {})) {
        const label = `custom.cloudMap ${namespace}.${service}->${instanceId}`
        const target = targetOf(label, instance ?? {}, context)
        const attributes = { ...target.attributes, ...customAttributes(label, instance?.attributes ?? {}, Object.keys(target.attributes)) }
        checkLimits(label, instanceId, attributes)
        add(
          `CloudMap${logicalPart(key)}${logicalPart(service)}${logicalPart(instanceId)}Instance`,
          `${namespace}.${service}->${instanceId}`,
          {
            Type: 'AWS::ServiceDiscovery::Instance',
            Properties: { ServiceId: { Ref: svcId }, InstanceId: instanceId, InstanceAttributes: attributes },
          },
        )
        registrations.push({
          namespace,
          service,
          instanceId,
          kind: target.kind,
          ...(target.type === undefined ? {} : { type: target.type }),
          ...(target.arn === undefined ? {} : { arn: target.arn }),
          ...(target.express === undefined ? {} : { express: target.express }),
          attributes,
        })
      }
    }
  }
  return { resources, registrations }
}
