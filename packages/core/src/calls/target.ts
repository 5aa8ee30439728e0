import { AttributeValidationError, DisallowedTargetError, InstanceTypeMismatchError } from '../errors.js'
import type { RegisteredInstance } from '../registry/types.js'
import { type ArnParts, parseArn } from './arn.js'

/** The instance types this library knows, by the kind they belong to. */
export type InstanceType = 'lambda' | 'sqs' | 'sns' | 'http'

const TYPES: Readonly<Record<string, InstanceType>> = {
  lambda: 'lambda',
  function: 'lambda',
  sqs: 'sqs',
  queue: 'sqs',
  sns: 'sns',
  topic: 'sns',
  event: 'sns',
  pubsub: 'sns',
  http: 'http',
}

/** Which accounts and regions a registered ARN may point to (unset: any). */
export interface TargetPolicy {
  readonly allowedAccounts?: ReadonlySet<string>
  readonly allowedRegions?: ReadonlySet<string>
}

/**
 * Checks the instance's `type` attribute (aliases: `function`; `queue`; `topic`,
 * `event`, `pubsub`) against the kind the dependency was declared as.
 *
 * @throws {InstanceTypeMismatchError} for another kind, a missing or an unknown type.
 */
export function checkType(label: string, instance: RegisteredInstance, expected: InstanceType): void {
  const actual = instance.attributes.type
  const known = actual === undefined ? undefined : TYPES[actual.toLowerCase()]
  if (known !== expected) throw new InstanceTypeMismatchError(label, instance.instanceId, expected, actual, known !== undefined)
}

/** A required string attribute, or an `AttributeValidationError` naming it. */
export function requireAttribute(label: string, instance: RegisteredInstance, name: string, why: string): string {
  const value = instance.attributes[name]
  if (value === undefined || value === '') {
    throw new AttributeValidationError(label, instance.instanceId, [{ path: [name], message: `required ${why}` }])
  }
  return value
}

/**
 * The instance's `arn` attribute, parsed and checked: it must be an ARN of `service`
 * in an allowed account and region.
 */
export function requireArn(
  label: string,
  instance: RegisteredInstance,
  service: string,
  policy: TargetPolicy,
): ArnParts & { readonly arn: string } {
  const arn = requireAttribute(label, instance, 'arn', `for a ${service} target`)
  const parts = parseArn(arn)
  if (!parts || parts.service !== service) {
    throw new AttributeValidationError(label, instance.instanceId, [{ path: ['arn'], message: `"${arn}" is not a ${service} ARN` }])
  }
  checkAllowed(label, instance.instanceId, arn, parts, policy)
  return { ...parts, arn }
}

/** Refuses a target outside `allowedAccounts` / `allowedRegions`, before any call. */
export function checkAllowed(
  label: string,
  instanceId: string,
  target: string,
  where: { readonly account?: string | undefined; readonly region?: string | undefined },
  policy: TargetPolicy,
): void {
  const { allowedAccounts, allowedRegions } = policy
  if (allowedAccounts && (where.account === undefined || !allowedAccounts.has(where.account))) {
    throw new DisallowedTargetError(label, instanceId, target, `account ${where.account ?? '(unknown)'} is not in allowedAccounts`)
  }
  if (allowedRegions && (where.region === undefined || !allowedRegions.has(where.region))) {
    throw new DisallowedTargetError(label, instanceId, target, `region ${where.region ?? '(unknown)'} is not in allowedRegions`)
  }
}
