// What the check's process and the process a handler module is loaded in say to each other, one
// JSON object a line on a pipe of their own, and the strict reading of everything the child says:
// it runs code the check does not trust, so each message is checked for shape, sizes and counts.
import type { HealthStatusFilter, RegisteredInstance } from '@cloudmap-middy/core'
import type { Pseudo } from './sam-policies.js'

/** At most this many bytes come from the child in all: more ends it. */
export const MAX_CHILD_BYTES = 8 * 1024 * 1024
/** At most this many dependencies one module may declare. */
export const MAX_DEPENDENCIES = 1000
/** At most this many characters in a text the child reports (an error, a label). */
const MAX_TEXT = 4096
/** At most this many query parameters a dependency may declare (Cloud Map's own limit is 30 custom attributes). */
const MAX_PARAMETERS = 64

/** One instance bound to a dependency as the resolver would bind it. */
export type Binding = {
  /** The instance's id. */
  readonly instanceId: string
} & (
  | {
      /** It binds (as the module's process says: the check judges the target and type from the template). */
      readonly ok: true
      /** The ARN its calls act on, as the module's process gave it: the check does not read it. */
      readonly target?: string
    }
  | {
      /** It does not bind. */
      readonly ok: false
      /** The error the kind threw: its name and message. */
      readonly error: string
      /** The error's class name (`InstanceTypeMismatchError`, `AttributeValidationError`, ...). */
      readonly errorName: string
      /** For a `DisallowedTargetError`, the rule that refused the target (`allowedAccounts`, ...). */
      readonly rule?: string
    }
)

/** A dependency as the handler module declared it. */
export interface DeclaredDependency {
  /** Its name in the services given to the middleware (`context.services.<name>`). */
  readonly name?: string
  /** `cloudMap()`, or `module scope` for a dependency declared but given to no middleware. */
  readonly by: string
  /** `Dependency.kind`: `lambda`, `queue`, ... */
  readonly kind: string
  /** The address's namespace. */
  readonly namespace: string
  /** The address's service. */
  readonly service: string
  /** The address's instance, when it names one. */
  readonly instance?: string
  /** The owner of a namespace shared with the caller's account. */
  readonly account?: string
  /** Declared with `optional()`. */
  readonly optional: boolean
  /** At most this many instances are asked for (`maxResults`), when it says. */
  readonly maxResults?: number
  /** The attributes its instances must have (`queryParameters`), when it asks for some. */
  readonly queryParameters?: Readonly<Record<string, string>>
  /** The health filter its resolution asks for. */
  readonly healthStatus: HealthStatusFilter
  /** How its resolver revalidates (`revision` also calls DiscoverInstancesRevision). */
  readonly revalidate: 'full' | 'revision'
}

/** The instances to bind for one dependency: the template's, and Cloud Map's with `--live`. */
export interface BindSet {
  /** The template's instances at its address. */
  readonly template: readonly RegisteredInstance[]
  /** Cloud Map's, with `--live` (and when it answered). */
  readonly live?: readonly RegisteredInstance[]
}

/** A message from the check to the child. */
export interface BindRequest {
  /** Bind these instances. */
  readonly type: 'bind'
  /** The partition, region and account ARNs are built in. */
  readonly pseudo: Pseudo
  /** The SQS endpoint origin the check's own environment configures (`AWS_ENDPOINT_URL`): Cloud Map's queue URLs may be on it. */
  readonly liveSqsEndpoint?: string
  /** One per declared dependency, in its order. */
  readonly sets: readonly BindSet[]
}

/** A message from the child to the check. */
export type ChildMessage =
  | {
      /** The module loaded: what it declared. */
      readonly type: 'declared'
      /** Is the handler's export a function? */
      readonly exported: boolean
      /** Its dependencies, in declaration order. */
      readonly dependencies: readonly DeclaredDependency[]
    }
  | {
      /** The module failed to load. */
      readonly type: 'failed'
      /** Its error: name and message. */
      readonly error: string
    }
  | {
      /** How each instance of a {@link BindRequest} bound, in its order. */
      readonly type: 'bound'
      /** One per set. */
      readonly sets: readonly { readonly template: readonly Binding[]; readonly live?: readonly Binding[] }[]
    }

/** A child message that is not what the protocol allows. */
export class ProtocolError extends Error {
  /** `ProtocolError`. */
  override readonly name = 'ProtocolError'
}

type Json = Record<string, unknown>

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The object's own keys are among `allowed`. */
function keys(value: Json, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value))
    if (!allowed.includes(key)) throw new ProtocolError(`${where}: unexpected field "${key.slice(0, 40)}"`)
}

function text(value: unknown, where: string, max = MAX_TEXT): string {
  if (typeof value !== 'string' || value.length > max) throw new ProtocolError(`${where}: expected a text of at most ${max} characters`)
  return value
}

function optionalText(value: unknown, where: string, max = MAX_TEXT): string | undefined {
  return value === undefined ? undefined : text(value, where, max)
}

function list(value: unknown, where: string, max: number): unknown[] {
  if (!Array.isArray(value) || value.length > max) throw new ProtocolError(`${where}: expected a list of at most ${max} entries`)
  return value
}

const HEALTH = ['HEALTHY', 'UNHEALTHY', 'ALL', 'HEALTHY_OR_ELSE_ALL']

/** A declared dependency, checked. */
function declared(value: unknown, where: string): DeclaredDependency {
  if (!isObject(value)) throw new ProtocolError(`${where}: expected an object`)
  keys(
    value,
    [
      'name',
      'by',
      'kind',
      'namespace',
      'service',
      'instance',
      'account',
      'optional',
      'maxResults',
      'queryParameters',
      'healthStatus',
      'revalidate',
    ],
    where,
  )
  const name = optionalText(value.name, `${where}.name`, 256)
  const instance = optionalText(value.instance, `${where}.instance`, 64)
  const account = optionalText(value.account, `${where}.account`, 12)
  if (account !== undefined && !/^\d{12}$/.test(account)) throw new ProtocolError(`${where}.account: expected an account id`)
  if (typeof value.optional !== 'boolean') throw new ProtocolError(`${where}.optional: expected true or false`)
  const maxResults = value.maxResults
  if (maxResults !== undefined && !(Number.isInteger(maxResults) && (maxResults as number) > 0 && (maxResults as number) <= 1000)) {
    throw new ProtocolError(`${where}.maxResults: expected a whole number from 1 to 1000`)
  }
  let queryParameters: Record<string, string> | undefined
  if (value.queryParameters !== undefined) {
    if (!isObject(value.queryParameters)) throw new ProtocolError(`${where}.queryParameters: expected an object`)
    const entries = Object.entries(value.queryParameters)
    if (entries.length > MAX_PARAMETERS) throw new ProtocolError(`${where}.queryParameters: more than ${MAX_PARAMETERS}`)
    queryParameters = Object.fromEntries(
      entries.map(([key, v]) => [text(key, `${where}.queryParameters`, 255), text(v, `${where}.queryParameters.${key}`, 1024)]),
    )
  }
  if (!HEALTH.includes(value.healthStatus as string)) throw new ProtocolError(`${where}.healthStatus: expected one of ${HEALTH.join(', ')}`)
  if (value.revalidate !== 'full' && value.revalidate !== 'revision')
    throw new ProtocolError(`${where}.revalidate: expected full or revision`)
  const kind = text(value.kind, `${where}.kind`, 32)
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(kind)) throw new ProtocolError(`${where}.kind: expected a kind name`)
  return {
    ...(name === undefined ? {} : { name }),
    by: text(value.by, `${where}.by`, 256),
    kind,
    namespace: text(value.namespace, `${where}.namespace`, 1024),
    service: text(value.service, `${where}.service`, 127),
    ...(instance === undefined ? {} : { instance }),
    ...(account === undefined ? {} : { account }),
    optional: value.optional,
    ...(maxResults === undefined ? {} : { maxResults: maxResults as number }),
    ...(queryParameters === undefined ? {} : { queryParameters }),
    healthStatus: value.healthStatus as HealthStatusFilter,
    revalidate: value.revalidate,
  }
}

/** The bindings of `instances`, checked: one per instance, in its order, naming it. */
function bindings(value: unknown, instances: readonly RegisteredInstance[], where: string): Binding[] {
  const entries = list(value, where, instances.length)
  if (entries.length !== instances.length) throw new ProtocolError(`${where}: expected ${instances.length} bindings, got ${entries.length}`)
  return entries.map((entry, index): Binding => {
    const at = `${where}[${index}]`
    if (!isObject(entry)) throw new ProtocolError(`${at}: expected an object`)
    const instanceId = instances[index]?.instanceId
    if (instanceId === undefined || entry.instanceId !== instanceId) throw new ProtocolError(`${at}: expected instance ${instanceId}`)
    if (entry.ok === true) {
      keys(entry, ['instanceId', 'ok', 'target'], at)
      optionalText(entry.target, `${at}.target`, 2048)
      // The target is the check's to derive (from the instance's attributes, which it sent): not kept.
      return { instanceId, ok: true }
    }
    if (entry.ok !== false) throw new ProtocolError(`${at}.ok: expected true or false`)
    keys(entry, ['instanceId', 'ok', 'error', 'errorName', 'rule'], at)
    const rule = optionalText(entry.rule, `${at}.rule`, 64)
    return {
      instanceId,
      ok: false,
      error: text(entry.error, `${at}.error`),
      errorName: text(entry.errorName, `${at}.errorName`, 128),
      ...(rule === undefined ? {} : { rule }),
    }
  })
}

/** A `declared` or `failed` message, checked. */
export function readDeclared(
  message: unknown,
): { readonly exported: boolean; readonly dependencies: readonly DeclaredDependency[] } | { readonly error: string } {
  if (!isObject(message)) throw new ProtocolError('expected an object')
  if (message.type === 'failed') {
    keys(message, ['type', 'error'], 'failed')
    return { error: text(message.error, 'failed.error') }
  }
  if (message.type !== 'declared')
    throw new ProtocolError(`expected a "declared" or "failed" message, got ${JSON.stringify(message.type)?.slice(0, 40)}`)
  keys(message, ['type', 'exported', 'dependencies'], 'declared')
  if (typeof message.exported !== 'boolean') throw new ProtocolError('declared.exported: expected true or false')
  const dependencies = list(message.dependencies, 'declared.dependencies', MAX_DEPENDENCIES).map((d, i) =>
    declared(d, `declared.dependencies[${i}]`),
  )
  return { exported: message.exported, dependencies }
}

/** A `bound` message answering `request`, checked. */
export function readBound(message: unknown, request: BindRequest): { template: Binding[]; live?: Binding[] }[] {
  if (!isObject(message) || message.type !== 'bound') throw new ProtocolError('expected a "bound" message')
  keys(message, ['type', 'sets'], 'bound')
  const sets = list(message.sets, 'bound.sets', request.sets.length)
  if (sets.length !== request.sets.length) throw new ProtocolError(`bound.sets: expected ${request.sets.length}, got ${sets.length}`)
  return request.sets.map((asked, index) => {
    const set = sets[index]
    const where = `bound.sets[${index}]`
    if (!isObject(set)) throw new ProtocolError(`${where}: expected an object`)
    keys(set, asked.live === undefined ? ['template'] : ['template', 'live'], where)
    return {
      template: bindings(set.template, asked.template, `${where}.template`),
      ...(asked.live === undefined ? {} : { live: bindings(set.live, asked.live, `${where}.live`) }),
    }
  })
}
