import { type ArnParts, parseArn } from '../address/arn.js'
import { AttributeValidationError, InstanceTypeMismatchError } from '../errors.js'
import { checkAccountAndRegion } from '../policy/policy.js'
import type { TargetPolicy } from '../types/policy.js'
import type { RegisteredInstance } from '../types/registry.js'

/** The instance types this library knows, by the kind they belong to. */
export type InstanceType = 'lambda' | 'sqs' | 'sns' | 'http' | 'stepfunctions' | 'eventbridge'

// A Map, not an object: a registered type such as "constructor" must not find a prototype key.
const TYPES: ReadonlyMap<string, InstanceType> = new Map([
  ['lambda', 'lambda'],
  ['function', 'lambda'],
  ['sqs', 'sqs'],
  ['queue', 'sqs'],
  ['sns', 'sns'],
  ['topic', 'sns'],
  ['event', 'sns'],
  ['pubsub', 'sns'],
  ['http', 'http'],
  ['stepfunctions', 'stepfunctions'],
  ['sfn', 'stepfunctions'],
  ['state-machine', 'stepfunctions'],
  ['eventbridge', 'eventbridge'],
  ['events', 'eventbridge'],
  ['event-bus', 'eventbridge'],
])

/**
 * Checks the instance's `type` attribute (aliases: `function`; `queue`; `topic`,
 * `event`, `pubsub`; `sfn`, `state-machine`; `events`, `event-bus`) against the kind
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
  const known = actual === undefined ? undefined : TYPES.get(actual.toLowerCase())
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
  service: string,
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
