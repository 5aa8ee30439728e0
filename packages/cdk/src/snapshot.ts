import type { AnyDependency } from '@cloudmap-middy/core'
import { environmentBytes, LAMBDA_ENVIRONMENT_BYTES, SNAPSHOT_ENV, snapshotDocument } from '@cloudmap-middy/core/snapshot'
import { Annotations, CfnResource, Stack, Token } from 'aws-cdk-lib'
import type { IConstruct } from 'constructs'
import type { Registration } from './registry.js'

const WARNING = '@cloudmap-middy/cdk:snapshot'

/** A function whose environment can be set: `lambda.Function` (an imported `IFunction` cannot). */
interface WithEnvironment extends IConstruct {
  addEnvironment(key: string, value: string): unknown
}

/** Cloud Map refuses a longer attribute value: the bound of any value it holds. */
const ATTRIBUTE_VALUE_MAX = 1024
/** The bound of a deploy-time value this module knows nothing of. */
const UNKNOWN_MAX = 1024

// What CloudFormation substitutes, at most: pseudo parameters, then `Ref` and `Fn::GetAtt` by
// resource type. ARN prefix `arn:<partition>:<service>:<region>:<account>:`, with room to spare.
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
/** By resource type: `Ref`, then each attribute of `Fn::GetAtt`. */
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

/** The CloudFormation type of each logical id of a stack. */
function resourceTypes(stack: Stack): ReadonlyMap<string, string> {
  const types = new Map<string, string>()
  for (const child of stack.node.findAll()) {
    if (CfnResource.isCfnResource(child) && Stack.of(child) === stack) types.set(stack.getLogicalId(child), child.cfnResourceType)
  }
  return types
}

/**
 * The most characters a resolved CloudFormation value can have once deployed, as JSON string
 * content (no value this bounds holds a `"` or `\`: names, ARNs, URLs; a literal counts as it
 * escapes).
 */
function bound(value: unknown, types: ReadonlyMap<string, string>): number {
  if (typeof value === 'string') return JSON.stringify(value).length - 2
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length
  if (typeof value !== 'object' || value === null) return UNKNOWN_MAX
  const [name, argument] = Object.entries(value)[0] ?? []
  if (name === 'Ref' && typeof argument === 'string') {
    return PSEUDO[argument] ?? RESOURCE[types.get(argument) ?? '']?.Ref ?? UNKNOWN_MAX
  }
  if (name === 'Fn::GetAtt' && Array.isArray(argument)) {
    const [id, attribute] = argument as unknown[]
    return RESOURCE[types.get(String(id)) ?? '']?.[String(attribute)] ?? UNKNOWN_MAX
  }
  if (name === 'Fn::Join' && Array.isArray(argument) && Array.isArray(argument[1])) {
    const parts = argument[1] as unknown[]
    return parts.reduce<number>((sum, part) => sum + bound(part, types), 0) + bound(argument[0], types) * Math.max(0, parts.length - 1)
  }
  return UNKNOWN_MAX
}

/** A stand-in of a value's largest deployed length: the value itself when it is known now. */
function standIn(scope: IConstruct, value: string, cap: number): string {
  if (!Token.isUnresolved(value)) return value
  const stack = Stack.of(scope)
  return 'x'.repeat(Math.min(cap, bound(stack.resolve(value), resourceTypes(stack))))
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
    included.push(...known)
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
        sized[name] = name === SNAPSHOT_ENV ? JSON.stringify(largest) : typeof value === 'string' ? value : 'x'.repeat(bound(value, types))
      }
      const bytes = environmentBytes(sized)
      if (bytes <= LAMBDA_ENVIRONMENT_BYTES) return []
      return [
        `${where}: the environment of ${fn.node.path} could take ${bytes.toLocaleString('en-US')} bytes once deployed, with the ${SNAPSHOT_ENV} snapshot of ${included.length} instance(s) (its deploy-time values counted at their longest); Lambda allows ${LAMBDA_ENVIRONMENT_BYTES.toLocaleString('en-US')} for all variables. Give fewer services a snapshot, or drop \`snapshot\`.`,
      ]
    },
  })
}
