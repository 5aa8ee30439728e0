import type { ArnParts } from '../address/arn.js'
import { AttributeValidationError, DisallowedTargetError } from '../errors.js'
import { redactUrl } from '../redact.js'
import type { TargetPolicy } from '../types/policy.js'
import { checkAccountAndRegion, type TargetSource } from './policy.js'

/** A queue located from its registered `url` and `arn`, every part checked. */
export interface QueueTarget {
  readonly url: string
  readonly arn: string | undefined
  /** Known from the ARN or from an AWS queue URL; `undefined` for a URL of a custom endpoint alone. */
  readonly region: string | undefined
  readonly account: string
  readonly name: string
}

// SQS's rules: letters, digits, "-" and "_", at most 80 characters, ".fifo" included.
const QUEUE_NAME = /^(?:[A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$/
const QUEUE_PATH = /^\/(\d{12})\/([^/]+)$/
const AWS_SQS_HOST = /^sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(\.cn)?$/

const RULE = 'sqs url'

/** The region of an AWS queue URL (`https://sqs.<region>.amazonaws.com/...`), read before it is checked, to pick a client. */
export function regionOfQueueUrl(url: string | undefined): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined
  return AWS_SQS_HOST.exec(new URL(url).hostname)?.[1]
}

/** The path exactly as written after the authority, before the URL parser normalised it (`..`, `%2e`, `\`). */
function rawPath(text: string): string {
  const authority = text.indexOf('//')
  const slash = text.indexOf('/', authority === -1 ? 0 : authority + 2)
  return slash === -1 ? '' : text.slice(slash)
}

/**
 * Where a registered queue is: its URL (given, or derived from the ARN) checked so that a
 * request can only reach the queue the registry names, inside the policy.
 *
 * - The ARN's resource must be a queue name (no `../999999999999/x`).
 * - A URL must be `https://sqs.<region>.amazonaws.com/<account>/<name>` (`.com.cn` in China)
 *   or a URL of `customOrigin`, the SQS endpoint the clients are configured with (a local
 *   emulator), with no userinfo, query, fragment or path segments to normalise: the SQS
 *   client sends a request to its QueueUrl's host.
 * - With both, they must name the same account, queue and region.
 * - The account and region go through `allowedAccounts` / `allowedRegions`.
 *
 * @throws {AttributeValidationError} for a missing or malformed `url` or `arn`.
 * @throws {DisallowedTargetError} for a URL on another host or naming another queue, or a target outside the policy.
 */
export function locateQueue(
  source: TargetSource,
  given: { readonly url: string | undefined; readonly arn: (ArnParts & { readonly arn: string }) | undefined },
  policy: TargetPolicy,
  customOrigin: string | undefined,
): QueueTarget {
  const { arn, url } = given
  const invalid = (path: string, message: string) =>
    new AttributeValidationError(source.label, source.instanceId, [{ path: [path], message }])
  if (arn && !QUEUE_NAME.test(arn.resource)) throw invalid('arn', `"${arn.arn}" does not end in a queue name`)
  if (url === undefined) {
    if (!arn) throw invalid('url', 'required for an sqs target (or an "arn" to derive it from)')
    const domain = arn.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'
    return {
      url: `https://sqs.${arn.region}.${domain}/${arn.account}/${arn.resource}`,
      arn: arn.arn,
      region: arn.region,
      account: arn.account,
      name: arn.resource,
    }
  }

  const shown = redactUrl(url)
  const refuse = (reason: string) => new DisallowedTargetError(source.label, source.instanceId, shown, RULE, reason)
  if (!URL.canParse(url)) throw invalid('url', `"${shown}" is not a URL`)
  const parsed = new URL(url)
  if (parsed.username !== '' || parsed.password !== '') throw refuse('a queue URL carries no userinfo')
  if (parsed.search !== '' || parsed.hash !== '' || url.includes('?') || url.includes('#'))
    throw refuse('a queue URL has no query or fragment')
  const path = QUEUE_PATH.exec(parsed.pathname)
  if (!path || rawPath(url) !== parsed.pathname || !QUEUE_NAME.test(path[2] ?? '')) {
    throw refuse('the path of a queue URL is /<12-digit account>/<queue name>, with nothing to normalise')
  }
  const [, account = '', name = ''] = path
  const aws = AWS_SQS_HOST.exec(parsed.hostname)
  let region: string | undefined
  if (aws && parsed.protocol === 'https:' && parsed.port === '') region = aws[1]
  else if (customOrigin === undefined || parsed.origin !== customOrigin) {
    throw refuse(
      `${parsed.origin} is neither the SQS endpoint of a region (https://sqs.<region>.amazonaws.com) nor the configured SQS endpoint${customOrigin === undefined ? '' : ` (${customOrigin})`}`,
    )
  }
  if (arn) {
    if (arn.account !== account || arn.resource !== name || (region !== undefined && region !== arn.region)) {
      throw refuse(
        `the url names queue ${account}/${name}${region ? ` in ${region}` : ''}, the arn ${arn.account}/${arn.resource} in ${arn.region}`,
      )
    }
    return { url, arn: arn.arn, region: arn.region, account, name }
  }
  checkAccountAndRegion(source, shown, { account, region }, policy)
  return { url, arn: undefined, region, account, name }
}
