// The resource a dependency's calls act on, as IAM names it, derived by the check from an
// instance's attributes as the template gives them: never taken from the module's process, which
// could name any resource (or none, and so skip the `call` check). How each kind derives it is
// core's list of kinds to say, as for a bound value: a kind's value exposes the very attributes
// (`arn`, `url`, `name`) it was bound from.
import { boundTarget } from './bound-target.js'
import type { Pseudo } from './sam-policies.js'

/**
 * The target of an instance of `kind` (`queue`, `lambda`, …: `Dependency.kind`): the ARN its
 * calls act on, from its `arn` (a Lambda function's name or partial ARN, a queue's `url`, an
 * event bus's `name` completed in the template's region and account), or `undefined` when its
 * attributes give none. An empty attribute gives none.
 *
 * @example
 * ```ts
 * targetOf('queue', { type: 'sqs', url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' }, pseudo)
 * // 'arn:aws:sqs:eu-west-1:123456789012:jobs'
 * ```
 */
export function targetOf(kind: string, attributes: Readonly<Record<string, string>>, pseudo: Pseudo): string | undefined {
  const given = Object.fromEntries(Object.entries(attributes).filter(([, value]) => value !== ''))
  return boundTarget(kind, given, pseudo)
}
