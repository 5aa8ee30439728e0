import { Token } from 'aws-cdk-lib'

/**
 * Cloud Map's limits on an instance (RegisterInstance): its id, and its attributes. Custom
 * attributes (every key not starting with `AWS_`) count towards the 30; every key and value
 * towards the 5,000 characters.
 */
export const CLOUD_MAP_LIMITS = Object.freeze({
  instanceIdLength: 64,
  customAttributes: 30,
  keyLength: 255,
  valueLength: 1024,
  totalLength: 5000,
})

const INSTANCE_ID = /^[0-9a-zA-Z_/:.@-]+$/
// Printable ASCII; no space in a key, none at the start of a value (Cloud Map's patterns).
const KEY = /^[!-~]+$/
const VALUE = /^(?:[!-~][ !-~]*)?$/

/** What the checks found that cannot stop the synth: tokens whose length and characters only Cloud Map sees. */
export interface AttributeWarnings {
  /** Attribute keys whose value is a token (only for the attributes the caller gave). */
  readonly unchecked: readonly string[]
  /** True when the tokens could take the attributes past 5,000 characters. */
  readonly mayExceedTotal: boolean
}

const count = (n: number) => n.toLocaleString('en-US')

/**
 * Checks an instance id as Cloud Map does.
 *
 * @throws {Error} naming `label` and what is wrong.
 */
export function checkInstanceId(label: string, instanceId: string): void {
  if (typeof instanceId !== 'string') throw new TypeError(`${label}: instanceId must be a string`)
  if (Token.isUnresolved(instanceId)) return
  if (instanceId.length === 0 || instanceId.length > CLOUD_MAP_LIMITS.instanceIdLength) {
    throw new Error(`${label}: the instance id is ${count(instanceId.length)} characters; Cloud Map allows 1 to 64`)
  }
  if (!INSTANCE_ID.test(instanceId)) {
    throw new Error(`${label}: the instance id "${instanceId}" may hold only letters, digits and _ / : . @ -`)
  }
}

/**
 * Checks a whole set of instance attributes against Cloud Map's limits. Values that are
 * tokens are left to Cloud Map; those the caller gave are reported back for a warning.
 *
 * @param label - what the errors name (the address, or the construct path).
 * @param attributes - every attribute the instance gets.
 * @param given - the keys the caller chose (the others are the kind's own).
 * @throws {Error} naming `label`, the attribute and the limit.
 */
export function checkAttributes(
  label: string,
  attributes: Readonly<Record<string, string>>,
  given: ReadonlySet<string>,
): AttributeWarnings {
  const keys = Object.keys(attributes)
  const custom = keys.filter((key) => !key.startsWith('AWS_'))
  if (custom.length > CLOUD_MAP_LIMITS.customAttributes) {
    throw new Error(
      `${label}: ${custom.length} custom attributes; Cloud Map allows at most ${CLOUD_MAP_LIMITS.customAttributes} per instance`,
    )
  }
  let total = 0
  let tokens = 0
  const unchecked: string[] = []
  for (const key of keys) {
    if (Token.isUnresolved(key)) throw new Error(`${label}: an attribute key is a token; keys must be known at synth time`)
    if (key.length > CLOUD_MAP_LIMITS.keyLength) {
      throw new Error(`${label}: the attribute key "${key.slice(0, 40)}…" is ${count(key.length)} characters; Cloud Map allows at most 255`)
    }
    if (!KEY.test(key))
      throw new Error(`${label}: the attribute key ${JSON.stringify(key)} may hold only printable ASCII characters without spaces`)
    total += key.length
    const value = attributes[key]
    if (typeof value !== 'string') throw new TypeError(`${label}: the attribute "${key}" must be a string, not ${typeof value}`)
    if (Token.isUnresolved(value)) {
      tokens += 1
      if (given.has(key)) unchecked.push(key)
      continue
    }
    if (value.length > CLOUD_MAP_LIMITS.valueLength) {
      throw new Error(`${label}: the attribute "${key}" is ${count(value.length)} characters; Cloud Map allows at most 1,024`)
    }
    if (!VALUE.test(value)) {
      throw new Error(`${label}: the attribute "${key}" may hold only printable ASCII characters, and must not start with a space`)
    }
    total += value.length
  }
  if (total > CLOUD_MAP_LIMITS.totalLength) {
    throw new Error(`${label}: the attributes hold ${count(total)} characters in all; Cloud Map allows at most 5,000`)
  }
  return { unchecked, mayExceedTotal: total + tokens * CLOUD_MAP_LIMITS.valueLength > CLOUD_MAP_LIMITS.totalLength }
}
