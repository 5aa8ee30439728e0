import { readFileSync } from 'node:fs'
import { parse, type Tags } from 'yaml'

/** A CloudFormation intrinsic as parsed from its short form (`!Ref X` becomes `{ Ref: 'X' }`). */
type Intrinsic = { Ref: string } | { 'Fn::GetAtt': string | [string, string] } | { 'Fn::Sub': string | [string, Record<string, unknown>] }

export interface Resource {
  readonly Type: string
  readonly Properties?: Record<string, unknown>
}

export interface Template {
  readonly Parameters?: Record<string, { Default?: string }>
  readonly Globals?: { Function?: Record<string, unknown> }
  readonly Resources: Record<string, Resource>
}

const tag = (name: string, key: string, kind: 'scalar' | 'seq') => ({
  tag: `!${name}`,
  collection: kind === 'seq' ? ('seq' as const) : undefined,
  resolve: (value: unknown) => ({
    [key]: value && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value,
  }),
})

const tags: Tags = [
  tag('Ref', 'Ref', 'scalar'),
  tag('GetAtt', 'Fn::GetAtt', 'scalar'),
  tag('Sub', 'Fn::Sub', 'scalar'),
  tag('Sub', 'Fn::Sub', 'seq'),
  tag('Join', 'Fn::Join', 'seq'),
] as unknown as Tags

/** Reads a SAM template, short-form intrinsics included. */
export function loadTemplate(path: string): Template {
  return parse(readFileSync(path, 'utf8'), { customTags: tags }) as Template
}

/** What a resource answers to `Ref` and `Fn::GetAtt` once it exists. */
export interface Provided {
  readonly ref: string
  readonly attributes: Record<string, string>
}

/** Resolves intrinsics against parameters and the resources created so far. */
export class Resolver {
  readonly #parameters: Record<string, string>
  readonly provided = new Map<string, Provided>()

  constructor(parameters: Record<string, string>) {
    this.#parameters = parameters
  }

  #ref(name: string): string {
    const value = this.#parameters[name] ?? this.provided.get(name)?.ref
    if (value === undefined) throw new Error(`template: !Ref ${name} names nothing created yet`)
    return value
  }

  #getAtt(target: string | [string, string]): string {
    const [logicalId, attribute] = Array.isArray(target) ? target : (target.split(/\.(.*)/s) as [string, string])
    const value = this.provided.get(logicalId)?.attributes[attribute]
    if (value === undefined) throw new Error(`template: !GetAtt ${logicalId}.${attribute} is not known`)
    return value
  }

  #sub(text: string, variables: Record<string, unknown> = {}): string {
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      if (name in variables) return String(this.resolve(variables[name]))
      return name.includes('.') ? this.#getAtt(name) : this.#ref(name)
    })
  }

  /** The value with every intrinsic replaced. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item))
    if (value === null || typeof value !== 'object') return value
    const intrinsic = value as Intrinsic
    if ('Ref' in intrinsic) return this.#ref(intrinsic.Ref)
    if ('Fn::GetAtt' in intrinsic) return this.#getAtt(intrinsic['Fn::GetAtt'])
    if ('Fn::Sub' in intrinsic) {
      const sub = intrinsic['Fn::Sub']
      return Array.isArray(sub) ? this.#sub(sub[0], sub[1]) : this.#sub(sub)
    }
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']
    if (join) {
      const [separator, parts] = join
      return (this.resolve(parts) as unknown[]).join(separator)
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, this.resolve(item)]))
  }
}
