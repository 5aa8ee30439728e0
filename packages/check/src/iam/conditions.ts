// Condition blocks: operators, their comparisons, and what a key must be for one to hold.
import { BlockList, isIP } from 'node:net'
import { isUnknown, modeOf, plain, type Reading, read, undecidedPart, wildcardMatch } from './patterns.js'
import { isRecord } from './statements.js'
import { agree, allOf, anyOf, type Env, type Tri, type Undecided, type Verdict } from './types.js'

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
  | 'NumericEquals'
  | 'NumericNotEquals'
  | 'NumericLessThan'
  | 'NumericLessThanEquals'
  | 'NumericGreaterThan'
  | 'NumericGreaterThanEquals'
  | 'DateEquals'
  | 'DateNotEquals'
  | 'DateLessThan'
  | 'DateLessThanEquals'
  | 'DateGreaterThan'
  | 'DateGreaterThanEquals'
  | 'IpAddress'
  | 'NotIpAddress'
  | 'BinaryEquals'
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
  /** For typed operators: why a value cannot be compared (`is not a number`), `undefined` when it can. */
  readonly invalid?: (value: string) => string | undefined
}

const equals = (policy: string, request: string) => policy === request
const equalsIgnoreCase = (policy: string, request: string) => policy.toLowerCase() === request.toLowerCase()
const IGNORING_CASE = ' (ignoring case)'

/** A comparison of numbers or dates: `compare(policy, request)` on the parsed values. */
function ordered(
  parse: (value: string) => number | undefined,
  what: string,
  compare: (policy: number, request: number) => boolean,
  words: Pick<Comparison, 'negated' | 'one' | 'many'>,
): Comparison {
  return {
    ...words,
    test: (policy, request) => {
      const p = parse(policy)
      const r = parse(request)
      return p !== undefined && r !== undefined && compare(p, r)
    },
    invalid: (value) => (parse(value) === undefined ? `${JSON.stringify(value)} is not ${what}` : undefined),
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)$/

function parseNumber(value: string): number | undefined {
  return NUMBER.test(value) ? Number(value) : undefined
}

const EPOCH = /^-?\d+(?:\.\d+)?$/
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i

/** A date as milliseconds since the epoch: ISO 8601 (UTC unless it says otherwise) or epoch seconds. */
function parseDate(value: string): number | undefined {
  if (EPOCH.test(value)) return Number(value) * 1000
  const match = ISO_DATE.exec(value)
  if (match === null) return undefined
  const hasTime = value.length > 10
  const time = Date.parse(hasTime && match[1] === undefined ? `${value}Z` : value)
  return Number.isNaN(time) ? undefined : time
}

/** An IP address or CIDR block as `[address, prefix, family]`. */
function parseCidr(value: string): [string, number, 'ipv4' | 'ipv6'] | undefined {
  const [address = '', prefix, ...rest] = value.split('/')
  const version = isIP(address)
  if (version === 0 || rest.length > 0) return undefined
  const bits = version === 4 ? 32 : 128
  if (prefix !== undefined && !/^\d{1,3}$/.test(prefix)) return undefined
  const length = prefix === undefined ? bits : Number(prefix)
  return length > bits ? undefined : [address, length, version === 4 ? 'ipv4' : 'ipv6']
}

function ipMatch(policy: string, request: string): boolean {
  const block = parseCidr(policy)
  const version = isIP(request)
  if (block === undefined || version === 0) return false
  const list = new BlockList()
  list.addSubnet(...block)
  return list.check(request, version === 4 ? 'ipv4' : 'ipv6')
}

function invalidIp(value: string, policy: boolean): string | undefined {
  if (policy ? parseCidr(value) !== undefined : isIP(value) !== 0) return undefined
  return `${JSON.stringify(value)} is not an IP address${policy ? ' or CIDR block' : ''}`
}

const numeric = (compare: (policy: number, request: number) => boolean, words: Pick<Comparison, 'negated' | 'one' | 'many'>) =>
  ordered(parseNumber, 'a number', compare, words)
const date = (compare: (policy: number, request: number) => boolean, words: Pick<Comparison, 'negated' | 'one' | 'many'>) =>
  ordered(parseDate, 'a date (ISO 8601 or epoch seconds)', compare, words)

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
  NumericEquals: numeric((p, r) => r === p, { negated: false, one: 'is', many: 'is one of' }),
  NumericNotEquals: numeric((p, r) => r === p, { negated: true, one: 'is not', many: 'is none of' }),
  NumericLessThan: numeric((p, r) => r < p, { negated: false, one: 'is less than', many: 'is less than one of' }),
  NumericLessThanEquals: numeric((p, r) => r <= p, { negated: false, one: 'is at most', many: 'is at most one of' }),
  NumericGreaterThan: numeric((p, r) => r > p, { negated: false, one: 'is greater than', many: 'is greater than one of' }),
  NumericGreaterThanEquals: numeric((p, r) => r >= p, { negated: false, one: 'is at least', many: 'is at least one of' }),
  DateEquals: date((p, r) => r === p, { negated: false, one: 'is the date', many: 'is one of the dates' }),
  DateNotEquals: date((p, r) => r === p, { negated: true, one: 'is not the date', many: 'is none of the dates' }),
  DateLessThan: date((p, r) => r < p, { negated: false, one: 'is before', many: 'is before one of' }),
  DateLessThanEquals: date((p, r) => r <= p, { negated: false, one: 'is at or before', many: 'is at or before one of' }),
  DateGreaterThan: date((p, r) => r > p, { negated: false, one: 'is after', many: 'is after one of' }),
  DateGreaterThanEquals: date((p, r) => r >= p, { negated: false, one: 'is at or after', many: 'is at or after one of' }),
  IpAddress: { test: ipMatch, negated: false, one: 'is in', many: 'is in one of', invalid: (value) => invalidIp(value, true) },
  NotIpAddress: { test: ipMatch, negated: true, one: 'is not in', many: 'is in none of', invalid: (value) => invalidIp(value, true) },
  BinaryEquals: { test: equals, negated: false, one: 'is', many: 'is one of' },
}

/** A request value an IP operator cannot compare (a policy value may be a CIDR block, a request value may not). */
function invalidRequestValue(operator: Operator, value: string): string | undefined {
  if (operator.base === 'IpAddress' || operator.base === 'NotIpAddress') return invalidIp(value, false)
  return operator.base === 'Null' ? undefined : COMPARISONS[operator.base].invalid?.(value)
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
  if (wanted === undefined || actual === undefined) return plain(policy) === request
  return wanted.every((part, index) => wildcardMatch(part, actual[index] ?? ''))
}

function arnParts(arn: string): string[] | undefined {
  const parts = arn.split(':')
  return parts.length < 6 ? undefined : [...parts.slice(0, 5), parts.slice(5).join(':')]
}

/** The String and Arn operators: their values take policy variables. */
function takesVariables(operator: Operator): boolean {
  return operator.base.startsWith('String') || operator.base.startsWith('Arn')
}

/** The operators whose values hold wildcards. */
function hasWildcards(operator: Operator): boolean {
  return operator.base.startsWith('Arn') || operator.base === 'StringLike' || operator.base === 'StringNotLike'
}

/** The policy's values for a key: scalars as strings (YAML may give `true` or a number). */
function policyValues(value: unknown): string[] {
  const items: readonly unknown[] = Array.isArray(value) ? value : [value]
  return items.map((item) =>
    typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean' ? String(item) : JSON.stringify(item),
  )
}

/** How one key of one operator block relates to the request. */
type Outcome =
  | { readonly kind: 'holds' }
  | { readonly kind: 'fails'; readonly why: string }
  | { readonly kind: 'undecided'; readonly part: Undecided }

const HOLDS: Outcome = { kind: 'holds' }

/**
 * Every operator block and every key in one must hold (AND): the condition fails when any part
 * certainly fails, else is undecided when any part cannot be decided, else holds.
 */
export function conditionVerdict(condition: unknown, env: Env): Verdict {
  if (condition === undefined) return { kind: 'match' }
  if (!isRecord(condition)) return { kind: 'undecided', part: { cause: 'operator', operator: JSON.stringify(condition) } }
  let undecided: Undecided | undefined
  for (const [name, block] of Object.entries(condition)) {
    for (const outcome of blockOutcomes(name, block, env)) {
      if (outcome.kind === 'fails') return { kind: 'condition', why: outcome.why }
      if (outcome.kind === 'undecided') undecided ??= outcome.part
    }
  }
  return undecided === undefined ? { kind: 'match' } : { kind: 'undecided', part: undecided }
}

function blockOutcomes(name: string, block: unknown, env: Env): Outcome[] {
  const operator = parseOperator(name)
  if (operator === undefined || !isRecord(block)) {
    const key = isRecord(block) ? Object.keys(block)[0] : undefined
    return [{ kind: 'undecided', part: { cause: 'operator', operator: name, ...(key === undefined ? {} : { key }) } }]
  }
  return Object.entries(block).map(([key, value]) => keyOutcome(name, operator, key, policyValues(value), env))
}

function keyOutcome(name: string, operator: Operator, key: string, wanted: readonly string[], env: Env): Outcome {
  const undecided = (cause: 'key' | 'value', detail?: string): Outcome => ({
    kind: 'undecided',
    part: { cause, operator: name, key, ...(detail === undefined ? {} : { detail }) },
  })
  const comparison = operator.base === 'Null' ? undefined : COMPARISONS[operator.base]
  const mode = modeOf(env, takesVariables(operator))
  const readings = wanted.map((value) => read(value, env, mode, hasWildcards(operator)))
  const texts = readings.flatMap((reading) => (reading.kind === 'text' ? reading.texts.map(plain) : []))
  const badPolicyValue = texts.map((value) => comparison?.invalid?.(value)).find((why) => why !== undefined)
  if (badPolicyValue !== undefined) return undecided('value', badPolicyValue)
  const lower = key.toLowerCase()
  if (isUnknown(lower, env)) return undecided('key')
  const actual = env.context.values.get(lower)
  const deployTime = actual?.find((value) => value.includes('«'))
  if (deployTime !== undefined) return undecided('value', `the request's ${JSON.stringify(deployTime)} is known only at deploy time`)
  const badRequestValue = actual?.map((value) => invalidRequestValue(operator, value)).find((why) => why !== undefined)
  if (badRequestValue !== undefined) return undecided('value', `the request's ${badRequestValue}`)
  const holds = keyHolds(operator, readings, actual)
  if (holds === true) return HOLDS
  if (holds === undefined) {
    const index = readings.findIndex((reading) => reading.kind === 'undecided' || reading.texts.length > 1)
    const reading = readings[index] as Reading
    return { kind: 'undecided', part: undecidedPart(reading, `condition ${name} ${key}`, wanted[index] as string, '') }
  }
  if (wanted.length === 0) return { kind: 'fails', why: `has a condition ${name} ${key} with no value listed, which nothing matches` }
  return { kind: 'fails', why: `allows it only when ${requirement(operator, key, wanted)} (${requestHas(key, actual)})` }
}

/**
 * Whether a key holds for the request's values (`undefined`: absent): `undefined` when a policy
 * value that cannot be decided could change the answer.
 */
function keyHolds(operator: Operator, readings: readonly Reading[], actual: readonly string[] | undefined): Tri {
  /** Whether one policy value passes `test`, over its readings. */
  const passes = (test: (policy: string) => boolean) =>
    anyOf(readings.map((reading) => (reading.kind === 'undecided' ? undefined : agree(reading.texts.map(test)))))
  if (operator.base === 'Null') return passes((value) => (value.toLowerCase() === 'true') === (actual === undefined))
  const comparison = COMPARISONS[operator.base]
  if (actual === undefined) {
    if (operator.ifExists) return true
    return operator.set === undefined ? comparison.negated : operator.set === 'ForAllValues'
  }
  const valueHolds = (request: string): Tri => {
    const matched = passes((policy) => comparison.test(policy, request))
    return matched === undefined ? undefined : matched !== comparison.negated
  }
  const each = actual.map(valueHolds)
  if (operator.set === 'ForAllValues') return allOf(each)
  if (operator.set === 'ForAnyValue') return anyOf(each)
  return comparison.negated ? allOf(each) : anyOf(each)
}

/** What a key must be for an operator to hold, e.g. `servicediscovery:ServiceName is "scheduler"`. */
export function requirement(operator: Operator, key: string, wanted: readonly string[]): string {
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
