import { DisallowedTargetError } from '../errors.js'
import { redactUrl } from '../redact.js'
import type { TargetPolicy, TargetPolicyOptions } from '../types/policy.js'
import { alwaysRefused, compileHostRules, hostAllowed } from './hosts.js'

const ACCOUNT = /^\d{12}$/
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/

function stringList(name: string, list: readonly string[], valid: RegExp, what: string): ReadonlySet<string> {
  if (!Array.isArray(list)) throw new TypeError(`${name} must be an array of ${what}s`)
  for (const entry of list) {
    if (typeof entry !== 'string' || !valid.test(entry)) throw new TypeError(`${name}: ${JSON.stringify(entry)} is not ${what}`)
  }
  return new Set(list)
}

/**
 * Checks and compiles the allowlists once, when the resolver is created, so a typo in
 * a CIDR block fails at module load rather than refusing every target later.
 *
 * @throws {TypeError} naming the option and the entry that is not valid.
 * @example
 * ```ts
 * const policy = createTargetPolicy({ allowedAccounts: ['123456789012'], allowedHosts: ['*.internal.example.com', '10.0.0.0/8'] })
 * ```
 */
export function createTargetPolicy(options: TargetPolicyOptions): TargetPolicy {
  const { allowedAccounts, allowedRegions, allowedHosts } = options
  return Object.freeze({
    ...(allowedAccounts === undefined
      ? {}
      : { allowedAccounts: stringList('allowedAccounts', allowedAccounts, ACCOUNT, 'a 12-digit account id') }),
    ...(allowedRegions === undefined ? {} : { allowedRegions: stringList('allowedRegions', allowedRegions, REGION, 'a region') }),
    ...(allowedHosts === undefined ? {} : { allowedHosts: compileHostRules(allowedHosts) }),
  })
}

/** The instance a target came from, for errors. */
export interface TargetSource {
  readonly label: string
  readonly instanceId: string
}

/**
 * Refuses a target outside `allowedAccounts` / `allowedRegions`, before any call.
 *
 * @throws {DisallowedTargetError} naming the rule.
 */
export function checkAccountAndRegion(
  source: TargetSource,
  target: string,
  where: { readonly account?: string | undefined; readonly region?: string | undefined },
  policy: TargetPolicy,
): void {
  const { allowedAccounts, allowedRegions } = policy
  if (allowedAccounts && (where.account === undefined || !allowedAccounts.has(where.account))) {
    throw new DisallowedTargetError(
      source.label,
      source.instanceId,
      target,
      'allowedAccounts',
      `account ${where.account ?? '(unknown)'} is not in allowedAccounts`,
    )
  }
  if (allowedRegions && (where.region === undefined || !allowedRegions.has(where.region))) {
    throw new DisallowedTargetError(
      source.label,
      source.instanceId,
      target,
      'allowedRegions',
      `region ${where.region ?? '(unknown)'} is not in allowedRegions`,
    )
  }
}

/**
 * The region of a target registered without one (a Lambda function name or partial ARN, an
 * event bus name): the caller's (env `AWS_REGION`, then `AWS_DEFAULT_REGION`; empty when
 * unset), checked against `allowedRegions`. `account` is a partial ARN's, checked against
 * `allowedAccounts`; without one the target can only be in the caller's own account, so
 * `allowedAccounts` lets it pass.
 *
 * @throws {DisallowedTargetError} naming the rule.
 */
export function checkInCallersRegion(source: TargetSource, target: string, account: string | undefined, policy: TargetPolicy): string {
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || ''
  const { allowedRegions } = policy
  checkAccountAndRegion(
    source,
    target,
    { account, region: region || undefined },
    account !== undefined ? policy : allowedRegions ? { allowedRegions } : {},
  )
  return region
}

/** Why a URL's host is refused, by which rule, or `undefined`. */
export interface HostRefusal {
  readonly rule: 'always refused' | 'allowedHosts'
  readonly reason: string
}

/**
 * Why an HTTP target's host is refused: always refused (link-local, instance metadata, the
 * Lambda Runtime API), or not in `allowedHosts`; `undefined` when it is allowed.
 */
export function hostRefusal(url: URL, policy: TargetPolicy): HostRefusal | undefined {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80')
  const refused = alwaysRefused(url.hostname, port, process.env.AWS_LAMBDA_RUNTIME_API)
  if (refused) return { rule: 'always refused', reason: refused }
  const rules = policy.allowedHosts
  if (rules && !hostAllowed(rules, url.hostname)) {
    return { rule: 'allowedHosts', reason: `host ${url.hostname} is not in allowedHosts (${rules.source.join(', ')})` }
  }
  return undefined
}

/**
 * Refuses an HTTP target whose host is always refused (link-local, instance metadata,
 * the Lambda Runtime API) or is not in `allowedHosts`, before any call.
 *
 * @throws {DisallowedTargetError} naming the rule.
 */
export function checkHost(source: TargetSource, url: URL, policy: TargetPolicy): void {
  const refusal = hostRefusal(url, policy)
  if (refusal) throw new DisallowedTargetError(source.label, source.instanceId, redactUrl(url.href), refusal.rule, refusal.reason)
}
