import { describe, expect, it } from '@jest/globals'
import { deployedLength, deployedVerbatim, environmentBytes, readSnapshot, snapshotDocument, snapshotKey } from '../../src/snapshot.js'

const queue = {
  type: 'sqs',
  arn: 'arn:aws:sqs:eu-west-1:123456789012:jobs',
  url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
}

describe('Function: snapshotDocument', () => {
  it('It should write namespace → service → instance id → attributes under version 1', () => {
    const document = snapshotDocument([
      { namespace: 'example.com.prod', service: 'jobs', instanceId: 'q1', attributes: queue },
      { namespace: 'example.com.prod', service: 'jobs', instanceId: 'q2', attributes: { ...queue, team: 'a' } },
      { namespace: 'prod', service: '__proto__', instanceId: 'x', attributes: { k: 'v' } },
    ])
    expect(JSON.parse(JSON.stringify(document))).toEqual({
      v: 1,
      ns: { 'example.com.prod': { jobs: { q1: queue, q2: { ...queue, team: 'a' } } }, prod: { ['__proto__']: { x: { k: 'v' } } } },
    })
  })

  it('It should read back what it writes', () => {
    const text = JSON.stringify(snapshotDocument([{ namespace: 'a.b', service: 'c', instanceId: 'i', attributes: queue }]))
    const { services, problems } = readSnapshot(text)
    expect(problems).toEqual([])
    expect(services.get(snapshotKey('a.b', 'c'))).toEqual([{ instanceId: 'i', attributes: queue }])
  })
})

describe('Function: readSnapshot', () => {
  it('It should read nothing, without a problem, when the variable is unset or empty', () => {
    expect(readSnapshot(undefined)).toEqual({ services: new Map(), problems: [] })
    expect(readSnapshot('')).toEqual({ services: new Map(), problems: [] })
  })

  it.each([
    ['{"v":1,', /^is not JSON \(.*, 7 characters\): ignored$/],
    ['[1]', /^is an array, not an object: ignored$/],
    ['{"v":2,"ns":{}}', /^has format version 2; this version of cloudmap-middy reads 1: ignored$/],
    ['{"ns":{}}', /^has format version none; this version of cloudmap-middy reads 1: ignored$/],
    ['{"v":1,"ns":[]}', /^has "ns" an array, not an object of namespaces: ignored$/],
  ])('It should ignore %s as a whole, naming the problem', (text, problem) => {
    const { services, problems } = readSnapshot(text)
    expect(services.size).toBe(0)
    expect(problems).toEqual([expect.stringMatching(problem)])
  })

  it('It should read __proto__ and constructor as names like any other, and change no prototype', () => {
    const text =
      '{"v":1,"ns":{"__proto__":{"constructor":{"__proto__":{"__proto__":"x","constructor":"y","type":"lambda"}}},' +
      '"constructor":{"prototype":{"i":{"polluted":"yes"}}}}}'

    const { services, problems } = readSnapshot(text)

    expect(problems).toEqual([])
    const [entry] = services.get(snapshotKey('__proto__', 'constructor')) ?? []
    expect(entry?.instanceId).toBe('__proto__')
    expect(Object.entries(entry?.attributes ?? {})).toEqual([
      ['__proto__', 'x'],
      ['constructor', 'y'],
      ['type', 'lambda'],
    ])
    expect(services.get(snapshotKey('constructor', 'prototype'))).toEqual([{ instanceId: 'i', attributes: { polluted: 'yes' } }])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(entry?.attributes)).toBe(Object.prototype)
  })

  it('It should ignore only the malformed namespace or service, naming it', () => {
    const { services, problems } = readSnapshot(
      JSON.stringify({
        v: 1,
        ns: { bad: 3, prod: { ok: { i: { type: 'sqs' } }, numbers: { i: { port: 80 } }, empty: { '': {} }, flat: 'x' } },
      }),
    )
    expect([...services.keys()]).toEqual([snapshotKey('prod', 'ok')])
    expect(problems).toEqual([
      'namespace "bad" is number, not an object of services: ignored',
      'service "prod.numbers": the attribute "port" of instance "i" is number, not a string: ignored',
      'service "prod.empty": an instance id is empty: ignored',
      'service "prod.flat": its instances are string, not an object of instance id → attributes: ignored',
    ])
  })
})

describe('Function: environmentBytes', () => {
  it('It should measure the JSON of the variables in UTF-8 bytes, each quote of a value escaped', () => {
    expect(environmentBytes({ A: 'b' })).toBe('{"A":"b"}'.length)
    expect(environmentBytes({ A: '"' })).toBe('{"A":"\\""}'.length)
    expect(environmentBytes({ A: 'é' })).toBe('{"A":""}'.length + 2)
  })
})

describe('Function: deployedLength', () => {
  const types = new Map([
    ['Jobs', 'AWS::SQS::Queue'],
    ['GetJob', 'AWS::Lambda::Function'],
  ])

  it.each([
    ['a literal, as it escapes in JSON', 'a"b', 4],
    ['a number', 1234, 4],
    ['a pseudo parameter', { Ref: 'AWS::Region' }, 25],
    ["a queue's Ref (its URL)", { Ref: 'Jobs' }, 'https://sqs.'.length + 25 + 1 + 20 + 1 + 12 + 1 + 80],
    ["a queue's Arn, GetAtt as a list", { 'Fn::GetAtt': ['Jobs', 'Arn'] }, 150],
    ["a function's Arn, GetAtt as a dotted string", { 'Fn::GetAtt': 'GetJob.Arn' }, 70 + 'function:'.length + 64],
    ['a join: its parts and its separators', { 'Fn::Join': ['-', ['ab', { Ref: 'AWS::AccountId' }, 'c']] }, 2 + 12 + 1 + 2],
    ['a logical id of unknown type', { Ref: 'Elsewhere' }, 1024],
    ['an intrinsic it does not know', { 'Fn::Select': [0, ['a']] }, 1024],
    ['null', null, 1024],
  ])('It should bound %s', (_what, value, expected) => {
    expect(deployedLength(value, types)).toBe(expected)
  })
})

describe('Function: deployedVerbatim', () => {
  const types = new Map([
    ['Jobs', 'AWS::SQS::Queue'],
    ['Tier', 'AWS::CloudFormation::Parameter'],
  ])

  it.each([
    ['a known resource attribute', { 'Fn::GetAtt': ['Jobs', 'Arn'] }],
    ['a known resource Ref', { Ref: 'Jobs' }],
    ['a pseudo parameter', { Ref: 'AWS::Region' }],
    ['a join of these and plain literals', { 'Fn::Join': ['-', [{ Ref: 'AWS::Region' }, 'blue']] }],
  ])('It should trust %s', (_name, value) => {
    expect(deployedVerbatim(value, types)).toBe(true)
  })

  it.each([
    ['a template parameter', { Ref: 'Tier' }],
    ['an import', { 'Fn::ImportValue': 'shared-arn' }],
    ['a dynamic reference', { 'Fn::Sub': '{{resolve:ssm:/tier}}' }],
    ['an unknown attribute', { 'Fn::GetAtt': ['Jobs', 'Anything'] }],
    ['a join holding a quote', { 'Fn::Join': ['', ['x"', { Ref: 'AWS::Region' }]] }],
    ['a join holding a parameter', { 'Fn::Join': ['', ['x', { Ref: 'Tier' }]] }],
  ])('It should not trust %s', (_name, value) => {
    expect(deployedVerbatim(value, types)).toBe(false)
  })
})
