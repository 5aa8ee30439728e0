// SAM connectors (`AWS::Serverless::Connector`, and `Connectors` on a resource) as SAM's transform
// expands them for the check: the statements each connector adds to its source's role, from SAM's
// own connector profiles (sam/connector_profiles.json) for the source's and destination's types.
import { type SourcedStatement, statementsOf } from './iam.js'
import { own } from './own.js'
import { connectorProfiles } from './sam-data.js'
import type { Resource } from './template.js'

/** A connector as declared: its name, its source's logical id or reference, and its properties. */
export interface Connector {
  /** The connector's logical id (`<Resource><Name>` for one embedded in a resource, as SAM names it). */
  readonly logicalId: string
  /** `Source` (for an embedded connector, `{ Id: <the resource> }`). */
  readonly source: unknown
  /** `Destination`: one reference or a list of them. */
  readonly destination: unknown
  /** `Permissions`: `Read`, `Write`. */
  readonly permissions: unknown
}

/** A resource's type as connectors name it: a SAM type as the CloudFormation type SAM turns it into. */
const CFN_TYPES: Readonly<Record<string, string>> = {
  'AWS::Serverless::Function': 'AWS::Lambda::Function',
  'AWS::Serverless::StateMachine': 'AWS::StepFunctions::StateMachine',
  'AWS::Serverless::Api': 'AWS::ApiGateway::RestApi',
  'AWS::Serverless::HttpApi': 'AWS::ApiGatewayV2::Api',
  'AWS::Serverless::SimpleTable': 'AWS::DynamoDB::Table',
}

/** A connector that SAM's transform refuses: the template does not deploy. */
export class ConnectorError extends Error {
  /** `ConnectorError`. */
  override readonly name = 'ConnectorError'
}

/** The connectors of created resources: each `AWS::Serverless::Connector`, and each entry of a resource's `Connectors`. */
export function connectorsOf(resources: readonly (readonly [string, Resource])[]): Connector[] {
  const connectors: Connector[] = []
  for (const [logicalId, resource] of resources) {
    if (resource.Type === 'AWS::Serverless::Connector') {
      const props = resource.Properties ?? {}
      connectors.push({ logicalId, source: props.Source, destination: props.Destination, permissions: props.Permissions })
    }
    const embedded = (resource as { Connectors?: unknown }).Connectors
    if (embedded === undefined) continue
    if (embedded === null || typeof embedded !== 'object' || Array.isArray(embedded)) {
      throw new ConnectorError(`${logicalId} Connectors: not a map of connectors`)
    }
    for (const [name, connector] of Object.entries(embedded)) {
      const props = ((connector as { Properties?: unknown } | null)?.Properties ?? {}) as Record<string, unknown>
      connectors.push({
        logicalId: `${logicalId}${name}`,
        source: { Id: logicalId, ...((props.SourceReference as object | undefined) ?? {}) },
        destination: props.Destination,
        permissions: props.Permissions,
      })
    }
  }
  return connectors
}

/** A connector's end, as the statements name it: its type, and its ARN and name when known. */
export interface ConnectorEnd {
  readonly type: string
  readonly arn?: unknown
  readonly name?: unknown
}

/**
 * The statements one connector gives its source's role, with `%{Destination.Arn}` and the like
 * replaced (`source` of each: `connector <logicalId>`). Empty when the profile puts its permissions
 * on the destination (a queue policy, a Lambda permission) rather than on the source's role.
 *
 * @throws {ConnectorError} for what SAM refuses: no profile from the source's type to the
 * destination's, or a permission the profile does not have.
 */
export function connectorStatements(connector: Connector, source: ConnectorEnd, destination: ConnectorEnd): SourcedStatement[] {
  const profile = own(own(connectorProfiles().Permissions, source.type), destination.type)
  if (profile === undefined) {
    throw new ConnectorError(`${connector.logicalId}: SAM has no connector from ${source.type} to ${destination.type}`)
  }
  const permissions = [connector.permissions].flat()
  const categories = profile.Properties.AccessCategories
  for (const permission of permissions) {
    if (typeof permission !== 'string' || !Object.hasOwn(categories, permission)) {
      const known = Object.keys(categories).join(', ')
      throw new ConnectorError(
        `${connector.logicalId} Permissions: ${JSON.stringify(permission)} is not a permission from ${source.type} to ${destination.type} (${known})`,
      )
    }
  }
  if (profile.Properties.SourcePolicy !== true) return []
  const values: Record<string, unknown> = {
    'Destination.Arn': destination.arn,
    'Destination.Name': destination.name,
    'Source.Arn': source.arn,
    'Source.Name': source.name,
  }
  const statements = permissions.flatMap((permission) => (own(categories, permission as string)?.Statement ?? []) as unknown[])
  return statementsOf(substitute(statements, values), `connector ${connector.logicalId}`)
}

/** The value with `%{Destination.Arn}` (a whole string) replaced by the value, and inside a string by its text. */
function substitute(value: unknown, values: Readonly<Record<string, unknown>>): unknown {
  if (typeof value === 'string') {
    const whole = /^%\{([^}]+)\}$/.exec(value)
    if (whole !== null) return own(values, whole[1] as string) ?? value
    return value.replace(/%\{([^}]+)\}/g, (text, name: string) => {
      const replacement = own(values, name)
      return typeof replacement === 'string' ? replacement : text
    })
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values)]))
  }
  return value
}

/** A resource's type as a connector profile names it. */
export function connectorType(type: string): string {
  return own(CFN_TYPES, type) ?? type
}

/** What `%{logicalId}` stands for in SAM's `CfnResourceProperties` outputs: the ARN and name of a resource of the template, as intrinsics. */
export function connectorOutputs(type: string, logicalId: string): { readonly arn?: unknown; readonly name?: unknown } {
  const outputs = own(connectorProfiles().CfnResourceProperties, type)?.Outputs ?? {}
  const bound = (value: unknown) => (value === undefined ? undefined : substitute(value, { logicalId }))
  return { arn: bound(own(outputs, 'Arn')), name: bound(own(outputs, 'Name')) }
}
