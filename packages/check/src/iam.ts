// Evaluates IAM identity policies the way AWS does for one principal (no SCPs, permission
// boundaries or resource policies): an explicit Deny wins, then any Allow, else an implicit deny.
// Pure data in, a decision out: nothing here calls AWS.

/** One IAM policy statement, as written in a template (intrinsics already resolved). */
export interface PolicyStatement {
  /** The statement's id, when it has one. */
  readonly Sid?: string
  /** `Allow` or `Deny` (anything else makes the statement count for nothing). */
  readonly Effect: string
  /** The actions it applies to (`sqs:Send*`), case-insensitive. */
  readonly Action?: string | readonly string[]
  /** The actions it does not apply to. */
  readonly NotAction?: string | readonly string[]
  /** The resources it applies to (ARN patterns, `*`). */
  readonly Resource?: string | readonly string[]
  /** The resources it does not apply to. */
  readonly NotResource?: string | readonly string[]
  /** Operator → condition key → value(s); every one must hold. */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

/** A statement and where it came from, for messages: `policy WorkerRoleDefaultPolicy`, `SQSSendMessagePolicy`, ... */
export interface SourcedStatement {
  /** The statement. */
  readonly statement: PolicyStatement
  /** Where it came from, as messages name it. */
  readonly source: string
}

/** One request: an action on a resource ARN (or `*`), with the request's condition keys. */
export interface AccessRequest {
  /** The action, e.g. `sqs:SendMessage`. */
  readonly action: string
  /** The resource's ARN, or `*` for an action with no resource type (`servicediscovery:DiscoverInstances`). */
  readonly resource: string
  /** The request's condition keys (`servicediscovery:NamespaceName`), a multi-valued key as an array. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>
}

/** What the policies say of a request: allowed (and by which statement's source), or not and why. */
export type AccessDecision =
  | {
      /** Allowed. */
      readonly allowed: true
      /** The source of the first statement that allows it. */
      readonly source: string
    }
  | {
      /** Not allowed. */
      readonly allowed: false
      /** Why: the deny that matched, or that nothing allows it, with the closest miss. */
      readonly reason: string
    }

/** The request's condition keys, by lower-cased name; a key with no value is left out (it is absent). */
type Context = ReadonlyMap<string, readonly string[]>

/** How one statement relates to one request. */
type Verdict =
  | { readonly kind: 'match' }
  | { readonly kind: 'action' }
  | { readonly kind: 'resource' }
  | { readonly kind: 'condition'; readonly why: string }
  | { readonly kind: 'unknown'; readonly operator: string }

interface Judged {
  readonly sourced: SourcedStatement
  readonly verdict: Verdict
}

/**
 * Decides whether statements allow a request, as AWS evaluates identity policies: a matching
 * explicit Deny wins, else the first matching Allow allows, else the request is implicitly denied.
 * When nothing allows, `reason` names the statement that came closest and what it lacked.
 *
 * @example
 * ```ts
 * import { evaluateAccess } from './iam.js'
 *
 * const statements = [
 *   { source: 'policy WorkerRoleDefaultPolicy', statement: { Effect: 'Allow', Action: 'sqs:Send*', Resource: 'arn:aws:sqs:eu-west-1:123456789012:jobs' } },
 * ]
 * evaluateAccess(statements, { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:123456789012:jobs' })
 * // { allowed: true, source: 'policy WorkerRoleDefaultPolicy' }
 * evaluateAccess(statements, { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:123456789012:other' })
 * // { allowed: false, reason: 'no statement allows sqs:SendMessage on arn:aws:sqs:eu-west-1:123456789012:other;
 * //   policy WorkerRoleDefaultPolicy allows it on arn:aws:sqs:eu-west-1:123456789012:jobs only' }
 * ```
 */
export function evaluateAccess(statements: readonly SourcedStatement[], request: AccessRequest): AccessDecision {
  const context = contextOf(request.context)
  const judged: Judged[] = statements.map((sourced) => ({ sourced, verdict: judge(sourced.statement, request, context) }))
  const deny = judged.find(({ sourced, verdict }) => sourced.statement.Effect === 'Deny' && verdict.kind === 'match')
  if (deny) return { allowed: false, reason: `denied by ${deny.sourced.source}` }
  const allows = judged.filter(({ sourced }) => sourced.statement.Effect === 'Allow')
  const allow = allows.find(({ verdict }) => verdict.kind === 'match')
  if (allow) return { allowed: true, source: allow.sourced.source }
  return { allowed: false, reason: explain(request, allows) }
}

/**
 * The statements of a policy document as a template holds it: `{ Statement: ... }` (with or without
 * `Version`), where `Statement` is one object or an array. A bare statement or array of statements
 * is taken as well. Entries that are not objects with a string `Effect` are skipped.
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
  const body = isRecord(document) && 'Statement' in document ? document.Statement : document
  const entries: readonly unknown[] = Array.isArray(body) ? body : [body]
  return entries.filter(isStatement).map((statement) => ({ statement, source }))
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStatement(value: unknown): value is PolicyStatement {
  return isRecord(value) && typeof value.Effect === 'string'
}

// ---------------------------------------------------------------------------------------------
// Matching a statement

/** How a statement relates to a request, whatever its effect (an effect other than Allow or Deny counts as neither). */
function judge(statement: PolicyStatement, request: AccessRequest, context: Context): Verdict {
  if (!actionMatches(statement, request.action)) return { kind: 'action' }
  if (!resourceMatches(statement, request.resource)) return { kind: 'resource' }
  return conditionVerdict(statement.Condition, context)
}

function actionMatches(statement: PolicyStatement, action: string): boolean {
  if (statement.Action !== undefined) return anyMatches(listOf(statement.Action), action, true)
  if (statement.NotAction !== undefined) return !anyMatches(listOf(statement.NotAction), action, true)
  return false
}

function resourceMatches(statement: PolicyStatement, resource: string): boolean {
  if (statement.Resource !== undefined) return anyMatches(listOf(statement.Resource), resource, false)
  if (statement.NotResource !== undefined) return !anyMatches(listOf(statement.NotResource), resource, false)
  return false
}

function anyMatches(patterns: readonly string[], text: string, ignoreCase: boolean): boolean {
  return ignoreCase
    ? patterns.some((pattern) => wildcardMatch(pattern.toLowerCase(), text.toLowerCase()))
    : patterns.some((pattern) => wildcardMatch(pattern, text))
}

/** The strings of a value that is a string or an array (anything else in it cannot match). */
function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one character. */
function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0
  let t = 0
  let star = -1
  let resume = 0
  while (t < text.length) {
    const char = pattern[p]
    if (char === '*') {
      star = p
      resume = t
      p += 1
    } else if (char !== undefined && (char === '?' || char === text[t])) {
      p += 1
      t += 1
    } else if (star >= 0) {
      p = star + 1
      resume += 1
      t = resume
    } else {
      return false
    }
  }
  while (pattern[p] === '*') p += 1
  return p === pattern.length
}

// ---------------------------------------------------------------------------------------------
// Conditions

type BaseOperator =
  | 'StringEquals'
  | 'StringNotEquals'
  | 'StringEqualsIgnoreCase'
  | 'StringNotEqualsIgnoreCase'
  | 'StringLike'
  | 'StringNotLike'
  | 'ArnEquals'
  | 'ArnLike'
  | 'ArnNotEquals'
  | 'ArnNotLike'
  | 'Bool'
  | 'Null'

interface Operator {
  readonly base: BaseOperator
  readonly set: 'ForAnyValue' | 'ForAllValues' | undefined
  readonly ifExists: boolean
}

/** How an operator compares one policy value with one request value, and the requirement in words. */
interface Comparison {
  readonly test: (policy: string, request: string) => boolean
  /** The key holds when no policy value passes `test`. */
  readonly negated: boolean
  /** The requirement before one value (`is not`) and before several (`is none of`). */
  readonly one: string
  readonly many: string
  readonly suffix?: string
}

const equals = (policy: string, request: string) => policy === request
const equalsIgnoreCase = (policy: string, request: string) => policy.toLowerCase() === request.toLowerCase()
const IGNORING_CASE = ' (ignoring case)'

const COMPARISONS: Readonly<Record<Exclude<BaseOperator, 'Null'>, Comparison>> = {
  StringEquals: { test: equals, negated: false, one: 'is', many: 'is one of' },
  StringNotEquals: { test: equals, negated: true, one: 'is not', many: 'is none of' },
  StringEqualsIgnoreCase: { test: equalsIgnoreCase, negated: false, one: 'is', many: 'is one of', suffix: IGNORING_CASE },
  StringNotEqualsIgnoreCase: { test: equalsIgnoreCase, negated: true, one: 'is not', many: 'is none of', suffix: IGNORING_CASE },
  StringLike: { test: wildcardMatch, negated: false, one: 'matches', many: 'matches one of' },
  StringNotLike: { test: wildcardMatch, negated: true, one: 'does not match', many: 'matches none of' },
  ArnEquals: { test: arnMatch, negated: false, one: 'is the ARN', many: 'is one of the ARNs' },
  ArnLike: { test: arnMatch, negated: false, one: 'matches the ARN', many: 'matches one of the ARNs' },
  ArnNotEquals: { test: arnMatch, negated: true, one: 'is not the ARN', many: 'is none of the ARNs' },
  ArnNotLike: { test: arnMatch, negated: true, one: 'does not match the ARN', many: 'matches none of the ARNs' },
  Bool: { test: equalsIgnoreCase, negated: false, one: 'is', many: 'is one of' },
}

const OPERATOR = /^(?:(ForAnyValue|ForAllValues):)?(.+?)(IfExists)?$/

function parseOperator(name: string): Operator | undefined {
  const match = OPERATOR.exec(name)
  const base = match?.[2]
  if (match === null || base === undefined) return undefined
  const set = match[1] as Operator['set']
  const ifExists = match[3] !== undefined
  if (base === 'Null') return set === undefined && !ifExists ? { base, set, ifExists } : undefined
  return Object.hasOwn(COMPARISONS, base) ? { base: base as BaseOperator, set, ifExists } : undefined
}

/** ArnEquals/ArnLike: each of the six colon-separated parts matched on its own, wildcards allowed. */
function arnMatch(policy: string, request: string): boolean {
  const wanted = arnParts(policy)
  const actual = arnParts(request)
  if (wanted === undefined || actual === undefined) return policy === request
  return wanted.every((part, index) => wildcardMatch(part, actual[index] ?? ''))
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':')
  return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')]
}

function contextOf(context: AccessRequest['context']): Context {
  const keys = new Map<string, readonly string[]>()
  for (const [key, value] of Object.entries(context ?? {})) {
    const values = listOf(value)
    if (values.length > 0) keys.set(key.toLowerCase(), values)
  }
  return keys
}

/** The policy's values for a key: scalars as strings (YAML may give `true` or a number). */
function policyValues(value: unknown): string[] {
  const items: readonly unknown[] = Array.isArray(value) ? value : [value]
  return items.map((item) =>
    typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? String(item) : JSON.stringify(item),
  )
}

function conditionVerdict(condition: unknown, context: Context): Verdict {
  if (condition === undefined) return { kind: 'match' }
  if (!isRecord(condition)) return { kind: 'unknown', operator: JSON.stringify(condition) }
  const blocks: Array<[Operator, Record<string, unknown>]> = []
  for (const [name, block] of Object.entries(condition)) {
    const operator = parseOperator(name)
    if (operator === undefined || !isRecord(block)) return { kind: 'unknown', operator: name }
    blocks.push([operator, block])
  }
  for (const [operator, block] of blocks) {
    const failure = firstFailure(operator, block, context)
    if (failure !== undefined) return { kind: 'condition', why: failure }
  }
  return { kind: 'match' }
}

/** The first key of an operator block that does not hold, in words; `undefined` when all hold. */
function firstFailure(operator: Operator, block: Record<string, unknown>, context: Context): string | undefined {
  for (const [key, value] of Object.entries(block)) {
    const wanted = policyValues(value)
    const actual = context.get(key.toLowerCase())
    if (!keyHolds(operator, wanted, actual)) return `${requirement(operator, key, wanted)} (${requestHas(key, actual)})`
  }
  return undefined
}

function keyHolds(operator: Operator, wanted: readonly string[], actual: readonly string[] | undefined): boolean {
  if (operator.base === 'Null') return wanted.some((value) => (value.toLowerCase() === 'true') === (actual === undefined))
  const comparison = COMPARISONS[operator.base]
  if (actual === undefined) {
    if (operator.ifExists) return true
    return operator.set === undefined ? comparison.negated : operator.set === 'ForAllValues'
  }
  const valueHolds = (request: string) => wanted.some((policy) => comparison.test(policy, request)) !== comparison.negated
  if (operator.set === 'ForAllValues') return actual.every(valueHolds)
  if (operator.set === 'ForAnyValue') return actual.some(valueHolds)
  return comparison.negated ? actual.every(valueHolds) : actual.some(valueHolds)
}

// ---------------------------------------------------------------------------------------------
// Messages

function explain(request: AccessRequest, allows: readonly Judged[]): string {
  const parts = [`no statement allows ${request.action} on ${request.resource}`]
  const unknown = new Set<string>()
  for (const { sourced, verdict } of allows) {
    if (verdict.kind === 'unknown') unknown.add(`${sourced.source}: condition operator ${verdict.operator} not understood`)
  }
  parts.push(...unknown)
  const miss = allows.find(({ verdict }) => verdict.kind === 'condition') ?? allows.find(({ verdict }) => verdict.kind === 'resource')
  if (miss !== undefined) parts.push(closestMiss(miss))
  return parts.join('; ')
}

function closestMiss({ sourced, verdict }: Judged): string {
  if (verdict.kind === 'condition') return `${sourced.source} allows it only when ${verdict.why}`
  const { Resource, NotResource } = sourced.statement
  if (Resource !== undefined) return `${sourced.source} allows it on ${listOf(Resource).join(', ')} only`
  return `${sourced.source} allows it only on resources other than ${listOf(NotResource).join(', ')}`
}

/** What a key must be for an operator to hold, e.g. `servicediscovery:ServiceName is "scheduler"`. */
function requirement(operator: Operator, key: string, wanted: readonly string[]): string {
  if (operator.base === 'Null')
    return wanted.map((value) => `${key} is ${value.toLowerCase() === 'true' ? 'absent' : 'present'}`).join(' or ')
  const comparison = COMPARISONS[operator.base]
  const subject = operator.set === 'ForAnyValue' ? `a value of ${key}` : operator.set === 'ForAllValues' ? `every value of ${key}` : key
  const verb = wanted.length > 1 ? comparison.many : comparison.one
  return `${subject} ${verb} ${quoted(wanted)}${comparison.suffix ?? ''}${operator.ifExists ? ' (or is absent)' : ''}`
}

function quoted(values: readonly string[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ')
}

function requestHas(key: string, actual: readonly string[] | undefined): string {
  return actual === undefined ? `the request has no ${key}` : `the request has ${quoted(actual)}`
}
