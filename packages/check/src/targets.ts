// The resource a dependency's calls act on, as IAM names it, derived by the check from an
// instance's attributes as the template gives them: never taken from the module's process, which
// could name any resource (or none, and so skip the `call` check).
import type { Pseudo } from './sam-policies.js'

/** `arn:<partition>:<service>:<region>:<account>:<resource>`, in the template's region and account unless given. */
function toArn(pseudo: Pseudo, service: string, resource: string, account = pseudo.accountId): string {
  return `arn:${pseudo.partition}:${service}:${pseudo.region}:${account}:${resource}`
}

/** The ARN of a queue URL (`https://sqs.<region>.…/<account>/<name>`), when it is one. */
function queueArn(pseudo: Pseudo, text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  const [account, name, ...rest] = url.pathname.split('/').filter(Boolean)
  if (account === undefined || name === undefined || rest.length > 0) return undefined
  const region = url.hostname.match(/^sqs\.([a-z0-9-]+)\./)?.[1] ?? pseudo.region
  return `arn:${pseudo.partition}:sqs:${region}:${account}:${name}`
}

/**
 * The target of an instance of `kind` (`queue`, `lambda`, …: `Dependency.kind`): the ARN its
 * calls act on, from its `arn` (a Lambda function's name or partial ARN, a queue's `url`, an
 * event bus's `name` completed in the template's region and account), or `undefined` when its
 * attributes give none.
 *
 * @example
 * ```ts
 * targetOf('queue', { type: 'sqs', url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' }, pseudo)
 * // 'arn:aws:sqs:eu-west-1:123456789012:jobs'
 * ```
 */
export function targetOf(kind: string, attributes: Readonly<Record<string, string>>, pseudo: Pseudo): string | undefined {
  const given = (key: string) => (Object.hasOwn(attributes, key) && attributes[key] !== '' ? attributes[key] : undefined)
  const arn = given('arn')
  switch (kind) {
    case 'lambda': {
      if (arn === undefined || arn.startsWith('arn:')) return arn
      // A partial ARN (account:function:name[:qualifier]) or a function name, in the caller's region.
      const parts = arn.split(':')
      if (parts.length >= 3 && parts[1] === 'function') return toArn(pseudo, 'lambda', parts.slice(1).join(':'), parts[0])
      return toArn(pseudo, 'lambda', `function:${arn}`)
    }
    case 'queue': {
      if (arn !== undefined) return arn
      const url = given('url')
      return url === undefined ? undefined : queueArn(pseudo, url)
    }
    case 'stateMachine':
      // A version or alias is authorized on its state machine's ARN (with states:StateMachineQualifier).
      return arn?.split(':').slice(0, 7).join(':')
    case 'eventBus': {
      const name = given('name')
      return arn ?? (name === undefined ? undefined : toArn(pseudo, 'events', `event-bus/${name}`))
    }
    default:
      return arn
  }
}
