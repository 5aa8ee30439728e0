// @cloudmap-middy/check: the deploy-time check behind `cloudmap-middy check <template>`.
export {
  type AccessCheck,
  type CheckName,
  type CheckOptions,
  type CheckReport,
  check,
  type DependencyReport,
  type Finding,
  type FunctionReport,
  type Problem,
  type Unregistered,
} from './check.js'
export { main } from './cli.js'
export type { Binding, CollectedDependency } from './collect.js'
export {
  type AccessDecision,
  type AccessRequest,
  evaluateAccess,
  type PolicyStatement,
  type SourcedStatement,
  statementsOf,
} from './iam.js'
export { type Isolation, IsolationError, type IsolationLayer, type MissingLayer } from './isolation.js'
export {
  type HandlerLocation,
  type Parameters,
  type ReadOptions,
  readTemplate,
  TemplateError,
  type TemplateFunction,
  type TemplateInstance,
  type TemplateModel,
  type TemplateService,
} from './model.js'
export { type FormatOptions, formatJson, formatReport, REPORT_VERSION } from './report.js'
export { type Expansion, expandManagedPolicies, expandSamPolicies, type Pseudo } from './sam-policies.js'
