// What one handler module declares, loaded exactly as the check loads it (a child process with the
// check's isolation layers where the platform offers them, fake credentials), for a tool that derives something from the declarations (the
// Serverless Framework plugin's least-privilege roles) rather than checking a template.
import { dirname } from 'node:path'
import { collect } from './collect.js'
import { isolationOf, projectLinkProblem } from './isolation.js'
import { confined, projectFolder, serverlessHandler } from './model/handlers.js'
import { TemplateError, type TemplateFunction, type TemplateModel } from './model/types.js'

/** A dependency a handler module declares. */
export interface Declaration {
  /** Its name in the services given to the middleware (`context.services.<name>`). */
  readonly name?: string
  /** The kind that declared it: `lambda`, `queue`, ... (`Dependency.kind`). */
  readonly kind: string
  /** The address as text (`prod.scheduler->get-job`). */
  readonly label: string
  /** The address's namespace. */
  readonly namespace: string
  /** The address's service. */
  readonly service: string
  /** The instance the address names, when it names one. */
  readonly instance?: string
  /** The owner of a namespace shared with the caller's account. */
  readonly account?: string
  /** Declared with `optional()`. */
  readonly optional: boolean
  /** The attributes its instances must have (`queryParameters`), when it asks for some. */
  readonly queryParameters?: Readonly<Record<string, string>>
  /** How its resolver revalidates (`revision` also calls DiscoverInstancesRevision). */
  readonly revalidate: 'full' | 'revision'
}

/** Options of {@link declarations}. */
export interface DeclarationsOptions {
  /** The function's name, as Lambda gives it (`AWS_LAMBDA_FUNCTION_NAME`). */
  readonly functionName: string
  /** The function's environment variables (what steers the runtime is left out, as the check does). */
  readonly environment?: Readonly<Record<string, string>>
  /** The region the module is loaded in (`AWS_REGION`). Default `us-east-1`. */
  readonly region?: string
  /** How long the module may take to load. Default 30 000 ms. */
  readonly timeoutMs?: number
}

/**
 * Loads the handler module a Serverless Framework function names (`src/handlers/api.handler`,
 * relative to the service folder; a TypeScript source too) as `cloudmap-middy check` loads one —
 * in a process of its own with the isolation layers the check applies where the platform offers them —
 * and returns every dependency it declares.
 *
 * @param service - the service folder (what the `Handler` is relative to).
 * @param handler - the function's `handler` (`file.export`).
 * @param options - the function's name and environment.
 * @throws {TemplateError} when the module is not found, is outside the service's project, or does
 *   not load (its error, named).
 * @example
 * ```ts
 * const declared = await declarations(serviceDir, 'src/handlers/api.handler', { functionName: 'api-dev' })
 * declared.map((d) => d.label) // ['dev.scheduler->get-job']
 * ```
 */
export async function declarations(service: string, handler: string, options: DeclarationsOptions): Promise<readonly Declaration[]> {
  const where = `${options.functionName} (${handler})`
  const found = serverlessHandler(service, { Handler: handler })
  if (!('module' in found)) throw new TemplateError(`${where}: ${found.missing}`)
  const location = confined(options.functionName, projectFolder(service), found)
  if (!('module' in location)) throw new TemplateError(`${where}: ${location.missing}`)
  // The permission model reads through links: as the check, a project that links out is not loaded.
  const linked = isolationOf(location.module).applied.includes('permission-model') ? projectLinkProblem(location.module) : undefined
  if (linked !== undefined) throw new TemplateError(`${where}: its handler module is not loaded: ${linked}`)
  const pseudo = { partition: 'aws', region: options.region ?? 'us-east-1', accountId: '123456789012' }
  const fn: TemplateFunction = {
    logicalId: options.functionName,
    name: options.functionName,
    runtime: undefined,
    handler: location,
    skipped: undefined,
    environment: options.environment ?? {},
    permissions: 'outside',
    statements: [],
    notes: [],
  }
  const model: TemplateModel = {
    path: dirname(location.module),
    form: 'cloudformation',
    parameters: {},
    pseudo,
    namespaces: [],
    namespaceArns: {},
    services: [],
    instances: [],
    functions: [fn],
    keys: {},
    express: [],
    notes: [],
  }
  const result = await collect(fn, location, model, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs })
  if (!result.loaded) throw new TemplateError(`${where}: ${result.error}`)
  if (!result.exported) throw new TemplateError(`${where}: the module has no function export ${location.exportName}`)
  return result.dependencies.map(({ name, kind, label, namespace, service, instance, account, optional, queryParameters, revalidate }) => ({
    ...(name === undefined ? {} : { name }),
    kind,
    label,
    namespace,
    service,
    ...(instance === undefined ? {} : { instance }),
    ...(account === undefined ? {} : { account }),
    optional,
    ...(queryParameters === undefined ? {} : { queryParameters }),
    revalidate,
  }))
}
