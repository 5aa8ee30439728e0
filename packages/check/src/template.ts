/**
 * The template reader and intrinsic resolver of `cloudmap-middy check`, for tooling:
 * `loadTemplate()` reads a SAM or CloudFormation template (JSON or YAML, short-form tags
 * included), and a `TemplateResolver` evaluates its intrinsics against parameter values.
 *
 * @module @cloudmap-middy/check/template
 */
import { readFileSync, statSync } from 'node:fs'
import { type Document, isScalar, parseDocument, type Tags, visit } from 'yaml'
import { own } from './own.js'

/** A CloudFormation intrinsic as parsed from its short form (`!Ref X` becomes `{ Ref: 'X' }`). */
type Intrinsic = { Ref: string } | { 'Fn::GetAtt': string | [string, string] } | { 'Fn::Sub': string | [string, Record<string, unknown>] }

/** A resource of a template. */
export interface Resource {
  /** Its type (`AWS::SQS::Queue`). */
  readonly Type: string
  /** Its properties, intrinsics unresolved. */
  readonly Properties?: Record<string, unknown>
  /** The condition it is created under, when it has one. */
  readonly Condition?: string
  /** Its metadata (SAM's `BuildProperties`, the CDK's `aws:asset:path`). */
  readonly Metadata?: Record<string, unknown>
}

/** A template as loaded: intrinsics in their long form. */
export interface Template {
  /** Its parameters' declarations. */
  readonly Parameters?: Record<
    string,
    {
      /** The parameter's type (`String`, `CommaDelimitedList`, ...). */
      Type?: string
      /** Its value when none is given. */
      Default?: string | number
    }
  >
  /** Its mappings: map → top-level key → second-level key → value. */
  readonly Mappings?: Record<string, Record<string, Record<string, unknown>>>
  /** Its conditions, by name. */
  readonly Conditions?: Record<string, unknown>
  /** SAM's `Globals`. */
  readonly Globals?: {
    /** The properties every `AWS::Serverless::Function` inherits. */
    Function?: Record<string, unknown>
  }
  /** Its resources, by logical id. */
  readonly Resources: Record<string, Resource>
}

/** The long-form key of each short-form tag CloudFormation reads (`!Condition` is `{ Condition: name }`). */
const SHORT_FORMS: Readonly<Record<string, string>> = {
  Ref: 'Ref',
  Condition: 'Condition',
  GetAtt: 'Fn::GetAtt',
  Sub: 'Fn::Sub',
  Join: 'Fn::Join',
  Select: 'Fn::Select',
  Split: 'Fn::Split',
  If: 'Fn::If',
  Equals: 'Fn::Equals',
  Not: 'Fn::Not',
  And: 'Fn::And',
  Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap',
  ImportValue: 'Fn::ImportValue',
  Base64: 'Fn::Base64',
  GetAZs: 'Fn::GetAZs',
  Cidr: 'Fn::Cidr',
  Length: 'Fn::Length',
  ToJsonString: 'Fn::ToJsonString',
  Transform: 'Fn::Transform',
}

const tag = (name: string, key: string, kind: 'scalar' | 'seq' | 'map') => ({
  tag: `!${name}`,
  collection: kind === 'scalar' ? undefined : kind,
  resolve: (value: unknown) => ({
    [key]: value && typeof value === 'object' && 'toJSON' in value ? (value as { toJSON(): unknown }).toJSON() : value,
  }),
})

// Each tag on a scalar, a sequence or a mapping (`!ImportValue { "Fn::Sub": ... }`, `!GetAtt [Queue, Arn]`).
const tags: Tags = Object.entries(SHORT_FORMS).flatMap(([name, key]) =>
  (['scalar', 'seq', 'map'] as const).map((kind) => tag(name, key, kind)),
) as unknown as Tags

/**
 * Reads a SAM template, short-form intrinsics and YAML merge keys (`<<: *base`, as SAM reads them) included.
 *
 * @throws {Error} when the text is not YAML (or JSON), or holds a tag CloudFormation does not know
 * (the YAML library would read `!ImportValu X` as the string `X`).
 */
export function loadTemplate(path: string): Template {
  const size = statSync(path).size
  if (size > TEMPLATE_LIMITS.bytes) {
    throw new Error(
      `the template is ${size.toLocaleString('en-US')} bytes; the check reads at most ${TEMPLATE_LIMITS.bytes.toLocaleString('en-US')} (CloudFormation's 1 MB)`,
    )
  }
  // yaml's own duplicate-key check compares each key with every one before it: quadratic in a
  // mapping's keys (40,000 keys took 20 s). Keys are checked here with a set instead.
  const source = readFileSync(path, 'utf8')
  const document = parseDocument(source, { customTags: tags, merge: true, uniqueKeys: false })
  const [error] = document.errors
  if (error) throw error
  checkUniqueKeys(document, source)
  const unknownTag = document.warnings.find((warning) => warning.code === 'TAG_RESOLVE_FAILED')
  if (unknownTag) throw new Error(`not a CloudFormation tag: ${unknownTag.message.replace(/^Unresolved tag: /, '')}`)
  // Aliases could make a small text a huge value: yaml stops that (maxAliasCount); depth is bounded here.
  const template = document.toJS() as Template
  checkDepth(template)
  return template
}

/** Refuses a mapping that holds a key twice (merge keys `<<` aside), naming the key and its line in `source`. */
function checkUniqueKeys(document: Document, source: string): void {
  visit(document, {
    Map(_, map) {
      const seen = new Set<unknown>()
      for (const { key } of map.items) {
        const value = isScalar(key) ? key.value : key
        if (value === '<<') continue
        if (seen.has(value)) {
          const offset = isScalar(key) ? key.range?.[0] : undefined
          const line = offset === undefined ? '' : ` (line ${source.slice(0, offset).split('\n').length})`
          throw new Error(`the key ${JSON.stringify(String(value))} appears twice in one mapping${line}`)
        }
        seen.add(value)
      }
    },
  })
}

/**
 * The bounds on what {@link loadTemplate} reads: the file's size (CloudFormation takes templates
 * of at most 1 MB), and how deep values nest (the resolver recurses once per level).
 */
export const TEMPLATE_LIMITS = Object.freeze({
  /** The largest file read, in bytes. */
  bytes: 1_048_576,
  /** The deepest nesting of values read. */
  depth: 128,
})

/** Refuses a value nested deeper than {@link TEMPLATE_LIMITS}.depth, without recursing. */
function checkDepth(root: unknown): void {
  const stack: [unknown, number][] = [[root, 0]]
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number]
    if (value === null || typeof value !== 'object') continue
    if (depth >= TEMPLATE_LIMITS.depth) {
      throw new Error(`values nest more than ${TEMPLATE_LIMITS.depth} levels deep; the check reads at most ${TEMPLATE_LIMITS.depth}`)
    }
    for (const item of Object.values(value)) stack.push([item, depth + 1])
  }
}

/** What a resource answers to `Ref` and `Fn::GetAtt` once it exists. */
export interface Provided {
  /** What `Ref` gives. */
  readonly ref: string
  /** What `Fn::GetAtt` gives, by attribute. */
  readonly attributes: Record<string, string>
}

/**
 * Thrown by {@link TemplateResolver.resolve} for a `Ref` or `Fn::GetAtt` (or a `${Name}` of `Fn::Sub`) that names
 * nothing provided (yet), or an attribute that is not known. Its message is
 * `template: !Ref X names nothing created yet` or `template: !GetAtt X.Y is not known`.
 */
export class UnknownReferenceError extends Error {
  /** `UnknownReferenceError`. */
  override readonly name = 'UnknownReferenceError'
  /** The logical id (or parameter name) referred to. */
  readonly target: string
  /** The reference as the template writes it: `!Ref X`, `!GetAtt X.Y`. */
  readonly reference: string

  /** An error about `reference`, which names `target`; `why` completes the message. */
  constructor(reference: string, target: string, why: string) {
    super(`template: ${reference} ${why}`)
    this.target = target
    this.reference = reference
  }
}

/** Stands for `AWS::NoValue`: the property it is the value of is left out. */
const NO_VALUE = Symbol('AWS::NoValue')

/** The parts of a placeholder: `«`, the intrinsic and its argument, `»`. */
const PLACEHOLDER = /«[^»]*»/

/** An argument as a placeholder shows it: a string as is (`''` when empty), a list as `[a, b]`, else JSON. */
function describe(value: unknown): string {
  if (typeof value === 'string') return value === '' ? "''" : value
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`
  return JSON.stringify(value) ?? String(value)
}

/** The placeholder of a value only a deploy knows: `«Fn::ImportValue SharedQueueArn»`. */
function placeholder(intrinsic: string, argument: unknown): string {
  return `«${intrinsic} ${describe(argument)}»`
}

/**
 * True when the value is, or holds (in a string, a list or an object), a placeholder: what
 * {@link TemplateResolver.resolve} gives for a value only a deploy knows (`«Fn::ImportValue SharedQueueArn»`,
 * `«Fn::GetAZs eu-west-1»`, `«Fn::GetAtt Nested.Outputs.QueueArn»`).
 *
 * @example
 * ```ts
 * isPlaceholder(new TemplateResolver({}).resolve({ 'Fn::ImportValue': 'SharedQueueArn' })) // true
 * isPlaceholder('arn:aws:sqs:eu-west-1:123456789012:jobs') // false
 * ```
 */
export function isPlaceholder(value: unknown): boolean {
  if (typeof value === 'string') return PLACEHOLDER.test(value)
  if (Array.isArray(value)) return value.some(isPlaceholder)
  if (value !== null && typeof value === 'object') return Object.values(value).some(isPlaceholder)
  return false
}

/** Resolves intrinsics against parameters, conditions, mappings and the resources created so far. */
export class TemplateResolver {
  readonly #parameters: Record<string, string | string[]>
  readonly #conditions: Record<string, unknown>
  readonly #mappings: Record<string, unknown>
  /** What each resource created so far gives to `Ref` and `Fn::GetAtt`, by logical id. */
  readonly provided = new Map<string, Provided>()

  /**
   * @param parameters - parameter values (pseudo parameters included), by name
   * @param conditions - the template's `Conditions`
   * @param mappings - the template's `Mappings`, for `Fn::FindInMap`
   */
  constructor(
    parameters: Record<string, string | string[]>,
    conditions: Record<string, unknown> = {},
    mappings: Record<string, unknown> = {},
  ) {
    this.#parameters = parameters
    this.#conditions = conditions ?? {}
    this.#mappings = mappings ?? {}
  }

  #condition(name: string): boolean {
    if (!Object.hasOwn(this.#conditions, name)) throw new Error(`template: no condition ${name} in Conditions`)
    return Boolean(this.resolve(this.#conditions[name]))
  }

  #ref(name: string): string | string[] | typeof NO_VALUE {
    if (name === 'AWS::NoValue') return NO_VALUE
    const value = Object.hasOwn(this.#parameters, name) ? this.#parameters[name] : this.provided.get(name)?.ref
    if (value === undefined) throw new UnknownReferenceError(`!Ref ${name}`, name, 'names nothing created yet')
    return value
  }

  #getAtt(target: unknown): string {
    const resolved = Array.isArray(target) ? this.resolve(target) : target
    const named =
      typeof resolved === 'string' ||
      (Array.isArray(resolved) && resolved.length === 2 && resolved.every((part) => typeof part === 'string'))
    if (!named) throw new Error(`template: !GetAtt ${describe(resolved)} is not LogicalId.Attribute or [LogicalId, Attribute]`)
    const [logicalId, attribute] = (Array.isArray(resolved) ? resolved : resolved.split(/\.(.*)/s)) as [string, string | undefined]
    const provided = this.provided.get(logicalId)
    const value = attribute === undefined || provided === undefined ? undefined : own(provided.attributes, attribute)
    if (typeof value !== 'string') throw new UnknownReferenceError(`!GetAtt ${logicalId}.${attribute}`, logicalId, 'is not known')
    return value
  }

  #sub(text: unknown, variables: unknown = {}): string {
    if (typeof text !== 'string') throw new Error(`template: !Sub ${describe(text)} is not a string`)
    const given = (variables ?? {}) as Record<string, unknown>
    return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
      // `${!Literal}` is the literal `${Literal}`.
      if (name.startsWith('!')) return `\${${name.slice(1)}}`
      if (Object.hasOwn(given, name)) return String(this.resolve(given[name]))
      // `${Fn.Alias}`: what SAM provides under a dotted name (`!Ref Fn.Alias`) before an attribute.
      if (name.includes('.') && !this.provided.has(name)) return this.#getAtt(name)
      return String(this.#ref(name))
    })
  }

  #findInMap(args: unknown): unknown {
    const [map, top, second, options] = (Array.isArray(args) ? args : []).map((item) => this.resolve(item)) as unknown[]
    const shown = `!FindInMap [${[map, top, second].map(describe).join(', ')}]`
    const fallback = (options as { DefaultValue?: unknown } | undefined)?.DefaultValue
    const orDefault = (problem: string) => {
      if (fallback !== undefined) return fallback
      throw new Error(`template: ${shown}: ${problem}`)
    }
    if ([map, top, second].some(isPlaceholder)) return placeholder('Fn::FindInMap', [map, top, second])
    const mapping = Object.hasOwn(this.#mappings, String(map)) ? this.#mappings[String(map)] : undefined
    if (mapping === null || typeof mapping !== 'object') return orDefault(`no mapping ${describe(map)}`)
    const level = Object.hasOwn(mapping, String(top)) ? (mapping as Record<string, unknown>)[String(top)] : undefined
    if (level === null || typeof level !== 'object') return orDefault(`mapping ${describe(map)} has no key ${describe(top)}`)
    if (!Object.hasOwn(level, String(second))) return orDefault(`mapping ${describe(map)}.${describe(top)} has no key ${describe(second)}`)
    return this.resolve((level as Record<string, unknown>)[String(second)])
  }

  /** A list an intrinsic takes: the list, or `undefined` for a placeholder (a list only a deploy knows). */
  #list(value: unknown, intrinsic: string): unknown[] | undefined {
    const resolved = this.resolve(value)
    if (Array.isArray(resolved)) return resolved
    if (isPlaceholder(resolved)) return undefined
    throw new Error(`template: !${intrinsic} of ${describe(resolved)}, which is not a list`)
  }

  /**
   * The value with every intrinsic replaced. A value only a deploy knows (`Fn::ImportValue`,
   * `Fn::GetAZs`, `Fn::Cidr`, an unknown `Fn::*`) becomes a placeholder (see {@link isPlaceholder}),
   * and so does what is computed from one.
   *
   * @throws {UnknownReferenceError} for a `Ref` or `Fn::GetAtt` to nothing provided (yet).
   * @throws {Error} for an intrinsic that cannot give a value (`template: ...`).
   */
  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((item) => this.resolve(item)).filter((item) => item !== NO_VALUE)
    if (value === null || typeof value !== 'object') return value
    const intrinsic = value as Intrinsic
    if ('Ref' in intrinsic) return this.#ref(String(intrinsic.Ref))
    if ('Fn::GetAtt' in intrinsic) return this.#getAtt(intrinsic['Fn::GetAtt'])
    if ('Fn::Sub' in intrinsic) {
      const sub = intrinsic['Fn::Sub']
      return Array.isArray(sub) ? this.#sub(sub[0], sub[1]) : this.#sub(sub)
    }
    const fn = value as Record<string, unknown>
    if ('Fn::Join' in fn) {
      const [separator, parts] = fn['Fn::Join'] as [string, unknown]
      const resolved = this.resolve(parts)
      return (Array.isArray(resolved) ? resolved : [resolved]).join(String(this.resolve(separator)))
    }
    if ('Fn::Select' in fn) {
      const [index, list] = fn['Fn::Select'] as [unknown, unknown]
      const at = Number(this.resolve(index))
      const items = this.#list(list, 'Select')
      if (items === undefined) return placeholder('Fn::Select', [at, this.resolve(list)])
      if (!Number.isInteger(at) || at < 0 || at >= items.length) {
        throw new Error(`template: !Select index ${describe(this.resolve(index))} is out of range (${items.length} items)`)
      }
      return items[at]
    }
    if ('Fn::Split' in fn) {
      const [delimiter, source] = fn['Fn::Split'] as [unknown, unknown]
      const text = this.resolve(source)
      if (isPlaceholder(text)) return placeholder('Fn::Split', [this.resolve(delimiter), text])
      return String(text).split(String(this.resolve(delimiter)))
    }
    if ('Fn::FindInMap' in fn) return this.#findInMap(fn['Fn::FindInMap'])
    if ('Fn::Base64' in fn) {
      const text = this.resolve(fn['Fn::Base64'])
      return isPlaceholder(text) ? placeholder('Fn::Base64', text) : Buffer.from(String(text), 'utf8').toString('base64')
    }
    if ('Fn::Length' in fn) {
      const items = this.#list(fn['Fn::Length'], 'Length')
      return items === undefined ? placeholder('Fn::Length', this.resolve(fn['Fn::Length'])) : items.length
    }
    if ('Fn::ToJsonString' in fn) return JSON.stringify(this.resolve(fn['Fn::ToJsonString']))
    if ('Fn::Equals' in fn) {
      const [a, b] = this.resolve(fn['Fn::Equals']) as [unknown, unknown]
      // A value known only at deploy time decides nothing here: say so rather than guess.
      const unknown = [a, b].find(isPlaceholder)
      if (unknown !== undefined) {
        throw new Error(`!Equals compares ${JSON.stringify(unknown)}, known only at deploy time: give its value with --param`)
      }
      // CloudFormation compares as strings: `!Equals [!Ref Disabled, true]` holds for the value 'true'.
      const scalar = (item: unknown) => typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean'
      return scalar(a) && scalar(b) ? String(a) === String(b) : JSON.stringify(a) === JSON.stringify(b)
    }
    if ('Fn::Not' in fn) return !(this.resolve((fn['Fn::Not'] as unknown[])[0]) as boolean)
    if ('Fn::And' in fn) return (this.resolve(fn['Fn::And']) as boolean[]).every(Boolean)
    if ('Fn::Or' in fn) return (this.resolve(fn['Fn::Or']) as boolean[]).some(Boolean)
    if ('Fn::If' in fn) {
      const [condition, yes, no] = fn['Fn::If'] as [string, unknown, unknown]
      return this.resolve(this.#condition(String(condition)) ? yes : no)
    }
    const keys = Object.keys(value)
    const [only] = keys
    if (keys.length === 1 && only === 'Condition' && typeof fn.Condition === 'string') return this.#condition(fn.Condition)
    if (keys.length === 1 && only?.startsWith('Fn::')) {
      // Fn::ImportValue, Fn::GetAZs, Fn::Cidr, and any other intrinsic: what it gives is known after a deploy.
      return placeholder(only, this.resolve(fn[only]))
    }
    return Object.fromEntries(
      Object.entries(value)
        .map(([key, item]) => [key, this.resolve(item)])
        .filter(([, item]) => item !== NO_VALUE),
    )
  }
}
