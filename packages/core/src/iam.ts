// The one list of kinds (src/types/kinds.ts) and what reads it outside a handler: the CDK's
// grantServices() and registerInstance(), and the deploy-time check (`cloudmap-middy check`).
// A subpath of its own (`@cloudmap-middy/core/iam`), so no handler bundle carries these helpers.

export {
  type ArnService,
  type CallActions,
  type InstanceType,
  instanceTypeOf,
  isKind,
  KINDS,
  type Kind,
  type KindFacts,
  type ResourceRule,
  type TargetAttribute,
} from './types/kinds.js'

import { type ArnService, type InstanceType, isKind, KINDS, type Kind, type KindFacts, type TargetAttribute } from './types/kinds.js'

/** What a dependency kind (`Dependency.kind`) calls, and what IAM allows those calls: its {@link KindFacts}. */
export type KindCalls = KindFacts

/**
 * What a kind calls and the IAM actions each call needs, or `undefined` for a kind this
 * version does not know.
 *
 * @example
 * ```ts
 * import { kindCalls } from '@cloudmap-middy/core/iam'
 *
 * kindCalls('queue')?.calls.send.actions // ['sqs:SendMessage']
 * ```
 */
export function kindCalls(kind: string): KindCalls | undefined {
  return isKind(kind) ? KINDS[kind] : undefined
}

/**
 * Why `call` is not one of the kind's calls (naming those it has), or `undefined` when it is.
 *
 * @example
 * ```ts
 * unknownCall(kindCalls('queue')!, 'recieve') // 'queue() has no call "recieve" (it has send, sendBatch, receive, listen)'
 * ```
 */
export function unknownCall(kind: KindCalls, call: string): string | undefined {
  if (Object.hasOwn(kind.calls, call)) return undefined
  const known = Object.keys(kind.calls)
  return `${kind.factory} has no call "${call}" (${known.length > 0 ? `it has ${known.join(', ')}` : 'it makes none'})`
}

/**
 * The calls a handler is assumed to make on a target when nothing lists them: the kind's
 * defaults, and `run` (StartSyncExecution) too on an EXPRESS state machine.
 *
 * @example
 * ```ts
 * defaultCalls(kindCalls('stateMachine')!, { express: true }) // ['start', 'run']
 * ```
 */
export function defaultCalls(kind: KindCalls, target: { readonly express?: boolean }): readonly string[] {
  return target.express === true && Object.hasOwn(kind.calls, 'run') ? [...kind.defaults, 'run'] : kind.defaults
}

/**
 * The attributes `registerInstance()` writes for a target of `kind`: its `type`, and each
 * attribute the kind reads that is given (`arn`, `url`, `name`).
 *
 * @throws {TypeError} for a kind with no `type` (`instance()`), or a value the kind does not read.
 *
 * @example
 * ```ts
 * registeredAttributes('queue', { arn: queueArn, url: queueUrl }) // { type: 'sqs', arn: queueArn, url: queueUrl }
 * ```
 */
export function registeredAttributes(
  kind: Exclude<Kind, 'instance'>,
  values: Readonly<Partial<Record<TargetAttribute, string>>>,
): {
  /** The kind's registered type. */
  readonly type: InstanceType
} & Readonly<Partial<Record<TargetAttribute, string>>> {
  const facts: KindFacts = KINDS[kind]
  if (facts.type === undefined) throw new TypeError(`${facts.factory} has no registered type`)
  const attributes: Partial<Record<TargetAttribute, string>> = {}
  for (const [name, value] of Object.entries(values) as [TargetAttribute, string | undefined][]) {
    if (!facts.attributes.includes(name)) throw new TypeError(`${facts.factory} does not read the attribute "${name}"`)
    if (value !== undefined) attributes[name] = value
  }
  return { type: facts.type, ...attributes }
}

/** Where the check's caller stands: the partition, region and account an ARN is completed with. */
export interface CallerScope {
  /** `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string
  /** The region a name or partial ARN is in. */
  readonly region: string
  /** The account a name is in. */
  readonly accountId: string
}

/** What a bound value tells of its target (the `arn`, `url`, `region` and `name` a kind's value exposes). */
export interface BoundTarget {
  /** An ARN, or for `lambda()` a function name or partial ARN. */
  readonly arn?: unknown
  /** A queue URL or an HTTP base URL. */
  readonly url?: unknown
  /** The target's region, when the value knows it. */
  readonly region?: unknown
  /** An event bus name. */
  readonly name?: unknown
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

const toArn = (caller: CallerScope, service: ArnService, resource: string, region: unknown, account = caller.accountId): string =>
  `arn:${caller.partition}:${service}:${text(region) || caller.region}:${account}:${resource}`

// A function ARN as it is; a partial ARN (account:function:name[:qualifier]) or a name, in the caller's region.
function functionResource(target: BoundTarget, caller: CallerScope): string | undefined {
  const arn = text(target.arn)
  if (arn === undefined || arn.startsWith('arn:')) return arn
  const parts = arn.split(':')
  if (parts.length >= 3 && parts[1] === 'function') return toArn(caller, 'lambda', parts.slice(1).join(':'), target.region, parts[0])
  return toArn(caller, 'lambda', `function:${arn}`, target.region)
}

// The ARN, else the queue named by the URL (https://sqs.<region>.<domain>/<account>/<name>).
function queueResource(target: BoundTarget, caller: CallerScope): string | undefined {
  const arn = text(target.arn)
  if (arn !== undefined) return arn
  const url = text(target.url)
  if (url === undefined || !URL.canParse(url)) return undefined
  const parsed = new URL(url)
  const [account, name] = parsed.pathname.split('/').filter(Boolean)
  const region = parsed.hostname.match(/^sqs\.([a-z0-9-]+)\./)?.[1]
  return account && name ? toArn(caller, 'sqs', name, region, account) : undefined
}

function busResource(target: BoundTarget, caller: CallerScope): string | undefined {
  const name = text(target.name)
  return text(target.arn) ?? (name === undefined ? undefined : toArn(caller, 'events', `event-bus/${name}`, target.region))
}

/**
 * The resource a bound value of `kind` acts on, as IAM names it (what the caller's role must
 * allow), derived as the kind's {@link KindFacts.resource} rule says; `undefined` when the kind
 * has none (`http()`, `instance()`) or the value does not say.
 *
 * @example
 * ```ts
 * targetResource('lambda', { arn: 'get-job' }, { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' })
 * // 'arn:aws:lambda:eu-west-1:123456789012:function:get-job'
 * ```
 */
export function targetResource(kind: Kind, target: BoundTarget, caller: CallerScope): string | undefined {
  switch (KINDS[kind].resource) {
    case 'arn':
      return text(target.arn)
    case 'function':
      return functionResource(target, caller)
    case 'queue':
      return queueResource(target, caller)
    // A version or alias is authorized on its state machine's ARN (with states:StateMachineQualifier).
    case 'unqualified':
      return text(target.arn)?.split(':').slice(0, 7).join(':')
    case 'bus':
      return busResource(target, caller)
    case 'none':
      return undefined
  }
}
