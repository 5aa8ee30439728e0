// Evaluates IAM identity-policy statements the way AWS does for one principal: an explicit Deny
// wins, then any Allow, else an implicit deny. Pure data in, a decision out: nothing here calls AWS.
//
// Modelled: Action/NotAction, Resource/NotResource (wildcards), and Condition with the String*,
// Arn*, Bool, Null, Numeric*, Date*, IpAddress/NotIpAddress and BinaryEquals operators, their
// IfExists forms and the ForAnyValue/ForAllValues set prefixes. Policy variables (`${aws:username}`,
// `${aws:PrincipalTag/team, 'default'}`, `${*}`) in Resource/NotResource and condition values of a
// `2012-10-17` policy are replaced from the request's keys. The request carries the service keys
// it knows (`servicediscovery:NamespaceName`, ...) and the global `aws:` keys the caller knows
// (`aws:RequestedRegion`, `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:ResourceAccount`,
// `aws:SecureTransport`, `aws:CurrentTime`, `aws:EpochTime`). A key the request lacks is unknown (it
// could be anything at run time) when it is a global `aws:` key or a key of the action's own
// service (`events:source` for `events:PutEvents`, `kms:ViaService` for `kms:Decrypt`); a key of
// another service it lacks is absent, as AWS has it.
//
// Never a false pass: what this cannot decide (an unknown key, an operator or value it does not
// understand, a value known only at deploy time such as `«Fn::ImportValue DeniedQueueArn»`, a policy
// variable with no value yet) keeps an Allow from allowing, and makes a Deny refuse the request
// ("may be denied").
//
// Not modelled: resource policies, service control policies and session policies. A permission
// boundary is applied by the caller, by evaluating the boundary's statements on their own and
// requiring both decisions to allow.

import { BlockList, isIP } from 'node:net'
import { own } from './own.js'

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
  /**
   * The `Version` of the policy document the statement is in. With `2012-10-17`, `${...}` in its
   * Resource, NotResource and String/Arn condition values are policy variables; with another
   * version, or `null` for a document without one, they are text. Left out, the version is not
   * known: a pattern that means one thing as text and another with its variables replaced cannot be
   * decided. {@link statementsOf} gives it for a whole document.
   */
  readonly version?: string | null
}

/**
 * One request: an action on one resource ARN (or `*`), or on several resources together, with the
 * request's condition keys. Give `resource` or `resources` (with neither, nothing is allowed).
 */
export interface AccessRequest {
  /** The action, e.g. `sqs:SendMessage`. */
  readonly action: string
  /** The resource's ARN, or `*` for an action with no resource type. Ignored when `resources` is given. */
  readonly resource?: string
  /**
   * Several resources the one action is authorized on together, e.g. a Cloud Map namespace ARN and
   * a service ARN for `servicediscovery:DiscoverInstances`. When given, it is used instead of
   * `resource`: the request is allowed only when every resource is allowed, any Deny on any of them
   * denies it, and the reason names the resource that failed.
   */
  readonly resources?: readonly string[]
  /**
   * The request's condition keys (`servicediscovery:NamespaceName`), a multi-valued key as an array.
   * A global `aws:` key left out, or a key of the action's own service (`sqs:` for `sqs:SendMessage`),
   * is unknown (it could be anything at run time), so a condition or policy variable on it cannot be
   * decided; give it an empty array to say it is absent. A key of another service left out is absent.
   */
  readonly context?: Readonly<Record<string, string | readonly string[]>>
  /** How the reason names a resource (`prod.scheduler` for a Cloud Map service's ARN), by its ARN; default the ARN. */
  readonly names?: Readonly<Record<string, string>>
}

/** What the policies say of a request: allowed (and by which statement's source), or not and why. */
export type AccessDecision =
  | {
      /** Allowed. */
      readonly allowed: true
      /** The source of the first statement that allows it (with several resources, of each, once, joined by `, `). */
      readonly source: string
    }
  | {
      /** Not allowed. */
      readonly allowed: false
      /**
       * How: `explicit`, a Deny matched; `undecided`, a Deny whose condition or pattern cannot be
       * decided before a deploy may apply; `implicit`, nothing allows it.
       */
      readonly denial: 'explicit' | 'undecided' | 'implicit'
      /**
       * Why: the Deny that matched (`denied by ...`), the Deny whose condition cannot be decided
       * before a deploy (`may be denied by ...`), or that nothing allows it, with the closest miss.
       */
      readonly reason: string
    }

/** The request's condition keys, by lower-cased name; a key with no value is left out (it is absent). */
interface Context {
  readonly values: ReadonlyMap<string, readonly string[]>
  /** The lower-cased names of the keys the request gives, with a value or not. */
  readonly given: ReadonlySet<string>
}

/** How a statement reads `${...}`: as policy variables (`2012-10-17`), as text, or either (the version is not known). */
type Variables = 'yes' | 'no' | 'maybe'

/** What one statement is judged with: the request's keys, the action's service (lower case), and how it reads `${...}`. */
interface Env {
  readonly context: Context
  readonly service: string
  readonly variables: Variables
}

/** A part of a statement that cannot be decided, and why. */
type Undecided =
  | {
      /** `key`: a key the request does not carry that could be anything; `operator`: not understood; `value`: a value that does not parse. */
      readonly cause: 'key' | 'operator' | 'value'
      /** The operator as written, e.g. `ForAnyValue:DateLessThanIfExists`. */
      readonly operator: string
      /** The key as written (none when the operator's block is not a key → value map). */
      readonly key?: string
      /** For `value`: what does not parse. */
      readonly detail?: string
    }
  | {
      /**
       * `placeholder`: holds a value known only at deploy time (`«...»`); `unreadable`: a policy
       * variable with no value yet, not a string, or the request's own value known only at deploy time.
       */
      readonly cause: 'placeholder' | 'unreadable'
      /** Where: `Resource`, `NotAction`, `condition StringEquals aws:SourceVpc`, ... */
      readonly where: string
      /** The pattern or value as written. */
      readonly value: string
      /** For `unreadable`: why. */
      readonly detail?: string
    }

/** How one statement relates to one request. */
type Verdict =
  | { readonly kind: 'match' }
  | { readonly kind: 'action' }
  | { readonly kind: 'resource' }
  /** The condition certainly fails; `why` follows the source in a message (`allows it only when ...`). */
  | { readonly kind: 'condition'; readonly why: string }
  | { readonly kind: 'undecided'; readonly part: Undecided }

interface Judged {
  readonly sourced: SourcedStatement
  readonly verdict: Verdict
}

/**
 * Decides whether statements allow a request, as AWS evaluates identity policies: a matching
 * explicit Deny wins, else the first matching Allow allows, else the request is implicitly denied.
 * When nothing allows, `reason` names the statement that came closest and what it lacked.
 *
 * A part that cannot be decided before a deploy (a key the request does not carry that could be
 * anything, an operator or value not understood, a pattern or value holding `«...»`, a policy
 * variable with no value yet) never lets a request through: such an Allow does not allow, and such a
 * Deny refuses the request with `may be denied by <source>: ...`, unless another Deny certainly
 * applies (`denied by <source>`). In a list of patterns, one that certainly matches decides.
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
 * // { allowed: false, denial: 'implicit', reason: 'no statement allows sqs:SendMessage on arn:aws:sqs:eu-west-1:123456789012:other;
 * //   policy WorkerRoleDefaultPolicy allows it on arn:aws:sqs:eu-west-1:123456789012:jobs only' }
 * ```
 */
export function evaluateAccess(statements: readonly SourcedStatement[], request: AccessRequest): AccessDecision {
  const resources = [...new Set(request.resources ?? (request.resource === undefined ? [] : [request.resource]))]
  if (resources.length === 0) return { allowed: false, denial: 'implicit', reason: `no resource given for ${request.action}` }
  const context = contextOf(request.context)
  const service = request.action.split(':')[0]?.toLowerCase() ?? ''
  const envs = statements.map((sourced): Env => ({ context, service, variables: variablesOf(sourced.version) }))
  const several = resources.length > 1
  const judgedBy = resources.map((resource) => ({
    resource,
    on: several ? ` on ${resource}` : '',
    judged: statements.map(
      (sourced, index): Judged => ({ sourced, verdict: judge(sourced.statement, request.action, resource, envs[index] as Env) }),
    ),
  }))
  const denies = judgedBy.flatMap(({ on, judged }) =>
    judged.filter(({ sourced }) => sourced.statement.Effect === 'Deny').map((deny) => ({ on, ...deny })),
  )
  const deny = denies.find(({ verdict }) => verdict.kind === 'match')
  if (deny) return { allowed: false, denial: 'explicit', reason: `denied by ${deny.sourced.source}${deny.on}` }
  for (const { on, sourced, verdict } of denies) {
    if (verdict.kind === 'undecided')
      return { allowed: false, denial: 'undecided', reason: `may be denied by ${sourced.source}${on}: ${undecidedDeny(verdict.part)}` }
  }
  const sources: string[] = []
  for (const { resource, judged } of judgedBy) {
    const allows = judged.filter(({ sourced }) => sourced.statement.Effect === 'Allow')
    const allow = allows.find(({ verdict }) => verdict.kind === 'match')
    if (allow === undefined)
      return { allowed: false, denial: 'implicit', reason: explain(request.action, own(request.names, resource) ?? resource, allows) }
    sources.push(allow.sourced.source)
  }
  return { allowed: true, source: [...new Set(sources)].join(', ') }
}

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

function variablesOf(version: string | null | undefined): Variables {
  if (version === undefined) return 'maybe'
  return version === '2012-10-17' ? 'yes' : 'no'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStatement(value: unknown): value is PolicyStatement {
  return isRecord(value) && typeof value.Effect === 'string'
}

// ---------------------------------------------------------------------------------------------
// Matching a statement

/**
 * How a statement relates to a request on one resource, whatever its effect (an effect other than
 * Allow or Deny counts as neither). A part that certainly fails decides; else a part that cannot be
 * decided makes the statement undecided. When the action is undecided and another part fails, the
 * verdict is `action` (no closest miss is claimed for it); when the resource is, `resource`.
 */
function judge(statement: PolicyStatement, action: string, resource: string, env: Env): Verdict {
  const actionMatch = elementMatch(statement.Action, statement.NotAction, ['Action', 'NotAction'], action, env)
  if (actionMatch === false) return { kind: 'action' }
  const resourceMatch = elementMatch(statement.Resource, statement.NotResource, ['Resource', 'NotResource'], resource, env)
  if (resourceMatch === false) return actionMatch === true ? { kind: 'resource' } : { kind: 'action' }
  const condition = conditionVerdict(statement.Condition, env)
  if (condition.kind === 'condition') {
    if (actionMatch !== true) return { kind: 'action' }
    return resourceMatch === true ? condition : { kind: 'resource' }
  }
  if (actionMatch !== true) return { kind: 'undecided', part: actionMatch }
  if (resourceMatch !== true) return { kind: 'undecided', part: resourceMatch }
  return condition
}

/** Kleene logic: `undefined` is a truth that cannot be decided. */
type Tri = boolean | undefined

function anyOf(values: readonly Tri[]): Tri {
  if (values.includes(true)) return true
  return values.includes(undefined) ? undefined : false
}

function allOf(values: readonly Tri[]): Tri {
  if (values.includes(false)) return false
  return values.includes(undefined) ? undefined : true
}

/** Several readings of one pattern agree: all match, or none does; else it cannot be decided. */
function agree(values: readonly Tri[]): Tri {
  if (values.every((value) => value === true)) return true
  return values.every((value) => value === false) ? false : undefined
}

/**
 * Whether an element pair (Action/NotAction, Resource/NotResource) matches: `true`, `false`, or the
 * pattern that cannot be decided. Action patterns take no policy variables; resource patterns do.
 */
function elementMatch(
  patterns: unknown,
  notPatterns: unknown,
  [element, notElement]: readonly [string, string],
  text: string,
  env: Env,
): boolean | Undecided {
  const isAction = element === 'Action'
  if (patterns !== undefined) return listMatch(patterns, element, text, env, isAction)
  if (notPatterns === undefined) return false
  const matched = listMatch(notPatterns, notElement, text, env, isAction)
  return typeof matched === 'boolean' ? !matched : matched
}

/** Whether any pattern of a list certainly matches (`true`), none can (`false`), or else the first that cannot be decided. */
function listMatch(patterns: unknown, element: string, text: string, env: Env, isAction: boolean): boolean | Undecided {
  let undecided: Undecided | undefined
  for (const pattern of Array.isArray(patterns) ? patterns : [patterns]) {
    if (typeof pattern !== 'string') {
      undecided ??= { cause: 'unreadable', where: element, value: JSON.stringify(pattern) ?? String(pattern), detail: 'not a string' }
      continue
    }
    const reading = read(pattern, env, isAction ? 'text' : modeOf(env, true), true)
    const matched =
      reading.kind === 'undecided'
        ? undefined
        : agree(reading.texts.map((p) => (isAction ? wildcardMatch(p.toLowerCase(), text.toLowerCase()) : requestMatch(p, text))))
    if (matched === true) return true
    if (matched === undefined) undecided ??= undecidedPart(reading, element, pattern, text)
  }
  return undecided ?? false
}

/**
 * Whether a resource pattern matches the request's resource: when the resource holds a value known
 * only at deploy time (`«...»`), only a pattern of nothing but `*` certainly does; else it cannot be told.
 */
function requestMatch(pattern: string, text: string): Tri {
  if (!text.includes('«')) return wildcardMatch(pattern, text)
  return /^\*+$/.test(pattern) ? true : undefined
}

/** The strings of a value that is a string or an array (anything else in it cannot match). */
function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** A pattern character that stands for itself, not a wildcard: from `${*}` and `${?}`. */
const LITERAL: Readonly<Record<string, string>> = { '*': '\uE000', '?': '\uE001' }
const UNLITERAL: Readonly<Record<string, string>> = { '\uE000': '*', '\uE001': '?' }

/** A pattern as plain text: its literal `*` and `?` as themselves. */
function plain(pattern: string): string {
  return pattern.replace(/[\uE000\uE001]/g, (char) => UNLITERAL[char] ?? char)
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
    } else if (char !== undefined && (char === '?' || (UNLITERAL[char] ?? char) === text[t])) {
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
// Placeholders and policy variables

/**
 * What a pattern or condition value stands for: the text it is (or the two texts it may be, as text
 * or with its policy variables replaced, with why it is ambiguous), or why it cannot be known.
 */
type Reading =
  | { readonly kind: 'text'; readonly texts: readonly string[]; readonly ambiguity?: string }
  | { readonly kind: 'undecided'; readonly cause: 'placeholder' | 'unreadable'; readonly detail?: string }

/**
 * How to read `${...}` in a pattern: as text, with its policy variables replaced, or either (the
 * statement's version is not known, or the operator may not take variables).
 */
type Mode = 'text' | 'variables' | 'either'

/** The mode for a place that takes policy variables (`takes`: Resource, String and Arn operators) or not. */
function modeOf(env: Env, takes: boolean): Mode {
  if (env.variables === 'no') return 'text'
  return env.variables === 'yes' && takes ? 'variables' : 'either'
}

/**
 * Reads a pattern or condition value: `«...»` anywhere makes it known only at deploy time; `${...}`
 * is read as `mode` says. With `wildcards`, a `*` or `?` that `${*}` or `${?}` gives stands for itself.
 */
function read(raw: string, env: Env, mode: Mode, wildcards: boolean): Reading {
  if (raw.includes('«')) return { kind: 'undecided', cause: 'placeholder' }
  if (mode === 'text' || !raw.includes('${')) return { kind: 'text', texts: [raw] }
  const replaced = substitute(raw, env, wildcards)
  if (mode === 'variables' || replaced.kind === 'undecided') return replaced
  const [text = raw] = replaced.texts
  if (text === raw) return replaced
  const ambiguity =
    env.variables === 'maybe'
      ? `the policy's Version is not known: it may be text or hold policy variables`
      : 'its operator may take it as text rather than with its policy variables'
  return { kind: 'text', texts: [raw, text], ambiguity }
}

/** `${key}` or `${key, 'default'}` (a quote in the default doubled), spaces allowed around each part. */
const VARIABLE = /\$\{\s*([^\s,'}]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}/y
/** The special forms, each the character itself. */
const SPECIAL: Readonly<Record<string, string>> = { '${*}': '*', '${?}': '?', '${$}': '$' }

/** Replaces the policy variables of a pattern from the request's keys, in one pass. */
function substitute(raw: string, env: Env, wildcards: boolean): Reading {
  let text = ''
  let at = 0
  for (let start = raw.indexOf('${'); start >= 0; start = raw.indexOf('${', at)) {
    text += raw.slice(at, start)
    const special = SPECIAL[raw.slice(start, start + 4)]
    if (special !== undefined) {
      text += wildcards ? (LITERAL[special] ?? special) : special
      at = start + 4
      continue
    }
    VARIABLE.lastIndex = start
    const match = VARIABLE.exec(raw)
    if (match === null) {
      return { kind: 'undecided', cause: 'unreadable', detail: `${raw.slice(start)} is not a policy variable that can be read` }
    }
    const [variable, key = '', fallback] = match
    const value = variableValue(key, fallback?.replaceAll("''", "'"), env)
    if (typeof value !== 'string') return { kind: 'undecided', cause: 'unreadable', detail: `${variable} ${value.why}` }
    if (wildcards && /[*?]/.test(value)) {
      return { kind: 'undecided', cause: 'unreadable', detail: `${variable} is ${JSON.stringify(value)}, which holds a wildcard character` }
    }
    text += value
    at = start + variable.length
  }
  return { kind: 'text', texts: [text + raw.slice(at)] }
}

/** The value a policy variable takes from the request: its key's one value, else its default when the key is absent. */
function variableValue(key: string, fallback: string | undefined, env: Env): string | { readonly why: string } {
  const lower = key.toLowerCase()
  const values = env.context.values.get(lower)
  if (values !== undefined) {
    if (values.length > 1) return { why: 'has several values' }
    const [value = ''] = values
    return value.includes('«') ? { why: `is ${value}, known only at deploy time` } : value
  }
  if (isUnknown(lower, env)) return { why: 'is not known before a deploy' }
  return fallback ?? { why: 'has no value, and no default' }
}

/**
 * The part that cannot be decided, for messages: the reading's own cause, the ambiguity of its two
 * texts, or else the request's value (`request`), known only at deploy time.
 */
function undecidedPart(reading: Reading, where: string, value: string, request: string): Undecided {
  if (reading.kind === 'undecided')
    return { cause: reading.cause, where, value, ...(reading.detail === undefined ? {} : { detail: reading.detail }) }
  const detail = reading.ambiguity ?? `the request's ${JSON.stringify(request)} is known only at deploy time`
  return { cause: 'unreadable', where, value, detail }
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

function contextOf(context: AccessRequest['context']): Context {
  const values = new Map<string, readonly string[]>()
  const given = new Set<string>()
  for (const [key, value] of Object.entries(context ?? {})) {
    if (value === undefined) continue
    given.add(key.toLowerCase())
    const list = listOf(value)
    if (list.length > 0) values.set(key.toLowerCase(), list)
  }
  return { values, given }
}

/**
 * Whether a key (lower case) the request does not give is unknown (anything at run time) rather than
 * absent: a global `aws:` key, or a key of the action's own service (`events:source` for
 * `events:PutEvents`), which a real request may carry, or a key named only at deploy time (`«...»`).
 * A key given with no value is absent.
 */
function isUnknown(key: string, env: Env): boolean {
  if (env.context.given.has(key)) return false
  if (key.includes('«')) return true
  const colon = key.indexOf(':')
  if (colon < 0) return false
  const prefix = key.slice(0, colon)
  return prefix === 'aws' || prefix === env.service
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
function conditionVerdict(condition: unknown, env: Env): Verdict {
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

// ---------------------------------------------------------------------------------------------
// Messages

function explain(action: string, resource: string, allows: readonly Judged[]): string {
  const parts = [`no statement allows ${action} on ${resource}`]
  const undecided = new Set<string>()
  for (const { sourced, verdict } of allows) {
    if (verdict.kind === 'undecided') undecided.add(undecidedAllow(sourced.source, verdict.part))
  }
  parts.push(...undecided)
  const miss = allows.find(({ verdict }) => verdict.kind === 'condition') ?? allows.find(({ verdict }) => verdict.kind === 'resource')
  if (miss !== undefined) parts.push(closestMiss(miss))
  return parts.join('; ')
}

/** An Allow that cannot be decided, for the reason nothing allows. */
function undecidedAllow(source: string, part: Undecided): string {
  if ('where' in part) return `${source}: ${undecidedPattern(part)}`
  const { operator, key, cause, detail } = part
  if (cause === 'operator') return `${source}: condition operator ${operator} not understood`
  if (cause === 'value') return `${source}: condition ${operator} ${key ?? ''}: ${detail ?? 'a value not understood'}`
  return `${source} allows it only if ${operator} ${key ?? ''} holds, which cannot be evaluated before a deploy`
}

/** A Deny that cannot be decided, after `may be denied by <source>: `. */
function undecidedDeny(part: Undecided): string {
  if ('where' in part) return undecidedPattern(part)
  const { operator, key, cause, detail } = part
  const because = cause === 'operator' ? ' (operator not understood)' : cause === 'value' ? ` (${detail ?? 'a value not understood'})` : ''
  return `its condition ${operator}${key === undefined ? '' : ` ${key}`} cannot be evaluated before a deploy${because}`
}

/** A pattern or condition value that cannot be decided: `its Resource «Fn::ImportValue X» is known only at deploy time`. */
function undecidedPattern({ cause, where, value, detail }: Extract<Undecided, { readonly where: string }>): string {
  if (cause === 'placeholder') return `its ${where} ${value} is known only at deploy time`
  return `its ${where} ${value} cannot be evaluated before a deploy${detail === undefined ? '' : ` (${detail})`}`
}

function closestMiss({ sourced, verdict }: Judged): string {
  if (verdict.kind === 'condition') return `${sourced.source} ${verdict.why}`
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
