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
  readonly namespace: string
  readonly service: string
  readonly instanceId: string
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

/** A snapshot as the reader keeps it: `namespace\u0000service` → the instances registered there. */
export type SnapshotServices = ReadonlyMap<string, readonly { readonly instanceId: string; readonly attributes: SnapshotAttributes }[]>

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
