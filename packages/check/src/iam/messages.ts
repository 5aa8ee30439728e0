// Why a request is not allowed, in words: the Deny that may apply, the Allow that came closest.
import { listOf } from './patterns.js'
import type { Judged, Undecided } from './types.js'

// ---------------------------------------------------------------------------------------------
// Messages

export function explain(action: string, resource: string, allows: readonly Judged[]): string {
  const parts = [`no statement allows ${action} on ${resource}`]
  const undecided = new Set<string>()
  for (const { sourced, verdict } of allows) {
    if (verdict.kind === 'undecided') undecided.add(undecidedAllow(sourced.source, verdict.part))
  }
  parts.push(...undecided)
  const miss = allows.find(({ verdict }) => verdict.kind === 'condition') ?? allows.find(({ verdict }) => verdict.kind === 'resource')
  if (miss !== undefined) parts.push(closestMiss(miss))
  return parts.join('; ')
}

/** An Allow that cannot be decided, for the reason nothing allows. */
function undecidedAllow(source: string, part: Undecided): string {
  if ('where' in part) return `${source}: ${undecidedPattern(part)}`
  const { operator, key, cause, detail } = part
  if (cause === 'operator') return `${source}: condition operator ${operator} not understood`
  if (cause === 'value') return `${source}: condition ${operator} ${key ?? ''}: ${detail ?? 'a value not understood'}`
  return `${source} allows it only if ${operator} ${key ?? ''} holds, which cannot be evaluated before a deploy`
}

/** A Deny that cannot be decided, after `may be denied by <source>: `. */
export function undecidedDeny(part: Undecided): string {
  if ('where' in part) return undecidedPattern(part)
  const { operator, key, cause, detail } = part
  const because = cause === 'operator' ? ' (operator not understood)' : cause === 'value' ? ` (${detail ?? 'a value not understood'})` : ''
  return `its condition ${operator}${key === undefined ? '' : ` ${key}`} cannot be evaluated before a deploy${because}`
}

/** A pattern or condition value that cannot be decided: `its Resource «Fn::ImportValue X» is known only at deploy time`. */
function undecidedPattern({ cause, where, value, detail }: Extract<Undecided, { readonly where: string }>): string {
  if (cause === 'placeholder') return `its ${where} ${value} is known only at deploy time`
  return `its ${where} ${value} cannot be evaluated before a deploy${detail === undefined ? '' : ` (${detail})`}`
}

function closestMiss({ sourced, verdict }: Judged): string {
  if (verdict.kind === 'condition') return `${sourced.source} ${verdict.why}`
  const { Resource, NotResource } = sourced.statement
  if (Resource !== undefined) return `${sourced.source} allows it on ${listOf(Resource).join(', ')} only`
  return `${sourced.source} allows it only on resources other than ${listOf(NotResource).join(', ')}`
}
