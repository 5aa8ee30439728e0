// The IAM identity-policy evaluator the check decides permissions with (src/iam/: evaluation,
// statements, patterns, conditions, messages).
export { evaluateAccess } from './iam/evaluate.js'
export { malformedStatement, statementsOf } from './iam/statements.js'
export type { AccessDecision, AccessRequest, PolicyStatement, SourcedStatement } from './iam/types.js'
