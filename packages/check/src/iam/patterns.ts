// Action and resource patterns: wildcards, and the policy variables and deploy-time placeholders
// a pattern or condition value may hold.
import { agree, type Env, type Tri, type Undecided } from './types.js'

// ---------------------------------------------------------------------------------------------
// Matching a statement

/**
 * Whether an element pair (Action/NotAction, Resource/NotResource) matches: `true`, `false`, or the
 * pattern that cannot be decided. Action patterns take no policy variables; resource patterns do.
 */
export function elementMatch(
  patterns: unknown,
  notPatterns: unknown,
  [element, notElement]: readonly [string, string],
  text: string,
  env: Env,
): boolean | Undecided {
  const isAction = element === 'Action'
  if (patterns !== undefined) return listMatch(patterns, element, text, env, isAction)
  if (notPatterns === undefined) return false
  const matched = listMatch(notPatterns, notElement, text, env, isAction)
  return typeof matched === 'boolean' ? !matched : matched
}

/** Whether any pattern of a list certainly matches (`true`), none can (`false`), or else the first that cannot be decided. */
function listMatch(patterns: unknown, element: string, text: string, env: Env, isAction: boolean): boolean | Undecided {
  let undecided: Undecided | undefined
  for (const pattern of Array.isArray(patterns) ? patterns : [patterns]) {
    if (typeof pattern !== 'string') {
      undecided ??= { cause: 'unreadable', where: element, value: JSON.stringify(pattern) ?? String(pattern), detail: 'not a string' }
      continue
    }
    const reading = read(pattern, env, isAction ? 'text' : modeOf(env, true), true)
    const matched =
      reading.kind === 'undecided'
        ? undefined
        : agree(reading.texts.map((p) => (isAction ? wildcardMatch(p.toLowerCase(), text.toLowerCase()) : requestMatch(p, text))))
    if (matched === true) return true
    if (matched === undefined) undecided ??= undecidedPart(reading, element, pattern, text)
  }
  return undecided ?? false
}

/**
 * Whether a resource pattern matches the request's resource: when the resource holds a value known
 * only at deploy time (`«...»`), only a pattern of nothing but `*` certainly does; else it cannot be told.
 */
function requestMatch(pattern: string, text: string): Tri {
  if (!text.includes('«')) return wildcardMatch(pattern, text)
  return /^\*+$/.test(pattern) ? true : undefined
}

/** The strings of a value that is a string or an array (anything else in it cannot match). */
export function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
}

/** A pattern character that stands for itself, not a wildcard: from `${*}` and `${?}`. */
const LITERAL: Readonly<Record<string, string>> = { '*': '\uE000', '?': '\uE001' }
const UNLITERAL: Readonly<Record<string, string>> = { '\uE000': '*', '\uE001': '?' }

/** A pattern as plain text: its literal `*` and `?` as themselves. */
export function plain(pattern: string): string {
  return pattern.replace(/[\uE000\uE001]/g, (char) => UNLITERAL[char] ?? char)
}

/** Whether `text` matches `pattern`, where `*` is any run of characters and `?` any one character. */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0
  let t = 0
  let star = -1
  let resume = 0
  while (t < text.length) {
    const char = pattern[p]
    if (char === '*') {
      star = p
      resume = t
      p += 1
    } else if (char !== undefined && (char === '?' || (UNLITERAL[char] ?? char) === text[t])) {
      p += 1
      t += 1
    } else if (star >= 0) {
      p = star + 1
      resume += 1
      t = resume
    } else {
      return false
    }
  }
  while (pattern[p] === '*') p += 1
  return p === pattern.length
}

// ---------------------------------------------------------------------------------------------
// Placeholders and policy variables

/**
 * What a pattern or condition value stands for: the text it is (or the two texts it may be, as text
 * or with its policy variables replaced, with why it is ambiguous), or why it cannot be known.
 */
export type Reading =
  | { readonly kind: 'text'; readonly texts: readonly string[]; readonly ambiguity?: string }
  | { readonly kind: 'undecided'; readonly cause: 'placeholder' | 'unreadable'; readonly detail?: string }

/**
 * How to read `${...}` in a pattern: as text, with its policy variables replaced, or either (the
 * statement's version is not known, or the operator may not take variables).
 */
type Mode = 'text' | 'variables' | 'either'

/** The mode for a place that takes policy variables (`takes`: Resource, String and Arn operators) or not. */
export function modeOf(env: Env, takes: boolean): Mode {
  if (env.variables === 'no') return 'text'
  return env.variables === 'yes' && takes ? 'variables' : 'either'
}

/**
 * Reads a pattern or condition value: `«...»` anywhere makes it known only at deploy time; `${...}`
 * is read as `mode` says. With `wildcards`, a `*` or `?` that `${*}` or `${?}` gives stands for itself.
 */
export function read(raw: string, env: Env, mode: Mode, wildcards: boolean): Reading {
  if (raw.includes('«')) return { kind: 'undecided', cause: 'placeholder' }
  if (mode === 'text' || !raw.includes('${')) return { kind: 'text', texts: [raw] }
  const replaced = substitute(raw, env, wildcards)
  if (mode === 'variables' || replaced.kind === 'undecided') return replaced
  const [text = raw] = replaced.texts
  if (text === raw) return replaced
  const ambiguity =
    env.variables === 'maybe'
      ? `the policy's Version is not known: it may be text or hold policy variables`
      : 'its operator may take it as text rather than with its policy variables'
  return { kind: 'text', texts: [raw, text], ambiguity }
}

/** `${key}` or `${key, 'default'}` (a quote in the default doubled), spaces allowed around each part. */
const VARIABLE = /\$\{\s*([^\s,'}]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}/y
/** The special forms, each the character itself. */
const SPECIAL: Readonly<Record<string, string>> = { '${*}': '*', '${?}': '?', '${$}': '$' }

/** Replaces the policy variables of a pattern from the request's keys, in one pass. */
function substitute(raw: string, env: Env, wildcards: boolean): Reading {
  let text = ''
  let at = 0
  for (let start = raw.indexOf('${'); start >= 0; start = raw.indexOf('${', at)) {
    text += raw.slice(at, start)
    const special = SPECIAL[raw.slice(start, start + 4)]
    if (special !== undefined) {
      text += wildcards ? (LITERAL[special] ?? special) : special
      at = start + 4
      continue
    }
    VARIABLE.lastIndex = start
    const match = VARIABLE.exec(raw)
    if (match === null) {
      return { kind: 'undecided', cause: 'unreadable', detail: `${raw.slice(start)} is not a policy variable that can be read` }
    }
    const [variable, key = '', fallback] = match
    const value = variableValue(key, fallback?.replaceAll("''", "'"), env)
    if (typeof value !== 'string') return { kind: 'undecided', cause: 'unreadable', detail: `${variable} ${value.why}` }
    if (wildcards && /[*?]/.test(value)) {
      return { kind: 'undecided', cause: 'unreadable', detail: `${variable} is ${JSON.stringify(value)}, which holds a wildcard character` }
    }
    text += value
    at = start + variable.length
  }
  return { kind: 'text', texts: [text + raw.slice(at)] }
}

/** The value a policy variable takes from the request: its key's one value, else its default when the key is absent. */
function variableValue(key: string, fallback: string | undefined, env: Env): string | { readonly why: string } {
  const lower = key.toLowerCase()
  const values = env.context.values.get(lower)
  if (values !== undefined) {
    if (values.length > 1) return { why: 'has several values' }
    const [value = ''] = values
    return value.includes('«') ? { why: `is ${value}, known only at deploy time` } : value
  }
  if (isUnknown(lower, env)) return { why: 'is not known before a deploy' }
  return fallback ?? { why: 'has no value, and no default' }
}

/**
 * The part that cannot be decided, for messages: the reading's own cause, the ambiguity of its two
 * texts, or else the request's value (`request`), known only at deploy time.
 */
export function undecidedPart(reading: Reading, where: string, value: string, request: string): Undecided {
  if (reading.kind === 'undecided')
    return { cause: reading.cause, where, value, ...(reading.detail === undefined ? {} : { detail: reading.detail }) }
  const detail = reading.ambiguity ?? `the request's ${JSON.stringify(request)} is known only at deploy time`
  return { cause: 'unreadable', where, value, detail }
}

/**
 * Whether a key (lower case) the request does not give is unknown (anything at run time) rather than
 * absent: a global `aws:` key, or a key of the action's own service (`events:source` for
 * `events:PutEvents`), which a real request may carry, or a key named only at deploy time (`«...»`).
 * A key given with no value is absent.
 */
export function isUnknown(key: string, env: Env): boolean {
  if (env.context.given.has(key)) return false
  if (key.includes('«')) return true
  const colon = key.indexOf(':')
  if (colon < 0) return false
  const prefix = key.slice(0, colon)
  return prefix === 'aws' || prefix === env.service
}
