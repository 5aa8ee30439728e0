// The contracts of the IAM evaluator: statements, requests and decisions (public), and what judging
// one statement works with (the request's keys, verdicts, parts that cannot be decided).

/** One IAM policy statement, as written in a template (intrinsics already resolved). */
export interface PolicyStatement {
  /** The statement's id, when it has one. */
  readonly Sid?: string
  /** `Allow` or `Deny` (anything else makes the statement count for nothing). */
  readonly Effect: string
  /** The actions it applies to (`sqs:Send*`), case-insensitive. */
  readonly Action?: string | readonly string[]
  /** The actions it does not apply to. */
  readonly NotAction?: string | readonly string[]
  /** The resources it applies to (ARN patterns, `*`). */
  readonly Resource?: string | readonly string[]
  /** The resources it does not apply to. */
  readonly NotResource?: string | readonly string[]
  /** Operator → condition key → value(s); every one must hold. */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>
}

/** A statement and where it came from, for messages: `policy WorkerRoleDefaultPolicy`, `SQSSendMessagePolicy`, ... */
export interface SourcedStatement {
  /** The statement. */
  readonly statement: PolicyStatement
  /** Where it came from, as messages name it. */
  readonly source: string
  /**
   * The `Version` of the policy document the statement is in. With `2012-10-17`, `${...}` in its
   * Resource, NotResource and String/Arn condition values are policy variables; with another
   * version, or `null` for a document without one, they are text. Left out, the version is not
   * known: a pattern that means one thing as text and another with its variables replaced cannot be
   * decided. {@link statementsOf} gives it for a whole document.
   */
  readonly version?: string | null
}

/**
 * One request: an action on one resource ARN (or `*`), or on several resources together, with the
 * request's condition keys. Give `resource` or `resources` (with neither, nothing is allowed).
 */
export interface AccessRequest {
  /** The action, e.g. `sqs:SendMessage`. */
  readonly action: string
  /** The resource's ARN, or `*` for an action with no resource type. Ignored when `resources` is given. */
  readonly resource?: string
  /**
   * Several resources the one action is authorized on together, e.g. a Cloud Map namespace ARN and
   * a service ARN for `servicediscovery:DiscoverInstances`. When given, it is used instead of
   * `resource`: the request is allowed only when every resource is allowed, any Deny on any of them
   * denies it, and the reason names the resource that failed.
   */
  readonly resources?: readonly string[]
  /**
   * The request's condition keys (`servicediscovery:NamespaceName`), a multi-valued key as an array.
   * A global `aws:` key left out, or a key of the action's own service (`sqs:` for `sqs:SendMessage`),
   * is unknown (it could be anything at run time), so a condition or policy variable on it cannot be
   * decided; give it an empty array to say it is absent. A key of another service left out is absent.
   */
  readonly context?: Readonly<Record<string, string | readonly string[]>>
  /** How the reason names a resource (`prod.scheduler` for a Cloud Map service's ARN), by its ARN; default the ARN. */
  readonly names?: Readonly<Record<string, string>>
}

/** What the policies say of a request: allowed (and by which statement's source), or not and why. */
export type AccessDecision =
  | {
      /** Allowed. */
      readonly allowed: true
      /** The source of the first statement that allows it (with several resources, of each, once, joined by `, `). */
      readonly source: string
    }
  | {
      /** Not allowed. */
      readonly allowed: false
      /**
       * How: `explicit`, a Deny matched; `undecided`, a Deny whose condition or pattern cannot be
       * decided before a deploy may apply; `implicit`, nothing allows it.
       */
      readonly denial: 'explicit' | 'undecided' | 'implicit'
      /**
       * Why: the Deny that matched (`denied by ...`), the Deny whose condition cannot be decided
       * before a deploy (`may be denied by ...`), or that nothing allows it, with the closest miss.
       */
      readonly reason: string
    }

/** The request's condition keys, by lower-cased name; a key with no value is left out (it is absent). */
export interface Context {
  readonly values: ReadonlyMap<string, readonly string[]>
  /** The lower-cased names of the keys the request gives, with a value or not. */
  readonly given: ReadonlySet<string>
}

/** How a statement reads `${...}`: as policy variables (`2012-10-17`), as text, or either (the version is not known). */
export type Variables = 'yes' | 'no' | 'maybe'

/** What one statement is judged with: the request's keys, the action's service (lower case), and how it reads `${...}`. */
export interface Env {
  readonly context: Context
  readonly service: string
  readonly variables: Variables
}

/** A part of a statement that cannot be decided, and why. */
export type Undecided =
  | {
      /** `key`: a key the request does not carry that could be anything; `operator`: not understood; `value`: a value that does not parse. */
      readonly cause: 'key' | 'operator' | 'value'
      /** The operator as written, e.g. `ForAnyValue:DateLessThanIfExists`. */
      readonly operator: string
      /** The key as written (none when the operator's block is not a key → value map). */
      readonly key?: string
      /** For `value`: what does not parse. */
      readonly detail?: string
    }
  | {
      /**
       * `placeholder`: holds a value known only at deploy time (`«...»`); `unreadable`: a policy
       * variable with no value yet, not a string, or the request's own value known only at deploy time.
       */
      readonly cause: 'placeholder' | 'unreadable'
      /** Where: `Resource`, `NotAction`, `condition StringEquals aws:SourceVpc`, ... */
      readonly where: string
      /** The pattern or value as written. */
      readonly value: string
      /** For `unreadable`: why. */
      readonly detail?: string
    }

/** How one statement relates to one request. */
export type Verdict =
  | { readonly kind: 'match' }
  | { readonly kind: 'action' }
  | { readonly kind: 'resource' }
  /** The condition certainly fails; `why` follows the source in a message (`allows it only when ...`). */
  | { readonly kind: 'condition'; readonly why: string }
  | { readonly kind: 'undecided'; readonly part: Undecided }

export interface Judged {
  readonly sourced: SourcedStatement
  readonly verdict: Verdict
}

/** Kleene logic: `undefined` is a truth that cannot be decided. */
export type Tri = boolean | undefined

export function anyOf(values: readonly Tri[]): Tri {
  if (values.includes(true)) return true
  return values.includes(undefined) ? undefined : false
}

export function allOf(values: readonly Tri[]): Tri {
  if (values.includes(false)) return false
  return values.includes(undefined) ? undefined : true
}

/** Several readings of one pattern agree: all match, or none does; else it cannot be decided. */
export function agree(values: readonly Tri[]): Tri {
  if (values.every((value) => value === true)) return true
  return values.every((value) => value === false) ? false : undefined
}
