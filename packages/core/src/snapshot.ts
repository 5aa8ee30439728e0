// The deploy-time snapshot of registrations (`CLOUDMAP_MIDDY_SNAPSHOT`): its one definition,
// written by the infrastructure code (the CDK's grantServices({ snapshot: true }), the Serverless
// plugin, a SAM template checked by `cloudmap-middy check`) and read by the resolver at init. The
// format is documented in docs/snapshot-format.md; a change to it is a new `v`.

/** The environment variable that carries the snapshot. */
export const SNAPSHOT_ENV = 'CLOUDMAP_MIDDY_SNAPSHOT'

/** The format version this package writes and reads. */
export const SNAPSHOT_VERSION = 1

/**
 * Lambda's limit on a function's environment: 4 KB for every variable together, measured on the
 * JSON of the variables (`{"NAME":"value",...}`, UTF-8), so each `"` or `\` inside a value costs
 * two bytes there.
 */
export const LAMBDA_ENVIRONMENT_BYTES = 4096

/**
 * The size of a function's environment as Lambda measures it against
 * {@link LAMBDA_ENVIRONMENT_BYTES}: the UTF-8 bytes of the JSON of its variables. A writer that
 * knows a value only at deploy time passes a stand-in of its largest possible length.
 *
 * @example
 * ```ts
 * environmentBytes({ CLOUDMAP_MIDDY_SNAPSHOT: '{"v":1,"ns":{}}' }) // 49
 * ```
 */
export function environmentBytes(variables: Readonly<Record<string, string>>): number {
  return new TextEncoder().encode(JSON.stringify(variables)).length
}

/** An instance's attributes in a snapshot, as Cloud Map holds them: strings. */
export type SnapshotAttributes = Readonly<Record<string, string>>

/**
 * A snapshot, format version 1: namespace name → service name → instance id → attributes.
 *
 * ```json
 * {"v":1,"ns":{"prod.scheduler":{"get-job":{"get-job":{"type":"lambda","arn":"arn:aws:lambda:…"}}}}}
 * ```
 */
export interface SnapshotDocument {
  /** The format version: 1. */
  readonly v: typeof SNAPSHOT_VERSION
  /** Namespace name → service name → instance id → attributes. */
  readonly ns: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, SnapshotAttributes>>>>>>
}

/** One registration a writer puts in a snapshot. Values may be placeholders its serializer resolves (CDK tokens). */
export interface SnapshotRegistration {
  /** The Cloud Map namespace's name (`prod`). */
  readonly namespace: string
  /** The service's name in it (`scheduler`). */
  readonly service: string
  /** The instance's id (`get-job`). */
  readonly instanceId: string
  /** The attributes registered, as the kind reads them (`type`, `arn`, `url`, ...). */
  readonly attributes: SnapshotAttributes
}

/**
 * The snapshot document of some registrations, for a writer to serialize (`JSON.stringify`, the
 * CDK's `Stack.toJsonString`, CloudFormation's `Fn::ToJsonString`). A later registration of the
 * same instance id replaces an earlier one.
 *
 * @example
 * ```ts
 * import { snapshotDocument } from '@cloudmap-middy/core/snapshot'
 *
 * JSON.stringify(snapshotDocument([{ namespace: 'prod', service: 'jobs', instanceId: 'q', attributes: { type: 'sqs', arn, url } }]))
 * // '{"v":1,"ns":{"prod":{"jobs":{"q":{"type":"sqs","arn":"…","url":"…"}}}}}'
 * ```
 */
export function snapshotDocument(registrations: Iterable<SnapshotRegistration>): SnapshotDocument {
  // Without a prototype: a name such as `__proto__` is a key like any other.
  const table = <T>(): Record<string, T> => Object.create(null) as Record<string, T>
  const ns = table<Record<string, Record<string, SnapshotAttributes>>>()
  for (const { namespace, service, instanceId, attributes } of registrations) {
    const services = ns[namespace] ?? table()
    const instances = services[service] ?? table()
    instances[instanceId] = Object.assign(table<string>(), attributes)
    services[service] = instances
    ns[namespace] = services
  }
  return { v: SNAPSHOT_VERSION, ns }
}

/** One instance of a snapshot, as the reader keeps it. */
export interface SnapshotInstance {
  /** The instance's id. */
  readonly instanceId: string
  /** Its attributes, as registered. */
  readonly attributes: SnapshotAttributes
}

/** A snapshot as the reader keeps it: `namespace\u0000service` → the instances registered there. */
export type SnapshotServices = ReadonlyMap<string, readonly SnapshotInstance[]>

/** What {@link readSnapshot} made of a variable's text. */
export interface SnapshotReading {
  /** The services it covers; empty when the variable is unset or unreadable. */
  readonly services: SnapshotServices
  /** What is wrong with it, one sentence each (the whole snapshot ignored, or one service of it). */
  readonly problems: readonly string[]
}

/** The key of a service in {@link SnapshotServices}. */
export function snapshotKey(namespace: string, service: string): string {
  return `${namespace}\u0000${service}`
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const what = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value)

/** Why a service's entry is unreadable, or `undefined`. */
function serviceProblem(instances: unknown): string | undefined {
  if (!isRecord(instances)) return `its instances are ${what(instances)}, not an object of instance id → attributes`
  for (const [instanceId, attributes] of Object.entries(instances)) {
    if (instanceId === '') return 'an instance id is empty'
    if (!isRecord(attributes)) return `the attributes of instance "${instanceId}" are ${what(attributes)}, not an object`
    for (const [key, value] of Object.entries(attributes)) {
      if (typeof value !== 'string') return `the attribute "${key}" of instance "${instanceId}" is ${what(value)}, not a string`
    }
  }
  return undefined
}

/**
 * Reads a snapshot variable's text. The variable is deploy-controlled but read as untrusted data:
 * what is unreadable is reported in `problems` and left out (all of it, or the one service whose
 * entry is malformed), never thrown. The instances it gives still go through each dependency's
 * validation and the target policy, as the registry's answers do.
 *
 * @example
 * ```ts
 * const { services, problems } = readSnapshot(process.env.CLOUDMAP_MIDDY_SNAPSHOT)
 * for (const problem of problems) console.warn(`cloudmap-middy: CLOUDMAP_MIDDY_SNAPSHOT ${problem}`)
 * ```
 */
export function readSnapshot(text: string | undefined): SnapshotReading {
  const services = new Map<string, { instanceId: string; attributes: SnapshotAttributes }[]>()
  if (text === undefined || text === '') return { services, problems: [] }
  const ignored = (problem: string): SnapshotReading => ({ services, problems: [`${problem}: ignored`] })
  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    return ignored(`is not JSON (${(error as Error).message}, ${text.length} characters)`)
  }
  if (!isRecord(document)) return ignored(`is ${what(document)}, not an object`)
  if (document.v !== SNAPSHOT_VERSION) {
    return ignored(`has format version ${JSON.stringify(document.v) ?? 'none'}; this version of cloudmap-middy reads ${SNAPSHOT_VERSION}`)
  }
  if (!isRecord(document.ns)) return ignored(`has "ns" ${what(document.ns)}, not an object of namespaces`)
  const problems: string[] = []
  for (const [namespace, entries] of Object.entries(document.ns)) {
    if (!isRecord(entries)) {
      problems.push(`namespace "${namespace}" is ${what(entries)}, not an object of services: ignored`)
      continue
    }
    for (const [service, instances] of Object.entries(entries)) {
      const problem = serviceProblem(instances)
      if (problem !== undefined) {
        problems.push(`service "${namespace}.${service}": ${problem}: ignored`)
        continue
      }
      services.set(
        snapshotKey(namespace, service),
        Object.entries(instances as Record<string, Record<string, string>>).map(([instanceId, attributes]) => ({
          instanceId,
          attributes: Object.freeze({ ...attributes }),
        })),
      )
    }
  }
  return { services, problems }
}

/** Cloud Map refuses a longer attribute value: the bound of any value a snapshot holds. */
export const ATTRIBUTE_VALUE_MAX = 1024
/** The bound of a deploy-time value this module knows nothing of. */
const UNKNOWN_MAX = 1024

// What CloudFormation substitutes, at most, the bound snapshot writers (the CDK, the Serverless
// plugin) count against Lambda's 4 KB: pseudo parameters, then `Ref` and `Fn::GetAtt` by resource type. ARN prefix
// `arn:<partition>:<service>:<region>:<account>:`, with room to spare. Built on first use: a bundler
// cannot prove module-level tables computed with `+` and `.length` pure, and a handler never needs them.
type Bounds = {
  readonly PSEUDO: Readonly<Record<string, number>>
  readonly RESOURCE: Readonly<Record<string, Readonly<Record<string, number>>>>
}
let bounds: Bounds | undefined
function deployedBounds(): Bounds {
  if (bounds) return bounds
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
  bounds = { PSEUDO, RESOURCE }
  return bounds
}

/** The bound of a `Ref` of a pseudo parameter or known resource, or of a known `Fn::GetAtt`; `undefined` for anything else. */
function knownBound(name: string | undefined, argument: unknown, types: ReadonlyMap<string, string>): number | undefined {
  const { PSEUDO, RESOURCE } = deployedBounds()
  if (name === 'Ref' && typeof argument === 'string') return PSEUDO[argument] ?? RESOURCE[types.get(argument) ?? '']?.Ref
  if (name === 'Fn::GetAtt') {
    const [id, attribute] = Array.isArray(argument) ? (argument as unknown[]) : String(argument).split('.')
    return RESOURCE[types.get(String(id)) ?? '']?.[String(attribute)]
  }
  return undefined
}

/**
 * True when a CloudFormation value is known to deploy as text that needs no escaping in JSON (no
 * `"`, `\\` or control character): such a literal, a pseudo parameter, a `Ref` or `Fn::GetAtt` of
 * a resource {@link deployedLength} knows (names, ARNs, URLs), or an `Fn::Join` of these.
 * CloudFormation inserts a value as it is into the JSON text of a snapshot: anything else (a
 * template parameter, an import, a dynamic reference) may end the string it stands in and write
 * attributes of its own, so a writer leaves its instance out of the snapshot.
 *
 * @example
 * ```ts
 * deployedVerbatim({ 'Fn::GetAtt': ['Jobs', 'Arn'] }, new Map([['Jobs', 'AWS::SQS::Queue']])) // true
 * deployedVerbatim({ Ref: 'Tier' }, new Map()) // false: a template parameter holds anything
 * ```
 */
export function deployedVerbatim(value: unknown, types: ReadonlyMap<string, string>): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
  if (typeof value === 'string') return !/["\\\u0000-\u001f]/.test(value)
  if (typeof value === 'number' || typeof value === 'boolean') return true
  if (typeof value !== 'object' || value === null) return false
  const [name, argument] = Object.entries(value)[0] ?? []
  if (knownBound(name, argument, types) !== undefined) return true
  if (name === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
    return deployedVerbatim(argument[0], types) && (argument[1] as unknown[]).every((part) => deployedVerbatim(part, types))
  }
  return false
}

/**
 * The most characters a CloudFormation value can have once deployed, as JSON string content (no
 * value bounded here holds a `"` or `\\`: names, ARNs, URLs; a literal counts as it escapes): what
 * a snapshot writer counts against Lambda's 4 KB before the deploy resolves `Ref`, `Fn::GetAtt`
 * and `Fn::Join`. `types` gives each logical id's resource type; anything unknown counts 1,024.
 *
 * @example
 * ```ts
 * deployedLength({ 'Fn::GetAtt': ['Jobs', 'Arn'] }, new Map([['Jobs', 'AWS::SQS::Queue']])) // 150
 * ```
 */
export function deployedLength(value: unknown, types: ReadonlyMap<string, string>): number {
  if (typeof value === 'string') return JSON.stringify(value).length - 2
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length
  if (typeof value !== 'object' || value === null) return UNKNOWN_MAX
  const [name, argument] = Object.entries(value)[0] ?? []
  const known = knownBound(name, argument, types)
  if (known !== undefined) return known
  if (name === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
    const parts = argument[1] as unknown[]
    return (
      parts.reduce<number>((sum, part) => sum + deployedLength(part, types), 0) +
      deployedLength(argument[0], types) * Math.max(0, parts.length - 1)
    )
  }
  return UNKNOWN_MAX
}
