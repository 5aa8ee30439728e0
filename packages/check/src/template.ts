import { readFileSync } from 'node:fs'
import { parse, type Tags } from 'yaml'

/** A CloudFormation intrinsic as parsed from its short form (`!Ref X` becomes `{ Ref: 'X' }`). */
type Intrinsic = { Ref: string } | { 'Fn::GetAtt': string | [string, string] } | { 'Fn::Sub': string | [string, Record<string, unknown>] }

export interface Resource {
  readonly Type: string
  readonly Properties?: Record<string, unknown>
}

export interface Template {
  readonly Parameters?: Record<string, { Type?: string; Default?: string | number }>
  readonly Conditions?: Record<string, unknown>
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
  tag('If', 'Fn::If', 'seq'),
  tag('Equals', 'Fn::Equals', 'seq'),
  tag('Not', 'Fn::Not', 'seq'),
  tag('And', 'Fn::And', 'seq'),
  tag('Or', 'Fn::Or', 'seq'),
  tag('Select', 'Fn::Select', 'seq'),
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

/** Stands for `AWS::NoValue`: the property it is the value of is left out. */
const NO_VALUE = Symbol('AWS::NoValue')

/** Resolves intrinsics against parameters, conditions and the resources created so far. */
export class Resolver {
  readonly #parameters: Record<string, string | string[]>
  readonly #conditions: Record<string, unknown>
  readonly provided = new Map<string, Provided>()

  constructor(parameters: Record<string, string | string[]>, conditions: Record<string, unknown> = {}) {
    this.#parameters = parameters
    this.#conditions = conditions
  }

  #condition(name: string): boolean {
    if (!(name in this.#conditions)) throw new Error(`template: no condition ${name}`)
    return Boolean(this.resolve(this.#conditions[name]))
  }

  #ref(name: string): string | string[] | typeof NO_VALUE {
    if (name === 'AWS::NoValue') return NO_VALUE
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
      return name.includes('.') ? this.#getAtt(name) : String(this.#ref(name))
    })
  }

  /** The value with every intrinsic replaced. */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item)).filter((item) => item !== NO_VALUE)
    if (value === null || typeof value !== 'object') return value
    const intrinsic = value as Intrinsic
    if ('Ref' in intrinsic) return this.#ref(intrinsic.Ref)
    if ('Fn::GetAtt' in intrinsic) return this.#getAtt(intrinsic['Fn::GetAtt'])
    if ('Fn::Sub' in intrinsic) {
      const sub = intrinsic['Fn::Sub']
      return Array.isArray(sub) ? this.#sub(sub[0], sub[1]) : this.#sub(sub)
    }
    const fn = value as Record<string, unknown[]>
    if (fn['Fn::Join']) {
      const [separator, parts] = fn['Fn::Join'] as [string, unknown]
      const resolved = this.resolve(parts)
      return (Array.isArray(resolved) ? resolved : [resolved]).join(separator)
    }
    if (fn['Fn::Select']) {
      const [index, list] = fn['Fn::Select'] as [number, unknown]
      return (this.resolve(list) as unknown[])[Number(index)]
    }
    if (fn['Fn::Equals']) {
      const [a, b] = this.resolve(fn['Fn::Equals']) as [unknown, unknown]
      return JSON.stringify(a) === JSON.stringify(b)
    }
    if (fn['Fn::Not']) return !(this.resolve(fn['Fn::Not'][0]) as boolean)
    if (fn['Fn::And']) return (this.resolve(fn['Fn::And']) as boolean[]).every(Boolean)
    if (fn['Fn::Or']) return (this.resolve(fn['Fn::Or']) as boolean[]).some(Boolean)
    if (fn['Fn::If']) {
      const [condition, yes, no] = fn['Fn::If'] as [string, unknown, unknown]
      return this.resolve(this.#condition(condition) ? yes : no)
    }
    if ('Condition' in value && Object.keys(value).length === 1) return this.#condition(String((value as { Condition: string }).Condition))
    return Object.fromEntries(
      Object.entries(value)
        .map(([key, item]) => [key, this.resolve(item)])
        .filter(([, item]) => item !== NO_VALUE),
    )
  }
}
