import { describe, expect, it } from '@jest/globals'
import { type AccessRequest, evaluateAccess, type PolicyStatement, type SourcedStatement, statementsOf } from '../../src/iam.js'

const QUEUE = 'arn:aws:sqs:eu-west-1:123456789012:jobs'
const OTHER_QUEUE = 'arn:aws:sqs:eu-west-1:123456789012:other'

const sourced = (statement: PolicyStatement, source = 'policy Test'): SourcedStatement => ({ statement, source })

function decide(statements: PolicyStatement | PolicyStatement[], request: AccessRequest) {
  const list = Array.isArray(statements) ? statements : [statements]
  return evaluateAccess(
    list.map((statement, index) => sourced(statement, `policy S${index}`)),
    request,
  )
}

function allowed(statements: PolicyStatement | PolicyStatement[], request: AccessRequest): boolean {
  return decide(statements, request).allowed
}

function reasonOf(statements: PolicyStatement | PolicyStatement[], request: AccessRequest): string {
  const decision = decide(statements, request)
  if (decision.allowed) throw new Error(`expected a denial, got an allow by ${decision.source}`)
  return decision.reason
}

const send = (resource = QUEUE): AccessRequest => ({ action: 'sqs:SendMessage', resource })

describe('Function: evaluateAccess', () => {
  describe('effects', () => {
    it('It should allow a request an Allow statement matches, naming its source', () => {
      const decision = evaluateAccess(
        [sourced({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE }, 'policy WorkerPolicy')],
        send(),
      )
      expect(decision).toEqual({ allowed: true, source: 'policy WorkerPolicy' })
    })

    it('It should name the first Allow that matches', () => {
      const statements = [
        sourced({ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: QUEUE }, 'first'),
        sourced({ Effect: 'Allow', Action: 'sqs:*', Resource: QUEUE }, 'second'),
        sourced({ Effect: 'Allow', Action: '*', Resource: '*' }, 'third'),
      ]
      expect(evaluateAccess(statements, send())).toEqual({ allowed: true, source: 'second' })
    })

    it('It should deny implicitly when there are no statements', () => {
      expect(evaluateAccess([], send())).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${QUEUE}`,
      })
    })

    it('It should let an explicit Deny win over an Allow, whatever their order', () => {
      const allow = sourced({ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }, 'policy Allow')
      const deny = sourced({ Effect: 'Deny', Action: 'sqs:SendMessage', Resource: QUEUE }, 'policy Guard')
      expect(evaluateAccess([allow, deny], send())).toEqual({ allowed: false, denial: 'explicit', reason: 'denied by policy Guard' })
      expect(evaluateAccess([deny, allow], send())).toEqual({ allowed: false, denial: 'explicit', reason: 'denied by policy Guard' })
    })

    it('It should leave a request allowed when a Deny does not match it', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
        { Effect: 'Deny', Action: 'sqs:SendMessage', Resource: OTHER_QUEUE },
        { Effect: 'Deny', Action: 'sqs:DeleteQueue', Resource: QUEUE },
      ]
      expect(allowed(statements, send())).toBe(true)
    })

    it('It should ignore a statement whose Effect is neither Allow nor Deny', () => {
      expect(allowed({ Effect: 'allow', Action: '*', Resource: '*' }, send())).toBe(false)
      expect(
        allowed(
          [
            { Effect: 'Allow', Action: '*', Resource: '*' },
            { Effect: 'deny', Action: '*', Resource: '*' },
          ],
          send(),
        ),
      ).toBe(true)
    })

    it('It should not match a statement with neither Action nor NotAction, or neither Resource nor NotResource', () => {
      expect(allowed({ Effect: 'Allow', Resource: '*' }, send())).toBe(false)
      expect(allowed({ Effect: 'Allow', Action: '*' }, send())).toBe(false)
    })
  })

  describe('actions', () => {
    it.each<[string | string[], string, boolean]>([
      ['sqs:SendMessage', 'sqs:SendMessage', true],
      ['SQS:sendmessage', 'sqs:SendMessage', true],
      ['sqs:SendMessage', 'SQS:SENDMESSAGE', true],
      ['sqs:Send*', 'sqs:SendMessage', true],
      ['sqs:Send*', 'sqs:SendMessageBatch', true],
      ['sqs:send*', 'sqs:SendMessage', true],
      ['sqs:*', 'sqs:SendMessage', true],
      ['*', 'sqs:SendMessage', true],
      ['sqs:SendMessag?', 'sqs:SendMessage', true],
      ['sqs:SendMessag?', 'sqs:SendMessageBatch', false],
      ['sqs:*Batch', 'sqs:SendMessage', false],
      ['sqs:*Message*', 'sqs:SendMessageBatch', true],
      ['sqs:SendMessage', 'sqs:SendMessageBatch', false],
      ['sns:*', 'sqs:SendMessage', false],
      [['sns:Publish', 'sqs:Send*'], 'sqs:SendMessage', true],
      [[], 'sqs:SendMessage', false],
    ])('It should match Action %j against %s: %s', (pattern, action, expected) => {
      expect(allowed({ Effect: 'Allow', Action: pattern, Resource: '*' }, { action, resource: '*' })).toBe(expected)
    })

    it('It should match NotAction when none of its patterns match', () => {
      const statement: PolicyStatement = { Effect: 'Allow', NotAction: ['iam:*', 'sqs:Delete*'], Resource: '*' }
      expect(allowed(statement, send())).toBe(true)
      expect(allowed(statement, { action: 'sqs:DeleteMessage', resource: QUEUE })).toBe(false)
      expect(allowed(statement, { action: 'IAM:PassRole', resource: '*' })).toBe(false)
    })

    it('It should deny through a Deny with NotAction everything but the listed actions', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', NotAction: 'sqs:ReceiveMessage', Resource: '*' },
      ]
      expect(reasonOf(statements, send())).toBe('denied by policy S1')
      expect(allowed(statements, { action: 'sqs:ReceiveMessage', resource: QUEUE })).toBe(true)
    })
  })

  describe('resources', () => {
    it.each<[string | string[], string, boolean]>([
      [QUEUE, QUEUE, true],
      ['*', QUEUE, true],
      ['arn:aws:sqs:*:123456789012:*', QUEUE, true],
      ['arn:aws:sqs:eu-west-1:123456789012:job?', QUEUE, true],
      ['arn:aws:sqs:eu-west-1:123456789012:job?', `${QUEUE}s`, false],
      ['arn:aws:sqs:eu-west-1:123456789012:JOBS', QUEUE, false],
      ['arn:aws:sqs:eu-west-1:123456789012:jobs*', 'arn:aws:sqs:eu-west-1:123456789012:jobs.fifo', true],
      ['arn:aws:lambda:eu-west-1:123456789012:function:get-job*', 'arn:aws:lambda:eu-west-1:123456789012:function:get-job:live', true],
      ['arn:aws:sqs:eu-west-1:123456789012:jobs', 'arn:aws:sqs:eu-west-1:123456789012:jobs.fifo', false],
      [[OTHER_QUEUE, QUEUE], QUEUE, true],
      ['*', '*', true],
      ['arn:aws:sqs:*', '*', false],
      [QUEUE, '*', false],
    ])('It should match Resource %j against %s: %s', (pattern, resource, expected) => {
      expect(allowed({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: pattern }, send(resource))).toBe(expected)
    })

    it('It should match NotResource when none of its patterns match', () => {
      const statement: PolicyStatement = { Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: 'arn:aws:sqs:*:*:secret-*' }
      expect(allowed(statement, send())).toBe(true)
      expect(allowed(statement, send('arn:aws:sqs:eu-west-1:123456789012:secret-queue'))).toBe(false)
      expect(allowed(statement, send('*'))).toBe(true)
    })

    it('It should deny through a Deny with NotResource every resource but the listed ones', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
        { Effect: 'Deny', Action: 'sqs:*', NotResource: QUEUE },
      ]
      expect(allowed(statements, send())).toBe(true)
      expect(reasonOf(statements, send(OTHER_QUEUE))).toBe('denied by policy S1')
    })
  })

  describe('conditions', () => {
    const discover = (context: AccessRequest['context']): AccessRequest => ({
      action: 'servicediscovery:DiscoverInstances',
      resource: '*',
      ...(context === undefined ? {} : { context }),
    })
    type Condition = NonNullable<PolicyStatement['Condition']>
    const when = (Condition: Condition): PolicyStatement => ({
      Effect: 'Allow',
      Action: 'servicediscovery:DiscoverInstances',
      Resource: '*',
      Condition,
    })
    const holds = (condition: Condition, context?: AccessRequest['context']) => allowed(when(condition), discover(context))

    it('It should allow a request the two CDK documents of the scheduler example allow, and only those', () => {
      const serviceNames = when({
        StringEquals: { 'servicediscovery:NamespaceName': 'dev' },
        'ForAnyValue:StringEquals': { 'servicediscovery:ServiceName': ['scheduler', 'events', 'storage'] },
      })
      const lookup = (ns: string, svc: string) => discover({ 'servicediscovery:NamespaceName': ns, 'servicediscovery:ServiceName': svc })
      expect(allowed(serviceNames, lookup('dev', 'events'))).toBe(true)
      expect(allowed(serviceNames, lookup('dev', 'billing'))).toBe(false)
      expect(allowed(serviceNames, lookup('prod', 'events'))).toBe(false)

      const plain = when({
        StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': ['events', 'storage'] },
      })
      expect(allowed(plain, lookup('dev', 'storage'))).toBe(true)
      expect(allowed(plain, lookup('dev', 'scheduler'))).toBe(false)
    })

    it('It should require every operator block and every key in one (AND)', () => {
      const condition = {
        StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'aws:RequestedRegion': 'eu-west-1' },
        StringLike: { 'servicediscovery:ServiceName': 'sched*' },
      }
      const context = {
        'servicediscovery:NamespaceName': 'dev',
        'aws:RequestedRegion': 'eu-west-1',
        'servicediscovery:ServiceName': 'scheduler',
      }
      expect(holds(condition, context)).toBe(true)
      expect(holds(condition, { ...context, 'aws:RequestedRegion': 'us-east-1' })).toBe(false)
      expect(holds(condition, { ...context, 'servicediscovery:ServiceName': 'events' })).toBe(false)
    })

    it('It should read condition keys without regard to case', () => {
      expect(holds({ StringEquals: { 'ServiceDiscovery:namespacename': 'dev' } }, { 'servicediscovery:NamespaceName': 'dev' })).toBe(true)
      expect(holds({ StringEquals: { 'servicediscovery:NamespaceName': 'dev' } }, { 'SERVICEDISCOVERY:NAMESPACENAME': 'dev' })).toBe(true)
    })

    type Case = [string, unknown, string | string[] | undefined, boolean]
    const cases: Case[] = [
      // operator, policy value(s), request value (undefined: absent), holds
      ['StringEquals', 'dev', 'dev', true],
      ['StringEquals', 'dev', 'Dev', false],
      ['StringEquals', ['prod', 'dev'], 'dev', true],
      ['StringEquals', 'dev', undefined, false],
      ['StringNotEquals', 'prod', 'dev', true],
      ['StringNotEquals', ['prod', 'dev'], 'dev', false],
      ['StringNotEquals', 'prod', undefined, true],
      ['StringEqualsIgnoreCase', 'DEV', 'dev', true],
      ['StringEqualsIgnoreCase', 'dev', 'prod', false],
      ['StringEqualsIgnoreCase', 'dev', undefined, false],
      ['StringNotEqualsIgnoreCase', 'DEV', 'dev', false],
      ['StringNotEqualsIgnoreCase', 'prod', 'dev', true],
      ['StringNotEqualsIgnoreCase', 'prod', undefined, true],
      ['StringLike', 'd*', 'dev', true],
      ['StringLike', 'd?v', 'dev', true],
      ['StringLike', 'D*', 'dev', false],
      ['StringLike', ['p*', 'd*'], 'dev', true],
      ['StringLike', 'd*', undefined, false],
      ['StringNotLike', 'p*', 'dev', true],
      ['StringNotLike', 'd*', 'dev', false],
      ['StringNotLike', 'd*', undefined, true],
      ['ArnEquals', 'arn:aws:sqs:eu-west-1:123456789012:jobs', QUEUE, true],
      ['ArnEquals', 'arn:aws:sqs:eu-west-1:123456789012:other', QUEUE, false],
      ['ArnEquals', QUEUE, undefined, false],
      ['ArnLike', 'arn:aws:sqs:*:123456789012:*', QUEUE, true],
      ['ArnLike', 'arn:aws:sqs:*:210987654321:*', QUEUE, false],
      ['ArnLike', 'arn:aws:*:*:*:jobs', QUEUE, true],
      ['ArnLike', 'arn:aws:sqs:eu-west-1:123456789012:*', 'arn:aws:lambda:eu-west-1:123456789012:function:f', false],
      ['ArnLike', QUEUE, undefined, false],
      ['ArnNotEquals', OTHER_QUEUE, QUEUE, true],
      ['ArnNotEquals', QUEUE, QUEUE, false],
      ['ArnNotEquals', QUEUE, undefined, true],
      ['ArnNotLike', 'arn:aws:sqs:*:*:*', QUEUE, false],
      ['ArnNotLike', 'arn:aws:sns:*:*:*', QUEUE, true],
      ['ArnNotLike', 'arn:aws:sqs:*:*:*', undefined, true],
      ['Bool', 'true', 'true', true],
      ['Bool', true, 'true', true],
      ['Bool', 'true', 'TRUE', true],
      ['Bool', 'true', 'false', false],
      ['Bool', 'false', undefined, false],
      ['Null', 'true', undefined, true],
      ['Null', true, 'x', false],
      ['Null', 'false', 'x', true],
      ['Null', 'false', undefined, false],
      ['StringEqualsIfExists', 'dev', undefined, true],
      ['StringEqualsIfExists', 'dev', 'dev', true],
      ['StringEqualsIfExists', 'dev', 'prod', false],
      ['StringLikeIfExists', 'd*', undefined, true],
      ['StringLikeIfExists', 'd*', 'prod', false],
      ['ArnLikeIfExists', 'arn:aws:sqs:*:*:*', undefined, true],
      ['BoolIfExists', 'true', undefined, true],
      ['BoolIfExists', 'true', 'false', false],
      ['StringNotEqualsIfExists', 'dev', 'dev', false],
      ['StringNotEqualsIfExists', 'dev', undefined, true],
      ['NumericEquals', '5', '5', true],
      ['NumericEquals', 5, '5.0', true],
      ['NumericEquals', ['1', '5'], '5', true],
      ['NumericEquals', '5', '6', false],
      ['NumericEquals', '5', undefined, false],
      ['NumericNotEquals', '5', '6', true],
      ['NumericNotEquals', ['5', '6'], '6', false],
      ['NumericNotEquals', '5', undefined, true],
      ['NumericLessThan', '10', '9', true],
      ['NumericLessThan', '10', '10', false],
      ['NumericLessThan', '10', '-3.5', true],
      ['NumericLessThanEquals', '10', '10', true],
      ['NumericLessThanEquals', '10', '11', false],
      ['NumericGreaterThan', '10', '11', true],
      ['NumericGreaterThan', '10', '10', false],
      ['NumericGreaterThanEquals', '10', '10', true],
      ['NumericGreaterThanEquals', '10', '9', false],
      ['NumericGreaterThanEquals', '10', undefined, false],
      ['NumericLessThanIfExists', '10', undefined, true],
      ['NumericLessThanIfExists', '10', '12', false],
      ['DateEquals', '2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z', true],
      ['DateEquals', '2024-05-01T12:00:00Z', '1714564800', true],
      ['DateEquals', '2024-05-01T12:00:00', '2024-05-01T12:00:00Z', true],
      ['DateEquals', '2024-05-01T14:00:00+02:00', '2024-05-01T12:00:00Z', true],
      ['DateEquals', '2024-05-01', '2024-05-01T00:00:00Z', true],
      ['DateEquals', '2024-05-01', '2024-05-02', false],
      ['DateNotEquals', '2024-05-01', '2024-05-02', true],
      ['DateNotEquals', '2024-05-01', '2024-05-01', false],
      ['DateNotEquals', '2024-05-01', undefined, true],
      ['DateLessThan', '2030-01-01T00:00:00Z', '2024-05-01T12:00:00Z', true],
      ['DateLessThan', '2020-01-01T00:00:00Z', '2024-05-01T12:00:00Z', false],
      ['DateLessThan', '2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z', false],
      ['DateLessThanEquals', '2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z', true],
      ['DateGreaterThan', '2020-01-01T00:00:00Z', '2024-05-01T12:00:00Z', true],
      ['DateGreaterThan', '1577836800', '1577836799', false],
      ['DateGreaterThanEquals', '1577836800', '2020-01-01T00:00:00Z', true],
      ['DateGreaterThan', '2020-01-01T00:00:00Z', undefined, false],
      ['DateGreaterThanIfExists', '2020-01-01T00:00:00Z', undefined, true],
      ['IpAddress', '10.0.0.0/8', '10.1.2.3', true],
      ['IpAddress', '10.0.0.0/8', '11.1.2.3', false],
      ['IpAddress', '203.0.113.7', '203.0.113.7', true],
      ['IpAddress', '203.0.113.7', '203.0.113.8', false],
      ['IpAddress', ['192.0.2.0/24', '10.0.0.0/8'], '10.9.9.9', true],
      ['IpAddress', '2001:db8::/32', '2001:db8::1', true],
      ['IpAddress', '2001:db8::/32', '2001:db9::1', false],
      ['IpAddress', '2001:db8::/32', '10.0.0.1', false],
      ['IpAddress', '10.0.0.0/8', undefined, false],
      ['NotIpAddress', '10.0.0.0/8', '11.1.2.3', true],
      ['NotIpAddress', ['192.0.2.0/24', '10.0.0.0/8'], '10.1.2.3', false],
      ['NotIpAddress', '10.0.0.0/8', undefined, true],
      ['IpAddressIfExists', '10.0.0.0/8', undefined, true],
      ['BinaryEquals', 'QmluYXJ5VmFsdWU=', 'QmluYXJ5VmFsdWU=', true],
      ['BinaryEquals', 'QmluYXJ5VmFsdWU=', 'cXVpdGUgZGlmZmVyZW50', false],
      ['BinaryEquals', 'QmluYXJ5VmFsdWU=', undefined, false],
      ['BinaryEqualsIfExists', 'QmluYXJ5VmFsdWU=', undefined, true],
    ]
    it.each(cases)('It should evaluate %s %j against %j as %s', (operator, wanted, actual, expected) => {
      const context = actual === undefined ? undefined : { 'test:Key': actual }
      expect(holds({ [operator]: { 'test:Key': wanted } }, context)).toBe(expected)
    })

    const setCases: Case[] = [
      ['ForAnyValue:StringEquals', ['a', 'b'], ['x', 'b'], true],
      ['ForAnyValue:StringEquals', ['a', 'b'], ['x', 'y'], false],
      ['ForAnyValue:StringEquals', ['a', 'b'], 'a', true],
      ['ForAnyValue:StringEquals', ['a', 'b'], undefined, false],
      ['ForAnyValue:StringEquals', ['a', 'b'], [], false],
      ['ForAnyValue:StringLike', 'sched*', ['events', 'scheduler'], true],
      ['ForAnyValue:StringNotEquals', 'a', ['a', 'b'], true],
      ['ForAnyValue:StringNotEquals', 'a', ['a'], false],
      ['ForAllValues:StringEquals', ['a', 'b'], ['a', 'b'], true],
      ['ForAllValues:StringEquals', ['a', 'b'], ['a', 'c'], false],
      ['ForAllValues:StringEquals', ['a', 'b'], undefined, true],
      ['ForAllValues:StringEquals', ['a', 'b'], [], true],
      ['ForAllValues:StringLike', 'a*', ['ab', 'ac'], true],
      ['ForAllValues:StringNotEquals', 'a', ['b', 'c'], true],
      ['ForAllValues:StringNotEquals', 'a', ['a', 'c'], false],
      ['ForAnyValue:StringEqualsIfExists', 'a', undefined, true],
      ['ForAnyValue:StringEqualsIfExists', 'a', ['b'], false],
      ['ForAnyValue:NumericGreaterThan', '10', ['3', '12'], true],
      ['ForAllValues:NumericGreaterThan', '10', ['3', '12'], false],
      ['ForAllValues:NumericGreaterThan', '10', undefined, true],
      ['ForAnyValue:IpAddress', '10.0.0.0/8', ['192.0.2.1', '10.0.0.1'], true],
      ['ForAllValues:IpAddress', '10.0.0.0/8', ['192.0.2.1', '10.0.0.1'], false],
      ['ForAnyValue:DateLessThan', '2024-01-01', ['2025-01-01', '2023-01-01'], true],
      ['ForAnyValue:BinaryEquals', ['AA==', 'AQ=='], ['AQ=='], true],
      // Without a set operator, a multi-valued key holds when any value does (negated: when none fails).
      ['StringEquals', 'a', ['x', 'a'], true],
      ['StringNotEquals', 'a', ['x', 'a'], false],
    ]
    it.each(setCases)('It should evaluate %s %j against the values %j as %s', (operator, wanted, actual, expected) => {
      const context = actual === undefined ? undefined : { 'test:Keys': actual }
      expect(holds({ [operator]: { 'test:Keys': wanted } }, context)).toBe(expected)
    })

    it('It should let a Deny with a condition deny only when the condition holds', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'servicediscovery:*', Resource: '*' },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'prod' } } },
      ]
      expect(allowed(statements, discover({ 'servicediscovery:NamespaceName': 'dev' }))).toBe(true)
      expect(reasonOf(statements, discover({ 'servicediscovery:NamespaceName': 'prod' }))).toBe('denied by policy S1')
    })

    it('It should not match an Allow with an operator it does not know, and say so', () => {
      const statement = when({
        StringEquals: { 'servicediscovery:NamespaceName': 'dev' },
        DateAfter: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' },
      })
      const reason = reasonOf(statement, discover({ 'servicediscovery:NamespaceName': 'dev' }))
      expect(reason).toBe(
        'no statement allows servicediscovery:DiscoverInstances on *; policy S0: condition operator DateAfter not understood',
      )
    })

    it.each(['NumericEqual', 'NullIfExists', 'ForAnyValue:Null', 'StringEqualz', 'ForSomeValues:StringEquals'])(
      'It should treat %s as an operator it does not know',
      (operator) => {
        const reason = reasonOf(when({ [operator]: { 'test:Key': '1' } }), discover({ 'test:Key': '1' }))
        expect(reason).toContain(`condition operator ${operator} not understood`)
      },
    )

    it('It should refuse a request a Deny with an operator it does not know may deny', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { IpAddres: { 'aws:SourceIp': '10.0.0.0/8' } } },
      ]
      expect(decide(statements, discover({ 'aws:SourceIp': '10.1.2.3' }))).toEqual({
        allowed: false,
        denial: 'undecided',
        reason:
          'may be denied by policy S1: its condition IpAddres aws:SourceIp cannot be evaluated before a deploy (operator not understood)',
      })
    })
  })

  describe('conditions that cannot be evaluated before a deploy', () => {
    const ALLOW_ALL: PolicyStatement = { Effect: 'Allow', Action: '*', Resource: '*' }
    type Condition = NonNullable<PolicyStatement['Condition']>
    const denyWhen = (Condition: Condition, Action: string | string[] = '*'): PolicyStatement => ({
      Effect: 'Deny',
      Action,
      Resource: '*',
      Condition,
    })
    const allowWhen = (Condition: Condition): PolicyStatement => ({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*', Condition })

    it.each<[string, string, unknown]>([
      ['StringNotEquals', 'aws:RequestedRegion', ['eu-west-1', 'eu-central-1']],
      ['StringEquals', 'aws:PrincipalAccount', '210987654321'],
      ['ArnNotLike', 'aws:PrincipalArn', 'arn:aws:iam::*:role/admin-*'],
      ['StringNotEquals', 'aws:ResourceAccount', '123456789012'],
      ['Bool', 'aws:SecureTransport', 'false'],
      ['DateGreaterThan', 'aws:CurrentTime', '2020-01-01T00:00:00Z'],
      ['NumericGreaterThan', 'aws:EpochTime', '1577836800'],
      ['NotIpAddress', 'aws:SourceIp', ['10.0.0.0/8']],
      ['StringNotEquals', 'aws:PrincipalTag/team', 'payments'],
      ['Null', 'aws:MultiFactorAuthPresent', 'true'],
      ['StringNotEqualsIfExists', 'aws:RequestedRegion', 'eu-west-1'],
      ['ForAllValues:StringEquals', 'aws:TagKeys', ['team']],
      ['ForAnyValue:StringLike', 'aws:PrincipalOrgPaths', 'o-*/r-*/ou-sandbox/*'],
    ])('It should refuse a request a Deny with %s on %s, a key the request does not carry, may deny', (operator, key, value) => {
      expect(decide([ALLOW_ALL, denyWhen({ [operator]: { [key]: value } })], send())).toEqual({
        allowed: false,
        denial: 'undecided',
        reason: `may be denied by policy S1: its condition ${operator} ${key} cannot be evaluated before a deploy`,
      })
    })

    it('It should decide a Deny on a global key the request carries', () => {
      const statements = [ALLOW_ALL, denyWhen({ StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } })]
      expect(decide(statements, { ...send(), context: { 'aws:RequestedRegion': 'eu-west-1' } })).toEqual({
        allowed: true,
        source: 'policy S0',
      })
      expect(reasonOf(statements, { ...send(), context: { 'AWS:requestedregion': 'us-east-1' } })).toBe('denied by policy S1')
    })

    it('It should decide a Deny on the time and the source address when the request carries them', () => {
      const afterHours = [ALLOW_ALL, denyWhen({ DateGreaterThan: { 'aws:CurrentTime': '2024-12-31T23:59:59Z' } })]
      expect(allowed(afterHours, { ...send(), context: { 'aws:CurrentTime': '2024-05-01T12:00:00Z' } })).toBe(true)
      expect(reasonOf(afterHours, { ...send(), context: { 'aws:CurrentTime': '2025-01-01T00:00:00Z' } })).toBe('denied by policy S1')
      const epoch = [ALLOW_ALL, denyWhen({ NumericGreaterThanEquals: { 'aws:EpochTime': 1735689600 } })]
      expect(allowed(epoch, { ...send(), context: { 'aws:EpochTime': '1714564800' } })).toBe(true)
      expect(reasonOf(epoch, { ...send(), context: { 'aws:EpochTime': '1735689600' } })).toBe('denied by policy S1')
      const outside = [ALLOW_ALL, denyWhen({ NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '2001:db8::/32'] } })]
      expect(allowed(outside, { ...send(), context: { 'aws:SourceIp': '10.1.2.3' } })).toBe(true)
      expect(allowed(outside, { ...send(), context: { 'aws:SourceIp': '2001:db8::7' } })).toBe(true)
      expect(reasonOf(outside, { ...send(), context: { 'aws:SourceIp': '198.51.100.1' } })).toBe('denied by policy S1')
    })

    it('It should take a global key given with no value as absent, not unknown', () => {
      const statements = [ALLOW_ALL, denyWhen({ StringEquals: { 'aws:PrincipalTag/team': 'contractors' } })]
      expect(allowed(statements, { ...send(), context: { 'aws:PrincipalTag/team': [] } })).toBe(true)
      const mfa = [ALLOW_ALL, denyWhen({ Null: { 'aws:MultiFactorAuthPresent': 'true' } })]
      expect(reasonOf(mfa, { ...send(), context: { 'aws:MultiFactorAuthPresent': [] } })).toBe('denied by policy S1')
    })

    it("It should keep a key of another service than the action's, which the request does not carry, absent", () => {
      const statements = [ALLOW_ALL, denyWhen({ StringEquals: { 'sns:Protocol': 'email' } })]
      expect(decide(statements, send())).toEqual({ allowed: true, source: 'policy S0' })
      const negated = [ALLOW_ALL, denyWhen({ StringNotEquals: { 'servicediscovery:NamespaceName': 'dev' } })]
      expect(reasonOf(negated, send())).toBe('denied by policy S1')
    })

    it("It should refuse a request a Deny on a key of the action's own service, which the request does not carry, may deny", () => {
      // It was taken as absent (the Deny did not apply): a false pass, as a real SendMessage may carry it.
      const statements = [ALLOW_ALL, denyWhen({ StringEquals: { 'sqs:QueueTag/env': 'prod' } })]
      expect(reasonOf(statements, send())).toBe(
        'may be denied by policy S1: its condition StringEquals sqs:QueueTag/env cannot be evaluated before a deploy',
      )
    })

    it('It should not refuse a request for a Deny whose action or resource does not match it', () => {
      const unknown = { StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } }
      expect(allowed([ALLOW_ALL, denyWhen(unknown, 'sns:*')], send())).toBe(true)
      expect(allowed([ALLOW_ALL, { Effect: 'Deny', Action: '*', Resource: OTHER_QUEUE, Condition: unknown }], send())).toBe(true)
    })

    it('It should not refuse a request for a Deny whose condition certainly fails elsewhere (AND)', () => {
      const statements = [
        ALLOW_ALL,
        denyWhen({
          StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' },
          StringEquals: { 'servicediscovery:NamespaceName': 'prod' },
        }),
      ]
      expect(allowed(statements, { ...send(), context: { 'servicediscovery:NamespaceName': 'dev' } })).toBe(true)
      expect(reasonOf(statements, { ...send(), context: { 'servicediscovery:NamespaceName': 'prod' } })).toBe(
        'may be denied by policy S1: its condition StringNotEquals aws:RequestedRegion cannot be evaluated before a deploy',
      )
    })

    it('It should name a Deny that certainly applies before one that only may', () => {
      const undecided = denyWhen({ StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } })
      const certain: PolicyStatement = { Effect: 'Deny', Action: 'sqs:SendMessage', Resource: QUEUE }
      expect(reasonOf([ALLOW_ALL, undecided, certain], send())).toBe('denied by policy S2')
      expect(reasonOf([ALLOW_ALL, certain, undecided], send())).toBe('denied by policy S1')
    })

    it('It should refuse a request a Deny may deny even when nothing allows it', () => {
      expect(reasonOf(denyWhen({ Bool: { 'aws:SecureTransport': 'false' } }), send())).toBe(
        'may be denied by policy S0: its condition Bool aws:SecureTransport cannot be evaluated before a deploy',
      )
    })

    it('It should refuse a request a Deny with a malformed condition may deny', () => {
      const statements: PolicyStatement[] = [
        ALLOW_ALL,
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: 'aws:SourceIp' as unknown as Condition },
        denyWhen({ StringEquals: 'prod' as unknown as Readonly<Record<string, unknown>> }),
      ]
      expect(reasonOf(statements, send())).toBe(
        'may be denied by policy S1: its condition "aws:SourceIp" cannot be evaluated before a deploy (operator not understood)',
      )
      expect(reasonOf([ALLOW_ALL, statements[2] as PolicyStatement], send())).toBe(
        'may be denied by policy S1: its condition StringEquals cannot be evaluated before a deploy (operator not understood)',
      )
    })

    it.each<[string, unknown, string]>([
      ['NumericLessThan', 'ten', '"ten" is not a number'],
      ['NumericEquals', '0x10', '"0x10" is not a number'],
      ['DateLessThan', 'next year', '"next year" is not a date (ISO 8601 or epoch seconds)'],
      ['DateGreaterThan', '2024-13-45T99:00:00Z', '"2024-13-45T99:00:00Z" is not a date (ISO 8601 or epoch seconds)'],
      ['IpAddress', '10.0.0.0/33', '"10.0.0.0/33" is not an IP address or CIDR block'],
      ['NotIpAddress', 'intranet', '"intranet" is not an IP address or CIDR block'],
    ])('It should refuse a request a Deny with %s %j, a value it cannot read, may deny', (operator, value, why) => {
      const context = { 'test:Key': '5' }
      expect(reasonOf([ALLOW_ALL, denyWhen({ [operator]: { 'test:Key': value } })], { ...send(), context })).toBe(
        `may be denied by policy S1: its condition ${operator} test:Key cannot be evaluated before a deploy (${why})`,
      )
      expect(reasonOf(allowWhen({ [operator]: { 'test:Key': value } }), { ...send(), context })).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: condition ${operator} test:Key: ${why}`,
      )
    })

    it('It should refuse a request whose own value a typed Deny cannot read', () => {
      expect(
        reasonOf([ALLOW_ALL, denyWhen({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } })], {
          ...send(),
          context: { 'aws:SourceIp': '10.0.0.0/8' },
        }),
      ).toBe(
        `may be denied by policy S1: its condition IpAddress aws:SourceIp cannot be evaluated before a deploy (the request's "10.0.0.0/8" is not an IP address)`,
      )
      expect(
        reasonOf([ALLOW_ALL, denyWhen({ DateLessThan: { 'aws:CurrentTime': '2030-01-01' } })], {
          ...send(),
          context: { 'aws:CurrentTime': 'now' },
        }),
      ).toBe(
        `may be denied by policy S1: its condition DateLessThan aws:CurrentTime cannot be evaluated before a deploy (the request's "now" is not a date (ISO 8601 or epoch seconds))`,
      )
    })

    it('It should not allow through an Allow whose condition is undecided, and say what it depends on', () => {
      const statement = allowWhen({
        StringEquals: { 'servicediscovery:NamespaceName': 'dev' },
        StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-west-1' },
      })
      expect(reasonOf(statement, { ...send(), context: { 'servicediscovery:NamespaceName': 'dev' } })).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0 allows it only if StringEqualsIfExists aws:RequestedRegion holds, which cannot be evaluated before a deploy`,
      )
      expect(
        allowed(statement, { ...send(), context: { 'servicediscovery:NamespaceName': 'dev', 'aws:RequestedRegion': 'eu-west-1' } }),
      ).toBe(true)
    })

    it('It should prefer a certain failure to an undecided part of the same Allow', () => {
      const statement = allowWhen({
        DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' },
        StringEquals: { 'servicediscovery:NamespaceName': 'dev' },
      })
      expect(reasonOf(statement, { ...send(), context: { 'servicediscovery:NamespaceName': 'prod' } })).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0 allows it only when servicediscovery:NamespaceName is "dev" (the request has "prod")`,
      )
    })

    it('It should allow through another Allow when one is undecided', () => {
      const statements = [
        allowWhen({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }),
        { Effect: 'Allow', Action: 'sqs:*', Resource: QUEUE },
      ]
      expect(decide(statements, send())).toEqual({ allowed: true, source: 'policy S1' })
    })

    it('It should list an undecided Allow besides the closest miss, on one line', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'sqs:*', Resource: '*', Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01' } } },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: OTHER_QUEUE },
      ]
      expect(reasonOf(statements, send())).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0 allows it only if DateLessThan aws:CurrentTime holds, which cannot be evaluated before a deploy; policy S1 allows it on ${OTHER_QUEUE} only`,
      )
    })
  })

  describe('values known only at deploy time', () => {
    const ALLOW_ALL: PolicyStatement = { Effect: 'Allow', Action: '*', Resource: '*' }
    const IMPORTED = '«Fn::ImportValue DeniedQueueArn»'
    const PARTLY = 'arn:aws:sqs:eu-west-1:123456789012:«Fn::ImportValue DeniedQueueName»'
    const SSM = '«AWS::SSM::Parameter::Value<String> /x»'

    it.each<[string, PolicyStatement, string]>([
      ['Resource', { Effect: 'Deny', Action: 'sqs:*', Resource: IMPORTED }, `its Resource ${IMPORTED}`],
      ['Resource (part of it)', { Effect: 'Deny', Action: 'sqs:*', Resource: PARTLY }, `its Resource ${PARTLY}`],
      ['NotResource', { Effect: 'Deny', Action: 'sqs:*', NotResource: IMPORTED }, `its NotResource ${IMPORTED}`],
      ['Action', { Effect: 'Deny', Action: SSM, Resource: '*' }, `its Action ${SSM}`],
      ['NotAction', { Effect: 'Deny', NotAction: `sqs:${SSM}`, Resource: '*' }, `its NotAction sqs:${SSM}`],
    ])('It should refuse a request a Deny whose %s is known only at deploy time may deny', (_, deny, what) => {
      expect(decide([ALLOW_ALL, deny], send())).toEqual({
        allowed: false,
        denial: 'undecided',
        reason: `may be denied by policy S1: ${what} is known only at deploy time`,
      })
    })

    it('It should refuse a request a Deny whose condition value is known only at deploy time may deny', () => {
      const context = { 'aws:SourceVpc': 'vpc-1', 'aws:EpochTime': '1714564800' }
      const vpc = { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:SourceVpc': IMPORTED } } }
      expect(reasonOf([ALLOW_ALL, vpc], { ...send(), context })).toBe(
        `may be denied by policy S1: its condition StringNotEquals aws:SourceVpc ${IMPORTED} is known only at deploy time`,
      )
      const time = { Effect: 'Deny', Action: '*', Resource: '*', Condition: { NumericGreaterThan: { 'aws:EpochTime': SSM } } }
      expect(reasonOf([ALLOW_ALL, time], { ...send(), context })).toBe(
        `may be denied by policy S1: its condition NumericGreaterThan aws:EpochTime ${SSM} is known only at deploy time`,
      )
    })

    it('It should let a pattern it can read decide a Deny beside one known only at deploy time', () => {
      expect(reasonOf([ALLOW_ALL, { Effect: 'Deny', Action: 'sqs:*', Resource: [IMPORTED, QUEUE] }], send())).toBe('denied by policy S1')
      expect(reasonOf([ALLOW_ALL, { Effect: 'Deny', Action: [SSM, 'sqs:Send*'], Resource: '*' }], send())).toBe('denied by policy S1')
      expect(reasonOf([ALLOW_ALL, { Effect: 'Deny', Action: 'sqs:*', Resource: [OTHER_QUEUE, IMPORTED] }], send())).toBe(
        `may be denied by policy S1: its Resource ${IMPORTED} is known only at deploy time`,
      )
      // NotResource: a pattern that certainly matches the request means the Deny does not apply.
      expect(allowed([ALLOW_ALL, { Effect: 'Deny', Action: 'sqs:*', NotResource: [IMPORTED, QUEUE] }], send())).toBe(true)
    })

    it('It should let a condition value it can read decide beside one known only at deploy time', () => {
      const deny = (value: string[]): PolicyStatement[] => [
        ALLOW_ALL,
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringNotEquals: { 'aws:SourceVpc': value } } },
      ]
      // vpc-1 is listed: the request's vpc-1 is certainly not "none of" them.
      expect(allowed(deny(['vpc-1', IMPORTED]), { ...send(), context: { 'aws:SourceVpc': 'vpc-1' } })).toBe(true)
      expect(reasonOf(deny(['vpc-1', IMPORTED]), { ...send(), context: { 'aws:SourceVpc': 'vpc-2' } })).toBe(
        `may be denied by policy S1: its condition StringNotEquals aws:SourceVpc ${IMPORTED} is known only at deploy time`,
      )
      // A key the request certainly lacks: StringNotEquals holds whatever the values are.
      expect(reasonOf(deny([IMPORTED]), { ...send(), context: { 'aws:SourceVpc': [] } })).toBe('denied by policy S1')
    })

    it('It should not refuse a request for such a Deny when another part of it certainly does not match', () => {
      const unknown: PolicyStatement = { Effect: 'Deny', Action: 'sns:*', Resource: IMPORTED }
      expect(allowed([ALLOW_ALL, unknown], send())).toBe(true)
      const failing: PolicyStatement = {
        Effect: 'Deny',
        Action: IMPORTED,
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
      }
      expect(allowed([ALLOW_ALL, failing], { ...send(), context: { 'aws:RequestedRegion': 'eu-west-1' } })).toBe(true)
    })

    it('It should name a Deny that certainly applies before one known only at deploy time', () => {
      const statements: PolicyStatement[] = [
        ALLOW_ALL,
        { Effect: 'Deny', Action: 'sqs:*', Resource: IMPORTED },
        { Effect: 'Deny', Action: 'sqs:*', Resource: QUEUE },
      ]
      expect(reasonOf(statements, send())).toBe('denied by policy S2')
    })

    it.each<[string, PolicyStatement, string]>([
      ['Resource', { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: IMPORTED }, `its Resource ${IMPORTED}`],
      ['Resource (part of it)', { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: PARTLY }, `its Resource ${PARTLY}`],
      ['NotResource', { Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: IMPORTED }, `its NotResource ${IMPORTED}`],
      ['Action', { Effect: 'Allow', Action: SSM, Resource: '*' }, `its Action ${SSM}`],
      ['NotAction', { Effect: 'Allow', NotAction: SSM, Resource: '*' }, `its NotAction ${SSM}`],
      [
        'condition value',
        { Effect: 'Allow', Action: 'sqs:*', Resource: '*', Condition: { StringEquals: { 'aws:SourceVpc': IMPORTED } } },
        `its condition StringEquals aws:SourceVpc ${IMPORTED}`,
      ],
    ])('It should not allow through an Allow whose %s is known only at deploy time, and say so', (_, allow, what) => {
      expect(decide(allow, { ...send(), context: { 'aws:SourceVpc': 'vpc-1' } })).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: ${what} is known only at deploy time`,
      })
    })

    it('It should allow through a pattern it can read beside one known only at deploy time, or through another Allow', () => {
      expect(decide({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: [IMPORTED, QUEUE] }, send())).toEqual({
        allowed: true,
        source: 'policy S0',
      })
      expect(allowed({ Effect: 'Allow', Action: [SSM, 'sqs:Send*'], Resource: '*' }, send())).toBe(true)
      const either = {
        Effect: 'Allow',
        Action: 'sqs:*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceVpc': [IMPORTED, 'vpc-1'] } },
      }
      expect(allowed(either, { ...send(), context: { 'aws:SourceVpc': 'vpc-1' } })).toBe(true)
      expect(allowed(either, { ...send(), context: { 'aws:SourceVpc': 'vpc-2' } })).toBe(false)
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: IMPORTED },
        { Effect: 'Allow', Action: 'sqs:*', Resource: QUEUE },
      ]
      expect(decide(statements, send())).toEqual({ allowed: true, source: 'policy S1' })
    })

    it('It should list an Allow known only at deploy time besides the closest miss', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: [OTHER_QUEUE, IMPORTED] },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `${QUEUE}-dlq` },
      ]
      expect(reasonOf(statements, send())).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: its Resource ${IMPORTED} is known only at deploy time; policy S1 allows it on ${QUEUE}-dlq only`,
      )
    })

    it('It should not allow through an Allow whose NotResource it can read, when one of them is known only at deploy time', () => {
      const statement: PolicyStatement = { Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: [OTHER_QUEUE, IMPORTED] }
      expect(reasonOf(statement, send())).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: its NotResource ${IMPORTED} is known only at deploy time`,
      )
      expect(allowed(statement, send(OTHER_QUEUE))).toBe(false)
    })

    it('It should decide a request whose own resource or key value is known only at deploy time only when nothing depends on it', () => {
      const target = `arn:aws:sqs:eu-west-1:${IMPORTED}:jobs`
      expect(decide(ALLOW_ALL, send(target))).toEqual({ allowed: true, source: 'policy S0' })
      expect(reasonOf({ Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:*:*:jobs' }, send(target))).toBe(
        `no statement allows sqs:SendMessage on ${target}; policy S0: its Resource arn:aws:sqs:*:*:jobs cannot be evaluated before a deploy (the request's "${target}" is known only at deploy time)`,
      )
      expect(reasonOf([ALLOW_ALL, { Effect: 'Deny', Action: '*', Resource: 'arn:aws:sqs:*:210987654321:*' }], send(target))).toBe(
        `may be denied by policy S1: its Resource arn:aws:sqs:*:210987654321:* cannot be evaluated before a deploy (the request's "${target}" is known only at deploy time)`,
      )
      const account = [
        ALLOW_ALL,
        { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { 'aws:ResourceAccount': '210987654321' } } },
      ]
      expect(reasonOf(account, { ...send(target), context: { 'aws:ResourceAccount': IMPORTED } })).toBe(
        `may be denied by policy S1: its condition StringEquals aws:ResourceAccount cannot be evaluated before a deploy (the request's "${IMPORTED}" is known only at deploy time)`,
      )
      const named = [ALLOW_ALL, { Effect: 'Deny', Action: '*', Resource: '*', Condition: { StringEquals: { [`sns:${SSM}`]: 'x' } } }]
      expect(reasonOf(named, send())).toBe(
        `may be denied by policy S1: its condition StringEquals sns:${SSM} cannot be evaluated before a deploy`,
      )
    })

    it('It should not allow through a pattern that is not a string, and refuse a request such a Deny may deny', () => {
      const odd = { 'Fn::ImportValue': 'X' } as unknown as string
      expect(reasonOf({ Effect: 'Allow', Action: 'sqs:*', Resource: odd }, send())).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: its Resource {"Fn::ImportValue":"X"} cannot be evaluated before a deploy (not a string)`,
      )
      expect(reasonOf([ALLOW_ALL, { Effect: 'Deny', Action: ['sns:*', 3 as unknown as string], Resource: '*' }], send())).toBe(
        'may be denied by policy S1: its Action 3 cannot be evaluated before a deploy (not a string)',
      )
    })
  })

  describe('policy variables', () => {
    const ACCOUNT = '123456789012'
    const ALLOW_ALL: PolicyStatement = { Effect: 'Allow', Action: '*', Resource: '*' }
    /** The statements of a document with that Version (none: no Version), as `policy S<index>`. */
    const under = (version: string | undefined, statements: PolicyStatement[]): SourcedStatement[] =>
      statements.flatMap((statement, index) =>
        statementsOf({ ...(version === undefined ? {} : { Version: version }), Statement: statement }, `policy S${index}`),
      )
    const v2012 = (...statements: PolicyStatement[]) => under('2012-10-17', statements)
    const ownAccount = `arn:aws:sqs:eu-west-1:\${aws:PrincipalAccount}:jobs`
    const withContext = (context: NonNullable<AccessRequest['context']>, resource = QUEUE): AccessRequest => ({
      ...send(resource),
      context,
    })

    it('It should replace a policy variable in a Resource from the request', () => {
      const statements = v2012({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ownAccount })
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalAccount': ACCOUNT }))).toEqual({ allowed: true, source: 'policy S0' })
      expect(evaluateAccess(statements, withContext({ 'AWS:principalaccount': '210987654321' }))).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${QUEUE}; policy S0 allows it on ${ownAccount} only`,
      })
    })

    it(`It should take \${...} as text in a policy of Version 2008-10-17 or with no Version`, () => {
      for (const version of ['2008-10-17', undefined]) {
        const statements = under(version, [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ownAccount }])
        expect(evaluateAccess(statements, withContext({ 'aws:PrincipalAccount': ACCOUNT })).allowed).toBe(false)
        expect(evaluateAccess(statements, withContext({ 'aws:PrincipalAccount': ACCOUNT }, ownAccount)).allowed).toBe(true)
        const deny = under(version, [ALLOW_ALL, { Effect: 'Deny', Action: '*', Resource: ownAccount }])
        expect(evaluateAccess(deny, withContext({})).allowed).toBe(true)
      }
    })

    it('It should decide a Deny with a policy variable in its NotResource, and refuse a request it may deny when the key is unknown', () => {
      const statements = v2012(ALLOW_ALL, { Effect: 'Deny', Action: 'sqs:*', NotResource: `arn:aws:sqs:*:\${aws:PrincipalAccount}:*` })
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalAccount': ACCOUNT })).allowed).toBe(true)
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalAccount': '210987654321' }))).toEqual({
        allowed: false,
        denial: 'explicit',
        reason: 'denied by policy S1',
      })
      expect(evaluateAccess(statements, withContext({}))).toEqual({
        allowed: false,
        denial: 'undecided',
        reason: `may be denied by policy S1: its NotResource arn:aws:sqs:*:\${aws:PrincipalAccount}:* cannot be evaluated before a deploy (\${aws:PrincipalAccount} is not known before a deploy)`,
      })
    })

    it('It should not allow through an Allow whose Resource has a policy variable it cannot replace, and say so', () => {
      const statements = v2012({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:*:*:\${aws:username}-*` })
      expect(evaluateAccess(statements, withContext({}))).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: its Resource arn:aws:sqs:*:*:\${aws:username}-* cannot be evaluated before a deploy (\${aws:username} is not known before a deploy)`,
      })
      expect(evaluateAccess(statements, withContext({ 'aws:username': 'jobs' }, `${QUEUE}-1`)).allowed).toBe(true)
    })

    it('It should replace policy variables in condition values', () => {
      const statements = v2012(ALLOW_ALL, {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { StringNotEquals: { 'aws:ResourceAccount': `\${aws:PrincipalAccount}` } },
      })
      const context = (resource: string, principal?: string) => ({
        'aws:ResourceAccount': resource,
        ...(principal === undefined ? {} : { 'aws:PrincipalAccount': principal }),
      })
      expect(evaluateAccess(statements, withContext(context(ACCOUNT, ACCOUNT))).allowed).toBe(true)
      expect(evaluateAccess(statements, withContext(context('210987654321', ACCOUNT)))).toEqual({
        allowed: false,
        denial: 'explicit',
        reason: 'denied by policy S1',
      })
      expect(evaluateAccess(statements, withContext(context(ACCOUNT)))).toEqual({
        allowed: false,
        denial: 'undecided',
        reason: `may be denied by policy S1: its condition StringNotEquals aws:ResourceAccount \${aws:PrincipalAccount} cannot be evaluated before a deploy (\${aws:PrincipalAccount} is not known before a deploy)`,
      })
      const like = v2012({
        Effect: 'Allow',
        Action: 'sqs:*',
        Resource: '*',
        Condition: { ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::\${aws:PrincipalAccount}:role/*` } },
      })
      const role = (account: string) => ({ 'aws:PrincipalAccount': ACCOUNT, 'aws:PrincipalArn': `arn:aws:iam::${account}:role/worker` })
      expect(evaluateAccess(like, withContext(role(ACCOUNT))).allowed).toBe(true)
      expect(evaluateAccess(like, withContext(role('210987654321'))).allowed).toBe(false)
    })

    it('It should use the default of a policy variable whose key is absent, and only then', () => {
      const resource = `arn:aws:sqs:eu-west-1:123456789012:\${aws:PrincipalTag/team, 'shared'}-jobs`
      const statements = v2012({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: resource })
      const sharedQueue = 'arn:aws:sqs:eu-west-1:123456789012:shared-jobs'
      const paymentsQueue = 'arn:aws:sqs:eu-west-1:123456789012:payments-jobs'
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalTag/team': [] }, sharedQueue)).allowed).toBe(true)
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalTag/team': [] }, paymentsQueue)).allowed).toBe(false)
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalTag/team': 'payments' }, paymentsQueue)).allowed).toBe(true)
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalTag/team': 'payments' }, sharedQueue)).allowed).toBe(false)
      // Not given: the tag could be there, with any value.
      const unknown = evaluateAccess(statements, withContext({}, sharedQueue))
      expect(unknown).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${sharedQueue}; policy S0: its Resource ${resource} cannot be evaluated before a deploy (\${aws:PrincipalTag/team, 'shared'} is not known before a deploy)`,
      })
      // A key of another service the request does not carry is absent: its default holds.
      const other = v2012({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: `arn:aws:sqs:eu-west-1:123456789012:\${ s3:prefix , 'shared' }-jobs`,
      })
      expect(evaluateAccess(other, withContext({}, sharedQueue)).allowed).toBe(true)
    })

    it("It should read a quote doubled in a default as one, and a condition value's default", () => {
      const statements = v2012({
        Effect: 'Allow',
        Action: 'sqs:*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceVpc': `\${aws:PrincipalTag/vpc, 'it''s'}` } },
      })
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalTag/vpc': [], 'aws:SourceVpc': "it's" })).allowed).toBe(true)
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalTag/vpc': [], 'aws:SourceVpc': "it''s" })).allowed).toBe(false)
    })

    it('It should not decide a policy variable with no value and no default, with several values, or not well formed', () => {
      const deny = (Resource: string) => v2012(ALLOW_ALL, { Effect: 'Deny', Action: 'sqs:*', Resource })
      const reason = (Resource: string, context: NonNullable<AccessRequest['context']>) => {
        const decision = evaluateAccess(deny(Resource), withContext(context))
        return decision.allowed ? 'allowed' : decision.reason
      }
      expect(reason(`arn:aws:sqs:*:*:\${aws:PrincipalTag/team}`, { 'aws:PrincipalTag/team': [] })).toBe(
        `may be denied by policy S1: its Resource arn:aws:sqs:*:*:\${aws:PrincipalTag/team} cannot be evaluated before a deploy (\${aws:PrincipalTag/team} has no value, and no default)`,
      )
      expect(reason(`arn:aws:sqs:*:*:\${aws:PrincipalTag/team}`, { 'aws:PrincipalTag/team': ['a', 'b'] })).toBe(
        `may be denied by policy S1: its Resource arn:aws:sqs:*:*:\${aws:PrincipalTag/team} cannot be evaluated before a deploy (\${aws:PrincipalTag/team} has several values)`,
      )
      expect(reason(`arn:aws:sqs:*:*:\${aws:username`, {})).toBe(
        `may be denied by policy S1: its Resource arn:aws:sqs:*:*:\${aws:username cannot be evaluated before a deploy (\${aws:username is not a policy variable that can be read)`,
      )
      // A value with a wildcard in it: whether it stands for itself is not known.
      expect(reason(`arn:aws:sqs:*:*:\${aws:username}`, { 'aws:username': 'j*' })).toBe(
        `may be denied by policy S1: its Resource arn:aws:sqs:*:*:\${aws:username} cannot be evaluated before a deploy (\${aws:username} is "j*", which holds a wildcard character)`,
      )
    })

    it(`It should take \${*}, \${?} and \${$} as the characters themselves, not wildcards`, () => {
      const allowOn = (Resource: string) => v2012({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource })
      const on = (Resource: string, resource: string) => evaluateAccess(allowOn(Resource), send(resource)).allowed
      expect(on(`arn:aws:s3:::bucket/\${*}`, 'arn:aws:s3:::bucket/*')).toBe(true)
      expect(on(`arn:aws:s3:::bucket/\${*}`, 'arn:aws:s3:::bucket/x')).toBe(false)
      expect(on(`arn:aws:s3:::bucket/a\${?}`, 'arn:aws:s3:::bucket/a?')).toBe(true)
      expect(on(`arn:aws:s3:::bucket/a\${?}`, 'arn:aws:s3:::bucket/ab')).toBe(false)
      expect(on(`arn:aws:s3:::bucket/\${$}{x}`, `arn:aws:s3:::bucket/\${x}`)).toBe(true)
      expect(on(`arn:aws:s3:::bucket/*\${*}`, 'arn:aws:s3:::bucket/a/b*')).toBe(true)
      const equals = v2012({
        Effect: 'Allow',
        Action: 'sqs:*',
        Resource: '*',
        Condition: { StringEquals: { 'aws:SourceVpc': `vpc-\${*}` } },
      })
      expect(evaluateAccess(equals, withContext({ 'aws:SourceVpc': 'vpc-*' })).allowed).toBe(true)
      const like = v2012({ Effect: 'Allow', Action: 'sqs:*', Resource: '*', Condition: { StringLike: { 'aws:SourceVpc': `vpc-\${*}` } } })
      expect(evaluateAccess(like, withContext({ 'aws:SourceVpc': 'vpc-*' })).allowed).toBe(true)
      expect(evaluateAccess(like, withContext({ 'aws:SourceVpc': 'vpc-1' })).allowed).toBe(false)
    })

    it(`It should not replace \${...} in an Action`, () => {
      const statements = v2012({ Effect: 'Allow', Action: `sqs:\${aws:PrincipalTag/action}`, Resource: '*' })
      expect(evaluateAccess(statements, withContext({ 'aws:PrincipalTag/action': 'SendMessage' })).allowed).toBe(false)
    })

    it('It should decide a pattern of a policy whose Version is not known only when text and variables agree', () => {
      // A statement without a version: from a bare Statement, or a Version known only at deploy time.
      const bare = (...statements: PolicyStatement[]) =>
        statements.flatMap((statement, index) => statementsOf(statement, `policy S${index}`))
      const allow = bare({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: ownAccount })
      expect(evaluateAccess(allow, withContext({ 'aws:PrincipalAccount': ACCOUNT }))).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: its Resource ${ownAccount} cannot be evaluated before a deploy (the policy's Version is not known: it may be text or hold policy variables)`,
      })
      const deny = bare(ALLOW_ALL, { Effect: 'Deny', Action: '*', Resource: ownAccount })
      expect(evaluateAccess(deny, withContext({ 'aws:PrincipalAccount': ACCOUNT })).allowed).toBe(false)
      // Neither reading matches another account's queue.
      expect(
        evaluateAccess(deny, withContext({ 'aws:PrincipalAccount': ACCOUNT }, 'arn:aws:sqs:eu-west-1:210987654321:jobs')).allowed,
      ).toBe(true)
      const imported = statementsOf(
        { Version: '«Fn::ImportValue Version»', Statement: { Effect: 'Deny', Action: '*', Resource: ownAccount } },
        'p',
      )
      expect(evaluateAccess([sourced(ALLOW_ALL), ...imported], withContext({ 'aws:PrincipalAccount': ACCOUNT })).allowed).toBe(false)
    })

    it(`It should not decide \${...} in a value of an operator that may not take policy variables, unless both readings agree`, () => {
      const deny = v2012(ALLOW_ALL, {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': `\${aws:PrincipalTag/insecure}` } },
      })
      const context = (tag: string) => ({ 'aws:SecureTransport': 'true', 'aws:PrincipalTag/insecure': tag })
      expect(evaluateAccess(deny, withContext(context('false'))).allowed).toBe(true)
      expect(evaluateAccess(deny, withContext(context('true')))).toEqual({
        allowed: false,
        denial: 'undecided',
        reason: `may be denied by policy S1: its condition Bool aws:SecureTransport \${aws:PrincipalTag/insecure} cannot be evaluated before a deploy (its operator may take it as text rather than with its policy variables)`,
      })
    })
  })

  describe("keys of the action's own service", () => {
    const ALLOW_ALL: PolicyStatement = { Effect: 'Allow', Action: '*', Resource: '*' }
    const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/default'
    const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234'
    const put = (context?: AccessRequest['context']): AccessRequest => ({
      action: 'events:PutEvents',
      resource: BUS,
      ...(context === undefined ? {} : { context }),
    })
    const denyWhen = (Condition: NonNullable<PolicyStatement['Condition']>): PolicyStatement => ({
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition,
    })

    it('It should refuse a request a Deny on a key of its service may deny, when the request does not carry it', () => {
      const statements = [ALLOW_ALL, denyWhen({ StringEquals: { 'events:source': 'forbidden.app' } })]
      expect(reasonOf(statements, put())).toBe(
        'may be denied by policy S1: its condition StringEquals events:source cannot be evaluated before a deploy',
      )
      expect(allowed(statements, put({ 'events:source': 'my.app' }))).toBe(true)
      expect(reasonOf(statements, put({ 'events:source': 'forbidden.app' }))).toBe('denied by policy S1')
      expect(allowed(statements, put({ 'events:source': [] }))).toBe(true)
    })

    it('It should not allow through an Allow on a key of its service the request does not carry', () => {
      const allow: PolicyStatement = {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: BUS,
        Condition: { StringEquals: { 'events:detail-type': 'JobDone' } },
      }
      expect(reasonOf(allow, put())).toBe(
        `no statement allows events:PutEvents on ${BUS}; policy S0 allows it only if StringEquals events:detail-type holds, which cannot be evaluated before a deploy`,
      )
      expect(allowed(allow, put({ 'events:detail-type': 'JobDone' }))).toBe(true)
      expect(allowed({ ...allow, Condition: { StringEqualsIfExists: { 'events:detail-type': 'JobDone' } } }, put())).toBe(false)
      expect(
        allowed({ ...allow, Condition: { StringEqualsIfExists: { 'events:detail-type': 'JobDone' } } }, put({ 'events:detail-type': [] })),
      ).toBe(true)
    })

    it('It should treat the KMS keys of a call made through SQS as unknown for a KMS action, whatever the case', () => {
      const statements = [
        ALLOW_ALL,
        denyWhen({ StringNotEquals: { 'Kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } }),
        denyWhen({ StringNotEquals: { 'kms:CallerAccount': '123456789012' } }),
      ]
      const decrypt = (context: NonNullable<AccessRequest['context']>): AccessRequest => ({ action: 'KMS:Decrypt', resource: KEY, context })
      expect(reasonOf(statements, decrypt({}))).toBe(
        'may be denied by policy S1: its condition StringNotEquals Kms:ViaService cannot be evaluated before a deploy',
      )
      expect(reasonOf(statements, decrypt({ 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' }))).toBe(
        'may be denied by policy S2: its condition StringNotEquals kms:CallerAccount cannot be evaluated before a deploy',
      )
      const context = { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com', 'kms:CallerAccount': '123456789012' }
      expect(allowed(statements, decrypt(context))).toBe(true)
      expect(reasonOf(statements, decrypt({ ...context, 'kms:ViaService': 'sns.eu-west-1.amazonaws.com' }))).toBe('denied by policy S1')
      const encryption = [ALLOW_ALL, denyWhen({ StringNotEquals: { 'kms:EncryptionContext:aws:sqs:arn': QUEUE } })]
      expect(reasonOf(encryption, decrypt(context))).toBe(
        'may be denied by policy S1: its condition StringNotEquals kms:EncryptionContext:aws:sqs:arn cannot be evaluated before a deploy',
      )
    })

    it('It should keep a KMS key absent for a call of another service', () => {
      // For sqs:SendMessage, kms:ViaService is not in the request: StringNotEquals holds.
      const statements = [ALLOW_ALL, denyWhen({ StringNotEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } })]
      expect(reasonOf(statements, send())).toBe('denied by policy S1')
      expect(allowed([ALLOW_ALL, denyWhen({ StringEquals: { 'kms:ViaService': 'sqs.eu-west-1.amazonaws.com' } })], send())).toBe(true)
    })

    it.each([
      ['sqs:SendMessage', 'sqs:QueueTag/env'],
      ['sns:Publish', 'sns:Protocol'],
      ['lambda:InvokeFunction', 'lambda:FunctionArn'],
      ['states:StartExecution', 'states:StateMachineArn'],
    ])('It should treat a key of the service of %s the request does not carry (%s) as unknown', (action, key) => {
      expect(reasonOf([ALLOW_ALL, denyWhen({ StringEquals: { [key]: 'x' } })], { action, resource: '*' })).toBe(
        `may be denied by policy S1: its condition StringEquals ${key} cannot be evaluated before a deploy`,
      )
    })

    it('It should decide the Cloud Map keys the check gives for DiscoverInstances', () => {
      const discover = (context?: AccessRequest['context']): AccessRequest => ({
        action: 'servicediscovery:DiscoverInstances',
        resource: '*',
        ...(context === undefined ? {} : { context }),
      })
      const statements = [ALLOW_ALL, denyWhen({ StringNotEquals: { 'servicediscovery:ServiceName': 'scheduler' } })]
      const given = { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': 'scheduler' }
      expect(allowed(statements, discover(given))).toBe(true)
      expect(reasonOf(statements, discover({ ...given, 'servicediscovery:ServiceName': 'events' }))).toBe('denied by policy S1')
      expect(reasonOf(statements, discover())).toBe(
        'may be denied by policy S1: its condition StringNotEquals servicediscovery:ServiceName cannot be evaluated before a deploy',
      )
    })

    it("It should not decide a policy variable of a key of the action's own service the request does not carry", () => {
      const statements = statementsOf(
        {
          Version: '2012-10-17',
          Statement: { Effect: 'Allow', Action: 'sqs:*', Resource: `arn:aws:sqs:*:*:\${sqs:QueueTag/env, 'dev'}-jobs` },
        },
        'p',
      )
      expect(evaluateAccess(statements, send('arn:aws:sqs:eu-west-1:123456789012:dev-jobs')).allowed).toBe(false)
      expect(
        evaluateAccess(statements, { ...send('arn:aws:sqs:eu-west-1:123456789012:dev-jobs'), context: { 'sqs:QueueTag/env': [] } }).allowed,
      ).toBe(true)
    })
  })

  describe('several resources', () => {
    const NAMESPACE = 'arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-dev'
    const SERVICE = 'arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-scheduler'
    const discover = (context?: AccessRequest['context']): AccessRequest => ({
      action: 'servicediscovery:DiscoverInstances',
      resources: [NAMESPACE, SERVICE],
      ...(context === undefined ? {} : { context }),
    })
    const allowOn = (Resource: string | string[]): PolicyStatement => ({
      Effect: 'Allow',
      Action: 'servicediscovery:DiscoverInstances',
      Resource,
    })

    it('It should allow a request only when every resource is allowed', () => {
      expect(decide(allowOn([NAMESPACE, SERVICE]), discover())).toEqual({ allowed: true, source: 'policy S0' })
      expect(decide(allowOn('arn:aws:servicediscovery:eu-west-1:123456789012:*'), discover())).toEqual({
        allowed: true,
        source: 'policy S0',
      })
      expect(decide([allowOn(NAMESPACE), allowOn(SERVICE)], discover())).toEqual({ allowed: true, source: 'policy S0, policy S1' })
    })

    it('It should name the resource nothing allows', () => {
      expect(reasonOf(allowOn(NAMESPACE), discover())).toBe(
        `no statement allows servicediscovery:DiscoverInstances on ${SERVICE}; policy S0 allows it on ${NAMESPACE} only`,
      )
      expect(reasonOf(allowOn(SERVICE), discover())).toBe(
        `no statement allows servicediscovery:DiscoverInstances on ${NAMESPACE}; policy S0 allows it on ${SERVICE} only`,
      )
    })

    it('It should deny the request when a Deny applies to any one resource, naming it', () => {
      const statements: PolicyStatement[] = [allowOn('*'), { Effect: 'Deny', Action: 'servicediscovery:*', Resource: SERVICE }]
      expect(reasonOf(statements, discover())).toBe(`denied by policy S1 on ${SERVICE}`)
      const undecided: PolicyStatement[] = [
        allowOn('*'),
        { Effect: 'Deny', Action: '*', Resource: NAMESPACE, Condition: { StringNotEquals: { 'aws:PrincipalAccount': '123456789012' } } },
      ]
      expect(reasonOf(undecided, discover())).toBe(
        `may be denied by policy S1 on ${NAMESPACE}: its condition StringNotEquals aws:PrincipalAccount cannot be evaluated before a deploy`,
      )
      expect(allowed(undecided, discover({ 'aws:PrincipalAccount': '123456789012' }))).toBe(true)
    })

    it('It should name a Deny that certainly applies to one resource before one that only may on another', () => {
      const statements: PolicyStatement[] = [
        allowOn('*'),
        { Effect: 'Deny', Action: '*', Resource: NAMESPACE, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
        { Effect: 'Deny', Action: '*', Resource: SERVICE },
      ]
      expect(reasonOf(statements, discover())).toBe(`denied by policy S2 on ${SERVICE}`)
    })

    it('It should use resources instead of resource, and refuse a request with no resource at all', () => {
      expect(allowed(allowOn(NAMESPACE), { ...discover(), resource: NAMESPACE })).toBe(false)
      expect(reasonOf(allowOn('*'), { action: 'servicediscovery:DiscoverInstances', resources: [] })).toBe(
        'no resource given for servicediscovery:DiscoverInstances',
      )
      expect(reasonOf(allowOn('*'), { action: 'servicediscovery:DiscoverInstances' })).toBe(
        'no resource given for servicediscovery:DiscoverInstances',
      )
    })

    it('It should word a request with one resource listed, or the same one twice, as a request on that resource', () => {
      const statements: PolicyStatement[] = [allowOn('*'), { Effect: 'Deny', Action: '*', Resource: SERVICE }]
      expect(reasonOf(statements, { action: 'servicediscovery:DiscoverInstances', resources: [SERVICE, SERVICE] })).toBe(
        'denied by policy S1',
      )
      expect(reasonOf(allowOn(NAMESPACE), { action: 'servicediscovery:DiscoverInstances', resources: [SERVICE] })).toBe(
        `no statement allows servicediscovery:DiscoverInstances on ${SERVICE}; policy S0 allows it on ${NAMESPACE} only`,
      )
    })
  })

  describe('reasons', () => {
    it('It should name the resource an Allow for the action is limited to', () => {
      const statements = [
        sourced(
          { Effect: 'Allow', Action: 'sqs:SendMessage*', Resource: 'arn:aws:sqs:eu-west-1:123456789012:queue-a' },
          'policy WorkerRoleDefaultPolicy',
        ),
      ]
      expect(evaluateAccess(statements, send(OTHER_QUEUE))).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${OTHER_QUEUE}; policy WorkerRoleDefaultPolicy allows it on arn:aws:sqs:eu-west-1:123456789012:queue-a only`,
      })
    })

    it('It should list every resource of the closest Allow, and word NotResource as an exception', () => {
      expect(reasonOf({ Effect: 'Allow', Action: 'sqs:*', Resource: [QUEUE, `${QUEUE}-dlq`] }, send(OTHER_QUEUE))).toContain(
        `policy S0 allows it on ${QUEUE}, ${QUEUE}-dlq only`,
      )
      expect(reasonOf({ Effect: 'Allow', Action: 'sqs:*', NotResource: OTHER_QUEUE }, send(OTHER_QUEUE))).toContain(
        `policy S0 allows it only on resources other than ${OTHER_QUEUE}`,
      )
    })

    it('It should not mention an Allow for another action', () => {
      expect(reasonOf({ Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }, send())).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}`,
      )
    })

    it('It should name the key, the values and what the request had when a StringEquals condition fails', () => {
      const statement: PolicyStatement = {
        Effect: 'Allow',
        Action: 'servicediscovery:DiscoverInstances',
        Resource: '*',
        Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': 'scheduler' } },
      }
      const decision = evaluateAccess([sourced(statement, 'policy JobsApiPolicy')], {
        action: 'servicediscovery:DiscoverInstances',
        resource: '*',
        context: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': 'events' },
      })
      expect(decision).toEqual({
        allowed: false,
        denial: 'implicit',
        reason:
          'no statement allows servicediscovery:DiscoverInstances on *; ' +
          'policy JobsApiPolicy allows it only when servicediscovery:ServiceName is "scheduler" (the request has "events")',
      })
    })

    const failing: Array<[string, unknown, string | string[] | undefined, string]> = [
      ['StringEquals', ['events', 'storage'], 'billing', 'k:Name is one of "events", "storage" (the request has "billing")'],
      ['StringEquals', 'dev', undefined, 'k:Name is "dev" (the request has no k:Name)'],
      ['StringNotEquals', 'prod', 'prod', 'k:Name is not "prod" (the request has "prod")'],
      ['StringNotEquals', ['prod', 'stage'], 'prod', 'k:Name is none of "prod", "stage" (the request has "prod")'],
      ['StringEqualsIgnoreCase', 'dev', 'prod', 'k:Name is "dev" (ignoring case) (the request has "prod")'],
      ['StringLike', 'sched*', 'events', 'k:Name matches "sched*" (the request has "events")'],
      ['StringNotLike', 'ev*', 'events', 'k:Name does not match "ev*" (the request has "events")'],
      ['ArnLike', 'arn:aws:sqs:*:*:jobs', OTHER_QUEUE, `k:Name matches the ARN "arn:aws:sqs:*:*:jobs" (the request has "${OTHER_QUEUE}")`],
      ['ArnNotEquals', QUEUE, QUEUE, `k:Name is not the ARN "${QUEUE}" (the request has "${QUEUE}")`],
      ['Bool', 'true', 'false', 'k:Name is "true" (the request has "false")'],
      ['Null', 'true', 'x', 'k:Name is absent (the request has "x")'],
      ['Null', 'false', undefined, 'k:Name is present (the request has no k:Name)'],
      ['StringEqualsIfExists', 'dev', 'prod', 'k:Name is "dev" (or is absent) (the request has "prod")'],
      ['ForAnyValue:StringEquals', ['a', 'b'], ['c', 'd'], 'a value of k:Name is one of "a", "b" (the request has "c", "d")'],
      ['ForAllValues:StringEquals', ['a', 'b'], ['a', 'c'], 'every value of k:Name is one of "a", "b" (the request has "a", "c")'],
      ['NumericLessThan', '10', '12', 'k:Name is less than "10" (the request has "12")'],
      ['NumericGreaterThanEquals', ['10', '20'], '5', 'k:Name is at least one of "10", "20" (the request has "5")'],
      ['NumericNotEquals', '5', '5', 'k:Name is not "5" (the request has "5")'],
      [
        'DateLessThan',
        '2020-01-01T00:00:00Z',
        '2024-05-01T12:00:00Z',
        'k:Name is before "2020-01-01T00:00:00Z" (the request has "2024-05-01T12:00:00Z")',
      ],
      ['DateGreaterThanEquals', '2030-01-01', '2024-05-01', 'k:Name is at or after "2030-01-01" (the request has "2024-05-01")'],
      ['DateEquals', '2030-01-01', undefined, 'k:Name is the date "2030-01-01" (the request has no k:Name)'],
      ['IpAddress', '10.0.0.0/8', '192.0.2.1', 'k:Name is in "10.0.0.0/8" (the request has "192.0.2.1")'],
      [
        'NotIpAddress',
        ['10.0.0.0/8', '192.0.2.0/24'],
        '192.0.2.1',
        'k:Name is in none of "10.0.0.0/8", "192.0.2.0/24" (the request has "192.0.2.1")',
      ],
      ['BinaryEquals', 'AA==', 'AQ==', 'k:Name is "AA==" (the request has "AQ==")'],
      ['NumericLessThanIfExists', '10', '12', 'k:Name is less than "10" (or is absent) (the request has "12")'],
    ]
    it.each(failing)('It should explain a failing %s %j against %j', (operator, wanted, actual, explanation) => {
      const statement: PolicyStatement = { Effect: 'Allow', Action: 'x:Do', Resource: '*', Condition: { [operator]: { 'k:Name': wanted } } }
      const context = actual === undefined ? {} : { 'k:Name': actual }
      expect(reasonOf(statement, { action: 'x:Do', resource: '*', context })).toBe(
        `no statement allows x:Do on *; policy S0 allows it only when ${explanation}`,
      )
    })

    it.each<[string, string | string[] | undefined]>([
      ['StringEquals', 'dev'],
      ['StringEquals', undefined],
      ['ForAllValues:StringLike', ['dev', 'prod']],
      ['NumericLessThan', '3'],
      ['Null', 'dev'],
      ['Null', undefined],
    ])('It should say a %s condition with no value listed matches nothing (the request has %j)', (operator, actual) => {
      const statement: PolicyStatement = { Effect: 'Allow', Action: 'x:Do', Resource: '*', Condition: { [operator]: { 'k:Name': [] } } }
      const context = actual === undefined ? {} : { 'k:Name': actual }
      expect(reasonOf(statement, { action: 'x:Do', resource: '*', context })).toBe(
        `no statement allows x:Do on *; policy S0 has a condition ${operator} k:Name with no value listed, which nothing matches`,
      )
    })

    it('It should prefer an Allow that failed on a condition over one that failed on the resource', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'servicediscovery:DiscoverInstances', Resource: 'arn:aws:servicediscovery:*' },
        {
          Effect: 'Allow',
          Action: 'servicediscovery:*',
          Resource: '*',
          Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev' } },
        },
      ]
      const reason = reasonOf(statements, {
        action: 'servicediscovery:DiscoverInstances',
        resource: '*',
        context: { 'servicediscovery:NamespaceName': 'prod' },
      })
      expect(reason).toBe(
        'no statement allows servicediscovery:DiscoverInstances on *; policy S1 allows it only when servicediscovery:NamespaceName is "dev" (the request has "prod")',
      )
    })

    it('It should report an operator it does not know besides the closest miss, on one line', () => {
      const statements: PolicyStatement[] = [
        { Effect: 'Allow', Action: 'sqs:*', Resource: '*', Condition: { DateBefore: { 'aws:CurrentTime': '2030-01-01' } } },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: OTHER_QUEUE },
      ]
      const reason = reasonOf(statements, send())
      expect(reason).toBe(
        `no statement allows sqs:SendMessage on ${QUEUE}; policy S0: condition operator DateBefore not understood; policy S1 allows it on ${OTHER_QUEUE} only`,
      )
      expect(reason).not.toContain('\n')
    })
  })
})

describe('Function: statementsOf', () => {
  const statement = { Effect: 'Allow', Action: 'sns:Publish', Resource: '*' }

  it('It should take a document whose Statement is a single object', () => {
    expect(statementsOf({ Version: '2012-10-17', Statement: statement }, 'policy Topic')).toEqual([{ statement, source: 'policy Topic' }])
  })

  it('It should take a document whose Statement is an array, in order', () => {
    const deny = { Effect: 'Deny', Action: 'sns:DeleteTopic', Resource: '*' }
    expect(statementsOf({ Statement: [statement, deny] }, 'p')).toEqual([
      { statement, source: 'p' },
      { statement: deny, source: 'p' },
    ])
  })

  it('It should take a Statement value itself: one object or an array', () => {
    expect(statementsOf(statement, 'p')).toEqual([{ statement, source: 'p' }])
    expect(statementsOf([statement], 'p')).toEqual([{ statement, source: 'p' }])
  })

  it('It should skip entries that are not statements', () => {
    expect(statementsOf({ Statement: [null, 'text', 3, ['nested'], { Action: 'x:Y' }, statement] }, 'p')).toEqual([
      { statement, source: 'p' },
    ])
    expect(statementsOf(undefined, 'p')).toEqual([])
    expect(statementsOf({ Statement: undefined }, 'p')).toEqual([])
  })

  it("It should give each statement its document's Version, not enumerable, and none from a bare statement", () => {
    const [versioned] = statementsOf({ Version: '2012-10-17', Statement: statement }, 'p')
    expect(versioned?.version).toBe('2012-10-17')
    expect(Object.keys(versioned ?? {})).toEqual(['statement', 'source'])
    expect(statementsOf({ Statement: [statement] }, 'p')[0]?.version).toBeNull()
    expect(statementsOf({ Version: '2008-10-17', Statement: [statement] }, 'p')[0]?.version).toBe('2008-10-17')
    expect(statementsOf([statement], 'p')[0]).not.toHaveProperty('version')
    expect(statementsOf({ Version: '«Fn::ImportValue V»', Statement: [statement] }, 'p')[0]).not.toHaveProperty('version')
  })

  it('It should give statements evaluateAccess can use', () => {
    const statements = statementsOf({ Statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE } }, 'policy Queue')
    expect(evaluateAccess(statements, send())).toEqual({ allowed: true, source: 'policy Queue' })
  })
})
