import { CfnResource, Stack, Token } from 'aws-cdk-lib'
import type * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery'
import type { IConstruct } from 'constructs'
import type { DescribedTarget } from './targets.js'

/** One `registerInstance()` of the app, as `grantServices()` matches declarations against it. */
export interface Registration {
  /** The namespace name, or `undefined` when it is a token (such a registration matches no address). */
  readonly namespace: string | undefined
  /** The service name, or `undefined` when it is a token. */
  readonly service: string | undefined
  /** The instance id, or `undefined` when it is a token (it then matches only addresses without `->`). */
  readonly instanceId: string | undefined
  /** The registered target; `undefined` for an instance of attributes only. */
  readonly target: DescribedTarget | undefined
  /** Every attribute registered (query parameters are matched against them). */
  readonly attributes: Readonly<Record<string, string>>
  /** The instance construct, for messages. */
  readonly construct: IConstruct
}

// On the app's root construct, under a global symbol: two copies of this package in one app share it.
const REGISTRATIONS = Symbol.for('@cloudmap-middy/cdk.registrations')

type Holder = IConstruct & { [REGISTRATIONS]?: Registration[] }

/** The registrations of the app that `scope` belongs to (a live list). */
export function registrationsOf(scope: IConstruct): Registration[] {
  const root = scope.node.root as Holder
  let list = root[REGISTRATIONS]
  if (list === undefined) {
    list = []
    Object.defineProperty(root, REGISTRATIONS, { value: list, enumerable: false })
  }
  return list
}

/** A string known at synth time: the value itself, or a token that resolves to a plain string. */
export function literal(scope: IConstruct, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  if (!Token.isUnresolved(value)) return value
  const resolved = Stack.of(scope).resolve(value)
  return typeof resolved === 'string' && !Token.isUnresolved(resolved) ? resolved : undefined
}

/** The `Name` of a construct's L1 resource (the L2 `Service` exposes its name only as `Fn::GetAtt`). */
function l1Name(construct: IConstruct): unknown {
  const child = construct.node.defaultChild
  return child !== undefined && CfnResource.isCfnResource(child) ? (child as CfnResource & { name?: unknown }).name : undefined
}

/** The namespace and service names of a Cloud Map service, where they are known at synth time. */
export function serviceNames(service: servicediscovery.IService): { namespace: string | undefined; service: string | undefined } {
  return {
    namespace: literal(service, service.namespace.namespaceName) ?? literal(service, l1Name(service.namespace)),
    service: literal(service, service.serviceName) ?? literal(service, l1Name(service)),
  }
}
