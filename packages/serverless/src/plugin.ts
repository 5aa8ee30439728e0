// The plugin: registrations into the template, a role per function from its handler's declarations,
// and the check on the template `sls package` wrote. The plugin API that the Serverless Framework v4
// and osls share (hooks, configSchemaHandler, provider.naming); no SDK v2 helper (osls v4 has none).
import { join } from 'node:path'
import { check, type Declaration, declarations, type Problem } from '@cloudmap-middy/check'
import { SNAPSHOT_ENV } from '@cloudmap-middy/core/snapshot'
import { type CloudMapConfig, CUSTOM_SCHEMA, FUNCTION_SCHEMA, type FunctionCloudMapConfig } from './config.js'
import { type CfnResource, type CompiledRegistrations, compileRegistrations } from './registrations.js'
import { functionRole } from './roles.js'
import { environmentProblem, functionSnapshot } from './snapshot.js'
import { grantsOf, type Statement } from './statements.js'

/** What the plugin reads of a function of serverless.yml (`service.getFunction(name)`). */
export interface ServerlessFunction {
  /** Its deployed name (`<service>-<stage>-<function>` unless set). */
  readonly name?: string
  /** `file.export`, relative to the service folder. */
  readonly handler?: string
  /** A container image: not a handler module the plugin can load. */
  readonly image?: unknown
  /** Its runtime, when not the provider's. */
  readonly runtime?: string
  /** Its role: one of the user's own is left alone; the plugin sets its own per-function role here. */
  role?: unknown
  /** Its environment variables (the provider's are added). */
  readonly environment?: Readonly<Record<string, unknown>>
  /** Its events (SQS and stream sources are read by its role). */
  readonly events?: readonly unknown[]
  /** Its VPC configuration. */
  readonly vpc?: unknown
  /** Its `cloudMap` settings. */
  readonly cloudMap?: FunctionCloudMapConfig
}

/** What the plugin reads of the framework's `serverless` object (the API serverless v4 and osls share); not exported: the framework's own types describe it. */
export interface ServerlessLike {
  /** The service folder (osls, serverless v4). */
  readonly serviceDir?: string
  /** The service folder (older versions). */
  readonly config?: { readonly servicePath?: string }
  /** The service. */
  readonly service: {
    readonly custom?: { readonly cloudMap?: CloudMapConfig }
    readonly provider: {
      readonly compiledCloudFormationTemplate: { Resources: Record<string, unknown> }
      readonly runtime?: string
      readonly environment?: Readonly<Record<string, unknown>>
      readonly vpc?: unknown
      iam?: { role?: { statements?: unknown[]; managedPolicies?: unknown[]; permissionsBoundary?: unknown } | string }
    }
    readonly resources?: { readonly Resources?: Readonly<Record<string, CfnResource>> }
    getAllFunctions(): string[]
    getFunction(name: string): ServerlessFunction
  }
  /** The provider. */
  getProvider(name: 'aws'): {
    getRegion(): string
    readonly naming: {
      getLambdaLogicalId(name: string): string
      getNormalizedFunctionName(name: string): string
    }
  }
  /** The schema of serverless.yml. */
  readonly configSchemaHandler?: {
    defineCustomProperties(schema: object): void
    defineFunctionProperties(provider: string, schema: object): void
  }
  /** The framework's error class: its message is shown without a stack. */
  readonly classes?: { readonly Error?: new (message: string) => Error }
}

/** The logger the framework gives a plugin (its third argument). */
export interface PluginLogger {
  /** A warning. */
  warning(message: string): void
  /** Shown with `--verbose`. */
  info?(message: string): void
}

/** The environment as text: an intrinsic (known only at deploy) is left out. */
function environmentOf(...sources: (Readonly<Record<string, unknown>> | undefined)[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (const source of sources) {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = String(value)
    }
  }
  return out
}

/**
 * The Serverless Framework (v4) and osls plugin of cloudmap-middy: `custom.cloudMap` registrations,
 * a least-privilege role per function from its handler's declarations, and `cloudmap-middy check`
 * on the packaged template.
 *
 * @example
 * ```yaml
 * # serverless.yml
 * plugins:
 *   - '@cloudmap-middy/serverless'
 * custom:
 *   cloudMap:
 *     namespaces:
 *       ${sls:stage}:
 *         services:
 *           scheduler:
 *             instances:
 *               get-job: { function: getJob }
 *               scheduler-queue: { queue: SchedulerQueue }
 * ```
 */
export class CloudMapPlugin {
  /** The lifecycle hooks the plugin runs in. */
  readonly hooks: Readonly<Record<string, () => Promise<void> | void>>
  readonly #serverless: ServerlessLike
  readonly #log: PluginLogger
  #compiled: CompiledRegistrations | undefined
  readonly #declared = new Map<string, readonly Declaration[]>()

  /**
   * @param serverless - the framework's `serverless` object (what the plugin reads of it: `ServerlessLike`).
   * @param _options - the command line's options.
   * @param utils - the framework's plugin utilities (`log`).
   */
  constructor(serverless: object, _options?: unknown, utils?: { readonly log?: PluginLogger }) {
    this.#serverless = serverless as ServerlessLike
    // The framework's logger is missing only in old versions.
    this.#log = utils?.log ?? { warning: (message) => console.warn(message) }
    this.#serverless.configSchemaHandler?.defineCustomProperties(CUSTOM_SCHEMA)
    this.#serverless.configSchemaHandler?.defineFunctionProperties('aws', FUNCTION_SCHEMA)
    this.hooks = {
      // Before the framework builds the shared role: it builds none when every function has a role.
      'before:package:setupProviderConfiguration': () => this.#grant(),
      'package:compileEvents': () => this.#register(),
      // The template is on disk once package:finalize has run.
      'after:package:finalize': () => this.#check(),
    }
  }

  get #config(): CloudMapConfig {
    return this.#serverless.service.custom?.cloudMap ?? {}
  }

  get #serviceDir(): string {
    return this.#serverless.serviceDir ?? this.#serverless.config?.servicePath ?? process.cwd()
  }

  #fail(message: string): never {
    const ErrorClass = this.#serverless.classes?.Error ?? Error
    throw new ErrorClass(`cloudmap-middy: ${message}`)
  }

  #registrations(): CompiledRegistrations {
    if (this.#compiled !== undefined) return this.#compiled
    const { service } = this.#serverless
    const naming = this.#serverless.getProvider('aws').naming
    try {
      this.#compiled = compileRegistrations(this.#config, {
        functions: service.getAllFunctions(),
        lambdaLogicalId: (name) => naming.getLambdaLogicalId(name),
        resources: service.resources?.Resources ?? {},
      })
    } catch (error) {
      this.#fail((error as Error).message)
    }
    return this.#compiled
  }

  #register(): void {
    const template = this.#serverless.service.provider.compiledCloudFormationTemplate.Resources
    Object.assign(template, this.#registrations().resources)
    this.#snapshots(template)
  }

  #snapshotOn(name: string): boolean {
    return this.#serverless.service.getFunction(name).cloudMap?.snapshot ?? this.#config.snapshot ?? false
  }

  /** Each function with `snapshot` on gets its CLOUDMAP_MIDDY_SNAPSHOT, within Lambda's 4 KB. */
  #snapshots(template: Record<string, unknown>): void {
    const { service } = this.#serverless
    const naming = this.#serverless.getProvider('aws').naming
    const types = new Map<string, string>()
    for (const [id, resource] of Object.entries({ ...(service.resources?.Resources ?? {}), ...template })) {
      const type = (resource as { Type?: unknown } | undefined)?.Type
      if (typeof type === 'string') types.set(id, type)
    }
    for (const name of service.getAllFunctions()) {
      if (!this.#snapshotOn(name)) continue
      const where = `functions.${name}`
      const snapshot = functionSnapshot(where, this.#declared.get(name) ?? [], this.#registrations().registrations, types)
      for (const warning of snapshot.warnings) this.#log.warning(`cloudmap-middy: ${warning}`)
      if (snapshot.value === undefined) continue
      const resource = template[naming.getLambdaLogicalId(name)] as { Properties?: Record<string, unknown> } | undefined
      if (resource === undefined) continue
      const properties = resource.Properties ?? {}
      resource.Properties = properties
      const environment = (properties.Environment ?? {}) as { Variables?: Record<string, unknown> }
      const variables = environment.Variables ?? {}
      const problem = environmentProblem(where, variables, SNAPSHOT_ENV, snapshot, types)
      if (problem !== undefined) this.#fail(problem)
      properties.Environment = { ...environment, Variables: { ...variables, [SNAPSHOT_ENV]: snapshot.value } }
    }
  }

  /** A Node.js function's declarations, loaded as the check loads them (once). */
  async #declarationsOf(name: string): Promise<readonly Declaration[]> {
    const known = this.#declared.get(name)
    if (known !== undefined) return known
    const { service } = this.#serverless
    const fn = service.getFunction(name)
    const runtime = fn.runtime ?? service.provider.runtime ?? ''
    const node = fn.image === undefined && typeof fn.handler === 'string' && (runtime === '' || runtime.startsWith('nodejs'))
    let declared: readonly Declaration[] = []
    if (node) {
      try {
        declared = await declarations(this.#serviceDir, fn.handler as string, {
          functionName: fn.name ?? name,
          environment: environmentOf(service.provider.environment, fn.environment),
          region: this.#serverless.getProvider('aws').getRegion(),
          ...(this.#config.timeoutMs === undefined ? {} : { timeoutMs: this.#config.timeoutMs }),
        })
      } catch (error) {
        this.#fail(`functions.${name}: ${(error as Error).message}`)
      }
    }
    this.#declared.set(name, declared)
    return declared
  }

  /** Each Node.js function's declarations, loaded as the check loads them, and its statements. */
  async #grant(): Promise<void> {
    const roles = this.#config.roles ?? 'per-function'
    const { registrations } = this.#registrations()
    // A snapshot is written from the declarations once the functions are compiled.
    for (const name of this.#serverless.service.getAllFunctions()) if (this.#snapshotOn(name)) await this.#declarationsOf(name)
    if (roles === 'none') return
    const { service } = this.#serverless
    const provider = this.#serverless.getProvider('aws')
    const iamRole = typeof service.provider.iam?.role === 'object' ? service.provider.iam.role : undefined
    const shared: Statement[] = []
    for (const name of service.getAllFunctions()) {
      const fn: ServerlessFunction = service.getFunction(name)
      const where = `functions.${name}`
      // A role of the user's own is theirs (and the check still reads it).
      if (fn.role !== undefined) continue
      const declared = await this.#declarationsOf(name)
      let grants: ReturnType<typeof grantsOf>
      try {
        grants = grantsOf(where, declared, registrations, fn.cloudMap)
      } catch (error) {
        this.#fail((error as Error).message)
      }
      for (const warning of grants.warnings) this.#log.warning(`cloudmap-middy: ${warning}`)
      if (roles === 'shared') {
        shared.push(...grants.statements, ...((fn.cloudMap?.statements as Statement[] | undefined) ?? []))
        continue
      }
      const roleId = `${provider.naming.getNormalizedFunctionName(name)}IamRoleLambdaExecution`
      service.provider.compiledCloudFormationTemplate.Resources[roleId] = functionRole({
        functionName: fn.name ?? name,
        vpc: fn.vpc !== undefined || service.provider.vpc !== undefined,
        events: fn.events ?? [],
        statements: [...(iamRole?.statements ?? []), ...(fn.cloudMap?.statements ?? [])],
        managedPolicies: iamRole?.managedPolicies ?? [],
        ...(iamRole?.permissionsBoundary === undefined ? {} : { permissionsBoundary: iamRole.permissionsBoundary }),
        grants: grants.statements,
      })
      fn.role = roleId
    }
    if (roles === 'shared' && shared.length > 0) {
      if (typeof service.provider.iam?.role === 'string') {
        this.#fail('roles: shared adds to the role the framework creates, but provider.iam.role names a role of your own')
      }
      const iam = service.provider.iam ?? {}
      const role = typeof iam.role === 'object' ? iam.role : {}
      role.statements = [...(role.statements ?? []), ...shared]
      iam.role = role
      service.provider.iam = iam
    }
  }

  /** `cloudmap-middy check` on the template just written: a ✗ fails the package, naming function and address. */
  async #check(): Promise<void> {
    if (this.#config.check === false) return
    const template = join(this.#serviceDir, '.serverless', 'cloudformation-template-update-stack.json')
    const { service } = this.#serverless
    const naming = this.#serverless.getProvider('aws').naming
    const calls: Record<string, readonly string[]> = {}
    const external = new Map<string, ReadonlySet<string>>()
    for (const name of service.getAllFunctions()) {
      const config = service.getFunction(name).cloudMap
      for (const [dependency, list] of Object.entries(config?.calls ?? {})) {
        calls[`${naming.getLambdaLogicalId(name)}/${dependency}`] = list
      }
      if (config?.external !== undefined) external.set(naming.getLambdaLogicalId(name), new Set(config.external))
    }
    const report = await check(template, {
      parameters: { 'AWS::Region': this.#serverless.getProvider('aws').getRegion() },
      calls,
      ...(this.#config.timeoutMs === undefined ? {} : { timeoutMs: this.#config.timeoutMs }),
    })
    // A dependency registered elsewhere (cloudMap.external) is not in this template: only its discovery is granted here.
    const elsewhere = (p: Problem) => {
      const names = external.get(p.function)
      if (names === undefined || p.address === undefined || p.check === 'discover') return false
      const fn = report.functions.find((f) => f.logicalId === p.function)
      const at = fn?.dependencies.filter((d) => d.address === p.address) ?? []
      return at.length > 0 && at.every((d) => d.name !== undefined && names.has(d.name))
    }
    const problems = report.problems.filter((p) => !elsewhere(p))
    if (problems.length === 0) {
      const skipped = report.problems.length === 0 ? '' : ' (those in cloudMap.external: discovery only)'
      this.#log.info?.(
        `cloudmap-middy check: ${report.functions.length} functions, every declared dependency registered and permitted${skipped}`,
      )
      return
    }
    const lines = problems.map((p) => `  ✗ ${p.function}${p.address === undefined ? '' : ` ${p.address}`}: ${p.detail}`)
    this.#fail(`the check failed on ${template} (skip it with custom.cloudMap.check: false):\n${lines.join('\n')}`)
  }
}
