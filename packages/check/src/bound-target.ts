import { isKind, targetResource } from '@cloudmap-middy/core/iam'
import type { Pseudo } from './sam-policies.js'

/**
 * The resource a bound value's calls act on, as IAM names it (what the function's role must
 * allow), or `undefined` when its kind has none or is not one this version knows. How it is
 * derived, per kind, is core's list of kinds to say (`KINDS[kind].resource`), not the check's.
 */
export function boundTarget(kind: string, value: unknown, pseudo: Pseudo): string | undefined {
  return isKind(kind) && typeof value === 'object' && value !== null ? targetResource(kind, value, pseudo) : undefined
}
