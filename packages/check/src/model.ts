// What a template deploys, read without deploying it: the Cloud Map namespaces, services and
// instances it registers (attributes resolved), and each function with its handler module,
// environment and the IAM statements of its role. Resources get the names and ARNs
// CloudFormation would give them in the chosen account and region; a value only a deploy knows
// (an import, a nested stack's output) is a visible placeholder (`«Fn::ImportValue SharedQueueArn»`).
import { dirname, resolve as resolvePath } from 'node:path'
import { attributesProblem, instanceIdProblem } from '@cloudmap-middy/core/registration'
import { cdkHandler, confined, projectFolder, samHandler, serverlessHandler, serverlessService } from './model/handlers.js'
import { parameterValues } from './model/parameters.js'
import { connectorGrants, managedPolicies, roleOf, rolePermissions } from './model/permissions.js'
import { loosely, NAMESPACE_TYPES, type Reading, strictly, withGlobals } from './model/reading.js'
import { provideAll } from './model/resources.js'
import {
  type ReadOptions,
  TemplateError,
  type TemplateFunction,
  type TemplateInstance,
  type TemplateModel,
  type TemplateService,
} from './model/types.js'
import { own, record } from './own.js'
import type { Pseudo } from './sam-policies.js'
import { isPlaceholder, loadTemplate, type Resource, type Template, TemplateResolver } from './template.js'

export {
  type HandlerLocation,
  type ParameterValues,
  type ReadOptions,
  TemplateError,
  type TemplateFunction,
  type TemplateInstance,
  type TemplateModel,
  type TemplateService,
} from './model/types.js'

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function'])

/** Attributes as Cloud Map holds them: strings (numbers and booleans as CloudFormation writes them). */
function attributesOf(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new TemplateError(`${where}: InstanceAttributes is not a map`)
  const out = record<string>()
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') out[key] = String(item)
    else throw new TemplateError(`${where}: attribute ${key} is not a string`)
  }
  return out
}

/** The record types of a service's resolved `DnsConfig` (`DnsRecords[].Type`). */
function recordTypes(dnsConfig: unknown): string[] {
  const entries = (dnsConfig as { DnsRecords?: unknown } | undefined)?.DnsRecords
  if (!Array.isArray(entries)) return []
  return entries.flatMap((entry) => {
    const type = (entry as { Type?: unknown } | null)?.Type
    return typeof type === 'string' ? [type] : []
  })
}

/** Is the value an intrinsic (`{ Ref }`, `{ 'Fn::If': ... }`) rather than a map? */
function isIntrinsic(value: object): boolean {
  const keys = Object.keys(value)
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::') === true)
}

/** A function's environment variables, each resolved on its own: one that cannot be gives a note and a placeholder. */
function environmentOf(reading: Reading, given: unknown, notes: string[]): Record<string, string> {
  let variables = given
  if (variables !== null && typeof variables === 'object' && !Array.isArray(variables) && isIntrinsic(variables)) {
    const resolved = loosely(reading, variables)
    if ('error' in resolved) {
      notes.push(`Environment could not be resolved: ${resolved.error}`)
      return {}
    }
    variables = resolved.value
  }
  const environment = record<string>()
  if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) return environment
  for (const [key, raw] of Object.entries(variables)) {
    const resolved = loosely(reading, raw)
    if ('error' in resolved) {
      notes.push(`Environment variable ${key} could not be resolved: ${resolved.error}`)
      environment[key] = `«not resolved: ${resolved.error}»`
    } else if (resolved.value !== undefined) {
      environment[key] = typeof resolved.value === 'object' ? JSON.stringify(resolved.value) : String(resolved.value)
    }
  }
  return environment
}

/** The KMS keys of the template's queues and topics, by their ARNs (see {@link TemplateModel.keys}). */
function keysOf(reading: Reading): Record<string, string> {
  const { resolver, pseudo } = reading
  const keyArn = (id: string) => `arn:${pseudo.partition}:kms:${pseudo.region}:${pseudo.accountId}:key/${id}`
  // A key id (`!Ref Key`, or an id given as is) as its key's ARN; a key ARN as it is.
  const asKey = (value: string) => (value.startsWith('arn:') ? value : keyArn(value))
  const aliases = new Map<string, string>()
  for (const [logicalId, resource] of reading.resources) {
    if (resource.Type !== 'AWS::KMS::Alias') continue
    const target = strictly(reading, resource.Properties?.TargetKeyId, logicalId, 'TargetKeyId')
    const name = resolver.provided.get(logicalId)?.ref
    if (typeof target === 'string' && target !== '' && name !== undefined) aliases.set(name, isPlaceholder(target) ? target : asKey(target))
  }
  const aliasArn = new RegExp(`^arn:${pseudo.partition}:kms:${pseudo.region}:${pseudo.accountId}:(alias/.+)$`)
  const keyOf = (value: string): string | undefined => {
    if (isPlaceholder(value)) return value
    const alias = value.startsWith('alias/') ? value : /^arn:[^:]+:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(value)?.[1]
    if (alias !== undefined) {
      if (alias.startsWith('alias/aws/')) return undefined
      const ours = value.startsWith('alias/') || aliasArn.test(value)
      return (ours ? aliases.get(alias) : undefined) ?? value
    }
    return asKey(value)
  }
  const keys = record<string>()
  for (const [logicalId, resource] of reading.resources) {
    if (resource.Type !== 'AWS::SQS::Queue' && resource.Type !== 'AWS::SNS::Topic') continue
    const value = strictly(reading, resource.Properties?.KmsMasterKeyId, logicalId, 'KmsMasterKeyId')
    if (typeof value !== 'string' || value === '') continue
    const attributes = resolver.provided.get(logicalId)?.attributes
    const arn = resource.Type === 'AWS::SQS::Queue' ? attributes?.Arn : attributes?.TopicArn
    const key = keyOf(value)
    if (arn !== undefined && key !== undefined) keys[arn] = key
  }
  return keys
}

/** Which resources are created with these parameters (their `Condition` holds, when they have one). */
function createdResources(reading: Reading, conditions: Record<string, unknown>): [string, Resource][] {
  return Object.entries(reading.template.Resources).filter(([logicalId, resource]) => {
    const condition = resource.Condition
    if (condition === undefined) return true
    if (typeof condition !== 'string') throw new TemplateError(`${logicalId} Condition: not the name of a condition`)
    if (!Object.hasOwn(conditions, condition)) throw new TemplateError(`${logicalId} Condition: no condition ${condition} in Conditions`)
    return strictly(reading, { Condition: condition }, logicalId, 'Condition') === true
  })
}

/** Each resource is a map with a `Type`: a usage error names the one that is not. */
function checkResources(resources: Record<string, unknown>): void {
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (logicalId.startsWith('Fn::ForEach::'))
      throw new TemplateError(`${logicalId}: Fn::ForEach is not supported: give the template it expands to`)
    if (resource === null || resource === undefined) throw new TemplateError(`${logicalId}: the resource is empty (it has no Type)`)
    if (typeof resource !== 'object' || Array.isArray(resource)) throw new TemplateError(`${logicalId}: not a resource (a map with a Type)`)
    if (typeof (resource as { Type?: unknown }).Type !== 'string') throw new TemplateError(`${logicalId}: the resource has no Type`)
  }
}

/** What SAM refuses under `Globals.Function`: each function's own (everything else it takes). */
const NOT_GLOBAL = ['Role', 'Policies', 'FunctionName', 'Events']

/** `Globals.Function` as SAM takes it: a usage error names a property SAM refuses there. */
function checkGlobals(template: Template): void {
  const globals = template.Globals?.Function
  if (globals === undefined || globals === null) return
  if (typeof globals !== 'object' || Array.isArray(globals)) throw new TemplateError('Globals.Function: not a map')
  for (const property of NOT_GLOBAL) {
    if (Object.hasOwn(globals, property)) {
      throw new TemplateError(`Globals.Function.${property}: SAM refuses ${property} in Globals (give it on each function)`)
    }
  }
}

/**
 * Reads a SAM or CDK-synthesized template as CloudFormation would deploy it with these
 * parameters: what it registers in Cloud Map, and each function's handler and permissions.
 * A value only a deploy knows (`Fn::ImportValue`, a nested stack's output) is read as a
 * placeholder (`«Fn::ImportValue SharedQueueArn»`) that no check passes on.
 *
 * @throws {TemplateError} when it cannot be read (a parameter without a value, a reference to
 * nothing, an intrinsic that gives nothing): the message names the resource and the property.
 * @example
 * ```ts
 * const model = readTemplate('template.yaml', { parameters: { Stage: 'prod' } })
 * model.instances // [{ namespace: 'prod', service: 'scheduler', instanceId: 'get-job', attributes: { type: 'lambda', arn: 'arn:aws:lambda:…' } }, …]
 * ```
 */
export function readTemplate(path: string, options: ReadOptions = {}): TemplateModel {
  let template: Template
  try {
    template = loadTemplate(path)
  } catch (error) {
    throw new TemplateError(`${path}: ${(error as Error).message}`)
  }
  if (
    template === null ||
    typeof template !== 'object' ||
    typeof template.Resources !== 'object' ||
    template.Resources === null ||
    Array.isArray(template.Resources)
  ) {
    throw new TemplateError(`${path}: not a CloudFormation template (no Resources)`)
  }
  checkResources(template.Resources)
  checkGlobals(template)
  const parameters = parameterValues(template, options.parameters ?? {}, path)
  const pseudo: Pseudo = {
    partition: String(parameters['AWS::Partition']),
    region: String(parameters['AWS::Region']),
    accountId: String(parameters['AWS::AccountId']),
  }
  const section = (name: 'Conditions' | 'Mappings'): Record<string, unknown> => {
    const value = template[name] ?? {}
    if (typeof value !== 'object' || Array.isArray(value)) throw new TemplateError(`${name}: not a map`)
    return value as Record<string, unknown>
  }
  const conditions = section('Conditions')
  const resolver = new TemplateResolver(parameters, conditions, section('Mappings'))
  const resources: [string, Resource][] = []
  const created = new Set<string>()
  const implicitRoles = new Map<string, string>()
  const reading: Reading = {
    template,
    resolver,
    pseudo,
    stack: String(parameters['AWS::StackName']),
    resources,
    created,
    implicitRoles,
    connectors: new Map(),
  }
  for (const entry of createdResources(reading, conditions)) {
    resources.push(entry)
    created.add(entry[0])
  }
  // The role SAM creates for a function that names none: `<Function>Role`.
  for (const [logicalId, resource] of resources) {
    const roleId = `${logicalId}Role`
    if (
      resource.Type === 'AWS::Serverless::Function' &&
      withGlobals(template, resource).Role === undefined &&
      !Object.hasOwn(template.Resources, roleId)
    ) {
      implicitRoles.set(roleId, logicalId)
    }
  }
  provideAll([...resources, ...[...implicitRoles.keys()].map((roleId) => [roleId, { Type: 'AWS::IAM::Role' }] as const)], reading)
  for (const [roleId, statements] of connectorGrants(reading)) reading.connectors.set(roleId, statements)
  const directory = dirname(resolvePath(path))
  // The folder the handler modules the template names must be in.
  const project = projectFolder(directory)
  // A template `sls package` wrote: its functions' handlers are modules of the service folder.
  const service = serverlessService(directory, template.Resources)
  const transform = (template as { Transform?: unknown }).Transform
  const form = [transform].flat().includes('AWS::Serverless-2016-10-31') ? 'sam' : 'cloudformation'
  const notes: string[] = []

  const namespaceNames = new Map<string, string>()
  /** The namespaces with DNS records (private and public DNS), by what `NamespaceId` gives. */
  const dnsNamespaces = new Set<string>()
  const namespaceArns = record<string>()
  const duplicated = new Set<string>()
  for (const [logicalId, resource] of resources) {
    if (!NAMESPACE_TYPES.has(resource.Type)) continue
    const name = strictly(reading, resource.Properties?.Name, logicalId, 'Name')
    if (typeof name !== 'string') throw new TemplateError(`${logicalId}: the namespace has no Name`)
    const provided = resolver.provided.get(logicalId)
    if ([...namespaceNames.values()].includes(name)) duplicated.add(name)
    namespaceNames.set(provided?.ref ?? logicalId, name)
    if (resource.Type !== 'AWS::ServiceDiscovery::HttpNamespace') dnsNamespaces.add(provided?.ref ?? logicalId)
    if (provided?.attributes.Arn !== undefined) namespaceArns[name] = provided.attributes.Arn
  }
  // Cloud Map finds a namespace by its name; of two with one name, only one answers to it.
  for (const name of duplicated) notes.push(`two namespaces are named ${name}: only one of them can be discovered by that name`)
  const services: TemplateService[] = []
  const serviceById = new Map<string, TemplateService>()
  /** The DNS record types of each service (`A`, `SRV`), by its logical id: each needs its attribute on an instance. */
  const records = new Map<string, string[]>()
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::ServiceDiscovery::Service') continue
    const props = resource.Properties ?? {}
    const provided = resolver.provided.get(logicalId)
    // NamespaceId, or the deprecated DnsConfig.NamespaceId.
    const namespaceId = String(
      strictly(
        reading,
        props.NamespaceId ?? (props.DnsConfig as { NamespaceId?: unknown } | undefined)?.NamespaceId,
        logicalId,
        'NamespaceId',
      ),
    )
    const service: TemplateService = {
      logicalId,
      name: String(strictly(reading, props.Name, logicalId, 'Name')),
      namespace: namespaceNames.get(namespaceId),
      arn: provided?.attributes.Arn ?? '',
    }
    if (service.namespace === undefined) {
      notes.push(`service ${service.name} (${logicalId}): its namespace is not in this template; its instances are not checked`)
    }
    services.push(service)
    serviceById.set(provided?.ref ?? logicalId, service)
    // Records exist in a DNS namespace only (an HTTP namespace has none to fill).
    const dnsConfig = dnsNamespaces.has(namespaceId) ? loosely(reading, props.DnsConfig) : undefined
    records.set(logicalId, dnsConfig !== undefined && 'value' in dnsConfig ? recordTypes(dnsConfig.value) : [])
  }
  const instances: TemplateInstance[] = []
  for (const [logicalId, resource] of resources) {
    if (resource.Type !== 'AWS::ServiceDiscovery::Instance') continue
    const props = resource.Properties ?? {}
    const serviceId = String(strictly(reading, props.ServiceId, logicalId, 'ServiceId'))
    const instanceId = String(strictly(reading, props.InstanceId, logicalId, 'InstanceId'))
    const service = serviceById.get(serviceId)
    if (service === undefined) {
      notes.push(`instance ${instanceId} (${logicalId}): its service ${serviceId} is not in this template; it is not checked`)
      continue
    }
    // An instance in a namespace from elsewhere: noted with its service.
    if (service.namespace === undefined) continue
    const attributes = attributesOf(strictly(reading, props.InstanceAttributes, logicalId, 'InstanceAttributes'), logicalId)
    // What Cloud Map refuses does not deploy: refused here, by the rules registerInstance() applies.
    const idProblem = isPlaceholder(instanceId) ? undefined : instanceIdProblem(instanceId)
    if (idProblem !== undefined) throw new TemplateError(`${logicalId} InstanceId: ${idProblem}`)
    const { problem } = attributesProblem(attributes, { unresolved: isPlaceholder, records: records.get(service.logicalId) ?? [] })
    if (problem !== undefined) throw new TemplateError(`${logicalId} InstanceAttributes: ${problem}`)
    instances.push({ logicalId, namespace: service.namespace, service: service.name, instanceId, attributes })
  }

  const managed = managedPolicies(reading)
  const functions: TemplateFunction[] = []
  for (const [logicalId, resource] of resources) {
    if (!FUNCTION_TYPES.has(resource.Type)) continue
    const props = withGlobals(template, resource)
    const metadata = (resource.Metadata ?? {}) as Record<string, unknown>
    const name = resolver.provided.get(logicalId)?.ref ?? logicalId
    const fnNotes: string[] = []
    const environment = environmentOf(reading, (props.Environment as { Variables: unknown }).Variables, fnNotes)
    let roleId: string | undefined
    if (props.Role !== undefined) {
      const role = loosely(reading, props.Role)
      if ('error' in role) {
        fnNotes.push(`its Role could not be resolved (${role.error}): its permissions are not checked`)
      } else {
        roleId = roleOf(role.value, reading)
        if (roleId === undefined) fnNotes.push(`its Role ${String(role.value)} is not in this template: its permissions are not checked`)
      }
    } else if (resource.Type === 'AWS::Serverless::Function') {
      // The role SAM creates for it: its Policies.
      roleId = `${logicalId}Role`
    } else {
      fnNotes.push('it has no Role: its permissions are not checked')
    }
    const owner = props.Role === undefined && resource.Type === 'AWS::Serverless::Function' ? logicalId : undefined
    const permissions = roleId === undefined ? undefined : rolePermissions(reading, roleId, managed, owner)
    fnNotes.push(...(permissions?.notes ?? []))
    const text = (property: string): string | undefined => {
      const value = strictly(reading, own(props, property), logicalId, property)
      return typeof value === 'string' ? value : undefined
    }
    const runtime = text('Runtime')
    const image = text('PackageType') === 'Image'
    const resolved = { ...props, Handler: text('Handler'), CodeUri: strictly(reading, props.CodeUri, logicalId, 'CodeUri') }
    const given = own(options.handlers, logicalId) !== undefined || own(options.handlers, name) !== undefined
    const located =
      resource.Type === 'AWS::Serverless::Function' && !given
        ? samHandler(directory, resolved, metadata)
        : service !== undefined && !given
          ? serverlessHandler(service, resolved)
          : cdkHandler(directory, logicalId, name, resolved, metadata, options.handlers ?? {})
    // A module named on the command line is the caller's choice; one the template names must be of its project.
    const handler = given ? located : confined(logicalId, project, located)
    // Inline code is not a module of the project, unless --handler names the module it stands for.
    const inline = !given && (props.InlineCode !== undefined || (props.Code as { ZipFile?: unknown } | undefined)?.ZipFile !== undefined)
    const skipped = options.skip?.some((key) => key === logicalId || key === name)
      ? 'skipped (--skip)'
      : image
        ? 'its code is a container image'
        : runtime !== undefined && !isPlaceholder(runtime) && !runtime.startsWith('nodejs')
          ? `runtime ${runtime} is not Node.js`
          : inline
            ? 'its code is inline in the template'
            : undefined
    functions.push({
      logicalId,
      name,
      runtime,
      handler,
      skipped,
      environment,
      permissions: permissions === undefined ? 'outside' : 'template',
      statements: permissions?.statements ?? [],
      ...(permissions?.boundary === undefined ? {} : { boundary: permissions.boundary }),
      notes: fnNotes,
    })
  }
  for (const key of options.skip ?? []) {
    if (!functions.some((fn) => fn.logicalId === key || fn.name === key)) {
      throw new TemplateError(`--skip ${key}: the template has no function ${key} (by logical id or FunctionName)`)
    }
  }
  for (const key of Object.keys(options.handlers ?? {})) {
    if (!functions.some((fn) => fn.logicalId === key || fn.name === key)) {
      throw new TemplateError(`--handler ${key}: the template has no function ${key} (by logical id or FunctionName)`)
    }
  }
  return {
    path,
    form,
    parameters,
    pseudo,
    namespaces: [...namespaceNames.values()],
    namespaceArns,
    services,
    instances,
    functions,
    keys: keysOf(reading),
    express: resources.flatMap(([logicalId, resource]) => {
      const props = resource.Properties ?? {}
      const type =
        resource.Type === 'AWS::Serverless::StateMachine'
          ? props.Type
          : resource.Type === 'AWS::StepFunctions::StateMachine'
            ? props.StateMachineType
            : undefined
      const arn = resolver.provided.get(logicalId)?.attributes.Arn
      const resolved = loosely(reading, type)
      return arn !== undefined && 'value' in resolved && resolved.value === 'EXPRESS' ? [arn] : []
    }),
    notes,
  }
}
