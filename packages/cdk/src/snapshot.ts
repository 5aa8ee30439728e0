import type { AnyDependency } from '@cloudmap-middy/core'
import {
  ATTRIBUTE_VALUE_MAX,
  deployedLength,
  deployedVerbatim,
  environmentBytes,
  LAMBDA_ENVIRONMENT_BYTES,
  SNAPSHOT_ENV,
  snapshotDocument,
} from '@cloudmap-middy/core/snapshot'
import { Annotations, CfnResource, Stack, Token } from 'aws-cdk-lib'
import type { IConstruct } from 'constructs'
import type { Registration } from './registry.js'

const WARNING = '@cloudmap-middy/cdk:snapshot'

/** A function whose environment can be set: `lambda.Function` (an imported `IFunction` cannot). */
interface WithEnvironment extends IConstruct {
  addEnvironment(key: string, value: string): unknown
}

/** The CloudFormation type of each logical id of a stack. */
function resourceTypes(stack: Stack): ReadonlyMap<string, string> {
  const types = new Map<string, string>()
  for (const child of stack.node.findAll()) {
    if (CfnResource.isCfnResource(child) && Stack.of(child) === stack) types.set(stack.getLogicalId(child), child.cfnResourceType)
  }
  return types
}

/** A stand-in of a value's largest deployed length: the value itself when it is known now. */
function standIn(scope: IConstruct, value: string, cap: number): string {
  if (!Token.isUnresolved(value)) return value
  const stack = Stack.of(scope)
  return 'x'.repeat(Math.min(cap, deployedLength(stack.resolve(value), resourceTypes(stack))))
}

/** True when a value needs no JSON escaping once deployed (core's deployedVerbatim), taken in the stack that defines it. */
function verbatim(scope: IConstruct, value: string): boolean {
  if (!Token.isUnresolved(value)) return true
  const stack = Stack.of(scope)
  return deployedVerbatim(stack.resolve(value), resourceTypes(stack))
}

/**
 * Gives `fn` the snapshot of the registrations of `dependencies`' services in this app
 * (`CLOUDMAP_MIDDY_SNAPSHOT`, docs/snapshot-format.md), with a warning naming each declared
 * service the app registers nothing in (left to discovery at cold start), and a validation that
 * fails the synth, naming the function, when its environment could exceed Lambda's 4 KB.
 */
export function addSnapshot(
  where: string,
  grantee: IConstruct,
  dependencies: ReadonlyMap<string, AnyDependency>,
  registrations: readonly Registration[],
): void {
  if (typeof (grantee as Partial<WithEnvironment>).addEnvironment !== 'function') {
    throw new Error(`${where}: snapshot needs a lambda.Function, whose environment it sets; ${grantee.node.path} is not one`)
  }
  const fn = grantee as WithEnvironment
  const services = new Map<string, string[]>()
  for (const [name, dependency] of dependencies) {
    const { namespace, service } = dependency.address
    const key = `${namespace}.${service}`
    services.set(key, [...(services.get(key) ?? []), name])
  }
  const included: Registration[] = []
  const annotations = Annotations.of(fn)
  for (const [key, names] of services) {
    const { namespace, service } = (dependencies.get(names[0] as string) as AnyDependency).address
    const found = registrations.filter((r) => r.namespace === namespace && r.service === service)
    const known = found.filter((r) => r.instanceId !== undefined)
    if (known.length < found.length) {
      annotations.addWarningV2(
        `${WARNING}.token`,
        `snapshot: an instance of ${key} has an instance id that is a token; it is left out (discovered at cold start)`,
      )
    }
    if (known.length === 0) {
      annotations.addWarningV2(
        `${WARNING}.unregistered`,
        `snapshot: ${key} (services.${names.join(', services.')}) is not registered in this app; it is left to discovery at cold start`,
      )
    }
    for (const r of known) {
      const unsafe = Object.keys(r.attributes).find((attribute) => !verbatim(r.construct, r.attributes[attribute] as string))
      if (unsafe === undefined) included.push(r)
      else {
        annotations.addWarningV2(
          `${WARNING}.value`,
          `snapshot: instance ${r.instanceId} of ${key} is left out (discovered at cold start): its attribute "${unsafe}" is a deploy-time value (a parameter, an import) that may hold a quote and rewrite the snapshot's JSON`,
        )
      }
    }
  }
  if (included.length === 0) return
  const stack = Stack.of(fn)
  const document = snapshotDocument(
    included.map((r) => ({
      namespace: r.namespace as string,
      service: r.service as string,
      instanceId: r.instanceId as string,
      attributes: r.attributes,
    })),
  )
  fn.addEnvironment(SNAPSHOT_ENV, stack.toJsonString(document))
  // Bounds of the registrations' values, each taken in the stack that defines it.
  const largest = snapshotDocument(
    included.map((r) => ({
      namespace: r.namespace as string,
      service: r.service as string,
      instanceId: r.instanceId as string,
      attributes: Object.fromEntries(
        Object.entries(r.attributes).map(([attribute, value]) => [attribute, standIn(r.construct, value, ATTRIBUTE_VALUE_MAX)]),
      ),
    })),
  )
  fn.node.addValidation({
    validate: () => {
      const child = fn.node.defaultChild
      const environment =
        child !== undefined && CfnResource.isCfnResource(child)
          ? stack.resolve((child as { environment?: unknown }).environment)
          : undefined
      const variables = ((environment as { variables?: Record<string, unknown> } | undefined)?.variables ?? {}) as Record<string, unknown>
      const types = resourceTypes(stack)
      const sized: Record<string, string> = {}
      for (const [name, value] of Object.entries(variables)) {
        sized[name] =
          name === SNAPSHOT_ENV ? JSON.stringify(largest) : typeof value === 'string' ? value : 'x'.repeat(deployedLength(value, types))
      }
      const bytes = environmentBytes(sized)
      if (bytes <= LAMBDA_ENVIRONMENT_BYTES) return []
      return [
        `${where}: the environment of ${fn.node.path} could take ${bytes.toLocaleString('en-US')} bytes once deployed, with the ${SNAPSHOT_ENV} snapshot of ${included.length} instance(s) (its deploy-time values counted at their longest); Lambda allows ${LAMBDA_ENVIRONMENT_BYTES.toLocaleString('en-US')} for all variables. Give fewer services a snapshot, or drop \`snapshot\`.`,
      ]
    },
  })
}
