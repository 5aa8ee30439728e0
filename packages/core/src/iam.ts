// What each dependency kind calls, and the IAM actions those calls need: read by the CDK's
// grantServices() and by the deploy-time check (`cloudmap-middy check`), never by a handler.
// A subpath of its own (`@cloudmap-middy/core/iam`), so no handler bundle carries it.

// The `type` attribute `registerInstance()` writes: the kinds' own (a type, erased: no handler code here).
export type { InstanceType } from './calls/target.js'

import type { InstanceType } from './calls/target.js'

/** What one call of a kind needs: IAM actions on the target, and KMS actions on its key when it has one. */
export interface CallActions {
  /** The IAM actions on the target (its ARN), e.g. `sqs:SendMessage`. */
  readonly actions: readonly string[]
  /** The KMS actions on the target's key, when it is encrypted with a customer managed key. */
  readonly kms?: readonly string[]
}

/** What a dependency kind (`Dependency.kind`, as core's factories name it) calls, and what IAM allows those calls. */
export interface KindCalls {
  /** The `type` its instances must have; `undefined`: any instance will do (`instance()`). */
  readonly type: InstanceType | undefined
  /** What the kind is declared with, for messages (`queue()`). */
  readonly factory: string
  /** The calls a handler is assumed to make when nothing says which (what `grantServices()` grants by default). */
  readonly defaults: readonly string[]
  /** Every method of the resolved value, and what calling it needs. */
  readonly calls: Readonly<Record<string, CallActions>>
}

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

// The README's IAM table, by kind. A frozen literal: nothing is computed when the module loads.
const KINDS: Readonly<Record<string, KindCalls>> = Object.freeze({
  lambda: { type: 'lambda', factory: 'lambda()', defaults: ['request', 'invoke'], calls: { request: INVOKE, invoke: INVOKE } },
  queue: {
    type: 'sqs',
    factory: 'queue()',
    defaults: ['send', 'sendBatch'],
    calls: { send: SEND, sendBatch: SEND, receive: RECEIVE, listen: RECEIVE },
  },
  topic: { type: 'sns', factory: 'topic()', defaults: ['publish', 'publishBatch'], calls: { publish: PUBLISH, publishBatch: PUBLISH } },
  stateMachine: {
    type: 'stepfunctions',
    factory: 'stateMachine()',
    // run() (StartSyncExecution) is added to the defaults for a state machine of this app that is EXPRESS.
    defaults: ['start'],
    calls: { start: { actions: ['states:StartExecution'] }, run: { actions: ['states:StartSyncExecution'] }, executionArn: NONE },
  },
  eventBus: { type: 'eventbridge', factory: 'eventBus()', defaults: ['put', 'putBatch'], calls: { put: PUT, putBatch: PUT } },
  http: { type: 'http', factory: 'http()', defaults: [], calls: { fetch: NONE } },
  instance: { type: undefined, factory: 'instance()', defaults: [], calls: {} },
})

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
  return Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined
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
