import { InvalidAddressError } from '../errors.js'
import type { Address, AddressInput } from '../types/address.js'

const SEPARATOR = '->'
// Cloud Map's own rules (API reference of DiscoverInstances and CreateService).
const NAMESPACE = /^[!-~]{1,1024}$/
const SERVICE_LABEL = /^(?:[a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])$/
const INSTANCE_ID = /^[0-9a-zA-Z_/:.@-]{1,64}$/
const ACCOUNT = /^\d{12}$/
const MAX_SERVICE_LENGTH = 127

function serviceProblem(service: string): string | undefined {
  if (service.length === 0) return 'the service name is empty'
  if (service.length > MAX_SERVICE_LENGTH) return `the service name is longer than ${MAX_SERVICE_LENGTH} characters`
  for (const label of service.split('.')) {
    if (!SERVICE_LABEL.test(label)) {
      return `the service name "${service}" may hold only letters, digits, "_" and "-" (not at either end), in dot-separated labels of at most 63 characters`
    }
  }
  return undefined
}

function namespaceProblem(namespace: string): string | undefined {
  if (namespace.length === 0) return 'the namespace is empty'
  if (!NAMESPACE.test(namespace))
    return `the namespace "${namespace}" may hold only printable ASCII characters without spaces, at most 1024`
  if (namespace.startsWith('.') || namespace.endsWith('.')) return `the namespace "${namespace}" starts or ends with a dot`
  return undefined
}

function instanceProblem(instance: string): string | undefined {
  if (instance.length === 0) return 'the instance id after "->" is empty'
  if (!INSTANCE_ID.test(instance)) return `the instance id "${instance}" may hold only letters, digits and _ / : . @ -, at most 64`
  return undefined
}

/** A value as it appears in an error: strings quoted, objects and arrays as JSON (a value of any kind). */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** What an address object of any shape looks like in an error: its four fields, whatever their types. */
function showFields(fields: Readonly<Record<string, unknown>>): string {
  const parts = (['namespace', 'service', 'instance', 'account'] as const)
    .filter((name) => fields[name] !== undefined)
    .map((name) => `${name}: ${show(fields[name])}`)
  return `{ ${parts.join(', ')} }`
}

/** The first field of an address object that is not of its type (namespace and service required, instance and account optional). */
function typeProblem(fields: Readonly<Record<string, unknown>>): string | undefined {
  for (const name of ['namespace', 'service'] as const) {
    const value = fields[name]
    if (value === undefined) return `"${name}" is missing`
    if (typeof value !== 'string') return `"${name}" must be a string, not ${show(value)}`
  }
  for (const name of ['instance', 'account'] as const) {
    const value = fields[name]
    if (value !== undefined && typeof value !== 'string') return `"${name}" must be a string when given, not ${show(value)}`
  }
  return undefined
}

/** The object form of an address whose fields are checked for their types, or an `InvalidAddressError`. */
function fromObject(input: unknown): Address {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidAddressError(
      show(input),
      'an address must be a "<namespace>.<service>" string or a { namespace, service, instance?, account? } object',
    )
  }
  const { namespace, service, instance, account } = input as Readonly<Record<string, unknown>>
  const fields = {
    namespace,
    service,
    ...(instance === undefined ? {} : { instance }),
    ...(account === undefined ? {} : { account }),
  }
  const problem = typeProblem(fields)
  if (problem) throw new InvalidAddressError(showFields(fields), problem)
  return fields as Address
}

function check(label: string, address: Address): Address {
  const problem =
    namespaceProblem(address.namespace) ??
    serviceProblem(address.service) ??
    (address.instance === undefined ? undefined : instanceProblem(address.instance)) ??
    (address.account === undefined || ACCOUNT.test(address.account)
      ? undefined
      : `the account "${address.account}" is not a 12-digit AWS account id`)
  if (problem) throw new InvalidAddressError(label, problem)
  return address
}

/**
 * Parses `<namespace>.<service>` or `<namespace>.<service>-><instanceId>`.
 *
 * The namespace may contain dots: the service is the segment after the last dot
 * before `->`. Service names with dots need the object form.
 *
 * @throws {InvalidAddressError} naming the text and what is wrong with it.
 * @example
 * ```ts
 * parseAddress('example.com.orders->v2')
 * // { namespace: 'example.com', service: 'orders', instance: 'v2' }
 * ```
 */
export function parseAddress(text: string): Address {
  if (typeof text !== 'string') throw new InvalidAddressError(show(text), 'an address text must be a string')
  const arrow = text.lastIndexOf(SEPARATOR)
  const head = arrow === -1 ? text : text.slice(0, arrow)
  const instance = arrow === -1 ? undefined : text.slice(arrow + SEPARATOR.length)
  if (head.includes(SEPARATOR)) throw new InvalidAddressError(text, 'it contains "->" more than once')
  const dot = head.lastIndexOf('.')
  if (dot === -1) throw new InvalidAddressError(text, 'expected "<namespace>.<service>" (no dot between namespace and service)')
  const namespace = head.slice(0, dot)
  const service = head.slice(dot + 1)
  return check(text, instance === undefined ? { namespace, service } : { namespace, service, instance })
}

/**
 * Writes an address as text; the inverse of {@link parseAddress}.
 *
 * @throws {InvalidAddressError} when the address is invalid or has no text form
 * (a service name with dots, a namespace containing `->`, an owner account).
 * @example
 * ```ts
 * formatAddress({ namespace: 'prod', service: 'scheduler', instance: 'get-job' }) // 'prod.scheduler->get-job'
 * ```
 */
export function formatAddress(address: Address): string {
  const text = describeAddress(fromObject(address))
  check(text, address)
  if (address.service.includes('.')) throw new InvalidAddressError(text, 'a service name with dots has no text form; use the object form')
  if (address.namespace.includes(SEPARATOR))
    throw new InvalidAddressError(text, 'a namespace containing "->" has no text form; use the object form')
  if (address.account !== undefined) throw new InvalidAddressError(text, 'an owner account has no text form; use the object form')
  return text
}

/**
 * A readable label for any address, used in errors and logs (never parsed back): the
 * text form when it has one, the owner account in parentheses.
 *
 * @example
 * ```ts
 * describeAddress({ namespace: 'shared', service: 'billing', account: '123456789012' })
 * // 'shared.billing (account 123456789012)'
 * ```
 */
export function describeAddress(address: Address): string {
  const base = `${address.namespace}.${address.service}`
  const pinned = address.instance === undefined ? base : `${base}${SEPARATOR}${address.instance}`
  return address.account === undefined ? pinned : `${pinned} (account ${address.account})`
}

/**
 * Accepts an address as text or object, checks it and returns the object form (only
 * its four fields, absent ones left out).
 *
 * @throws {InvalidAddressError} naming the address and what is wrong: a text of the wrong
 * shape, a value that is neither text nor an object, a field of the wrong type (`instance`
 * and `account` are strings when given: `null` or a number is refused), or a value
 * Cloud Map does not allow.
 * @example
 * ```ts
 * toAddress({ namespace: 'shared', service: 'billing.v2', account: '123456789012' })
 * ```
 */
export function toAddress(input: AddressInput): Address {
  if (typeof input === 'string') return parseAddress(input)
  const address = fromObject(input)
  return check(describeAddress(address), address)
}
