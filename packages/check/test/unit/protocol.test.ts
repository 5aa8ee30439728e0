import { describe, expect, it } from '@jest/globals'
import { type BindRequest, ProtocolError, readBound, readDeclared } from '../../src/protocol.js'

const dependency = {
  name: 'jobs',
  by: 'cloudMap()',
  kind: 'queue',
  namespace: 'prod',
  service: 'scheduler',
  instance: 'jobs',
  optional: false,
  healthStatus: 'HEALTHY_OR_ELSE_ALL',
  revalidate: 'full',
}
const request: BindRequest = {
  type: 'bind',
  pseudo: { partition: 'aws', region: 'us-east-1', accountId: '123456789012' },
  sets: [{ template: [{ instanceId: 'jobs', attributes: { type: 'sqs' } }] }],
}

describe('readDeclared', () => {
  it('accepts declarations of the protocol, and a load failure', () => {
    expect(readDeclared({ type: 'declared', exported: true, dependencies: [dependency] })).toEqual({
      exported: true,
      dependencies: [dependency],
    })
    expect(readDeclared({ type: 'failed', error: 'SyntaxError: x' })).toEqual({ error: 'SyntaxError: x' })
  })

  it.each([
    [
      'a queries message (the child asks nothing of the check)',
      { type: 'queries', queries: [{ namespace: 'secret', service: 'passwords' }] },
    ],
    ['a result message (the child decides nothing)', { type: 'result', result: { loaded: true, exported: true, dependencies: [] } }],
    ['an unknown field', { type: 'declared', exported: true, dependencies: [{ ...dependency, ok: true }] }],
    ['a field of the wrong type', { type: 'declared', exported: 'yes', dependencies: [] }],
    ['an owner account that is not one', { type: 'declared', exported: true, dependencies: [{ ...dependency, account: 'x'.repeat(12) }] }],
    [
      'a service name over 127 characters',
      { type: 'declared', exported: true, dependencies: [{ ...dependency, service: 's'.repeat(128) }] },
    ],
    ['more than 1,000 dependencies', { type: 'declared', exported: true, dependencies: Array.from({ length: 1001 }, () => dependency) }],
    ['an error over 4,096 characters', { type: 'failed', error: 'e'.repeat(4097) }],
    ['maxResults of 0', { type: 'declared', exported: true, dependencies: [{ ...dependency, maxResults: 0 }] }],
  ])('rejects %s', (_, message) => {
    expect(() => readDeclared(message)).toThrow(ProtocolError)
  })
})

describe('readBound', () => {
  it('accepts one binding per instance sent, naming it, in its order; a target it names is not kept (the check derives it)', () => {
    const bound = {
      type: 'bound',
      sets: [{ template: [{ instanceId: 'jobs', ok: true, target: 'arn:aws:sqs:us-east-1:123456789012:other' }] }],
    }
    expect(readBound(bound, request)).toEqual([{ template: [{ instanceId: 'jobs', ok: true }] }])
  })

  it.each([
    ['a binding of an instance it was not sent', { type: 'bound', sets: [{ template: [{ instanceId: 'other', ok: true }] }] }],
    ['fewer bindings than instances', { type: 'bound', sets: [{ template: [] }] }],
    ['more sets than dependencies', { type: 'bound', sets: [{ template: [{ instanceId: 'jobs', ok: true }] }, { template: [] }] }],
    ['live bindings it was not asked for', { type: 'bound', sets: [{ template: [{ instanceId: 'jobs', ok: true }], live: [] }] }],
    ['a failure without its error', { type: 'bound', sets: [{ template: [{ instanceId: 'jobs', ok: false }] }] }],
  ])('rejects %s', (_, message) => {
    expect(() => readBound(message, request)).toThrow(ProtocolError)
  })
})
