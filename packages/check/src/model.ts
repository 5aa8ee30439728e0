// What a template deploys, read without deploying it: the Cloud Map namespaces, services and
// instances it registers (attributes resolved), and each function with its handler module,
// environment and the IAM statements of its role. Resources get the names and ARNs
// CloudFormation would give them in the chosen account and region.
import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path'
import type { SourcedStatement } from './iam.js'
import { statementsOf } from './iam.js'
import { expandManagedPolicies, expandSamPolicies, type Pseudo } from './sam-policies.js'
import { loadTemplate, type Provided, Resolver, type Resource, type Template } from './template.js'

/** A template's parameters as given (`--param Name=Value`), pseudo parameters (`AWS::Region`, `AWS::AccountId`) included. */
export type Parameters = Readonly<Record<string, string>>

/** An instance the template registers. */
export interface TemplateInstance {
  /** Its logical id in the template. */
  readonly logicalId: string
  /** The namespace's name. */
  readonly namespace: string
  /** The service's name. */
  readonly service: string
  /** The instance id. */
  readonly instanceId: string
  /** Its attributes, intrinsics resolved, as Cloud Map holds them (strings). */
  readonly attributes: Readonly<Record<string, string>>
}

/** A Cloud Map service the template creates. */
export interface TemplateService {
  /** Its logical id in the template. */
  readonly logicalId: string
  /** The service's name. */
  readonly name: string
  /** The namespace's name, or `undefined` when the namespace is not in this template. */
  readonly namespace: string | undefined
}

/** Where a function's handler is, when it could be found. */
export interface HandlerLocation {
  /** Absolute path of the module. */
  readonly module: string
  /** The export Lambda calls (`handler` of `app.handler`). */
  readonly exportName: string
}

/** A function of the template. */
export interface TemplateFunction {
  /** Its logical id in the template. */
  readonly logicalId: string
  /** Its `FunctionName`, or the logical id when it has none. */
  readonly name: string
  /** Its runtime (`nodejs22.x`), when set. */
  readonly runtime: string | undefined
  /** The handler module, or why it was not found. */
  readonly handler:
    | HandlerLocation
    | {
        /** Why no module was found, and how to give one. */
        readonly missing: string
      }
  /** Why the function is not checked (another runtime, inline code, `--skip`), or `undefined`. */
  readonly skipped: string | undefined
  /** Its environment variables (intrinsics resolved). */
  readonly environment: Readonly<Record<string, string>>
  /** Every statement of its role's identity policies. */
  readonly statements: readonly SourcedStatement[]
  /** What could not be read about its permissions (unknown policy templates, managed policies). */
  readonly notes: readonly string[]
}

/** What a template deploys, as far as the check needs it. */
export interface TemplateModel {
  /** The template's path. */
  readonly path: string
  /** `sam` when the template uses the Serverless transform, else `cloudformation` (a CDK template). */
  readonly form: 'sam' | 'cloudformation'
  /** The parameters it was read with, defaults and pseudo parameters included. */
  readonly parameters: Readonly<Record<string, string | string[]>>
  /** The partition, region and account its ARNs are built in. */
  readonly pseudo: Pseudo
  /** The namespaces' names. */
  readonly namespaces: readonly string[]
  /** The Cloud Map services it creates. */
  readonly services: readonly TemplateService[]
  /** The instances it registers (in services of its own namespaces). */
  readonly instances: readonly TemplateInstance[]
  /** Its Lambda functions (`AWS::Serverless::Function`, `AWS::Lambda::Function`). */
  readonly functions: readonly TemplateFunction[]
}

/** Options of {@link readTemplate}. */
export interface ReadOptions {
  /** Parameter values, and `AWS::Region` / `AWS::AccountId` / `AWS::StackName`. */
  readonly parameters?: Parameters
  /**
   * Handler modules by function (logical id or `FunctionName`): a path, relative to the
   * working directory, optionally with `#exportName`. Needed for a CDK template, whose functions
   * run a bundle.
   */
  readonly handlers?: Readonly<Record<string, string>>
  /** Functions not to check (logical id or `FunctionName`): not ours, or checked elsewhere. */
  readonly skip?: readonly string[]
}

/** A template that cannot be read as asked: a usage error (exit code 2). */
export class TemplateError extends Error {
  /** `TemplateError`. */
  override readonly name = 'TemplateError'
}

const NAMESPACE_TYPES = new Set([
  'AWS::ServiceDiscovery::HttpNamespace',
  'AWS::ServiceDiscovery::PrivateDnsNamespace',
  'AWS::ServiceDiscovery::PublicDnsNamespace',
])
const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function'])
const MODULE_EXTENSIONS = ['.mjs', '.js', '.cjs', '.ts', '.mts', '.cts']

/** CloudFormation's pseudo parameters, from what was given or the defaults. */
function pseudoParameters(given: Parameters, path: string): Record<string, string | string[]> {
  const region = given['AWS::Region'] ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1'
  const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws'
  const stackName = given['AWS::StackName'] ?? (path.split(/[\\/]/).pop() ?? 'stack').replace(/\..*$/, '').replace(/[^A-Za-z0-9-]/g, '-')
  const accountId = given['AWS::AccountId'] ?? '123456789012'
  return {
    'AWS::Region': region,
    'AWS::AccountId': accountId,
    'AWS::Partition': partition,
    'AWS::URLSuffix': partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
    'AWS::StackName': stackName,
    'AWS::StackId': `arn:${partition}:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
    'AWS::NotificationARNs': [],
  }
}

/** The template's parameters: given values over defaults; a parameter with neither is a usage error. */
function parameterValues(template: Template, given: Parameters, path: string): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = pseudoParameters(given, path)
  for (const name of Object.keys(given)) {
    if (!name.startsWith('AWS::') && !Object.hasOwn(template.Parameters ?? {}, name)) {
      throw new TemplateError(`--param ${name}: the template has no parameter ${name}`)
    }
  }
  for (const [name, declaration] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? (declaration.Default === undefined ? undefined : String(declaration.Default))
    if (value === undefined) throw new TemplateError(`parameter ${name} has no default: give --param ${name}=<value>`)
    const type = declaration.Type ?? 'String'
    values[name] = type === 'CommaDelimitedList' || type.startsWith('List<') ? (value === '' ? [] : value.split(',')) : value
  }
  return values
}

/** The name CloudFormation generates for a resource that names none (its shape, not its random part). */
function generated(stack: string, logicalId: string, suffix = ''): string {
  return `${stack}-${logicalId}-GENERATED${suffix}`
}

/** What `Ref` and `Fn::GetAtt` give for a resource, from its (resolved) naming properties. */
function provide(logicalId: string, resource: Resource, resolver: Resolver, pseudo: Pseudo, stack: string): Provided {
  const props = (name: string): unknown => resolver.resolve(resource.Properties?.[name])
  const text = (name: string, fallback: string): string => {
    const value = props(name)
    return typeof value === 'string' && value !== '' ? value : fallback
  }
  const arn = (service: string, resourcePart: string, region = pseudo.region) =>
    `arn:${pseudo.partition}:${service}:${region}:${pseudo.accountId}:${resourcePart}`
  switch (resource.Type) {
    case 'AWS::SQS::Queue': {
      const name = text(
        'QueueName',
        generated(stack, logicalId, props('FifoQueue') === true || props('FifoQueue') === 'true' ? '.fifo' : ''),
      )
      const url = `https://sqs.${pseudo.region}.${pseudo.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}/${pseudo.accountId}/${name}`
      return { ref: url, attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } }
    }
    case 'AWS::SNS::Topic': {
      const fifo = props('FifoTopic') === true || props('FifoTopic') === 'true'
      const name = text('TopicName', generated(stack, logicalId, fifo ? '.fifo' : ''))
      return { ref: arn('sns', name), attributes: { TopicArn: arn('sns', name), TopicName: name } }
    }
    case 'AWS::Serverless::Function':
    case 'AWS::Lambda::Function': {
      const name = text('FunctionName', generated(stack, logicalId))
      return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } }
    }
    case 'AWS::Events::EventBus': {
      const name = text('Name', generated(stack, logicalId))
      return { ref: name, attributes: { Arn: arn('events', `event-bus/${name}`), Name: name } }
    }
    case 'AWS::Serverless::StateMachine':
    case 'AWS::StepFunctions::StateMachine': {
      const name = text('StateMachineName', generated(stack, logicalId))
      return { ref: arn('states', `stateMachine:${name}`), attributes: { Arn: arn('states', `stateMachine:${name}`), Name: name } }
    }
    case 'AWS::DynamoDB::Table': {
      const name = text('TableName', generated(stack, logicalId))
      return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/0`) } }
    }
    case 'AWS::IAM::Role': {
      const name = text('RoleName', generated(stack, logicalId))
      return { ref: name, attributes: { Arn: arn('iam', `role/${name}`, ''), RoleId: `AROA${logicalId.toUpperCase()}` } }
    }
    case 'AWS::ServiceDiscovery::Service': {
      const id = `srv-${logicalId.toLowerCase()}`
      return { ref: id, attributes: { Id: id, Arn: arn('servicediscovery', `service/${id}`), Name: text('Name', logicalId) } }
    }
    case 'AWS::ServiceDiscovery::Instance':
      return { ref: text('InstanceId', logicalId), attributes: {} }
    default: {
      if (NAMESPACE_TYPES.has(resource.Type)) {
        const id = `ns-${logicalId.toLowerCase()}`
        return {
          ref: id,
          attributes: { Id: id, Arn: arn('servicediscovery', `namespace/${id}`), HostedZoneId: `Z${logicalId.toUpperCase()}` },
        }
      }
      // Anything else: placeholders that say where they come from (they only matter when compared).
      const attributes = new Proxy({} as Record<string, string>, {
        get: (_, key) => (typeof key === 'string' ? `${logicalId}.${key}` : undefined),
      })
      return { ref: logicalId, attributes }
    }
  }
}

/** True when the error is the resolver's "names nothing created yet": another resource must be provided first. */
function waitsForAnother(error: unknown): boolean {
  return error instanceof Error && /names nothing created yet|is not known/.test(error.message)
}

/** Fills `resolver.provided` for every resource, each after the ones its names refer to. */
function provideAll(resources: readonly [string, Resource][], resolver: Resolver, pseudo: Pseudo, stack: string): void {
  let pending = resources
  while (pending.length > 0) {
    const left: [string, Resource][] = []
    let lastError: unknown
    for (const entry of pending) {
      const [logicalId, resource] = entry
      try {
        resolver.provided.set(logicalId, provide(logicalId, resource, resolver, pseudo, stack))
      } catch (error) {
        if (!waitsForAnother(error)) throw new TemplateError(`${logicalId}: ${(error as Error).message}`)
        lastError = error
        left.push(entry)
      }
    }
    if (left.length === pending.length) {
      throw new TemplateError(`${left[0]?.[0]}: ${(lastError as Error).message} (a reference cycle, or a name from outside the template)`)
    }
    pending = left
  }
}

/** Resolves a value, turning a reference to something the template does not hold into a placeholder. */
function resolveLoosely(resolver: Resolver, value: unknown): unknown {
  try {
    return resolver.resolve(value)
  } catch {
    return undefined
  }
}

/** Attributes as Cloud Map holds them: strings (numbers and booleans as CloudFormation writes them). */
function attributesOf(value: unknown, where: string): Record<string, string> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new TemplateError(`${where}: InstanceAttributes is not a map`)
  const out: Record<string, string> = Object.create(null)
  for (const [key, item] of Object.entries(value)) {
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') out[key] = String(item)
    else throw new TemplateError(`${where}: attribute ${key} is not a string`)
  }
  return out
}

/** Globals.Function under a SAM function's own properties (environment variables merged). */
function withGlobals(template: Template, resource: Resource): Record<string, unknown> {
  const globals = (resource.Type === 'AWS::Serverless::Function' ? template.Globals?.Function : undefined) ?? {}
  const own = resource.Properties ?? {}
  const variables = (props: Record<string, unknown>) =>
    ((props.Environment as { Variables?: object } | undefined)?.Variables ?? {}) as object
  return {
    ...globals,
    ...own,
    Environment: { Variables: { ...variables(globals), ...variables(own) } },
  }
}

/** Finds a SAM function's handler module from `CodeUri`, `Handler` and the esbuild `EntryPoints`. */
function samHandler(directory: string, props: Record<string, unknown>, metadata: Record<string, unknown>): TemplateFunction['handler'] {
  const handler = props.Handler
  const codeUri = props.CodeUri
  if (typeof handler !== 'string' || !handler.includes('.')) return { missing: 'it has no Handler of the form file.export' }
  if (typeof codeUri !== 'string') return { missing: 'its CodeUri is not a local folder' }
  const cut = handler.lastIndexOf('.')
  const file = handler.slice(0, cut)
  const exportName = handler.slice(cut + 1)
  const base = resolvePath(directory, codeUri)
  const entryPoints = (metadata.BuildProperties as { EntryPoints?: unknown } | undefined)?.EntryPoints
  const entries = Array.isArray(entryPoints) ? entryPoints.filter((entry): entry is string => typeof entry === 'string') : []
  // esbuild builds each entry point to its base name: the entry whose name is the Handler's file.
  const fromEntry = entries.find(
    (entry) => entry.replace(/\.[cm]?[jt]s$/, '') === file || entry.replace(/\.[cm]?[jt]sx?$/, '').endsWith(`/${file}`),
  )
  const candidates = [
    ...(fromEntry ? [join(base, fromEntry)] : []),
    ...MODULE_EXTENSIONS.map((extension) => join(base, `${file}${extension}`)),
  ]
  const module = candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile())
  if (!module) return { missing: `no module ${file}.{${MODULE_EXTENSIONS.map((e) => e.slice(1)).join(',')}} in ${codeUri}` }
  return { module, exportName }
}

/** A CDK function's handler: given on the command line, or the bundle of its asset (`aws:asset:path`). */
function cdkHandler(
  directory: string,
  logicalId: string,
  name: string,
  props: Record<string, unknown>,
  metadata: Record<string, unknown>,
  given: Readonly<Record<string, string>>,
): TemplateFunction['handler'] {
  const handler = typeof props.Handler === 'string' ? props.Handler : 'index.handler'
  const exportName = handler.slice(handler.lastIndexOf('.') + 1)
  const named = given[logicalId] ?? given[name]
  if (named !== undefined) {
    const [path = '', exported] = named.split('#')
    const module = resolvePath(path)
    if (!existsSync(module)) throw new TemplateError(`--handler ${logicalId}: no file ${path}`)
    return { module, exportName: exported ?? exportName }
  }
  const asset = metadata['aws:asset:path']
  if (typeof asset === 'string') {
    const file = handler.slice(0, handler.lastIndexOf('.'))
    const folder = isAbsolute(asset) ? asset : join(directory, asset)
    const module = MODULE_EXTENSIONS.map((extension) => join(folder, `${file}${extension}`)).find((candidate) => existsSync(candidate))
    if (module) return { module, exportName }
  }
  return { missing: `give its module: --handler ${logicalId}=<path to the handler module>` }
}

/** The statements of a role: its inline policies, its managed policies, and the policies that name it. */
function roleStatements(
  roleId: string,
  resources: readonly [string, Resource][],
  resolver: Resolver,
  pseudo: Pseudo,
): { statements: SourcedStatement[]; notes: string[] } {
  const role = resources.find(([id]) => id === roleId)?.[1]
  const statements: SourcedStatement[] = []
  const notes: string[] = []
  const props = (role?.Properties ?? {}) as Record<string, unknown>
  const inline = resolveLoosely(resolver, props.Policies)
  for (const policy of Array.isArray(inline) ? inline : []) {
    const { PolicyName, PolicyDocument } = (policy ?? {}) as { PolicyName?: unknown; PolicyDocument?: unknown }
    statements.push(
      ...statementsOf((PolicyDocument as { Statement?: unknown } | undefined)?.Statement, `${roleId} policy ${String(PolicyName)}`),
    )
  }
  const managed = resolveLoosely(resolver, props.ManagedPolicyArns)
  const expanded = expandManagedPolicies(Array.isArray(managed) ? managed : [], pseudo)
  statements.push(...expanded.statements)
  notes.push(...expanded.notes)
  const roleName = resolver.provided.get(roleId)?.ref
  for (const [id, resource] of resources) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy' && resource.Type !== 'AWS::IAM::RolePolicy')
      continue
    const policy = (resource.Properties ?? {}) as Record<string, unknown>
    const roles =
      resource.Type === 'AWS::IAM::RolePolicy' ? [resolveLoosely(resolver, policy.RoleName)] : resolveLoosely(resolver, policy.Roles)
    if (!Array.isArray(roles) || !roles.includes(roleName)) continue
    const document = resolveLoosely(resolver, policy.PolicyDocument) as { Statement?: unknown } | undefined
    statements.push(...statementsOf(document?.Statement, `policy ${id}`))
  }
  return { statements, notes }
}

/** The logical id of the role a function's `Role` (an ARN, `!GetAtt Role.Arn`) names, when it is in the template. */
function roleOf(value: unknown, resolver: Resolver): string | undefined {
  const arn = resolveLoosely(resolver, value)
  for (const [id, provided] of resolver.provided) {
    if (provided.attributes.Arn === arn || provided.ref === arn) return id
  }
  return undefined
}

/** Is the resource created with these parameters (its `Condition`, when it has one)? */
function created(resource: Resource & { Condition?: string }, resolver: Resolver): boolean {
  return resource.Condition === undefined || resolver.resolve({ Condition: resource.Condition }) === true
}

/**
 * Reads a SAM or CDK-synthesized template as CloudFormation would deploy it with these
 * parameters: what it registers in Cloud Map, and each function's handler and permissions.
 *
 * @throws {TemplateError} when it cannot be read (a parameter without a value, a reference to nothing).
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
  if (template === null || typeof template !== 'object' || typeof template.Resources !== 'object' || template.Resources === null) {
    throw new TemplateError(`${path}: not a CloudFormation template (no Resources)`)
  }
  const parameters = parameterValues(template, options.parameters ?? {}, path)
  const pseudo: Pseudo = {
    partition: String(parameters['AWS::Partition']),
    region: String(parameters['AWS::Region']),
    accountId: String(parameters['AWS::AccountId']),
  }
  const resolver = new Resolver(parameters, template.Conditions ?? {})
  const resources = Object.entries(template.Resources).filter(([, resource]) => created(resource, resolver))
  provideAll(resources, resolver, pseudo, String(parameters['AWS::StackName']))
  const directory = dirname(resolvePath(path))
  const transform = (template as { Transform?: unknown }).Transform
  const form = [transform].flat().includes('AWS::Serverless-2016-10-31') ? 'sam' : 'cloudformation'

  const namespaceNames = new Map<string, string>()
  for (const [id, resource] of resources) {
    if (!NAMESPACE_TYPES.has(resource.Type)) continue
    const name = resolver.resolve(resource.Properties?.Name)
    if (typeof name !== 'string') throw new TemplateError(`${id}: the namespace has no Name`)
    namespaceNames.set(resolver.provided.get(id)?.ref ?? id, name)
  }
  const services: TemplateService[] = []
  const serviceById = new Map<string, TemplateService>()
  for (const [id, resource] of resources) {
    if (resource.Type !== 'AWS::ServiceDiscovery::Service') continue
    const service = {
      logicalId: id,
      name: String(resolver.resolve(resource.Properties?.Name)),
      namespace: namespaceNames.get(String(resolveLoosely(resolver, resource.Properties?.NamespaceId))),
    }
    services.push(service)
    serviceById.set(resolver.provided.get(id)?.ref ?? id, service)
  }
  const instances: TemplateInstance[] = []
  for (const [id, resource] of resources) {
    if (resource.Type !== 'AWS::ServiceDiscovery::Instance') continue
    const props = resource.Properties ?? {}
    const service = serviceById.get(String(resolveLoosely(resolver, props.ServiceId)))
    // An instance of a service created elsewhere: its namespace and service names are not known here.
    if (!service?.namespace) continue
    instances.push({
      logicalId: id,
      namespace: service.namespace,
      service: service.name,
      instanceId: String(resolver.resolve(props.InstanceId)),
      attributes: attributesOf(resolver.resolve(props.InstanceAttributes), id),
    })
  }

  const functions: TemplateFunction[] = []
  for (const [id, resource] of resources) {
    if (!FUNCTION_TYPES.has(resource.Type)) continue
    const props = withGlobals(template, resource)
    const metadata = ((resource as { Metadata?: Record<string, unknown> }).Metadata ?? {}) as Record<string, unknown>
    const name = resolver.provided.get(id)?.ref ?? id
    const variables = resolveLoosely(resolver, (props.Environment as { Variables: unknown }).Variables) as
      | Record<string, unknown>
      | undefined
    const environment = Object.fromEntries(Object.entries(variables ?? {}).map(([key, value]) => [key, String(value)]))
    const statements: SourcedStatement[] = []
    const notes: string[] = []
    const roleId = props.Role === undefined ? undefined : roleOf(props.Role, resolver)
    if (roleId !== undefined) {
      const role = roleStatements(roleId, resources, resolver, pseudo)
      statements.push(...role.statements)
      notes.push(...role.notes)
    } else if (props.Role !== undefined) {
      notes.push('its Role is not in this template: its permissions are not checked')
    } else if (resource.Type === 'AWS::Serverless::Function') {
      const sam = expandSamPolicies(resolveLoosely(resolver, props.Policies) ?? [], pseudo)
      statements.push(...sam.statements)
      notes.push(...sam.notes)
    }
    const runtime = typeof props.Runtime === 'string' ? props.Runtime : undefined
    const handler =
      resource.Type === 'AWS::Serverless::Function' && options.handlers?.[id] === undefined && options.handlers?.[name] === undefined
        ? samHandler(directory, props, metadata)
        : cdkHandler(directory, id, name, props, metadata, options.handlers ?? {})
    const inline = props.InlineCode !== undefined || (props.Code as { ZipFile?: unknown } | undefined)?.ZipFile !== undefined
    const skipped = options.skip?.some((key) => key === id || key === name)
      ? 'skipped (--skip)'
      : runtime !== undefined && !runtime.startsWith('nodejs')
        ? `runtime ${runtime} is not Node.js`
        : inline
          ? 'its code is inline in the template'
          : undefined
    functions.push({ logicalId: id, name, runtime, handler, skipped, environment, statements, notes })
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
    services,
    instances,
    functions,
  }
}
