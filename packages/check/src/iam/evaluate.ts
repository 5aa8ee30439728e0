// Evaluates IAM identity-policy statements the way AWS does for one principal: an explicit Deny
// wins, then any Allow, else an implicit deny. Pure data in, a decision out: nothing here calls AWS.
//
// Modelled: Action/NotAction, Resource/NotResource (wildcards), and Condition with the String*,
// Arn*, Bool, Null, Numeric*, Date*, IpAddress/NotIpAddress and BinaryEquals operators, their
// IfExists forms and the ForAnyValue/ForAllValues set prefixes. Policy variables (`${aws:username}`,
// `${aws:PrincipalTag/team, 'default'}`, `${*}`) in Resource/NotResource and condition values of a
// `2012-10-17` policy are replaced from the request's keys. The request carries the service keys
// it knows (`servicediscovery:NamespaceName`, ...) and the global `aws:` keys the caller knows
// (`aws:RequestedRegion`, `aws:PrincipalAccount`, `aws:PrincipalArn`, `aws:ResourceAccount`,
// `aws:SecureTransport`, `aws:CurrentTime`, `aws:EpochTime`). A key the request lacks is unknown (it
// could be anything at run time) when it is a global `aws:` key or a key of the action's own
// service (`events:source` for `events:PutEvents`, `kms:ViaService` for `kms:Decrypt`); a key of
// another service it lacks is absent, as AWS has it.
//
// Never a false pass: what this cannot decide (an unknown key, an operator or value it does not
// understand, a value known only at deploy time such as `«Fn::ImportValue DeniedQueueArn»`, a policy
// variable with no value yet) keeps an Allow from allowing, and makes a Deny refuse the request
// ("may be denied").
//
// Not modelled: resource policies, service control policies and session policies. A permission
// boundary is applied by the caller, by evaluating the boundary's statements on their own and
// requiring both decisions to allow.

import { own } from '../own.js'
import { conditionVerdict } from './conditions.js'
import { explain, undecidedDeny } from './messages.js'
import { elementMatch, listOf } from './patterns.js'
import type { AccessDecision, AccessRequest, Context, Env, Judged, PolicyStatement, SourcedStatement, Variables, Verdict } from './types.js'

/**
 * Decides whether statements allow a request, as AWS evaluates identity policies: a matching
 * explicit Deny wins, else the first matching Allow allows, else the request is implicitly denied.
 * When nothing allows, `reason` names the statement that came closest and what it lacked.
 *
 * A part that cannot be decided before a deploy (a key the request does not carry that could be
 * anything, an operator or value not understood, a pattern or value holding `«...»`, a policy
 * variable with no value yet) never lets a request through: such an Allow does not allow, and such a
 * Deny refuses the request with `may be denied by <source>: ...`, unless another Deny certainly
 * applies (`denied by <source>`). In a list of patterns, one that certainly matches decides.
 *
 * @example
 * ```ts
 * import { evaluateAccess } from './iam.js'
 *
 * const statements = [
 *   { source: 'policy WorkerRoleDefaultPolicy', statement: { Effect: 'Allow', Action: 'sqs:Send*', Resource: 'arn:aws:sqs:eu-west-1:123456789012:jobs' } },
 * ]
 * evaluateAccess(statements, { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:123456789012:jobs' })
 * // { allowed: true, source: 'policy WorkerRoleDefaultPolicy' }
 * evaluateAccess(statements, { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:eu-west-1:123456789012:other' })
 * // { allowed: false, denial: 'implicit', reason: 'no statement allows sqs:SendMessage on arn:aws:sqs:eu-west-1:123456789012:other;
 * //   policy WorkerRoleDefaultPolicy allows it on arn:aws:sqs:eu-west-1:123456789012:jobs only' }
 * ```
 */
export function evaluateAccess(statements: readonly SourcedStatement[], request: AccessRequest): AccessDecision {
  const resources = [...new Set(request.resources ?? (request.resource === undefined ? [] : [request.resource]))]
  if (resources.length === 0) return { allowed: false, denial: 'implicit', reason: `no resource given for ${request.action}` }
  const context = contextOf(request.context)
  const service = request.action.split(':')[0]?.toLowerCase() ?? ''
  const envs = statements.map((sourced): Env => ({ context, service, variables: variablesOf(sourced.version) }))
  const several = resources.length > 1
  const judgedBy = resources.map((resource) => ({
    resource,
    on: several ? ` on ${resource}` : '',
    judged: statements.map(
      (sourced, index): Judged => ({ sourced, verdict: judge(sourced.statement, request.action, resource, envs[index] as Env) }),
    ),
  }))
  const denies = judgedBy.flatMap(({ on, judged }) =>
    judged.filter(({ sourced }) => sourced.statement.Effect === 'Deny').map((deny) => ({ on, ...deny })),
  )
  const deny = denies.find(({ verdict }) => verdict.kind === 'match')
  if (deny) return { allowed: false, denial: 'explicit', reason: `denied by ${deny.sourced.source}${deny.on}` }
  for (const { on, sourced, verdict } of denies) {
    if (verdict.kind === 'undecided')
      return { allowed: false, denial: 'undecided', reason: `may be denied by ${sourced.source}${on}: ${undecidedDeny(verdict.part)}` }
  }
  const sources: string[] = []
  for (const { resource, judged } of judgedBy) {
    const allows = judged.filter(({ sourced }) => sourced.statement.Effect === 'Allow')
    const allow = allows.find(({ verdict }) => verdict.kind === 'match')
    if (allow === undefined)
      return { allowed: false, denial: 'implicit', reason: explain(request.action, own(request.names, resource) ?? resource, allows) }
    sources.push(allow.sourced.source)
  }
  return { allowed: true, source: [...new Set(sources)].join(', ') }
}

/**
 * How a statement relates to a request on one resource, whatever its effect (an effect other than
 * Allow or Deny counts as neither). A part that certainly fails decides; else a part that cannot be
 * decided makes the statement undecided. When the action is undecided and another part fails, the
 * verdict is `action` (no closest miss is claimed for it); when the resource is, `resource`.
 */
function judge(statement: PolicyStatement, action: string, resource: string, env: Env): Verdict {
  const actionMatch = elementMatch(statement.Action, statement.NotAction, ['Action', 'NotAction'], action, env)
  if (actionMatch === false) return { kind: 'action' }
  const resourceMatch = elementMatch(statement.Resource, statement.NotResource, ['Resource', 'NotResource'], resource, env)
  if (resourceMatch === false) return actionMatch === true ? { kind: 'resource' } : { kind: 'action' }
  const condition = conditionVerdict(statement.Condition, env)
  if (condition.kind === 'condition') {
    if (actionMatch !== true) return { kind: 'action' }
    return resourceMatch === true ? condition : { kind: 'resource' }
  }
  if (actionMatch !== true) return { kind: 'undecided', part: actionMatch }
  if (resourceMatch !== true) return { kind: 'undecided', part: resourceMatch }
  return condition
}

function variablesOf(version: string | null | undefined): Variables {
  if (version === undefined) return 'maybe'
  return version === '2012-10-17' ? 'yes' : 'no'
}

function contextOf(context: AccessRequest['context']): Context {
  const values = new Map<string, readonly string[]>()
  const given = new Set<string>()
  for (const [key, value] of Object.entries(context ?? {})) {
    if (value === undefined) continue
    given.add(key.toLowerCase())
    const list = listOf(value)
    if (list.length > 0) values.set(key.toLowerCase(), list)
  }
  return { values, given }
}
