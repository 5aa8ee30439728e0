// What `Ref` and `Fn::GetAtt` give for each resource: the names and ARNs CloudFormation would
// give them in the chosen account and region.
import { own, record } from '../own.js'
import type { Provided, Resource } from '../template.js'
import { UnknownReferenceError } from '../template.js'
import { generated, NAMESPACE_TYPES, PropertyError, present, type Reading, reason, STACK_TYPES, where, withGlobals } from './reading.js'
import { TemplateError } from './types.js'

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
export function provideAll(entries: readonly (readonly [string, Resource])[], reading: Reading): void {
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
