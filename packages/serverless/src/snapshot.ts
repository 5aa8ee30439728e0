// A function's CLOUDMAP_MIDDY_SNAPSHOT: the snapshot document (core's snapshotDocument(), format in
// docs/snapshot-format.md) of the registrations of the services its handler declares, as a
// CloudFormation value (a `Fn::Join` of literal JSON and the attributes' intrinsics), and the bound
// of the function's environment against Lambda's 4 KB, deploy-time values at their longest.
import type { Declaration } from '@cloudmap-middy/check'
import { environmentBytes, LAMBDA_ENVIRONMENT_BYTES, snapshotDocument } from '@cloudmap-middy/core/snapshot'
import type { CfnValue, Registration } from './registrations.js'

/** A function's snapshot: its value, and the declared services it leaves to discovery. */
export interface FunctionSnapshot {
  /** The variable's value (a `Fn::Join` when a registration holds an intrinsic); none when nothing is registered. */
  readonly value?: CfnValue
  /** The value at its longest once deployed (each intrinsic as `x`s), for the 4 KB bound. */
  readonly largest?: string
  /** The registrations it holds. */
  readonly registrations: readonly Registration[]
  /** Each declared service registered nowhere in custom.cloudMap (left to discovery at cold start). */
  readonly warnings: readonly string[]
}

/** Cloud Map refuses a longer attribute value: the bound of any value it holds. */
const ATTRIBUTE_VALUE_MAX = 1024
/** The bound of a deploy-time value this module knows nothing of. */
const UNKNOWN_MAX = 1024

// What CloudFormation substitutes, at most (the CDK's bounds, for the types a template of the
// framework holds): pseudo parameters, then `Ref` and `Fn::GetAtt` by resource type. ARN prefix
// `arn:<partition>:<service>:<region>:<account>:`, with room to spare.
const PARTITION = 15
const REGION = 25
const ACCOUNT = 12
const ARN = 4 + PARTITION + 1 + 10 + 1 + REGION + 1 + ACCOUNT + 1
const URL_SUFFIX = 20
const PSEUDO: Readonly<Record<string, number>> = {
  'AWS::Partition': PARTITION,
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': URL_SUFFIX,
  'AWS::StackName': 128,
  'AWS::StackId': ARN + 128 + 1 + 36,
  'AWS::NoValue': 0,
}
const SQS_URL = 'https://sqs.'.length + REGION + 1 + URL_SUFFIX + 1 + ACCOUNT + 1 + 80
const RESOURCE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'AWS::Lambda::Function': { Ref: 64, Arn: ARN + 'function:'.length + 64 },
  'AWS::Lambda::Version': { Ref: ARN + 'function:'.length + 64 + 11, Version: 10 },
  'AWS::Lambda::Alias': { Ref: ARN + 'function:'.length + 64 + 129 },
  'AWS::SQS::Queue': { Ref: SQS_URL, QueueUrl: SQS_URL, Arn: ARN + 80, QueueName: 80 },
  'AWS::SNS::Topic': { Ref: ARN + 256, TopicArn: ARN + 256, TopicName: 256 },
  'AWS::StepFunctions::StateMachine': { Ref: ARN + 'stateMachine:'.length + 80, Arn: ARN + 'stateMachine:'.length + 80, Name: 80 },
  'AWS::Events::EventBus': { Ref: 256, Name: 256, Arn: ARN + 'event-bus/'.length + 256 },
  'AWS::DynamoDB::Table': { Ref: 255, Arn: ARN + 'table/'.length + 255 },
  'AWS::S3::Bucket': { Ref: 63, Arn: 'arn:'.length + PARTITION + ':s3:::'.length + 63 },
}

/**
 * The most characters a CloudFormation value can have once deployed, as JSON string content (no
 * value bounded here holds a `"` or `\`: names, ARNs, URLs; a literal counts as it escapes).
 */
export function deployedLength(value: unknown, types: ReadonlyMap<string, string>): number {
  if (typeof value === 'string') return JSON.stringify(value).length - 2
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length
  if (typeof value !== 'object' || value === null) return UNKNOWN_MAX
  const [name, argument] = Object.entries(value)[0] ?? []
  if (name === 'Ref' && typeof argument === 'string') {
    return PSEUDO[argument] ?? RESOURCE[types.get(argument) ?? '']?.Ref ?? UNKNOWN_MAX
  }
  if (name === 'Fn::GetAtt') {
    const [id, attribute] = Array.isArray(argument) ? (argument as unknown[]) : String(argument).split('.')
    return RESOURCE[types.get(String(id)) ?? '']?.[String(attribute)] ?? UNKNOWN_MAX
  }
  if (name === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
    const parts = argument[1] as unknown[]
    return (
      parts.reduce<number>((sum, part) => sum + deployedLength(part, types), 0) +
      deployedLength(argument[0], types) * Math.max(0, parts.length - 1)
    )
  }
  return UNKNOWN_MAX
}

// Stands for an intrinsic in the JSON text: Cloud Map refuses a control character in a value
// (core's attributesProblem()), so no literal holds one.
const MARK = '\u0000'
const MARKED = /"\\u0000(\d+)\\u0000"/

/**
 * A JSON document whose leaves may be intrinsics, as a CloudFormation value: the JSON text itself
 * when every leaf is literal, else a `Fn::Join` of literal JSON pieces and the intrinsics (each
 * between quotes), as the CDK's `Stack.toJsonString` writes it.
 */
function cfnJson(document: (mark: (value: CfnValue) => string) => unknown): CfnValue {
  const intrinsics: CfnValue[] = []
  const text = JSON.stringify(
    document((value) => {
      if (typeof value === 'string') return value
      intrinsics.push(value)
      return `${MARK}${intrinsics.length - 1}${MARK}`
    }),
  )
  if (intrinsics.length === 0) return text
  const pieces: CfnValue[] = []
  let rest = text
  for (let found = MARKED.exec(rest); found !== null; found = MARKED.exec(rest)) {
    pieces.push(`${rest.slice(0, found.index)}"`, intrinsics[Number(found[1])] as CfnValue)
    rest = `"${rest.slice(found.index + found[0].length)}`
  }
  pieces.push(rest)
  return { 'Fn::Join': ['', pieces] }
}

/**
 * The snapshot of a function: every registration of custom.cloudMap in a service its handler
 * declares, with a warning naming each declared service registered nowhere there (left to
 * discovery at cold start).
 *
 * @param where - the function, for warnings (`functions.api`).
 * @param declared - its handler's declarations.
 * @param registrations - the registrations of custom.cloudMap.
 * @param types - the CloudFormation type of each logical id, for the bound of the intrinsics.
 * @example
 * ```ts
 * const { value, warnings } = functionSnapshot('functions.api', declared, registrations, types)
 * ```
 */
export function functionSnapshot(
  where: string,
  declared: readonly Declaration[],
  registrations: readonly Registration[],
  types: ReadonlyMap<string, string>,
): FunctionSnapshot {
  const services = new Map<string, { namespace: string; service: string; labels: string[] }>()
  for (const d of declared) {
    const key = `${d.namespace}.${d.service}`
    const entry = services.get(key) ?? { namespace: d.namespace, service: d.service, labels: [] }
    if (!entry.labels.includes(d.label)) entry.labels.push(d.label)
    services.set(key, entry)
  }
  const included: Registration[] = []
  const warnings: string[] = []
  for (const [key, { namespace, service, labels }] of services) {
    const found = registrations.filter((r) => r.namespace === namespace && r.service === service)
    if (found.length === 0) {
      warnings.push(
        `${where}: snapshot: ${key} (declared as ${labels.join(', ')}) is not registered in custom.cloudMap; it is left to discovery at cold start`,
      )
    }
    included.push(...found)
  }
  if (included.length === 0) return { registrations: included, warnings }
  const document = (leaf: (value: CfnValue) => string) =>
    snapshotDocument(
      included.map((r) => ({
        namespace: r.namespace,
        service: r.service,
        instanceId: r.instanceId,
        attributes: Object.fromEntries(Object.entries(r.attributes).map(([key, value]) => [key, leaf(value)])),
      })),
    )
  const largest = JSON.stringify(
    document((value) => (typeof value === 'string' ? value : 'x'.repeat(Math.min(ATTRIBUTE_VALUE_MAX, deployedLength(value, types))))),
  )
  return { value: cfnJson(document), largest, registrations: included, warnings }
}

/**
 * Why a function's environment could exceed Lambda's 4 KB once deployed, or nothing: its
 * variables (intrinsics at their longest) with the snapshot at its largest.
 *
 * @param where - the function (`functions.api`).
 * @param variables - its other variables (the provider's and its own), intrinsics as they are.
 * @param name - the snapshot's variable.
 * @param snapshot - the function's snapshot.
 * @param types - the CloudFormation type of each logical id.
 * @example
 * ```ts
 * const problem = environmentProblem('functions.api', variables, SNAPSHOT_ENV, snapshot, types)
 * ```
 */
export function environmentProblem(
  where: string,
  variables: Readonly<Record<string, unknown>>,
  name: string,
  snapshot: FunctionSnapshot,
  types: ReadonlyMap<string, string>,
): string | undefined {
  const sized: Record<string, string> = {}
  for (const [key, value] of Object.entries(variables)) {
    sized[key] = typeof value === 'string' ? value : 'x'.repeat(deployedLength(value, types))
  }
  if (snapshot.largest !== undefined) sized[name] = snapshot.largest
  const bytes = environmentBytes(sized)
  if (bytes <= LAMBDA_ENVIRONMENT_BYTES) return undefined
  return `${where}: its environment could take ${bytes.toLocaleString('en-US')} bytes once deployed, with the ${name} snapshot of ${snapshot.registrations.length} instance(s) (its deploy-time values counted at their longest); Lambda allows ${LAMBDA_ENVIRONMENT_BYTES.toLocaleString('en-US')} for all variables. Turn snapshot off for this function (functions.<name>.cloudMap.snapshot: false), or declare fewer services.`
}
