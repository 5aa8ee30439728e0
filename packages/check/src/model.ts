// What a template deploys, read without deploying it: the Cloud Map namespaces, services and
// instances it registers (attributes resolved), and each function with its handler module,
// environment and the IAM statements of its role. Resources get the names and ARNs
// CloudFormation would give them in the chosen account and region; a value only a deploy knows
// (an import, a nested stack's output) is a visible placeholder (`«Fn::ImportValue SharedQueueArn»`).
import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path'
import { attributesProblem, instanceIdProblem } from '@cloudmap-middy/core/registration'
import { type ConnectorEnd, ConnectorError, connectorOutputs, connectorStatements, connectorsOf, connectorType } from './connectors.js'
import type { SourcedStatement } from './iam.js'
import { malformedStatement, statementsOf } from './iam.js'
import { own, record } from './own.js'
import { type CompiledPattern, compilePattern, PatternError } from './pattern.js'
import { expandManagedPolicies, expandSamPolicies, type Pseudo } from './sam-policies.js'
import { isPlaceholder, loadTemplate, type Provided, Resolver, type Resource, type Template, UnknownReferenceError } from './template.js'

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
  /**
   * Its ARN (`arn:aws:servicediscovery:<region>:<account>:service/srv-…`), the resource of a
   * `servicediscovery:DiscoverInstances` statement that names it.
   */
  readonly arn: string
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
  /** Its runtime (`nodejs22.x`, intrinsics resolved), when set. */
  readonly runtime: string | undefined
  /** The handler module, or why it was not found. */
  readonly handler:
    | HandlerLocation
    | {
        /** Why no module was found, and how to give one. */
        readonly missing: string
      }
  /** Why the function is not checked (another runtime, a container image, inline code, `--skip`), or `undefined`. */
  readonly skipped: string | undefined
  /** Its environment variables (intrinsics resolved). */
  readonly environment: Readonly<Record<string, string>>
  /**
   * Where its permissions come from: `template` when its role is one of the template (its own
   * `AWS::IAM::Role`, or the role SAM creates for a function without `Role`), `outside` when its
   * `Role` is not in the template (its {@link TemplateFunction.statements} are then empty: its
   * permissions are not known).
   */
  readonly permissions: 'template' | 'outside'
  /** Every statement of its role's identity policies. */
  readonly statements: readonly SourcedStatement[]
  /**
   * Its role's permissions boundary (`PermissionsBoundary`), when it has one: the statements of
   * the managed policy it names (a policy of the template, or an AWS managed policy known here),
   * or `unknown` (the policy's ARN) for any other policy. An action the boundary does not allow
   * is denied whatever the statements allow.
   */
  readonly boundary?:
    | {
        /** The boundary policy's statements. */
        readonly statements: readonly SourcedStatement[]
      }
    | {
        /** The ARN of a boundary policy whose statements are not known. */
        readonly unknown: string
      }
  /** What could not be read about it (unknown policy templates and managed policies, what could not be resolved). */
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
  /** Each namespace's ARN (`arn:aws:servicediscovery:<region>:<account>:namespace/ns-…`), by its name. */
  readonly namespaceArns: Readonly<Record<string, string>>
  /** The Cloud Map services it creates. */
  readonly services: readonly TemplateService[]
  /** The instances it registers (in services of its own namespaces). */
  readonly instances: readonly TemplateInstance[]
  /** Its Lambda functions (`AWS::Serverless::Function`, `AWS::Lambda::Function`). */
  readonly functions: readonly TemplateFunction[]
  /**
   * The customer managed KMS key of each queue (`AWS::SQS::Queue`) and topic (`AWS::SNS::Topic`)
   * encrypted with one, by the queue's or topic's ARN: the key's ARN
   * (`arn:aws:kms:<region>:<account>:key/<id>`, an alias of the template given as its key's ARN),
   * or the `KmsMasterKeyId` as resolved when it names something else (an alias from elsewhere).
   * A queue or topic with no key, or an AWS managed one (`alias/aws/sqs`), is left out.
   */
  readonly keys: Readonly<Record<string, string>>
  /** The ARNs of the template's EXPRESS state machines (a handler may `run()` them: StartSyncExecution). */
  readonly express: readonly string[]
  /**
   * What the template holds that is not checked, one line each: a service whose namespace is not in
   * the template (`service <name> (<logicalId>): its namespace is not in this template; its instances are not checked`),
   * an instance of a service from elsewhere.
   */
  readonly notes: readonly string[]
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
const POLICY_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy'])
const STACK_TYPES = new Set(['AWS::CloudFormation::Stack', 'AWS::Serverless::Application'])
// The order Lambda's Node.js runtime tries (aws-lambda-nodejs-runtime-interface-client, UserFunction.js):
// the file as named, then .js, .mjs, .cjs, then .ts, .mts, .cts (Node.js 24 runtimes; sources tsx loads).
const MODULE_EXTENSIONS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']

/** The first of these files that exists, else `<folder>/<file><extension>` in the order Lambda tries them. */
function findModule(folder: string, file: string, first: readonly string[] = []): string | undefined {
  const candidates = [...first, ...MODULE_EXTENSIONS.map((extension) => join(folder, `${file}${extension}`))]
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile())
}

/**
 * A `Handler` as Lambda reads it: the module is its last path segment up to the segment's first
 * dot (`src/app.handler` → `src/app`), the export the rest.
 */
function splitHandler(handler: string): { readonly file: string; readonly exportName: string } {
  const cut = handler.indexOf('.', handler.lastIndexOf('/') + 1)
  return cut < 0 ? { file: handler, exportName: '' } : { file: handler.slice(0, cut), exportName: handler.slice(cut + 1) }
}

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

/**
 * The template's parameters: given values over defaults; a parameter with neither is a usage error.
 * A parameter of an SSM type (`AWS::SSM::Parameter::Value<String>`) holds the name of an SSM
 * parameter whose value only a deploy reads: its value is a placeholder.
 */
function parameterValues(template: Template, given: Parameters, path: string): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = Object.assign(record<string | string[]>(), pseudoParameters(given, path))
  const declared = (template.Parameters ?? {}) as Record<string, unknown>
  if (typeof declared !== 'object' || Array.isArray(declared)) throw new TemplateError('Parameters: not a map of parameters')
  for (const name of Object.keys(given)) {
    if (!name.startsWith('AWS::') && !Object.hasOwn(declared, name)) {
      throw new TemplateError(`--param ${name}: the template has no parameter ${name}`)
    }
  }
  for (const [name, declaration] of Object.entries(declared)) {
    if (declaration === null || typeof declaration !== 'object' || Array.isArray(declaration)) {
      throw new TemplateError(`parameter ${name}: its declaration is ${declaration === null ? 'empty' : 'not a map'} (it has no Type)`)
    }
    const { Type, Default } = declaration as { Type?: unknown; Default?: unknown }
    const value = own(given, name) ?? (Default === undefined || Default === null ? undefined : [Default].flat().map(String).join(','))
    if (value === undefined) throw new TemplateError(`parameter ${name} has no default: give --param ${name}=<value>`)
    allowed(name, declaration as Record<string, unknown>, value)
    const type = typeof Type === 'string' ? Type : 'String'
    // An SSM parameter's value is read at deploy time: known here only when given with --param.
    if (type.startsWith('AWS::SSM::Parameter::Value<') && own(given, name) === undefined) values[name] = `«${type} ${value}»`
    else values[name] = type === 'CommaDelimitedList' || type.startsWith('List<') ? (value === '' ? [] : value.split(',')) : value
  }
  return values
}

/** A parameter's `AllowedPattern`, matched in linear time: one it cannot evaluate is a usage error naming why. */
function allowedPattern(name: string, pattern: string): CompiledPattern {
  try {
    return compilePattern(pattern)
  } catch (error) {
    if (!(error instanceof PatternError)) throw error
    throw new TemplateError(`parameter ${name}: its AllowedPattern ${pattern} cannot be evaluated here: ${error.message}`)
  }
}

/** Refuses a value CloudFormation would refuse: not one of `AllowedValues`, not matching `AllowedPattern`, out of length or range. */
function allowed(name: string, declaration: Record<string, unknown>, value: string): void {
  const { AllowedValues, AllowedPattern, MinLength, MaxLength, MinValue, MaxValue, Type } = declaration
  const items = Type === 'CommaDelimitedList' || String(Type).startsWith('List<') ? value.split(',') : [value]
  for (const item of items) {
    if (Array.isArray(AllowedValues) && !AllowedValues.map(String).includes(item)) {
      throw new TemplateError(`parameter ${name}: "${item}" is not one of its AllowedValues (${AllowedValues.map(String).join(', ')})`)
    }
    if (typeof AllowedPattern === 'string' && !allowedPattern(name, AllowedPattern).matches(item)) {
      throw new TemplateError(`parameter ${name}: "${item}" does not match its AllowedPattern ${AllowedPattern}`)
    }
    if ((MinLength !== undefined && item.length < Number(MinLength)) || (MaxLength !== undefined && item.length > Number(MaxLength))) {
      throw new TemplateError(`parameter ${name}: "${item}" is not within its MinLength/MaxLength`)
    }
    if (
      Type === 'Number' &&
      ((MinValue !== undefined && Number(item) < Number(MinValue)) || (MaxValue !== undefined && Number(item) > Number(MaxValue)))
    ) {
      throw new TemplateError(`parameter ${name}: ${item} is not within its MinValue/MaxValue`)
    }
  }
}

/** The name CloudFormation generates for a resource that names none (its shape, not its random part). */
function generated(stack: string, logicalId: string, suffix = ''): string {
  return `${stack}-${logicalId}-GENERATED${suffix}`
}

/** A resolver's failure while reading one property: which property, and the error. */
class PropertyError extends Error {
  override readonly name = 'PropertyError'
  readonly property: string
  override readonly cause: unknown

  constructor(property: string, cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause))
    this.property = property
    this.cause = cause
  }
}

/** Everything the reading of a template shares. */
interface Reading {
  readonly template: Template
  readonly resolver: Resolver
  readonly pseudo: Pseudo
  /** `AWS::StackName`. */
  readonly stack: string
  /** The resources created with these parameters (their Condition holds), in template order. */
  readonly resources: readonly (readonly [string, Resource])[]
  /** The logical ids of {@link Reading.resources}. */
  readonly created: ReadonlySet<string>
  /** The roles SAM creates for its functions without `Role`: the function's logical id, by the role's (`<Function>Role`). */
  readonly implicitRoles: ReadonlyMap<string, string>
  /** What SAM connectors give each role of the template, by its logical id (filled once every resource is provided). */
  readonly connectors: Map<string, SourcedStatement[]>
}

/** Why a value could not be resolved, as a message says it (a reference to nothing said so). */
function reason(error: unknown, reading: Pick<Reading, 'template' | 'created' | 'resolver'>): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/^template: /, '')
  if (!(error instanceof UnknownReferenceError)) return message
  const { target, reference: shown } = error
  const resources = reading.template.Resources
  if (reading.resolver.provided.has(target)) return message
  if (Object.hasOwn(resources, target)) {
    if (reading.created.has(target)) return message
    return `${shown} names ${target}, which is not created (its Condition ${String(own(resources, target)?.Condition)} is false)`
  }
  const alias = /^(.+)\.(Alias|Version)$/.exec(target)
  if (alias && own(resources, alias[1] ?? '')?.Type === 'AWS::Serverless::Function') {
    return `${shown} names nothing in this template (${alias[1]} has no AutoPublishAlias)`
  }
  return `${shown} names nothing in this template`
}

/** `<logicalId> <property>`, as an error names where it is. */
const where = (logicalId: string, property: string | undefined) => (property === undefined ? logicalId : `${logicalId} ${property}`)

/** `AWS::NoValue` at the top of a value (a property left out) as `undefined`. */
const present = (value: unknown): unknown => (typeof value === 'symbol' ? undefined : value)

/**
 * Resolves a property of a resource; what cannot be resolved is a {@link TemplateError} naming the
 * resource and the property.
 */
function strictly(reading: Reading, value: unknown, logicalId: string, property: string): unknown {
  try {
    return present(reading.resolver.resolve(value))
  } catch (error) {
    throw new TemplateError(`${where(logicalId, property)}: ${reason(error, reading)}`)
  }
}

/**
 * Resolves what the model reads loosely (policies, environment): a value that cannot be resolved
 * (a resource SAM creates, an attribute not known here) gives why, for a note on the function.
 */
function loosely(reading: Reading, value: unknown): { readonly value: unknown } | { readonly error: string } {
  try {
    return { value: present(reading.resolver.resolve(value)) }
  } catch (error) {
    return { error: reason(error, reading) }
  }
}

/** A path of IAM (`/`, `/service/`): `/` when none, with its slashes. */
function iamPath(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '/'
  return `${value.startsWith('/') ? '' : '/'}${value}${value.endsWith('/') ? '' : '/'}`
}

/** The attributes of a resource that has any attribute asked of it (its own, as `Object.hasOwn` sees them). */
function anyAttribute(value: (key: string) => string): Record<string, string> {
  const descriptor = (key: string) => ({ value: value(key), enumerable: true, configurable: true, writable: false })
  return new Proxy(record<string>(), {
    get: (_, key) => (typeof key === 'string' ? value(key) : undefined),
    getOwnPropertyDescriptor: (_, key) => (typeof key === 'string' ? descriptor(key) : undefined),
  })
}

/** What `Ref` and `Fn::GetAtt` give for a resource, from its (resolved) naming properties. */
function provide(logicalId: string, resource: Resource, reading: Reading): Provided {
  const { resolver, pseudo, stack } = reading
  const props = (name: string): unknown => {
    try {
      return present(resolver.resolve(own(resource.Properties, name)))
    } catch (error) {
      throw new PropertyError(name, error)
    }
  }
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
      // SAM names it with Name, CloudFormation with StateMachineName.
      const name = text(resource.Type === 'AWS::Serverless::StateMachine' ? 'Name' : 'StateMachineName', generated(stack, logicalId))
      return { ref: arn('states', `stateMachine:${name}`), attributes: { Arn: arn('states', `stateMachine:${name}`), Name: name } }
    }
    case 'AWS::DynamoDB::Table': {
      const name = text('TableName', generated(stack, logicalId))
      return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/0`) } }
    }
    case 'AWS::IAM::Role': {
      const name = text('RoleName', generated(stack, logicalId))
      return {
        ref: name,
        attributes: { Arn: arn('iam', `role${iamPath(props('Path'))}${name}`, ''), RoleId: `AROA${logicalId.toUpperCase()}` },
      }
    }
    case 'AWS::IAM::ManagedPolicy': {
      const policyArn = arn('iam', `policy${iamPath(props('Path'))}${text('ManagedPolicyName', generated(stack, logicalId))}`, '')
      return { ref: policyArn, attributes: { PolicyArn: policyArn, PolicyId: `ANPA${logicalId.toUpperCase()}` } }
    }
    case 'AWS::KMS::Key': {
      const id = `key-${logicalId.toLowerCase()}`
      return { ref: id, attributes: { Arn: arn('kms', `key/${id}`), KeyId: id } }
    }
    case 'AWS::KMS::Alias':
      return { ref: text('AliasName', `alias/${logicalId}`), attributes: {} }
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
      if (STACK_TYPES.has(resource.Type)) {
        // A nested stack's outputs (`Outputs.QueueArn`) are known once it is deployed.
        const attributes = anyAttribute((key) => `«Fn::GetAtt ${logicalId}.${key}»`)
        return { ref: arn('cloudformation', `stack/${generated(stack, logicalId)}/00000000-0000-0000-0000-000000000000`), attributes }
      }
      // Anything else: placeholders that say where they come from (they only matter when compared).
      const attributes = anyAttribute((key) => `${logicalId}.${key}`)
      return { ref: logicalId, attributes }
    }
  }
}

/**
 * What SAM provides beside a function with `AutoPublishAlias`: `!Ref Fn.Alias`, the alias's ARN
 * (`…:function:<name>:<alias>`), and `!Ref Fn.Version`, a version's ARN (`…:function:<name>:1`).
 */
function samAliases(logicalId: string, resource: Resource, reading: Reading): [string, Provided][] {
  if (resource.Type !== 'AWS::Serverless::Function') return []
  let alias: unknown
  try {
    alias = present(reading.resolver.resolve(withGlobals(reading.template, resource).AutoPublishAlias))
  } catch (error) {
    throw new PropertyError('AutoPublishAlias', error)
  }
  const functionArn = reading.resolver.provided.get(logicalId)?.attributes.Arn
  if (typeof alias !== 'string' || alias === '' || functionArn === undefined) return []
  return [
    [`${logicalId}.Alias`, { ref: `${functionArn}:${alias}`, attributes: {} }],
    [`${logicalId}.Version`, { ref: `${functionArn}:1`, attributes: {} }],
  ]
}

/** Fills `resolver.provided` for every resource, each after the ones its names refer to. */
function provideAll(entries: readonly (readonly [string, Resource])[], reading: Reading): void {
  const { resolver } = reading
  let pending = entries
  while (pending.length > 0) {
    const waiting = new Set(pending.map(([logicalId]) => logicalId))
    // Another resource of the template, not provided yet: `Fn` for `Fn.Alias` as well.
    const waitsFor = (target: string) => waiting.has(target) || waiting.has(target.replace(/\.(Alias|Version)$/, ''))
    const left: (readonly [string, Resource])[] = []
    let first: { logicalId: string; property: string | undefined; cause: UnknownReferenceError } | undefined
    for (const entry of pending) {
      const [logicalId, resource] = entry
      try {
        resolver.provided.set(logicalId, provide(logicalId, resource, reading))
        for (const [id, provided] of samAliases(logicalId, resource, reading)) resolver.provided.set(id, provided)
        waiting.delete(logicalId)
      } catch (error) {
        const property = error instanceof PropertyError ? error.property : undefined
        const cause = error instanceof PropertyError ? error.cause : error
        if (!(cause instanceof UnknownReferenceError) || !waitsFor(cause.target)) {
          throw new TemplateError(`${where(logicalId, property)}: ${reason(cause, reading)}`)
        }
        first ??= { logicalId, property, cause }
        left.push(entry)
      }
    }
    if (first !== undefined && left.length === pending.length) {
      const cycle = left.map(([logicalId]) => logicalId).join(', ')
      throw new TemplateError(`${where(first.logicalId, first.property)}: ${first.cause.reference}: a reference cycle among ${cycle}`)
    }
    pending = left
  }
}

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

/** The statements a role gets, what could not be read about them, and its permissions boundary. */
interface Permissions {
  readonly statements: SourcedStatement[]
  readonly notes: string[]
  boundary?: TemplateFunction['boundary']
}

/** The template's managed policies (`AWS::IAM::ManagedPolicy`), by ARN: their logical ids. */
function managedPolicies(reading: Reading): Map<string, string> {
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
function rolePermissions(
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
function connectorGrants(reading: Reading): Map<string, SourcedStatement[]> {
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
function roleOf(arn: unknown, reading: Reading): string | undefined {
  for (const [logicalId, provided] of reading.resolver.provided) {
    const role =
      reading.implicitRoles.has(logicalId) ||
      (reading.created.has(logicalId) && own(reading.template.Resources, logicalId)?.Type === 'AWS::IAM::Role')
    // Lambda takes a role's ARN: a role given by its name (`!Ref Role`) would not deploy.
    if (role && provided.attributes.Arn === arn) return logicalId
  }
  return undefined
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

/** Finds a SAM function's handler module from `CodeUri`, `Handler` and the esbuild `EntryPoints`. */
function samHandler(directory: string, props: Record<string, unknown>, metadata: Record<string, unknown>): TemplateFunction['handler'] {
  const handler = props.Handler
  const codeUri = props.CodeUri
  if (typeof handler !== 'string' || !handler.includes('.')) return { missing: 'it has no Handler of the form file.export' }
  if (typeof codeUri !== 'string') return { missing: 'its CodeUri is not a local folder' }
  const { file, exportName } = splitHandler(handler)
  const base = resolvePath(directory, codeUri)
  const entryPoints = (metadata.BuildProperties as { EntryPoints?: unknown } | undefined)?.EntryPoints
  const entries = Array.isArray(entryPoints) ? entryPoints.filter((entry): entry is string => typeof entry === 'string') : []
  // esbuild builds each entry point to its base name: the entry whose name is the Handler's file.
  const fromEntry = entries.find(
    (entry) => entry.replace(/\.[cm]?[jt]s$/, '') === file || entry.replace(/\.[cm]?[jt]sx?$/, '').endsWith(`/${file}`),
  )
  const module = findModule(base, file, fromEntry ? [join(base, fromEntry)] : [])
  if (!module) {
    const entry =
      fromEntry !== undefined
        ? ` (its esbuild EntryPoints name ${fromEntry}, which is not a file)`
        : entries.length > 0
          ? ` (its esbuild EntryPoints, ${entries.join(', ')}, name none of ${file}.*)`
          : ''
    return { missing: `no module ${file}{${MODULE_EXTENSIONS.join(',')}} in ${codeUri}${entry}` }
  }
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
  const { file, exportName } = splitHandler(handler)
  const named = own(given, logicalId) ?? own(given, name)
  if (named !== undefined) {
    const [path = '', exported] = named.split('#')
    const module = resolvePath(path)
    if (!existsSync(module)) throw new TemplateError(`--handler ${logicalId}: no file ${path}`)
    return { module, exportName: exported ?? exportName }
  }
  const asset = metadata['aws:asset:path']
  if (typeof asset === 'string') {
    const folder = isAbsolute(asset) ? asset : join(directory, asset)
    const module = findModule(folder, file)
    if (module) return { module, exportName }
  }
  return { missing: `give its module: --handler ${logicalId}=<path to the handler module>` }
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
  const resolver = new Resolver(parameters, conditions, section('Mappings'))
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
    const handler =
      resource.Type === 'AWS::Serverless::Function' && !given
        ? samHandler(directory, resolved, metadata)
        : cdkHandler(directory, logicalId, name, resolved, metadata, options.handlers ?? {})
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
