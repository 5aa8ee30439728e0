import type { StandardSchemaV1 } from '@standard-schema/spec'
import type { AttributeIssue } from './errors.js'

/** Any Standard Schema v1 validator (zod, valibot, arktype, ...). */
export type Schema<Output = unknown, Input = unknown> = StandardSchemaV1<Input, Output>

/** The output type of a schema, or `Fallback` when no schema was given. */
export type InferOutput<S, Fallback = unknown> = S extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S> : Fallback

/** The input type of a schema, or `Fallback` when no schema was given. */
export type InferInput<S, Fallback = unknown> = S extends StandardSchemaV1 ? StandardSchemaV1.InferInput<S> : Fallback

/** The outcome of one validation: the parsed value, or the issues found. */
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly AttributeIssue[] }

function toIssues(issues: ReadonlyArray<StandardSchemaV1.Issue>): AttributeIssue[] {
  return issues.map((issue) => ({
    path: (issue.path ?? []).map((segment) => (typeof segment === 'object' ? segment.key : segment)),
    message: issue.message,
  }))
}

function settle<T>(result: StandardSchemaV1.Result<T>): Checked<T> {
  return result.issues ? { ok: false, issues: toIssues(result.issues) } : { ok: true, value: result.value }
}

/**
 * Runs a Standard Schema validator. Synchronous when the validator is (zod is), so
 * callers on a hot path can avoid an await; a Promise otherwise.
 */
export function check<T>(schema: Schema<T>, value: unknown): Checked<T> | Promise<Checked<T>> {
  let result: StandardSchemaV1.Result<T> | Promise<StandardSchemaV1.Result<T>>
  try {
    result = schema['~standard'].validate(value)
  } catch (error) {
    return thrown(error)
  }
  return result instanceof Promise ? result.then(settle, thrown) : settle(result)
}

/**
 * A schema that throws (a transform calling `JSON.parse` on bad text) rejects the value: an
 * issue naming the error, not its message, which may quote the value.
 */
function thrown(error: unknown): Checked<never> {
  const name = error instanceof Error ? error.name : typeof error
  return { ok: false, issues: [{ path: [], message: `the schema threw ${name}` }] }
}
