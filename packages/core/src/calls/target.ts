import { type ArnParts, parseArn } from '../address/arn.js'
import { AttributeValidationError, InstanceTypeMismatchError } from '../errors.js'
import { checkAccountAndRegion } from '../policy/policy.js'
import { type ArnService, type InstanceType, instanceTypeOf } from '../types/kinds.js'
import type { TargetPolicy } from '../types/policy.js'
import type { RegisteredInstance } from '../types/registry.js'

export type { InstanceType } from '../types/kinds.js'

/**
 * Checks the instance's `type` attribute (or an alias of it: `KINDS`) against the kind
 * the dependency was declared as. (`http()` does not ask it about an instance with no `type`
 * that ECS or EC2 registered: see `kinds/http.ts`.)
 *
 * @throws {InstanceTypeMismatchError} for another kind, a missing or an unknown type.
 */
export function checkType(label: string, instance: RegisteredInstance, expected: InstanceType): void {
  const actual: unknown = instance.attributes.type
  if (actual !== undefined && typeof actual !== 'string') {
    throw new AttributeValidationError(label, instance.instanceId, [{ path: ['type'], message: `must be a string, not ${typeof actual}` }])
  }
  const known = actual === undefined ? undefined : instanceTypeOf(actual)
  if (known !== expected) throw new InstanceTypeMismatchError(label, instance.instanceId, expected, actual, known !== undefined)
}

/** A required string attribute, or an `AttributeValidationError` naming it. */
export function requireAttribute(label: string, instance: RegisteredInstance, name: string, why: string): string {
  const value: unknown = Object.hasOwn(instance.attributes, name) ? instance.attributes[name] : undefined
  if (value === undefined || value === '') {
    throw new AttributeValidationError(label, instance.instanceId, [{ path: [name], message: `required ${why}` }])
  }
  if (typeof value !== 'string') {
    throw new AttributeValidationError(label, instance.instanceId, [{ path: [name], message: `must be a string, not ${typeof value}` }])
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
  service: ArnService,
  policy: TargetPolicy,
): ArnParts & { readonly arn: string } {
  const arn = requireAttribute(label, instance, 'arn', `for a ${service} target`)
  const parts = parseArn(arn)
  if (!parts || parts.service !== service) {
    throw new AttributeValidationError(label, instance.instanceId, [{ path: ['arn'], message: `"${arn}" is not a ${service} ARN` }])
  }
  checkAccountAndRegion({ label, instanceId: instance.instanceId }, arn, parts, policy)
  return { ...parts, arn }
}
