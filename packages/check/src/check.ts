// The check itself: each function's declared dependencies against what the template registers
// and what its role allows (and, with --live, against what Cloud Map holds now).
import { availableParallelism } from 'node:os'
import { dirname, relative } from 'node:path'
import { defaultCalls, type KindCalls, kindCalls, unknownCall } from '@cloudmap-middy/core/iam'
import { type Binding, type CollectedDependency, type CollectResult, collect } from './collect.js'
import { type AccessDecision, type AccessRequest, evaluateAccess } from './iam.js'
import { type Isolation, IsolationError, type IsolationLayer, isolationOf, projectLinkProblem } from './isolation.js'
import { type ParameterValues, readTemplate, TemplateError, type TemplateFunction, type TemplateModel } from './model.js'
import { own } from './own.js'
import { targetOf } from './targets.js'
import { isPlaceholder } from './template.js'

/**
 * What a finding checked: `registered` (the template registers the address), `type` (the instances'
 * `type` fits the kind), `attributes` (the kind's schema accepts them), `target policy` (the
 * resolver's policy allows the target), `instance` (another failure to bind an instance), `calls`
 * (`--calls` names calls the kind has), `permissions` (the role is known), `discover`
 * (DiscoverInstances is allowed), `call` (each call on the target is allowed), `live` (Cloud Map agrees).
 */
export type CheckName =
  | 'registered'
  | 'type'
  | 'attributes'
  | 'target policy'
  | 'instance'
  | 'calls'
  | 'permissions'
  | 'discover'
  | 'call'
  | 'live'

/** Why a dependency is not registered, as a `registered` finding says. */
export type Unregistered =
  | 'shared namespace'
  | 'no namespace'
  | 'duplicate namespace'
  | 'no service'
  | 'no instance'
  | 'no instances'
  | 'no match'
  | 'max results'

/** An IAM request a `discover` or `call` finding is about, and how it was decided. */
export interface AccessCheck {
  /** The action, e.g. `sqs:SendMessage`. */
  readonly action: string
  /** The resource's ARN (a KMS key's, for a queue's or topic's key; a service's, for DiscoverInstances). */
  readonly resource: string
  /** The resource as the report names it (`prod.scheduler`, `<key> (the key of <queue>)`). */
  readonly shown: string
  /** The statement's source that allows it, when it is allowed. */
  readonly by?: string
  /** How it is refused, when it is: by an explicit `Deny`, by a statement the check cannot decide, or by no `Allow` (implicit). */
  readonly denial?: 'explicit' | 'undecided' | 'implicit'
  /** The target's account, when it is not the template's: its resource policy must allow the call too. */
  readonly otherAccount?: string
}

/**
 * One thing checked about a dependency: the check, the outcome, the facts as fields, and `detail`,
 * the sentence the report prints, rendered from them (nothing decides by reading it).
 */
export interface Finding {
  /** What was checked. */
  readonly check: CheckName
  /** Did it pass? */
  readonly ok: boolean
  /** The sentence for people: for a failure, why (naming the address and, where there is one, the instance). */
  readonly detail: string
  /** `registered` and `live`: the instances found. */
  readonly instances?: readonly string[]
  /** `type`: the instances' `type` attributes (`(none)` for one without). */
  readonly types?: readonly string[]
  /** `registered`: why the address is not registered. */
  readonly unregistered?: Unregistered
  /** `registered`: the dependency is `optional()`, so its absence passes. */
  readonly optional?: boolean
  /** The instance a failure is about. */
  readonly instanceId?: string
  /** `attributes`: the attribute whose value only a deploy knows. */
  readonly attribute?: string
  /** A failure to bind an instance: the kind's error class (`InstanceTypeMismatchError`, ...). */
  readonly error?: string
  /** `target policy`: the rule that refused the target (`allowedAccounts`, ...). */
  readonly rule?: string
  /** `discover` and `call`: the request and its decision. */
  readonly access?: AccessCheck
}

/** A declared dependency and what was found about it. */
export interface DependencyReport {
  /** Its name in `context.services`, when it was given to a middleware. */
  readonly name?: string
  /** `cloudMap()`, or `module scope` for a dependency given to no middleware. */
  readonly by: string
  /** The factory that declared it: `lambda()`, `queue()`, ... */
  readonly kind: string
  /** Its address. */
  readonly address: string
  /** True when every finding is. */
  readonly ok: boolean
  /** What was checked, in order: registered, type, attributes, discover, call (and live). */
  readonly findings: readonly Finding[]
}

/** A function and what was found about its handler and each of its dependencies. */
export interface FunctionReport {
  /** Its logical id in the template. */
  readonly logicalId: string
  /** Its `FunctionName`. */
  readonly name: string
  /** The handler module, relative to the working directory, with its export (`src/handlers/app.ts#handler`). */
  readonly handler?: string
  /** `ok`, `failed`, or `skipped` (not a Node.js function, or `--skip`). */
  readonly status: 'ok' | 'failed' | 'skipped'
  /** Why the function itself failed or was skipped (its module not found or failing to load). */
  readonly reason?: string
  /** What could not be read about its permissions. */
  readonly notes: readonly string[]
  /** Each dependency its handler module declared, in declaration order. */
  readonly dependencies: readonly DependencyReport[]
}

/** One failure, as the summary and CI list it. */
export interface Problem {
  /** The function's logical id. */
  readonly function: string
  /** The dependency's address; `undefined` for a failure of the function itself. */
  readonly address?: string
  /** The check that failed: `handler` (the function itself), or its finding's. */
  readonly check: CheckName | 'handler'
  /** Why, naming the address (and instance) where there is one. */
  readonly detail: string
}

/** What `cloudmap-middy check` found. */
export interface CheckReport {
  /** The template's path, as given. */
  readonly template: string
  /** `sam`, or `cloudformation` (a CDK-synthesized template). */
  readonly form: 'sam' | 'cloudformation'
  /** The region and account the template's ARNs were built in. */
  readonly region: string
  /** The account id the template's ARNs were built in (`AWS::AccountId`). */
  readonly account: string
  /** The template's parameters as checked: given with `--param`, else their defaults. */
  readonly parameters: Readonly<Record<string, string>>
  /** Was Cloud Map asked too (`--live`)? */
  readonly live: boolean
  /** The isolation layers that applied to every handler module loaded, and those that did not (with why). */
  readonly isolation: Isolation
  /** What could not be read about the template (services in namespaces outside it, ...). */
  readonly notes: readonly string[]
  /** Each function of the template, in template order. */
  readonly functions: readonly FunctionReport[]
  /** Every failure, in the order of the report. */
  readonly problems: readonly Problem[]
  /** True when nothing failed. */
  readonly ok: boolean
}

/** Options of {@link check}. */
export interface CheckOptions {
  /** Template parameters (`Stage`), and `AWS::Region`, `AWS::AccountId`. */
  readonly parameters?: ParameterValues
  /** Handler modules by function (logical id or name): `path[#export]`. */
  readonly handlers?: Readonly<Record<string, string>>
  /** Functions not to check. */
  readonly skip?: readonly string[]
  /**
   * The calls checked for a dependency, by its name in the middleware's services (`jobs`) or
   * `<Function>/<name>` (logical id or `FunctionName`), instead of its kind's defaults:
   * `{ jobs: ['receive'] }` checks `sqs:ReceiveMessage`, ... and not `sqs:SendMessage`.
   */
  readonly calls?: Readonly<Record<string, readonly string[]>>
  /** Also resolve every dependency against Cloud Map (`AWS_ENDPOINT_URL` is honoured). */
  readonly live?: boolean
  /** How long one handler module may take to load. Default 30 000 ms. */
  readonly timeoutMs?: number
  /**
   * Refuse to load a handler module unless every isolation layer applies (the permission model, the
   * socket guard, a network namespace): the check throws an {@link IsolationError} naming what is missing, before it loads any.
   */
  readonly requireIsolation?: boolean
}

/** The IAM decision as a finding. */
function access(
  check: 'discover' | 'call',
  label: string,
  request: { action: string; resource: string; shown: string; otherAccount?: string | undefined },
  decision: AccessDecision,
  notes: readonly string[],
): Finding {
  const { action, shown, otherAccount } = request
  const facts: AccessCheck = {
    action,
    resource: request.resource,
    shown,
    ...(decision.allowed ? { by: decision.source } : { denial: decision.denial }),
    ...(otherAccount === undefined ? {} : { otherAccount }),
  }
  if (decision.allowed) {
    const elsewhere = otherAccount === undefined ? '' : ` (account ${otherAccount}: its resource policy, not read here, must allow it too)`
    return { check, ok: true, detail: `${action} on ${shown} allowed by ${decision.source}${elsewhere}`, access: facts }
  }
  // An implicit denial names the request itself (`no statement allows <action> on <shown>; ...`).
  const reason = decision.denial === 'implicit' ? decision.reason : `${action} on ${shown}: ${decision.reason}`
  const unknown = notes.length > 0 ? ` (not read: ${notes.join('; ')})` : ''
  return { check, ok: false, detail: `${label}: ${reason}${unknown}`, access: facts }
}

/** Which check a bind failure belongs to, by the error's class. */
const BIND_CHECKS: Readonly<Record<string, CheckName>> = {
  InstanceTypeMismatchError: 'type',
  AttributeValidationError: 'attributes',
  DisallowedTargetError: 'target policy',
}

/** Is the dependency registered in the template? A finding that says where the chain breaks. */
function registration(dependency: CollectedDependency, model: TemplateModel): Finding {
  const { namespace, service, instance, label, account } = dependency
  const check = 'registered'
  const fail = (unregistered: Unregistered, detail: string): Finding => ({ check, ok: false, unregistered, detail })
  if (account !== undefined) {
    return fail('shared namespace', `${label} is in a namespace shared by account ${account}, which this template does not register`)
  }
  if (!model.namespaces.includes(namespace)) {
    const known = model.namespaces.length > 0 ? ` (it registers ${model.namespaces.map((n) => `"${n}"`).join(', ')})` : ''
    return fail('no namespace', `${label}: namespace "${namespace}" is not in the template${known}`)
  }
  if (model.namespaces.filter((name) => name === namespace).length > 1) {
    return fail(
      'duplicate namespace',
      `${label}: two namespaces of the template are named "${namespace}"; Cloud Map finds only one of them by that name`,
    )
  }
  if (!model.services.some((s) => s.namespace === namespace && s.name === service)) {
    const known = model.services.filter((s) => s.namespace === namespace).map((s) => s.name)
    return fail('no service', `${label}: namespace "${namespace}" has no service "${service}" (it has ${known.join(', ') || 'none'})`)
  }
  const atService = model.instances.filter((i) => i.namespace === namespace && i.service === service)
  if (instance !== undefined && !atService.some((i) => i.instanceId === instance)) {
    const known = atService.map((i) => i.instanceId)
    return fail('no instance', `${label}: ${namespace}.${service} has no instance "${instance}" (it has ${known.join(', ') || 'none'})`)
  }
  if (dependency.bindings.length === 0) {
    return atService.length === 0
      ? fail('no instances', `${label}: ${namespace}.${service} has no instance in the template`)
      : fail(
          'no match',
          `${label}: no instance of ${namespace}.${service} has the attributes of its queryParameters ${JSON.stringify(dependency.queryParameters ?? {})}`,
        )
  }
  const ids = dependency.bindings.map((b) => b.instanceId)
  return { check, ok: true, instances: ids, detail: `${ids.length === 1 ? 'instance' : 'instances'} ${ids.join(', ')}` }
}

/** The template's instances bound to the dependency. */
function boundInstances(dependency: CollectedDependency, model: TemplateModel) {
  return model.instances.filter(
    (i) =>
      i.namespace === dependency.namespace &&
      i.service === dependency.service &&
      dependency.bindings.some((b) => b.instanceId === i.instanceId),
  )
}

/** A failure for each attribute known only at deploy time (`!ImportValue`, ...): it cannot be checked, so it does not pass. */
function deployTimeValues(dependency: CollectedDependency, bound: ReturnType<typeof boundInstances>): Finding[] {
  return bound.flatMap((instance) =>
    Object.entries(instance.attributes)
      .filter(([, value]) => isPlaceholder(value))
      .map(
        ([key, value]): Finding => ({
          check: 'attributes',
          ok: false,
          instanceId: instance.instanceId,
          attribute: key,
          detail: `${dependency.label} instance ${instance.instanceId}: attribute ${key} is ${value}, known only at deploy time: it cannot be checked`,
        }),
      ),
  )
}

/** How {@link bindingFindings} reads a set of bindings. */
interface BindingContext {
  /** Cloud Map's bindings (`--live`) rather than the template's. */
  readonly live?: boolean
  /** Instances already reported (their attributes hold a deploy-time value). */
  readonly reported?: ReadonlySet<string>
  /** The check's placeholder account, when no `AWS::AccountId` was given: a refusal of it says how to give the real one. */
  readonly placeholderAccount?: string | undefined
  /** The account of an instance's target, as the template gives it. */
  readonly targetAccount?: (instanceId: string) => string | undefined
}

/** Findings for a set of bindings: the template's, or Cloud Map's (`live`). */
function bindingFindings(label: string, bindings: readonly Binding[], context: BindingContext = {}): Finding[] {
  const { live = false, reported, placeholderAccount, targetAccount } = context
  return bindings.flatMap((binding): Finding[] => {
    if (binding.ok || reported?.has(binding.instanceId)) return []
    const known = own(BIND_CHECKS, binding.errorName)
    const check = live ? 'live' : (known ?? 'instance')
    // The kinds' own errors name the address and the instance already.
    const where = known === undefined ? `${label} instance ${binding.instanceId}: ` : ''
    const hint =
      !live &&
      binding.rule === 'allowedAccounts' &&
      placeholderAccount !== undefined &&
      targetAccount?.(binding.instanceId) === placeholderAccount
        ? ` (${placeholderAccount} is the check's placeholder account: give the real one with --param AWS::AccountId=<account>)`
        : ''
    return [
      {
        check,
        ok: false,
        detail: `${where}${binding.error}${hint}`,
        instanceId: binding.instanceId,
        error: binding.errorName,
        ...(binding.rule === undefined ? {} : { rule: binding.rule }),
      },
    ]
  })
}

/** The calls `--calls` lists for this dependency (by `<Function>/<name>` or `<name>`), if any. */
function listedCalls(fn: TemplateFunction, dependency: CollectedDependency, calls: CheckOptions['calls']): readonly string[] | undefined {
  if (calls === undefined || dependency.name === undefined) return undefined
  return own(calls, `${fn.logicalId}/${dependency.name}`) ?? own(calls, `${fn.name}/${dependency.name}`) ?? own(calls, dependency.name)
}

/** The account of an ARN (its fifth field), when it has one. */
const accountOf = (arn: string) => arn.split(':')[4] || undefined
/** The region of an ARN (its fourth field), when it has one. */
const regionOf = (arn: string) => arn.split(':')[3] || undefined

/** Is the request allowed by the role's statements and, when it has one, its permissions boundary? */
function permitted(fn: TemplateFunction, request: AccessRequest): AccessDecision {
  const decision = evaluateAccess(fn.statements, request)
  if (!decision.allowed || fn.boundary === undefined) return decision
  if ('unknown' in fn.boundary) {
    return {
      allowed: false,
      denial: 'undecided',
      reason: `its permissions boundary ${fn.boundary.unknown} is not in this template: it cannot be checked`,
    }
  }
  // The boundary's reasons name the ARNs as they are.
  const { names: _, ...plain } = request
  const bounded = evaluateAccess(fn.boundary.statements, plain)
  return bounded.allowed
    ? decision
    : { allowed: false, denial: 'explicit', reason: `its permissions boundary does not allow it: ${bounded.reason}` }
}

/** DiscoverInstances on the dependency's namespace and service, and each call of its kind on each target (and its key). */
function permissionFindings(
  fn: TemplateFunction,
  dependency: CollectedDependency,
  model: TemplateModel,
  calls: KindCalls | undefined,
  callNames: readonly string[],
  bound: readonly { readonly instanceId: string; readonly target: string | undefined }[],
): Finding[] {
  const { label, namespace, service } = dependency
  const findings: Finding[] = []
  // Global keys as the request would carry them; the rest a policy may test cannot be known before a deploy.
  const now = new Date()
  const global = {
    'aws:PrincipalAccount': model.pseudo.accountId,
    'aws:SecureTransport': 'true',
    'aws:CurrentTime': now.toISOString(),
    'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
  }
  const serviceArn = model.services.find((s) => s.namespace === namespace && s.name === service)?.arn
  const namespaceArn = own(model.namespaceArns, namespace)
  const resources = serviceArn !== undefined && namespaceArn !== undefined ? [namespaceArn, serviceArn] : ['*']
  const context = {
    ...global,
    'aws:RequestedRegion': model.pseudo.region,
    'aws:ResourceAccount': model.pseudo.accountId,
    'servicediscovery:NamespaceName': namespace,
    'servicediscovery:ServiceName': service,
  }
  const discover = [
    'servicediscovery:DiscoverInstances',
    ...(dependency.revalidate === 'revision' ? ['servicediscovery:DiscoverInstancesRevision'] : []),
  ]
  for (const action of discover) {
    const shown = `${namespace}.${service}`
    const request = { action, resource: resources[0] ?? '*', resources, context, names: { [resources[0] ?? '*']: shown } }
    findings.push(access('discover', label, { action, resource: request.resource, shown }, permitted(fn, request), fn.notes))
  }

  const actions = [...new Set(callNames.flatMap((call) => own(calls?.calls, call)?.actions ?? []))]
  const kms = [...new Set(callNames.flatMap((call) => own(calls?.calls, call)?.kms ?? []))]
  // A kind that makes calls needs a target on every instance that binds: one without it cannot be checked.
  if (actions.length > 0) {
    for (const { instanceId } of bound.filter((b) => b.target === undefined)) {
      findings.push({
        check: 'call',
        ok: false,
        instanceId,
        detail: `${label} instance ${instanceId}: its attributes name no target for ${calls?.factory ?? dependency.kind}'s calls (${actions.join(', ')}): they cannot be checked`,
      })
    }
  }
  const targets = [...new Set(bound.flatMap((b) => (b.target === undefined ? [] : [b.target])))]
  for (const target of targets) {
    const targetContext = {
      ...global,
      'aws:RequestedRegion': regionOf(target) ?? model.pseudo.region,
      'aws:ResourceAccount': accountOf(target) ?? model.pseudo.accountId,
    }
    // Another account's target also needs its resource policy to allow the call: not read here.
    const account = accountOf(target)
    const otherAccount = account !== undefined && account !== model.pseudo.accountId ? account : undefined
    for (const action of actions) {
      const decision = permitted(fn, { action, resource: target, context: targetContext })
      findings.push(access('call', label, { action, resource: target, shown: target, otherAccount }, decision, fn.notes))
    }
    // A queue or topic of the template encrypted with a customer managed key: its KMS actions too.
    const key = own(model.keys, target)
    if (key === undefined) continue
    for (const action of kms) {
      const shown = `${key} (the key of ${target})`
      const decision = permitted(fn, {
        action,
        resource: key,
        context: { ...targetContext, 'aws:ResourceAccount': accountOf(key) ?? model.pseudo.accountId },
        names: { [key]: shown },
      })
      findings.push(access('call', label, { action, resource: key, shown }, decision, fn.notes))
    }
  }
  return findings
}

/** Everything found about one dependency of one function. */
function judge(fn: TemplateFunction, dependency: CollectedDependency, model: TemplateModel, options: CheckOptions): DependencyReport {
  const { label, namespace, service } = dependency
  const findings: Finding[] = []
  const registered = registration(dependency, model)
  const missingButOptional = !registered.ok && dependency.optional && dependency.bindings.length === 0 && dependency.account === undefined
  findings.push(missingButOptional ? { ...registered, ok: true, optional: true, detail: `optional: ${registered.detail}` } : registered)

  const bound = boundInstances(dependency, model)
  const reported = new Set(bound.filter((instance) => Object.values(instance.attributes).some(isPlaceholder)).map((i) => i.instanceId))
  const placeholderAccount = options.parameters?.['AWS::AccountId'] === undefined ? model.pseudo.accountId : undefined
  // A target named by its name (a function's) is built in the template's account.
  const targetAccount = (instanceId: string) => {
    const arn = bound.find((i) => i.instanceId === instanceId)?.attributes.arn
    return arn?.startsWith('arn:') ? accountOf(arn) : model.pseudo.accountId
  }
  findings.push(
    ...deployTimeValues(dependency, bound),
    ...bindingFindings(label, dependency.bindings, { reported, placeholderAccount, targetAccount }),
  )
  const { maxResults } = dependency
  const atService = model.instances.filter((i) => i.namespace === namespace && i.service === service).length
  if (maxResults !== undefined && dependency.instance !== undefined && maxResults < atService) {
    findings.push({
      check: 'registered',
      ok: false,
      unregistered: 'max results',
      detail: `${label}: maxResults ${maxResults} is less than the ${atService} instances of ${namespace}.${service}: Cloud Map may leave ${dependency.instance} out of its answer`,
    })
  }
  const calls = kindCalls(dependency.kind)
  // The module's process says which instances bind (its kind's checks and its schema); their type
  // and target are read here from the template's instances, which the check sent it.
  const binding = dependency.bindings.flatMap((b) => {
    const instance = b.ok && !reported.has(b.instanceId) ? bound.find((i) => i.instanceId === b.instanceId) : undefined
    return instance === undefined ? [] : [instance]
  })
  const mistyped = calls?.type === undefined ? [] : binding.filter((instance) => instance.attributes.type !== calls.type)
  for (const instance of mistyped) {
    findings.push({
      check: 'type',
      ok: false,
      instanceId: instance.instanceId,
      detail: `${label} instance ${instance.instanceId}: its type is ${instance.attributes.type ?? '(none)'}, ${calls?.factory} needs ${calls?.type}`,
    })
  }
  const targets = binding.map(({ instanceId, attributes }) => ({ instanceId, target: targetOf(dependency.kind, attributes, model.pseudo) }))
  if (registered.ok && mistyped.length === 0 && dependency.bindings.every((b) => b.ok)) {
    const types = [
      ...new Set(dependency.bindings.map((b) => bound.find((i) => i.instanceId === b.instanceId)?.attributes.type ?? '(none)')),
    ]
    findings.push({ check: 'type', ok: true, types, detail: types.join(', ') })
    findings.push({ check: 'attributes', ok: true, detail: 'valid' })
  }

  const listed = listedCalls(fn, dependency, options.calls)
  for (const call of listed ?? []) {
    const unknown = calls === undefined ? undefined : unknownCall(calls, call)
    if (unknown !== undefined) findings.push({ check: 'calls', ok: false, detail: `${label}: ${unknown}` })
  }
  if (fn.permissions === 'outside') {
    findings.push({
      check: 'permissions',
      ok: false,
      detail: `${label}: the function's Role is not in this template: its permissions cannot be checked`,
    })
  } else {
    // A state machine of the template that is EXPRESS may also be run() (StartSyncExecution), as grantServices() grants.
    const express = dependency.kind === 'stateMachine' && targets.some((b) => b.target !== undefined && model.express.includes(b.target))
    const defaults = calls === undefined ? [] : defaultCalls(calls, { express })
    findings.push(...permissionFindings(fn, dependency, model, calls, listed ?? defaults, targets))
  }

  if (dependency.live !== undefined) {
    if ('error' in dependency.live) {
      findings.push({ check: 'live', ok: false, detail: `${label}: ${dependency.live.error}` })
    } else if (dependency.live.bindings.length === 0) {
      findings.push({ check: 'live', ok: dependency.optional, detail: `Cloud Map has no instance at ${label}` })
    } else {
      const failed = bindingFindings(label, dependency.live.bindings, { live: true })
      findings.push(...failed)
      const instances = dependency.live.bindings.map((b) => b.instanceId)
      if (failed.length === 0) findings.push({ check: 'live', ok: true, instances, detail: `registered now: ${instances.join(', ')}` })
    }
  }
  return {
    ...(dependency.name === undefined ? {} : { name: dependency.name }),
    by: dependency.by,
    kind: calls?.factory ?? `${dependency.kind}()`,
    address: label,
    ok: findings.every((f) => f.ok),
    findings,
  }
}

/** The report of one function from what loading its module gave. */
function report(fn: TemplateFunction, model: TemplateModel, result: CollectResult | undefined, options: CheckOptions): FunctionReport {
  const handler = 'module' in fn.handler ? `${relative(process.cwd(), fn.handler.module)}#${fn.handler.exportName}` : undefined
  const base = { logicalId: fn.logicalId, name: fn.name, ...(handler === undefined ? {} : { handler }), notes: fn.notes }
  if (fn.skipped !== undefined) return { ...base, status: 'skipped', reason: fn.skipped, dependencies: [] }
  if ('missing' in fn.handler)
    return { ...base, status: 'failed', reason: `handler module not found: ${fn.handler.missing}`, dependencies: [] }
  if (!result?.loaded) {
    return { ...base, status: 'failed', reason: `handler module failed to load: ${result?.error}`, dependencies: [] }
  }
  if (!result.exported) {
    return { ...base, status: 'failed', reason: `${handler} is not an exported function`, dependencies: [] }
  }
  const dependencies = result.dependencies.map((dependency) => judge(fn, dependency, model, options))
  return { ...base, status: dependencies.every((d) => d.ok) ? 'ok' : 'failed', dependencies }
}

/** The layers that applied to every module's process, and each one missing from any (once per reason). */
function combined(isolations: readonly Isolation[]): Isolation {
  const layers: readonly IsolationLayer[] = ['permission-model', 'network-permission', 'socket-guard', 'network-namespace', 'pid-namespace']
  const applied = isolations.length === 0 ? [] : layers.filter((layer) => isolations.every((i) => i.applied.includes(layer)))
  const missing = [...new Map(isolations.flatMap((i) => i.missing).map((m) => [`${m.layer}\u0000${m.reason}`, m])).values()]
  return { applied, missing }
}

/** Runs `work` over `items`, at most `limit` at a time, keeping their order. */
async function mapLimited<T, U>(items: readonly T[], limit: number, work: (item: T) => Promise<U>): Promise<U[]> {
  const out: U[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      out[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * Checks a SAM or CDK-synthesized template against the handlers it deploys: for each
 * function, every dependency its handler module declares must be registered in the template,
 * with a `type` its kind accepts, attributes its schema accepts and a target its resolver's
 * policy allows, and the function's role must allow DiscoverInstances on it and the calls
 * its kind makes on the target.
 *
 * @throws {TemplateError} when the template cannot be read as asked.
 * @example
 * ```ts
 * import { check } from '@cloudmap-middy/check'
 *
 * const report = await check('template.yaml', { parameters: { Stage: 'prod' } })
 * for (const problem of report.problems) console.error(`${problem.function} ${problem.address}: ${problem.detail}`)
 * ```
 */
export async function check(template: string, options: CheckOptions = {}): Promise<CheckReport> {
  const model = readTemplate(template, {
    ...(options.parameters === undefined ? {} : { parameters: options.parameters }),
    ...(options.handlers === undefined ? {} : { handlers: options.handlers }),
    ...(options.skip === undefined ? {} : { skip: options.skip }),
  })
  const live = options.live ?? false
  if (options.requireIsolation) {
    for (const fn of model.functions) {
      if (fn.skipped !== undefined || !('module' in fn.handler)) continue
      const { missing } = isolationOf(fn.handler.module)
      if (missing.length > 0) throw new IsolationError(fn.handler.module, missing)
    }
  }
  // The permission model reads through links: a project that links out would let a module read what it links to.
  const looked = new Map<string, string | undefined>()
  for (const fn of model.functions) {
    if (fn.skipped !== undefined || !('module' in fn.handler)) continue
    if (!isolationOf(fn.handler.module).applied.includes('permission-model')) continue
    // Once per folder: its modules share a project.
    const folder = dirname(fn.handler.module)
    if (!looked.has(folder)) looked.set(folder, projectLinkProblem(fn.handler.module))
    const problem = looked.get(folder)
    if (problem !== undefined) throw new TemplateError(`${fn.logicalId}: its handler module is not loaded: ${problem}`)
  }
  const limit = Math.max(1, Math.min(4, availableParallelism()))
  const loaded = await mapLimited(model.functions, limit, async (fn) => {
    // Only a function to check whose module was found is loaded.
    const result =
      fn.skipped === undefined && 'module' in fn.handler
        ? await collect(fn, fn.handler, model, {
            live,
            ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          })
        : undefined
    return { report: report(fn, model, result, options), isolation: result?.isolation }
  })
  const isolation = combined(loaded.flatMap((entry) => (entry.isolation === undefined ? [] : [entry.isolation])))
  const functions = loaded.map((entry) => entry.report)
  for (const key of Object.keys(options.calls ?? {})) {
    const [prefix, name] = key.includes('/') ? key.split('/', 2) : [undefined, key]
    const used = functions.some(
      (fn) => (prefix === undefined || prefix === fn.logicalId || prefix === fn.name) && fn.dependencies.some((d) => d.name === name),
    )
    if (!used) throw new TemplateError(`--calls ${key}: no function checked declares a dependency named ${name}`)
  }
  const problems: Problem[] = []
  for (const fn of functions) {
    if (fn.status === 'failed' && fn.reason !== undefined) problems.push({ function: fn.logicalId, check: 'handler', detail: fn.reason })
    for (const dependency of fn.dependencies) {
      for (const finding of dependency.findings) {
        if (!finding.ok)
          problems.push({ function: fn.logicalId, address: dependency.address, check: finding.check, detail: finding.detail })
      }
    }
  }
  return {
    template,
    form: model.form,
    region: model.pseudo.region,
    account: model.pseudo.accountId,
    parameters: Object.fromEntries(
      Object.entries(model.parameters)
        .filter(([name]) => !name.startsWith('AWS::'))
        .map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : value]),
    ),
    live,
    isolation,
    notes: model.notes,
    functions,
    problems,
    ok: problems.length === 0,
  }
}
