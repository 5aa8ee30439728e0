// Policy documents as a template holds them: their statements, their version, and what IAM refuses.
import type { PolicyStatement, SourcedStatement } from './types.js'

/**
 * The statements of a policy document as a template holds it: `{ Statement: ... }` (with or without
 * `Version`), where `Statement` is one object or an array. A bare statement or array of statements
 * is taken as well. Entries that are not objects with a string `Effect` are skipped.
 *
 * From a whole document, each statement gets the document's `version` (`null` when it has none), as
 * a property that is not enumerable (so a statement still compares equal to `{ statement, source }`).
 * From a bare statement the version is not known: give the whole document when you have it.
 *
 * @example
 * ```ts
 * import { statementsOf } from './iam.js'
 *
 * statementsOf({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'sns:Publish', Resource: '*' } }, 'policy TopicPolicy')
 * // [{ source: 'policy TopicPolicy', statement: { Effect: 'Allow', Action: 'sns:Publish', Resource: '*' } }]
 * ```
 */
export function statementsOf(document: unknown, source: string): SourcedStatement[] {
  const whole = isRecord(document) && 'Statement' in document ? document : undefined
  const body = whole === undefined ? document : whole.Statement
  const entries: readonly unknown[] = Array.isArray(body) ? body : [body]
  const version = whole === undefined ? undefined : versionOf(whole.Version)
  return entries.filter(isStatement).map((statement) => {
    const sourced: SourcedStatement = { statement, source }
    return version === undefined ? sourced : Object.defineProperty(sourced, 'version', { value: version, enumerable: false })
  })
}

/**
 * Why IAM refuses a statement of an identity policy (the policy does not deploy:
 * `MalformedPolicyDocument`), or `undefined` when it takes it: an `Effect` other than `Allow` or
 * `Deny`, both `Action` and `NotAction` (or `Resource` and `NotResource`), or neither of a pair.
 *
 * @example
 * ```ts
 * malformedStatement({ Effect: 'Deny', Action: 'sqs:*', NotAction: 'sqs:ReceiveMessage', Resource: '*' })
 * // 'it has both Action and NotAction'
 * ```
 */
export function malformedStatement(statement: PolicyStatement): string | undefined {
  if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny')
    return `its Effect is ${JSON.stringify(statement.Effect)}, not Allow or Deny`
  for (const [element, notElement] of [
    ['Action', 'NotAction'],
    ['Resource', 'NotResource'],
  ] as const) {
    const has = Object.hasOwn(statement, element)
    const hasNot = Object.hasOwn(statement, notElement)
    if (has && hasNot) return `it has both ${element} and ${notElement}`
    if (!has && !hasNot) return `it has neither ${element} nor ${notElement}`
  }
  return undefined
}

/** A document's `Version`: `null` when it has none, `undefined` when it cannot be read (not a string, or known only at deploy time). */
function versionOf(version: unknown): string | null | undefined {
  if (version === undefined) return null
  return typeof version === 'string' && !version.includes('«') ? version : undefined
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStatement(value: unknown): value is PolicyStatement {
  return isRecord(value) && typeof value.Effect === 'string'
}
