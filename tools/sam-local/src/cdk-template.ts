// Lets the local runner run an app the AWS CDK synthesized: its template is rewritten into the
// SAM shape startLocalApp() reads, each function pointing at its handler module (TypeScript
// source, as in the SAM path), with the routes and queues that call it as its Events.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join, relative } from 'node:path'
import type { Resource, Template } from './template.js'

/** A template as the CDK synthesizes it (JSON: intrinsics in their long form). */
export interface CdkTemplate {
  readonly Parameters?: Template['Parameters']
  readonly Conditions?: Record<string, unknown>
  readonly Resources: Record<string, Resource>
}

/** The handler module of each function, by its `FunctionName` (or logical id): an absolute path to a `.ts` file. */
export type HandlerModules = Readonly<Record<string, string>>

// IAM is not enforced locally; permissions, API Gateway and event source mappings are folded into the functions' Events.
const DROPPED = /^AWS::(IAM::|Lambda::Permission$|Lambda::EventSourceMapping$|ApiGatewayV2::|CDK::Metadata$)/

/** The logical ids a value refers to through `Ref` and `Fn::GetAtt`. */
function refersTo(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refersTo)
  if (value === null || typeof value !== 'object') return []
  const object = value as Record<string, unknown>
  if (typeof object.Ref === 'string') return [object.Ref]
  const getAtt = object['Fn::GetAtt']
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return [getAtt[0]]
  return Object.values(object).flatMap(refersTo)
}

/**
 * Rewrites a CDK-synthesized template into the SAM shape of `startLocalApp()`:
 * `AWS::Lambda::Function` becomes `AWS::Serverless::Function` running its handler module (from
 * `handlers`), with an `HttpApi` event per API Gateway v2 route that integrates it and an `SQS`
 * event per event source mapping on a queue; what has no local meaning (IAM, Lambda
 * permissions, API Gateway, CDK metadata) is left out. Everything else is kept as it is.
 *
 * @param directory - where the result will be written (the functions' `CodeUri` is relative to it).
 * @throws {Error} naming a function that has no handler module.
 */
export function samFromCdk(template: CdkTemplate, handlers: HandlerModules, directory: string): Template {
  const resources = Object.entries(template.Resources)
  const events = new Map<string, Record<string, { Type: string; Properties: Record<string, unknown> }>>()
  const addEvent = (functionId: string, name: string, type: string, properties: Record<string, unknown>) => {
    events.set(functionId, { ...events.get(functionId), [name]: { Type: type, Properties: properties } })
  }
  const isFunction = (id: string) => template.Resources[id]?.Type === 'AWS::Lambda::Function'

  for (const [id, resource] of resources) {
    const props = resource.Properties ?? {}
    if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      const target = refersTo(props.FunctionName).find(isFunction)
      if (target) addEvent(target, id, 'SQS', { Queue: props.EventSourceArn, BatchSize: props.BatchSize ?? 10 })
    }
    if (resource.Type === 'AWS::ApiGatewayV2::Route') {
      const [method = '', path = ''] = String(props.RouteKey).split(' ')
      const integration = refersTo(props.Target)
        .map((ref) => template.Resources[ref])
        .find((r) => r?.Type === 'AWS::ApiGatewayV2::Integration')
      const target = refersTo(integration?.Properties?.IntegrationUri).find(isFunction)
      if (target) addEvent(target, id, 'HttpApi', { Path: path, Method: method })
    }
  }

  const out: Record<string, Resource> = {}
  for (const [id, resource] of resources) {
    if (DROPPED.test(resource.Type)) continue
    if (resource.Type !== 'AWS::Lambda::Function') {
      out[id] = resource
      continue
    }
    const props = resource.Properties ?? {}
    const name = typeof props.FunctionName === 'string' ? props.FunctionName : id
    const module = handlers[name] ?? handlers[id]
    if (module === undefined || !module.endsWith('.ts')) {
      throw new Error(`${id}: no handler module (.ts) for function ${name}; give one in handlers`)
    }
    const exportName = String(props.Handler ?? 'index.handler')
      .split('.')
      .pop()
    out[id] = {
      Type: 'AWS::Serverless::Function',
      Properties: {
        FunctionName: props.FunctionName ?? id,
        Handler: `${basename(module, '.ts')}.${exportName}`,
        CodeUri: relative(directory, dirname(module)),
        ...(props.Timeout === undefined ? {} : { Timeout: props.Timeout }),
        ...(props.Environment === undefined ? {} : { Environment: props.Environment }),
        Events: events.get(id) ?? {},
      },
    }
  }
  return {
    ...(template.Parameters ? { Parameters: template.Parameters } : {}),
    ...(template.Conditions ? { Conditions: template.Conditions } : {}),
    Resources: out,
  }
}

/**
 * Writes `samFromCdk()`'s result to `<name>.sam-local.json` in a new temporary folder, and
 * returns its path: the `templatePath` of `startLocalApp()`.
 */
export function writeLocalTemplate(template: CdkTemplate, handlers: HandlerModules, name: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'sam-local-cdk-'))
  const path = join(directory, `${name}.sam-local.json`)
  writeFileSync(path, JSON.stringify(samFromCdk(template, handlers, directory), null, 2))
  return path
}
