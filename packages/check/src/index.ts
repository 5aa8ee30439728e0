/**
 * The deploy-time check behind `cloudmap-middy check <template>`: `check()` proves that every
 * dependency a handler declares is registered, typed and permitted by the template, and
 * returns a report that `formatReport()` prints and `formatJson()` serializes.
 *
 * @module @cloudmap-middy/check
 */
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
export { type Declaration, type DeclarationsOptions, declarations } from './declarations.js'
export { type Isolation, IsolationError, type IsolationLayer, type MissingLayer } from './isolation.js'
export { type ParameterValues, TemplateError } from './model.js'
export { type FormatOptions, formatJson, formatReport, REPORT_VERSION } from './report.js'
