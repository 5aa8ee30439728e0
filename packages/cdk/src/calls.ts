/** The `type` attribute `registerInstance()` writes, in the spelling of DESIGN.md's attribute table. */
export type InstanceType = 'lambda' | 'sqs' | 'sns' | 'http' | 'stepfunctions' | 'eventbridge'

/** What one call of a kind needs: IAM actions on the target, and KMS actions on its key when it has one. */
interface CallActions {
  readonly actions: readonly string[]
  readonly kms?: readonly string[]
}

/** What `grantServices()` knows of a dependency kind (`Dependency.kind`, as core's factories name it). */
export interface KindCalls {
  /** The `type` its instances must have; `undefined`: any instance will do (`instance()`). */
  readonly type: InstanceType | undefined
  /** What the kind is declared with, for messages (`queue()`). */
  readonly factory: string
  /** The calls granted when `calls` does not name this dependency. */
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

/** What `grantServices()` knows of a kind, or `undefined` for a kind it does not know. */
export function kindCalls(kind: string): KindCalls | undefined {
  return Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined
}
