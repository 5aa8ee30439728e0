import { attributesProblem, instanceIdProblem } from '@cloudmap-middy/core/registration'
import { Token } from 'aws-cdk-lib'

/** What the checks found that cannot stop the synth: tokens whose length and characters only Cloud Map sees. */
export interface AttributeWarnings {
  /** Attribute keys whose value is a token (only for the attributes the caller gave). */
  readonly unchecked: readonly string[]
  /** True when the tokens could take the attributes past 5,000 characters. */
  readonly mayExceedTotal: boolean
}

/**
 * Checks an instance id as Cloud Map does (core's rules); a token is left to Cloud Map.
 *
 * @throws {Error} naming `label` and what is wrong.
 */
export function checkInstanceId(label: string, instanceId: string): void {
  if (typeof instanceId !== 'string') throw new TypeError(`${label}: instanceId must be a string`)
  if (Token.isUnresolved(instanceId)) return
  const problem = instanceIdProblem(instanceId)
  if (problem !== undefined) throw new Error(`${label}: ${problem}`)
}

/**
 * Checks a whole set of instance attributes against Cloud Map's limits (core's rules). Values that
 * are tokens are left to Cloud Map; those the caller gave are reported back for a warning.
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
  for (const [key, value] of Object.entries(attributes)) {
    if (Token.isUnresolved(key)) throw new Error(`${label}: an attribute key is a token; keys must be known at synth time`)
    if (typeof value !== 'string') throw new TypeError(`${label}: the attribute "${key}" must be a string, not ${typeof value}`)
  }
  const reading = attributesProblem(attributes, { unresolved: (value) => Token.isUnresolved(value) })
  if (reading.problem !== undefined) throw new Error(`${label}: ${reading.problem}`)
  return { unchecked: reading.unresolved.filter((key) => given.has(key)), mayExceedTotal: reading.mayExceedTotal }
}
