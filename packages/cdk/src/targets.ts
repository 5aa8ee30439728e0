import { type InstanceType, type Kind, registeredAttributes } from '@cloudmap-middy/core/iam'
import { Token } from 'aws-cdk-lib'
import type * as events from 'aws-cdk-lib/aws-events'
import type * as kms from 'aws-cdk-lib/aws-kms'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import type * as sns from 'aws-cdk-lib/aws-sns'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions'

/** An HTTP service registered by its base URL (what `http()` reads as `url`). */
export interface HttpEndpoint {
  /** The base URL: `http://` or `https://`, no user name or password (`http()` refuses them). A token is allowed. */
  readonly url: string
}

/**
 * What `registerInstance()` registers: a Lambda function (a version or an alias too), an
 * SQS queue, an SNS topic, a Step Functions state machine, an EventBridge event bus, or an
 * HTTP endpoint.
 */
export type InstanceTarget = lambda.IFunction | sqs.IQueue | sns.ITopic | sfn.IStateMachine | events.IEventBus | HttpEndpoint

/** A target as the registry and the grants need it. */
export interface DescribedTarget {
  /** The kind that reads it. */
  readonly kind: Exclude<Kind, 'instance'>
  /** The `type` attribute. */
  readonly type: InstanceType
  /** The attributes its kind reads (`type`, `arn`, `url`). */
  readonly attributes: Readonly<Record<string, string>>
  /** The resource the kind's calls act on; none for an HTTP endpoint. */
  readonly arn?: string
  /** The customer managed key the target is encrypted with, when the construct tells. */
  readonly key?: kms.IKey
  /** True for a state machine of this app known to be EXPRESS (it can be `run()`). */
  readonly express?: boolean
}

const has = <K extends string>(value: object, key: K): value is Record<K, unknown> => key in value

/** The state machine's type when the construct (or its L1) says it. */
function stateMachineType(machine: sfn.IStateMachine): unknown {
  if (has(machine, 'stateMachineType')) return machine.stateMachineType
  const child = machine.node.defaultChild
  return child && has(child, 'stateMachineType') ? child.stateMachineType : undefined
}

/** An HTTP endpoint's URL, checked when it is known at synth time. */
function checkUrl(label: string, url: string): void {
  if (Token.isUnresolved(url)) return
  if (!URL.canParse(url)) throw new Error(`${label}: "${url}" is not a URL`)
  const parsed = new URL(url)
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`${label}: "${url}" is not an http or https URL`)
  if (parsed.username !== '' || parsed.password !== '') {
    throw new Error(`${label}: the URL carries a user name or password, which http() refuses; keep credentials out of Cloud Map`)
  }
}

/** A target of `kind`: the attributes core's list of kinds says it is registered with. */
function described(
  kind: DescribedTarget['kind'],
  values: { readonly arn?: string; readonly url?: string },
  extra: { readonly key?: kms.IKey | undefined; readonly express?: boolean } = {},
): DescribedTarget {
  const attributes = registeredAttributes(kind, values)
  return {
    kind,
    type: attributes.type,
    attributes,
    ...(values.arn === undefined ? {} : { arn: values.arn }),
    ...(extra.key === undefined ? {} : { key: extra.key }),
    ...(extra.express === undefined ? {} : { express: extra.express }),
  }
}

/**
 * What a target registers as, read from its construct (the interfaces' own ARNs and URLs).
 *
 * @throws {TypeError} for something that is none of the targets.
 */
export function describeTarget(label: string, target: InstanceTarget): DescribedTarget {
  if (typeof target !== 'object' || target === null) throw new TypeError(`${label}: the target must be a construct or { url }`)
  if (has(target, 'functionArn')) {
    const arn = (target as lambda.IFunction).functionArn
    return described('lambda', { arn })
  }
  if (has(target, 'queueArn') && has(target, 'queueUrl')) {
    const queue = target as sqs.IQueue
    return described('queue', { arn: queue.queueArn, url: queue.queueUrl }, { key: queue.encryptionMasterKey })
  }
  if (has(target, 'topicArn')) {
    const topic = target as sns.ITopic
    // `masterKey` is on ITopic in recent aws-cdk-lib versions only.
    return described('topic', { arn: topic.topicArn }, { key: (topic as { masterKey?: kms.IKey }).masterKey })
  }
  if (has(target, 'stateMachineArn')) {
    const machine = target as sfn.IStateMachine
    return described('stateMachine', { arn: machine.stateMachineArn }, { express: stateMachineType(machine) === 'EXPRESS' })
  }
  if (has(target, 'eventBusArn')) {
    return described('eventBus', { arn: (target as events.IEventBus).eventBusArn })
  }
  if (has(target, 'url') && typeof target.url === 'string') {
    checkUrl(label, target.url)
    return described('http', { url: target.url })
  }
  throw new TypeError(
    `${label}: the target is none of a Lambda function, SQS queue, SNS topic, state machine, event bus or { url } (an HTTP endpoint)`,
  )
}
