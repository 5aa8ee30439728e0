// What the reading of one template shares: the resolver, the resources created, and how a value is
// resolved strictly (a usage error naming the property) or loosely (a note).
import type { SourcedStatement } from '../iam.js'
import { own } from '../own.js'
import type { Pseudo } from '../sam-policies.js'
import { type Resource, type Template, type TemplateResolver, UnknownReferenceError } from '../template.js'
import { TemplateError } from './types.js'

export const NAMESPACE_TYPES = new Set([
  'AWS::ServiceDiscovery::HttpNamespace',
  'AWS::ServiceDiscovery::PrivateDnsNamespace',
  'AWS::ServiceDiscovery::PublicDnsNamespace',
])

export const STACK_TYPES = new Set(['AWS::CloudFormation::Stack', 'AWS::Serverless::Application'])

/** The name CloudFormation generates for a resource that names none (its shape, not its random part). */
export function generated(stack: string, logicalId: string, suffix = ''): string {
  return `${stack}-${logicalId}-GENERATED${suffix}`
}

/** A resolver's failure while reading one property: which property, and the error. */
export class PropertyError extends Error {
  override readonly name = 'PropertyError'
  readonly property: string
  override readonly cause: unknown

  constructor(property: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.property = property
    this.cause = cause
  }
}

/** Everything the reading of a template shares. */
export interface Reading {
  readonly template: Template
  readonly resolver: TemplateResolver
  readonly pseudo: Pseudo
  /** `AWS::StackName`. */
  readonly stack: string
  /** The resources created with these parameters (their Condition holds), in template order. */
  readonly resources: readonly (readonly [string, Resource])[]
  /** The logical ids of {@link Reading.resources}. */
  readonly created: ReadonlySet<string>
  /** The roles SAM creates for its functions without `Role`: the function's logical id, by the role's (`<Function>Role`). */
  readonly implicitRoles: ReadonlyMap<string, string>
  /** What SAM connectors give each role of the template, by its logical id (filled once every resource is provided). */
  readonly connectors: Map<string, SourcedStatement[]>
}

/** Why a value could not be resolved, as a message says it (a reference to nothing said so). */
export function reason(error: unknown, reading: Pick<Reading, 'template' | 'created' | 'resolver'>): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^template: /, '')
  if (!(error instanceof UnknownReferenceError)) return message
  const { target, reference: shown } = error
  const resources = reading.template.Resources
  if (reading.resolver.provided.has(target)) return message
  if (Object.hasOwn(resources, target)) {
    if (reading.created.has(target)) return message
    return `${shown} names ${target}, which is not created (its Condition ${String(own(resources, target)?.Condition)} is false)`
  }
  const alias = /^(.+)\.(Alias|Version)$/.exec(target)
  if (alias && own(resources, alias[1] ?? '')?.Type === 'AWS::Serverless::Function') {
    return `${shown} names nothing in this template (${alias[1]} has no AutoPublishAlias)`
  }
  return `${shown} names nothing in this template`
}

/** `<logicalId> <property>`, as an error names where it is. */
export const where = (logicalId: string, property: string | undefined) => (property === undefined ? logicalId : `${logicalId} ${property}`)

/** `AWS::NoValue` at the top of a value (a property left out) as `undefined`. */
export const present = (value: unknown): unknown => (typeof value === 'symbol' ? undefined : value)

/**
 * Resolves a property of a resource; what cannot be resolved is a {@link TemplateError} naming the
 * resource and the property.
 */
export function strictly(reading: Reading, value: unknown, logicalId: string, property: string): unknown {
  try {
    return present(reading.resolver.resolve(value))
  } catch (error) {
    throw new TemplateError(`${where(logicalId, property)}: ${reason(error, reading)}`)
  }
}

/**
 * Resolves what the model reads loosely (policies, environment): a value that cannot be resolved
 * (a resource SAM creates, an attribute not known here) gives why, for a note on the function.
 */
export function loosely(reading: Reading, value: unknown): { readonly value: unknown } | { readonly error: string } {
  try {
    return { value: present(reading.resolver.resolve(value)) }
  } catch (error) {
    return { error: reason(error, reading) }
  }
}

/** Globals.Function under a SAM function's own properties (environment variables merged). */
export function withGlobals(template: Template, resource: Resource): Record<string, unknown> {
  const globals = (resource.Type === 'AWS::Serverless::Function' ? template.Globals?.Function : undefined) ?? {}
  const own = resource.Properties ?? {}
  const variables = (props: Record<string, unknown>) =>
    ((props.Environment as { Variables?: object } | undefined)?.Variables ?? {}) as object
  return {
    ...globals,
    ...own,
    Environment: { Variables: { ...variables(globals), ...variables(own) } },
  }
}
