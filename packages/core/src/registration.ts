// Cloud Map's rules for registering an instance (RegisterInstance): read by the CDK's
// registerInstance() at synth time and by the deploy-time check on a template's instances, so
// both refuse what Cloud Map refuses, from one definition. A subpath of its own
// (`@cloudmap-middy/core/registration`): no handler bundle carries it.

/**
 * Cloud Map's limits on an instance: its id, and its attributes. Custom attributes (every key not
 * starting with `AWS_`) count towards the 30; every key and value towards the 5,000 characters.
 *
 * @example
 * ```ts
 * import { CLOUD_MAP_LIMITS } from '@cloudmap-middy/core/registration'
 *
 * CLOUD_MAP_LIMITS.valueLength // 1024
 * ```
 */
export const CLOUD_MAP_LIMITS = Object.freeze({
  /** Characters in an instance id. */
  instanceIdLength: 64,
  /** Attributes whose key does not start with `AWS_`. */
  customAttributes: 30,
  /** Characters in an attribute key. */
  keyLength: 255,
  /** Characters in an attribute value. */
  valueLength: 1024,
  /** Characters of every key and value together. */
  totalLength: 5000,
})

const INSTANCE_ID = /^[0-9a-zA-Z_/:.@-]+$/
// Printable ASCII; no space in a key, none at the start of a value (Cloud Map's patterns).
const KEY = /^[!-~]+$/
const VALUE = /^(?:[!-~][ !-~]*)?$/

/**
 * The attribute a DNS record type of the service needs on each instance (RegisterInstance refuses
 * an instance without it): `A` needs `AWS_INSTANCE_IPV4`, `AAAA` `AWS_INSTANCE_IPV6` (either may
 * be replaced by `AWS_ALIAS_DNS_NAME`), `CNAME` `AWS_INSTANCE_CNAME`, `SRV` `AWS_INSTANCE_PORT`.
 */
const RECORD_ATTRIBUTES: Readonly<Record<string, { readonly key: string; readonly alias: boolean }>> = {
  A: { key: 'AWS_INSTANCE_IPV4', alias: true },
  AAAA: { key: 'AWS_INSTANCE_IPV6', alias: true },
  CNAME: { key: 'AWS_INSTANCE_CNAME', alias: false },
  SRV: { key: 'AWS_INSTANCE_PORT', alias: false },
}

const count = (n: number) => n.toLocaleString('en-US')

/**
 * Why Cloud Map refuses an instance id, or `undefined` when it takes it.
 *
 * @example
 * ```ts
 * instanceIdProblem('a'.repeat(65)) // 'the instance id is 65 characters; Cloud Map allows 1 to 64'
 * ```
 */
export function instanceIdProblem(instanceId: string): string | undefined {
  if (instanceId.length === 0 || instanceId.length > CLOUD_MAP_LIMITS.instanceIdLength) {
    return `the instance id is ${count(instanceId.length)} characters; Cloud Map allows 1 to ${CLOUD_MAP_LIMITS.instanceIdLength}`
  }
  if (!INSTANCE_ID.test(instanceId)) return `the instance id "${instanceId}" may hold only letters, digits and _ / : . @ -`
  return undefined
}

/** Options of {@link attributesProblem}. */
export interface AttributeRules {
  /**
   * A value known only later (a CDK token, a template's deploy-time value): its length and
   * characters are left to Cloud Map, and it is counted as up to 1,024 characters in
   * {@link AttributeReading.mayExceedTotal}. Default: none is.
   */
  readonly unresolved?: (value: string) => boolean
  /** The DNS record types of the instance's service (`A`, `AAAA`, `CNAME`, `SRV`): each needs its attribute. */
  readonly records?: readonly string[]
}

/** What {@link attributesProblem} found. */
export interface AttributeReading {
  /** Why Cloud Map refuses the attributes, or `undefined` when it takes them (as far as they are known). */
  readonly problem: string | undefined
  /** The keys whose value is unresolved. */
  readonly unresolved: readonly string[]
  /** True when the unresolved values could take the attributes past 5,000 characters. */
  readonly mayExceedTotal: boolean
}

/**
 * Checks a whole set of instance attributes against Cloud Map's rules: at most 30 custom
 * attributes; keys of 1 to 255 printable ASCII characters without spaces; values of at most
 * 1,024 printable ASCII characters, not starting with a space; 5,000 characters in all; and the
 * attribute each DNS record of the service needs.
 *
 * @example
 * ```ts
 * attributesProblem({ type: 'http', url: 'https://example.com' }, { records: ['A'] }).problem
 * // 'AWS_INSTANCE_IPV4 is missing: the service has an A record (or give AWS_ALIAS_DNS_NAME)'
 * ```
 */
export function attributesProblem(attributes: Readonly<Record<string, string>>, rules: AttributeRules = {}): AttributeReading {
  const unresolvedKeys: string[] = []
  const reading = (problem: string | undefined): AttributeReading => ({ problem, unresolved: unresolvedKeys, mayExceedTotal: false })
  const keys = Object.keys(attributes)
  const custom = keys.filter((key) => !key.startsWith('AWS_'))
  if (custom.length > CLOUD_MAP_LIMITS.customAttributes) {
    return reading(`${custom.length} custom attributes; Cloud Map allows at most ${CLOUD_MAP_LIMITS.customAttributes} per instance`)
  }
  let total = 0
  for (const key of keys) {
    if (key.length > CLOUD_MAP_LIMITS.keyLength) {
      return reading(
        `the attribute key "${key.slice(0, 40)}…" is ${count(key.length)} characters; Cloud Map allows at most ${CLOUD_MAP_LIMITS.keyLength}`,
      )
    }
    if (!KEY.test(key)) return reading(`the attribute key ${JSON.stringify(key)} may hold only printable ASCII characters without spaces`)
    total += key.length
    const value = attributes[key] as string
    if (rules.unresolved?.(value) === true) {
      unresolvedKeys.push(key)
      continue
    }
    if (value.length > CLOUD_MAP_LIMITS.valueLength) {
      return reading(
        `the attribute "${key}" is ${count(value.length)} characters; Cloud Map allows at most ${count(CLOUD_MAP_LIMITS.valueLength)}`,
      )
    }
    if (!VALUE.test(value))
      return reading(`the attribute "${key}" may hold only printable ASCII characters, and must not start with a space`)
    total += value.length
  }
  if (total > CLOUD_MAP_LIMITS.totalLength) {
    return reading(`the attributes hold ${count(total)} characters in all; Cloud Map allows at most ${count(CLOUD_MAP_LIMITS.totalLength)}`)
  }
  for (const type of rules.records ?? []) {
    const needed = Object.hasOwn(RECORD_ATTRIBUTES, type) ? RECORD_ATTRIBUTES[type] : undefined
    if (needed === undefined || Object.hasOwn(attributes, needed.key)) continue
    if (needed.alias && Object.hasOwn(attributes, 'AWS_ALIAS_DNS_NAME')) continue
    return reading(
      `${needed.key} is missing: the service has ${type === 'A' ? 'an' : 'a'} ${type} record${needed.alias ? ' (or give AWS_ALIAS_DNS_NAME)' : ''}`,
    )
  }
  return {
    problem: undefined,
    unresolved: unresolvedKeys,
    mayExceedTotal: total + unresolvedKeys.length * CLOUD_MAP_LIMITS.valueLength > CLOUD_MAP_LIMITS.totalLength,
  }
}
