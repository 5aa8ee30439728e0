import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import * as template from '../../src/template.js'
import { loadTemplate, TemplateResolver } from '../../src/template.js'

/** Writes a YAML text to a new folder; returns its path. */
function yaml(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'check-template-')), 'template.yaml')
  writeFileSync(path, text)
  return path
}

// Through the module object: the helper may be missing (a test that fails, not a build that does).
const isPlaceholder = (value: unknown): boolean =>
  (template as unknown as { isPlaceholder?: (value: unknown) => boolean }).isPlaceholder?.(value) ?? false

/** A TemplateResolver with the given mappings (the optional third argument). */
const withMappings = (parameters: Record<string, string | string[]>, mappings: Record<string, unknown>) =>
  new (TemplateResolver as unknown as new (p: unknown, c: unknown, m: unknown) => TemplateResolver)(parameters, {}, mappings)

describe('loadTemplate', () => {
  it('refuses a key given twice in one mapping, naming it and its line; merge keys may repeat', () => {
    expect(() => loadTemplate(yaml('Resources:\n  A: {Type: T}\n  B: {Type: T}\n  A: {Type: U}\n'))).toThrow(
      'the key "A" appears twice in one mapping (line 4)',
    )
    const merged = loadTemplate(yaml('Mappings:\n  Base: &b {x: 1}\n  More: &m {y: 2}\n  R:\n    <<: *b\n    <<: *m\n    z: 3\n'))
    expect(merged.Mappings?.R).toEqual({ x: 1, y: 2, z: 3 })
  })

  it('reads a mapping of 40,000 keys in time linear in them (yaml checks each key against every earlier one: 20 s)', () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `k${i}: x`).join(', ')
    expect(Object.keys(loadTemplate(yaml(`Mappings:\n  M: {${keys}}\n`)).Mappings?.M ?? {})).toHaveLength(40_000)
  }, 10_000)

  it('reads every short-form tag as its long form', () => {
    const path = yaml(
      [
        'Resources:',
        '  R:',
        '    Type: Test',
        '    Properties:',
        '      Condition: !Condition IsProd',
        '      ImportValue: !ImportValue SharedQueueArn',
        `      ImportSub: !ImportValue { "Fn::Sub": "\${Stage}-queue" }`,
        '      FindInMap: !FindInMap [Stages, !Ref Stage, Size]',
        '      Split: !Split [",", "a,b"]',
        '      Base64: !Base64 hello',
        '      GetAZs: !GetAZs ""',
        '      GetAZsRef: !GetAZs { Ref: "AWS::Region" }',
        '      Cidr: !Cidr ["10.0.0.0/16", 6, 8]',
        '      Length: !Length [a, b]',
        '      ToJsonString: !ToJsonString { a: !Ref Stage }',
        '      GetAttList: !GetAtt [Queue, Arn]',
        '      Transform: !Transform { Name: Macro, Parameters: {} }',
      ].join('\n'),
    )
    expect(loadTemplate(path).Resources.R?.Properties).toEqual({
      Condition: { Condition: 'IsProd' },
      ImportValue: { 'Fn::ImportValue': 'SharedQueueArn' },
      ImportSub: { 'Fn::ImportValue': { 'Fn::Sub': `\${Stage}-queue` } },
      FindInMap: { 'Fn::FindInMap': ['Stages', { Ref: 'Stage' }, 'Size'] },
      Split: { 'Fn::Split': [',', 'a,b'] },
      Base64: { 'Fn::Base64': 'hello' },
      GetAZs: { 'Fn::GetAZs': '' },
      GetAZsRef: { 'Fn::GetAZs': { Ref: 'AWS::Region' } },
      Cidr: { 'Fn::Cidr': ['10.0.0.0/16', 6, 8] },
      Length: { 'Fn::Length': ['a', 'b'] },
      ToJsonString: { 'Fn::ToJsonString': { a: { Ref: 'Stage' } } },
      GetAttList: { 'Fn::GetAtt': ['Queue', 'Arn'] },
      Transform: { 'Fn::Transform': { Name: 'Macro', Parameters: {} } },
    })
  })

  it('refuses a tag it does not know rather than reading it as a plain string, naming the line', () => {
    const path = yaml('Resources:\n  R:\n    Type: Test\n    Properties:\n      Arn: !ImportValu SharedQueueArn\n')
    expect(() => loadTemplate(path)).toThrow(/!ImportValu at line 5/)
  })

  it('still reads the tags it read before', () => {
    const path = yaml(
      `A: !Ref X\nB: !GetAtt Q.Arn\nC: !Sub "\${X}"\nD: !Sub ["\${Y}", { Y: 1 }]\nE: !Join ["", [a, !Ref X]]\nResources: {}\n`,
    )
    expect(loadTemplate(path)).toEqual({
      A: { Ref: 'X' },
      B: { 'Fn::GetAtt': 'Q.Arn' },
      C: { 'Fn::Sub': `\${X}` },
      D: { 'Fn::Sub': [`\${Y}`, { Y: 1 }] },
      E: { 'Fn::Join': ['', ['a', { Ref: 'X' }]] },
      Resources: {},
    })
  })
})

describe('TemplateResolver', () => {
  const mappings = { Stages: { prod: { Size: 3, Azs: ['a', 'b'] }, dev: { Size: 1 } } }

  it('keeps its two-argument form', () => {
    const resolver = new TemplateResolver({ Stage: 'dev' }, { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } })
    expect(resolver.resolve({ 'Fn::If': ['IsProd', 'big', 'small'] })).toBe('small')
  })

  it('resolves Fn::FindInMap in the mappings it is given, keys given by intrinsics', () => {
    const resolver = withMappings({ Stage: 'prod' }, mappings)
    expect(resolver.resolve({ 'Fn::FindInMap': ['Stages', { Ref: 'Stage' }, 'Size'] })).toBe(3)
    expect(resolver.resolve({ 'Fn::FindInMap': ['Stages', 'prod', 'Azs'] })).toEqual(['a', 'b'])
    expect(() => resolver.resolve({ 'Fn::FindInMap': ['Stages', 'test', 'Size'] })).toThrow(
      '!FindInMap [Stages, test, Size]: mapping Stages has no key test',
    )
    expect(() => resolver.resolve({ 'Fn::FindInMap': ['Nope', 'prod', 'Size'] })).toThrow('!FindInMap [Nope, prod, Size]: no mapping Nope')
    expect(resolver.resolve({ 'Fn::FindInMap': ['Stages', 'test', 'Size', { DefaultValue: 0 }] })).toBe(0)
  })

  it('names a malformed Fn::GetAtt argument as written', () => {
    const resolver = new TemplateResolver({})
    expect(() => resolver.resolve({ 'Fn::GetAtt': 5 })).toThrow('template: !GetAtt 5 is not LogicalId.Attribute or [LogicalId, Attribute]')
    expect(() => resolver.resolve({ 'Fn::GetAtt': ['Q', 'Arn', 'x'] })).toThrow(
      'template: !GetAtt [Q, Arn, x] is not LogicalId.Attribute or [LogicalId, Attribute]',
    )
    expect(() => resolver.resolve({ 'Fn::GetAtt': 'Q.Arn' })).toThrow('template: !GetAtt Q.Arn is not known')
  })

  it('resolves Fn::Split, Fn::Base64, Fn::Length and Fn::ToJsonString', () => {
    const resolver = new TemplateResolver({ List: ['x', 'y', 'z'], Stage: 'prod' })
    expect(resolver.resolve({ 'Fn::Split': [',', { 'Fn::Sub': `a,\${Stage},c` }] })).toEqual(['a', 'prod', 'c'])
    expect(resolver.resolve({ 'Fn::Select': [1, { 'Fn::Split': ['|', 'a|b'] }] })).toBe('b')
    expect(resolver.resolve({ 'Fn::Base64': { 'Fn::Sub': `hello \${Stage}` } })).toBe(Buffer.from('hello prod').toString('base64'))
    expect(resolver.resolve({ 'Fn::Length': { Ref: 'List' } })).toBe(3)
    expect(resolver.resolve({ 'Fn::Length': ['a', { Ref: 'AWS::NoValue' }, 'b'] })).toBe(2)
    expect(resolver.resolve({ 'Fn::ToJsonString': { stage: { Ref: 'Stage' }, n: [1, true] } })).toBe('{"stage":"prod","n":[1,true]}')
  })

  it('turns what only a deploy knows into a visible placeholder', () => {
    const resolver = new TemplateResolver({ Env: 'prod', 'AWS::Region': 'eu-west-1' })
    expect(resolver.resolve({ 'Fn::ImportValue': 'SharedQueueArn' })).toBe('«Fn::ImportValue SharedQueueArn»')
    expect(resolver.resolve({ 'Fn::ImportValue': { 'Fn::Sub': `\${Env}-QueueArn` } })).toBe('«Fn::ImportValue prod-QueueArn»')
    expect(resolver.resolve({ 'Fn::GetAZs': { Ref: 'AWS::Region' } })).toBe('«Fn::GetAZs eu-west-1»')
    expect(resolver.resolve({ 'Fn::Cidr': ['10.0.0.0/16', 6, 8] })).toBe('«Fn::Cidr [10.0.0.0/16, 6, 8]»')
    expect(resolver.resolve({ 'Fn::Transform': { Name: 'Macro' } })).toBe('«Fn::Transform {"Name":"Macro"}»')
    const joined = resolver.resolve({ 'Fn::Join': [':', ['arn', { 'Fn::ImportValue': 'X' }]] })
    expect(joined).toBe('arn:«Fn::ImportValue X»')
    expect(isPlaceholder(joined)).toBe(true)
    expect(isPlaceholder(['a', '«Fn::GetAZs »'])).toBe(true)
    expect(isPlaceholder({ Resource: ['«Fn::ImportValue X»'] })).toBe(true)
    expect(isPlaceholder('arn:aws:sqs:eu-west-1:123456789012:q')).toBe(false)
    // What is computed from an unknown value stays unknown, and says so.
    expect(isPlaceholder(resolver.resolve({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }))).toBe(true)
    expect(isPlaceholder(resolver.resolve({ 'Fn::Base64': { 'Fn::ImportValue': 'Script' } }))).toBe(true)
    expect(isPlaceholder(resolver.resolve({ 'Fn::Length': { 'Fn::Split': [',', { 'Fn::ImportValue': 'L' }] } }))).toBe(true)
  })

  it('compares scalars as strings in Fn::Equals, as CloudFormation does', () => {
    const resolver = new TemplateResolver({ Disabled: 'true', Count: '3' })
    expect(resolver.resolve({ 'Fn::Equals': [{ Ref: 'Disabled' }, true] })).toBe(true)
    expect(resolver.resolve({ 'Fn::Equals': [{ Ref: 'Count' }, 3] })).toBe(true)
    expect(resolver.resolve({ 'Fn::Equals': [{ Ref: 'Count' }, 4] })).toBe(false)
    expect(resolver.resolve({ 'Fn::Equals': [['a'], ['a']] })).toBe(true)
  })

  it('writes the escape of Fn::Sub (dollar, brace, exclamation mark) as a literal', () => {
    const resolver = new TemplateResolver({ Stage: 'prod' })
    expect(resolver.resolve({ 'Fn::Sub': `\${Stage}: \${!Stage} \${!Not.An.Attribute}` })).toBe(`prod: \${Stage} \${Not.An.Attribute}`)
  })

  it('resolves the index of Fn::Select, and refuses one out of range', () => {
    const resolver = new TemplateResolver({ Index: '1' })
    expect(resolver.resolve({ 'Fn::Select': [{ Ref: 'Index' }, ['a', 'b']] })).toBe('b')
    expect(() => resolver.resolve({ 'Fn::Select': [2, ['a', 'b']] })).toThrow('!Select index 2 is out of range (2 items)')
  })

  it("names nothing by an Object prototype's property", () => {
    const resolver = new TemplateResolver({})
    expect(() => resolver.resolve({ Ref: 'constructor' })).toThrow('!Ref constructor names nothing created yet')
    expect(() => resolver.resolve({ 'Fn::If': ['toString', 'a', 'b'] })).toThrow('no condition toString')
    resolver.provided.set('Queue', { ref: 'q', attributes: { Arn: 'arn' } })
    expect(() => resolver.resolve({ 'Fn::GetAtt': 'Queue.constructor' })).toThrow('!GetAtt Queue.constructor is not known')
  })
})
