// A function's CLOUDMAP_MIDDY_SNAPSHOT: the snapshot document (core's snapshotDocument(), format in
// docs/snapshot-format.md) of the registrations of the services its handler declares, as a
// CloudFormation value (a `Fn::Join` of literal JSON and the attributes' intrinsics), and the bound
// of the function's environment against Lambda's 4 KB, deploy-time values at their longest.
import type { Declaration } from '@cloudmap-middy/check'
import {
  ATTRIBUTE_VALUE_MAX,
  deployedLength,
  deployedVerbatim,
  environmentBytes,
  LAMBDA_ENVIRONMENT_BYTES,
  snapshotDocument,
} from '@cloudmap-middy/core/snapshot'
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
    for (const r of found) {
      // A literal is escaped here; an intrinsic is inserted by CloudFormation as it is deployed.
      const unsafe = Object.keys(r.attributes).find((attribute) => {
        const value = r.attributes[attribute]
        return typeof value !== 'string' && !deployedVerbatim(value, types)
      })
      if (unsafe === undefined) included.push(r)
      else {
        warnings.push(
          `${where}: snapshot: instance ${r.instanceId} of ${key} is left out (discovered at cold start): its attribute "${unsafe}" is a deploy-time value (a parameter, an import) that may hold a quote and rewrite the snapshot's JSON`,
        )
      }
    }
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
