// A role's permissions: its inline and managed policies (SAM's Policies for the role SAM creates),
// the policies attached to it, SAM connectors, and its permissions boundary.
import { type ConnectorEnd, ConnectorError, connectorOutputs, connectorStatements, connectorsOf, connectorType } from '../connectors.js'
import { malformedStatement, type SourcedStatement, statementsOf } from '../iam.js'
import { own } from '../own.js'
import { expandManagedPolicies, expandSamPolicies } from '../sam-policies.js'
import { isPlaceholder, type Resource } from '../template.js'
import { loosely, type Reading, withGlobals } from './reading.js'
import { TemplateError, type TemplateFunction } from './types.js'

const POLICY_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy'])

/** The statements a role gets, what could not be read about them, and its permissions boundary. */
export interface Permissions {
  readonly statements: SourcedStatement[]
  readonly notes: string[]
  boundary?: TemplateFunction['boundary']
}

/** The template's managed policies (`AWS::IAM::ManagedPolicy`), by ARN: their logical ids. */
export function managedPolicies(reading: Reading): Map<string, string> {
  const byArn = new Map<string, string>()
  for (const [logicalId, resource] of reading.resources) {
    const arn = reading.resolver.provided.get(logicalId)?.ref
    if (resource.Type === 'AWS::IAM::ManagedPolicy' && arn !== undefined) byArn.set(arn, logicalId)
  }
  return byArn
}

/** The statements of a managed policy of the template (source `managed policy <logicalId>`). */
function managedStatements(reading: Reading, logicalId: string, notes: string[]): SourcedStatement[] {
  const document = loosely(reading, own(reading.template.Resources, logicalId)?.Properties?.PolicyDocument)
  if ('error' in document) {
    notes.push(`managed policy ${logicalId} PolicyDocument could not be resolved: ${document.error}`)
    return []
  }
  return statementsOf(document.value, `managed policy ${logicalId}`)
}

/** Adds the statements of the managed policies named (by ARN): the template's own once each, else those known here. */
function addManagedPolicies(
  reading: Reading,
  arns: readonly unknown[],
  managed: ReadonlyMap<string, string>,
  used: Set<string>,
  into: Permissions,
) {
  for (const arn of arns) {
    const logicalId = typeof arn === 'string' ? managed.get(arn) : undefined
    if (logicalId === undefined) {
      const expanded = expandManagedPolicies([arn], reading.pseudo)
      into.statements.push(...expanded.statements)
      into.notes.push(...expanded.notes)
    } else if (!used.has(logicalId)) {
      used.add(logicalId)
      into.statements.push(...managedStatements(reading, logicalId, into.notes))
    }
  }
}

/** A role's `PermissionsBoundary`: the statements of the policy it names, when they are known, else its ARN. */
function boundaryOf(
  reading: Reading,
  value: unknown,
  managed: ReadonlyMap<string, string>,
  notes: string[],
  label: string,
): TemplateFunction['boundary'] {
  if (value === undefined) return undefined
  const resolved = loosely(reading, value)
  if ('error' in resolved) {
    notes.push(`${label}PermissionsBoundary could not be resolved: ${resolved.error}`)
    return { unknown: JSON.stringify(value) }
  }
  const arn = resolved.value
  if (arn === undefined || arn === '') return undefined
  const logicalId = typeof arn === 'string' ? managed.get(arn) : undefined
  if (logicalId !== undefined) return { statements: managedStatements(reading, logicalId, notes) }
  if (typeof arn === 'string' && arn.startsWith('arn:') && !isPlaceholder(arn)) {
    const expanded = expandManagedPolicies([arn], reading.pseudo)
    if (expanded.notes.length === 0) return { statements: expanded.statements }
  }
  return { unknown: typeof arn === 'string' ? arn : JSON.stringify(arn) }
}

/** Adds a SAM function's `Policies`: the template's managed policies it names by ARN, and what SAM expands. */
function addSamPolicies(reading: Reading, policies: unknown, managed: ReadonlyMap<string, string>, used: Set<string>, into: Permissions) {
  if (policies === undefined) return
  const resolved = loosely(reading, policies)
  if ('error' in resolved) {
    into.notes.push(`Policies could not be resolved: ${resolved.error}`)
    return
  }
  const entries: unknown[] = Array.isArray(resolved.value) ? resolved.value : resolved.value === undefined ? [] : [resolved.value]
  const ours = entries.filter((entry) => typeof entry === 'string' && managed.has(entry))
  addManagedPolicies(reading, ours, managed, used, into)
  // The others, where they are (an inline policy's source is its index): one of ours stands as an empty policy.
  const sam = expandSamPolicies(
    entries.map((entry) => (ours.includes(entry) ? { Statement: [] } : entry)),
    reading.pseudo,
  )
  into.statements.push(...sam.statements)
  into.notes.push(...sam.notes)
}

/**
 * The permissions of a role of the template: its inline and managed policies (for the role SAM
 * creates, its function's `Policies`), the policies that name it, and its permissions boundary.
 */
export function rolePermissions(
  reading: Reading,
  roleId: string,
  managed: ReadonlyMap<string, string>,
  owner = reading.implicitRoles.get(roleId),
): Permissions {
  const into: Permissions = { statements: [], notes: [] }
  const used = new Set<string>()
  if (owner !== undefined) {
    const props = withGlobals(reading.template, own(reading.template.Resources, owner) as Resource)
    addSamPolicies(reading, props.Policies, managed, used, into)
    into.boundary = boundaryOf(reading, props.PermissionsBoundary, managed, into.notes, '')
  } else {
    const props = (own(reading.template.Resources, roleId)?.Properties ?? {}) as Record<string, unknown>
    const inline = loosely(reading, props.Policies)
    if ('error' in inline) into.notes.push(`role ${roleId} Policies could not be resolved: ${inline.error}`)
    for (const policy of 'value' in inline && Array.isArray(inline.value) ? inline.value : []) {
      const { PolicyName, PolicyDocument } = (policy ?? {}) as { PolicyName?: unknown; PolicyDocument?: unknown }
      into.statements.push(...statementsOf(PolicyDocument, `${roleId} policy ${String(PolicyName)}`))
    }
    const arns = loosely(reading, props.ManagedPolicyArns)
    if ('error' in arns) into.notes.push(`role ${roleId} ManagedPolicyArns could not be resolved: ${arns.error}`)
    else addManagedPolicies(reading, Array.isArray(arns.value) ? arns.value : [], managed, used, into)
    into.boundary = boundaryOf(reading, props.PermissionsBoundary, managed, into.notes, `role ${roleId} `)
  }
  const roleName = reading.resolver.provided.get(roleId)?.ref
  for (const [logicalId, resource] of reading.resources) {
    if (!POLICY_TYPES.has(resource.Type)) continue
    const policy = (resource.Properties ?? {}) as Record<string, unknown>
    const property = resource.Type === 'AWS::IAM::RolePolicy' ? 'RoleName' : 'Roles'
    const roles = loosely(reading, own(policy, property))
    if ('error' in roles) {
      into.notes.push(`policy ${logicalId} ${property} could not be resolved: ${roles.error}`)
      continue
    }
    if (![roles.value].flat().includes(roleName)) continue
    if (resource.Type === 'AWS::IAM::ManagedPolicy') {
      if (!used.has(logicalId)) into.statements.push(...managedStatements(reading, logicalId, into.notes))
      used.add(logicalId)
      continue
    }
    const document = loosely(reading, policy.PolicyDocument)
    if ('error' in document) into.notes.push(`policy ${logicalId} PolicyDocument could not be resolved: ${document.error}`)
    // The whole document: its Version says whether policy variables are substituted.
    else into.statements.push(...statementsOf(document.value, `policy ${logicalId}`))
  }
  into.statements.push(...(reading.connectors.get(roleId) ?? []))
  refuseMalformed(into.statements, roleId)
  if (into.boundary !== undefined && 'statements' in into.boundary)
    refuseMalformed(into.boundary.statements, `${roleId} PermissionsBoundary`)
  return into
}

/** One end of a connector: a resource of the template (`Id`), or one given by `Type` and `Arn` (and `Name`, `RoleName`). */
function connectorEnd(
  reading: Reading,
  reference: unknown,
  where: string,
): ConnectorEnd & { readonly logicalId?: string; readonly roleName?: unknown } {
  const given = loosely(reading, reference)
  if ('error' in given) throw new TemplateError(`${where}: ${given.error}`)
  const value = (given.value ?? {}) as Record<string, unknown>
  if (typeof value.Id === 'string') {
    const resource = own(reading.template.Resources, value.Id)
    if (resource === undefined || !reading.created.has(value.Id)) {
      throw new TemplateError(`${where}: Id ${value.Id} names no resource created in this template`)
    }
    const type = connectorType(resource.Type)
    const outputs = connectorOutputs(type, value.Id)
    const resolve = (intrinsic: unknown) => {
      const resolved = intrinsic === undefined ? undefined : loosely(reading, intrinsic)
      return resolved !== undefined && 'value' in resolved ? resolved.value : undefined
    }
    return { logicalId: value.Id, type, arn: resolve(outputs.arn), name: resolve(outputs.name) }
  }
  if (typeof value.Type !== 'string') throw new TemplateError(`${where}: neither an Id nor a Type`)
  return { type: value.Type, arn: value.Arn, name: value.Name, roleName: value.RoleName }
}

/** The role of the template a connector's source uses: its function's (or state machine's) role, or the role it names. */
function connectorRole(reading: Reading, source: ReturnType<typeof connectorEnd>): string | undefined {
  if (source.logicalId === undefined) {
    for (const [logicalId, provided] of reading.resolver.provided) {
      if (
        provided.ref === source.roleName &&
        (reading.implicitRoles.has(logicalId) || own(reading.template.Resources, logicalId)?.Type === 'AWS::IAM::Role')
      )
        return logicalId
    }
    return undefined
  }
  const resource = own(reading.template.Resources, source.logicalId) as Resource
  const role = resource.Type.startsWith('AWS::Serverless::')
    ? withGlobals(reading.template, resource).Role
    : (resource.Properties?.Role ?? resource.Properties?.RoleArn)
  if (role === undefined) return reading.implicitRoles.has(`${source.logicalId}Role`) ? `${source.logicalId}Role` : undefined
  const resolved = loosely(reading, role)
  return 'value' in resolved ? roleOf(resolved.value, reading) : undefined
}

/**
 * Every connector of the template expanded as SAM's transform expands it (which refuses a pair of
 * types it has no profile for): the statements each gives, by the logical id of its source's role.
 */
export function connectorGrants(reading: Reading): Map<string, SourcedStatement[]> {
  const grants = new Map<string, SourcedStatement[]>()
  try {
    for (const connector of connectorsOf(reading.resources)) {
      const source = connectorEnd(reading, connector.source, `${connector.logicalId} Source`)
      const roleId = connectorRole(reading, source)
      const several = Array.isArray(connector.destination)
      for (const [index, reference] of [connector.destination].flat().entries()) {
        const destination = connectorEnd(reading, reference, `${connector.logicalId} Destination${several ? ` #${index}` : ''}`)
        const statements = connectorStatements(connector, source, destination)
        if (roleId !== undefined) grants.set(roleId, [...(grants.get(roleId) ?? []), ...statements])
      }
    }
  } catch (error) {
    // What SAM's transform refuses does not deploy.
    throw error instanceof ConnectorError ? new TemplateError(error.message) : error
  }
  return grants
}

/** A statement IAM refuses is a template that does not deploy: a usage error naming its policy. */
function refuseMalformed(statements: readonly SourcedStatement[], role: string): void {
  statements.forEach(({ statement, source }) => {
    const why = malformedStatement(statement)
    if (why === undefined) return
    const sid = typeof statement.Sid === 'string' ? ` (Sid ${statement.Sid})` : ''
    throw new TemplateError(`${role}: a statement of ${source}${sid}: ${why}, which IAM refuses (MalformedPolicyDocument)`)
  })
}

/** The logical id of the role of the template a function's `Role` (its ARN) names, or `undefined`. */
export function roleOf(arn: unknown, reading: Reading): string | undefined {
  for (const [logicalId, provided] of reading.resolver.provided) {
    const role =
      reading.implicitRoles.has(logicalId) ||
      (reading.created.has(logicalId) && own(reading.template.Resources, logicalId)?.Type === 'AWS::IAM::Role')
    // Lambda takes a role's ARN: a role given by its name (`!Ref Role`) would not deploy.
    if (role && provided.attributes.Arn === arn) return logicalId
  }
  return undefined
}
