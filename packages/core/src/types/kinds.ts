// The one list of dependency kinds and what each one is, as data: core's kinds check `type`
// against it, `@cloudmap-middy/core/iam` (the CDK's grantServices(), the deploy-time check)
// reads its calls, the CDK's registerInstance() writes its attributes, and the check derives the
// IAM resource from it. A leaf: it imports nothing, and nothing is computed when it loads.
// What a handler needs at run time (the kinds' names, the `type` aliases) are small constants of
// their own that KINDS is built from, so a handler bundle carries them and not the IAM facts.

/** A dependency kind, named as its factory: `lambda()`, `queue()`, `topic()`, `http()`, `stateMachine()`, `eventBus()`, `instance()`. */
export type Kind = 'lambda' | 'queue' | 'topic' | 'http' | 'stateMachine' | 'eventBus' | 'instance'

/** A registered `type` attribute, as written (the aliases read as these): one per kind that has a target. */
export type InstanceType = 'lambda' | 'sqs' | 'sns' | 'http' | 'stepfunctions' | 'eventbridge'

/** An attribute a kind reads to find its target. */
export type TargetAttribute = 'arn' | 'url' | 'name'

/** The AWS service of a kind's ARNs, as an ARN names it. */
export type ArnService = 'lambda' | 'sqs' | 'sns' | 'states' | 'events'

/** What one call of a kind needs: IAM actions on the target, and KMS actions on its key when it has one. */
export interface CallActions {
  /** The IAM actions on the target (its ARN), e.g. `sqs:SendMessage`. */
  readonly actions: readonly string[]
  /** The KMS actions on the target's key, when it is encrypted with a customer managed key. */
  readonly kms?: readonly string[]
}

/**
 * How the resource a kind's calls act on (as IAM names it) is derived from its bound value:
 * `arn` as it is; `function` an ARN, or a name or partial ARN completed in the caller's region
 * and account; `queue` the ARN, else the queue the URL names; `unqualified` the ARN without a
 * version or alias; `bus` the ARN, else a bus name in the caller's region and account; `none`
 * no resource (`http()`, `instance()`). Data here, applied by `targetResource()` of
 * `@cloudmap-middy/core/iam`, so no handler bundle carries it.
 */
export type ResourceRule = 'arn' | 'function' | 'queue' | 'unqualified' | 'bus' | 'none'

/** What one kind is: how it is registered, what it reads, what it calls. */
export interface KindFacts {
  /** The kind. */
  readonly kind: Kind
  /** What it is declared with, for messages (`queue()`). */
  readonly factory: `${Kind}()`
  /** The `type` its instances must have; `undefined`: any instance will do (`instance()`). */
  readonly type: InstanceType | undefined
  /** Other `type` values read as `type` (compared in lower case). */
  readonly aliases: readonly string[]
  /** The attributes it reads to find its target, besides `type`. */
  readonly attributes: readonly TargetAttribute[]
  /** The service of its ARNs; `undefined` for a kind with no ARN. */
  readonly arnService: ArnService | undefined
  /** The calls a handler is assumed to make when nothing says which (what `grantServices()` grants by default). */
  readonly defaults: readonly string[]
  /** Every method of the resolved value, and what calling it needs. */
  readonly calls: Readonly<Record<string, CallActions>>
  /** How the resource its calls act on is derived from its bound value. */
  readonly resource: ResourceRule
}

/** Every kind, in KINDS' order (kinds.test.ts holds them equal), for messages that list them. */
export const KIND_NAMES = /* @__PURE__ */ Object.freeze([
  'lambda',
  'queue',
  'topic',
  'http',
  'stateMachine',
  'eventBus',
  'instance',
] as const satisfies readonly Kind[])

// The aliases of each registered `type` (compared in lower case), one constant each: KINDS refers
// to them by name, as a property read would keep the whole table in a bundle that reads one alias.
const LAMBDA_ALIASES: readonly string[] = ['function']
const SQS_ALIASES: readonly string[] = ['queue']
const SNS_ALIASES: readonly string[] = ['topic', 'event', 'pubsub']
const HTTP_ALIASES: readonly string[] = []
const SFN_ALIASES: readonly string[] = ['sfn', 'state-machine']
const EVENTBRIDGE_ALIASES: readonly string[] = ['events', 'event-bus']

/** Every registered `type` and its aliases: what `KINDS[kind].type` and `.aliases` hold. */
const TYPE_ALIASES: ReadonlyArray<readonly [InstanceType, readonly string[]]> = [
  ['lambda', LAMBDA_ALIASES],
  ['sqs', SQS_ALIASES],
  ['sns', SNS_ALIASES],
  ['http', HTTP_ALIASES],
  ['stepfunctions', SFN_ALIASES],
  ['eventbridge', EVENTBRIDGE_ALIASES],
]

const INVOKE: CallActions = { actions: ['lambda:InvokeFunction'] }
const SEND: CallActions = { actions: ['sqs:SendMessage'], kms: ['kms:GenerateDataKey', 'kms:Decrypt'] }
// receive() and listen() hand out messages whose ack() deletes and release() changes the visibility.
const RECEIVE: CallActions = {
  actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
  kms: ['kms:Decrypt'],
}
const PUBLISH: CallActions = { actions: ['sns:Publish'], kms: ['kms:GenerateDataKey', 'kms:Decrypt'] }
const PUT: CallActions = { actions: ['events:PutEvents'] }
const NONE: CallActions = { actions: [] }

/**
 * Every kind and what it is (the README's attribute and IAM tables), in one frozen literal.
 * Keyed by {@link Kind}: a kind missing here, or one too many, is a type error.
 *
 * @example
 * ```ts
 * import { KINDS } from '@cloudmap-middy/core/iam'
 *
 * KINDS.queue.type // 'sqs'
 * KINDS.queue.calls.send.actions // ['sqs:SendMessage']
 * ```
 */
export const KINDS: {
  readonly [K in Kind]: KindFacts & {
    /** The kind: the key it is under. */
    readonly kind: K
  }
} = /* @__PURE__ */ Object.freeze({
  lambda: {
    kind: 'lambda',
    factory: 'lambda()',
    type: 'lambda',
    aliases: LAMBDA_ALIASES,
    attributes: ['arn'],
    arnService: 'lambda',
    defaults: ['request', 'invoke'],
    calls: { request: INVOKE, invoke: INVOKE },
    resource: 'function',
  },
  queue: {
    kind: 'queue',
    factory: 'queue()',
    type: 'sqs',
    aliases: SQS_ALIASES,
    attributes: ['arn', 'url'],
    arnService: 'sqs',
    defaults: ['send', 'sendBatch'],
    calls: { send: SEND, sendBatch: SEND, receive: RECEIVE, listen: RECEIVE },
    resource: 'queue',
  },
  topic: {
    kind: 'topic',
    factory: 'topic()',
    type: 'sns',
    aliases: SNS_ALIASES,
    attributes: ['arn'],
    arnService: 'sns',
    defaults: ['publish', 'publishBatch'],
    calls: { publish: PUBLISH, publishBatch: PUBLISH },
    resource: 'arn',
  },
  http: {
    kind: 'http',
    factory: 'http()',
    type: 'http',
    aliases: HTTP_ALIASES,
    attributes: ['url'],
    arnService: undefined,
    defaults: [],
    calls: { fetch: NONE },
    resource: 'none',
  },
  stateMachine: {
    kind: 'stateMachine',
    factory: 'stateMachine()',
    type: 'stepfunctions',
    aliases: SFN_ALIASES,
    attributes: ['arn'],
    arnService: 'states',
    // run() (StartSyncExecution) is added to the defaults for a state machine of this app that is EXPRESS.
    defaults: ['start'],
    calls: { start: { actions: ['states:StartExecution'] }, run: { actions: ['states:StartSyncExecution'] }, executionArn: NONE },
    resource: 'unqualified',
  },
  eventBus: {
    kind: 'eventBus',
    factory: 'eventBus()',
    type: 'eventbridge',
    aliases: EVENTBRIDGE_ALIASES,
    attributes: ['arn', 'name'],
    arnService: 'events',
    defaults: ['put', 'putBatch'],
    calls: { put: PUT, putBatch: PUT },
    resource: 'bus',
  },
  instance: {
    kind: 'instance',
    factory: 'instance()',
    type: undefined,
    aliases: [],
    attributes: [],
    arnService: undefined,
    defaults: [],
    calls: {},
    resource: 'none',
  },
})

/**
 * True for one of the seven kinds (a `Dependency.kind` read from elsewhere: a child process, a plugin).
 *
 * @example
 * ```ts
 * isKind('queue') // true
 * isKind('constructor') // false
 * ```
 */
export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && Object.hasOwn(KINDS, value)
}

/**
 * The instance type a registered `type` value (or one of its aliases, in any case) stands for,
 * or `undefined` for one this library does not know.
 *
 * @example
 * ```ts
 * instanceTypeOf('Queue') // 'sqs'
 * instanceTypeOf('sfn') // 'stepfunctions'
 * ```
 */
export function instanceTypeOf(registered: string): InstanceType | undefined {
  const lower = registered.toLowerCase()
  for (const [type, aliases] of TYPE_ALIASES) {
    if (type === lower || aliases.includes(lower)) return type
  }
  return undefined
}
