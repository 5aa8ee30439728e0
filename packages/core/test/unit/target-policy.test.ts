import { describe, expect, it } from '@jest/globals'
import { AttributeValidationError, InstanceTypeMismatchError } from '../../src/errors.js'
import { type AnyDependency, createResolver, http, instance, lambda, queue, topic } from '../../src/index.js'
import { redactUrl } from '../../src/redact.js'
import { staticRegistry } from '../../src/testing/index.js'

const logger = { warn: () => undefined }
const resolverFor = (attributes: Record<string, unknown>) =>
  createResolver({ registry: staticRegistry({ 'prod.app': { x: attributes as Record<string, string> } }), logger })

describe('Target policy and registry data', () => {
  it('It should read a registered type such as "constructor" or "__proto__" as an unknown type, not a prototype key', async () => {
    // Act
    const errors = await Promise.all(
      ['constructor', '__proto__', 'toString', 'hasOwnProperty'].map((type) =>
        resolverFor({ type, arn: 'arn:aws:lambda:eu-west-1:123456789012:function:f' })
          .resolve(lambda('prod.app->x'))
          .catch((error: unknown) => error),
      ),
    )

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(InstanceTypeMismatchError)
      expect((error as Error).message).toContain('unknown type')
    }
  })

  it('It should name a registry attribute that is not a string instead of failing with a TypeError', async () => {
    // Prepare: a custom registry can hand over anything.
    const registrations: { kind: AnyDependency; attributes: Record<string, unknown> }[] = [
      { kind: queue('prod.app->x'), attributes: { type: 7 } },
      { kind: lambda('prod.app->x'), attributes: { type: 'lambda', arn: ['arn'] } },
      { kind: topic('prod.app->x'), attributes: { type: { sns: true }, arn: 'arn:aws:sns:eu-west-1:123456789012:t' } },
      { kind: http('prod.app->x'), attributes: { type: 'http', url: 42 } },
    ]

    // Act
    const errors = await Promise.all(
      registrations.map(({ kind, attributes }) =>
        resolverFor(attributes)
          .resolve(kind)
          .catch((error: unknown) => error),
      ),
    )

    // Assess
    expect(errors.map((error) => [(error as Error).name, (error as AttributeValidationError).issues?.[0]?.path])).toEqual([
      ['AttributeValidationError', ['type']],
      ['AttributeValidationError', ['arn']],
      ['AttributeValidationError', ['type']],
      ['AttributeValidationError', ['url']],
    ])
    for (const error of errors) expect((error as Error).message).toContain('must be a string')
  })

  it('It should refuse malformed allowlist entries when the resolver is created, naming the option', () => {
    expect(() => createResolver({ allowedAccounts: ['12345'] })).toThrow(/allowedAccounts: "12345"/)
    expect(() => createResolver({ allowedAccounts: [123456789012 as unknown as string] })).toThrow(/allowedAccounts/)
    expect(() => createResolver({ allowedRegions: ['EU-WEST-1'] })).toThrow(/allowedRegions: "EU-WEST-1"/)
    expect(() => createResolver({ allowedHosts: ['10.0.0.0/40'] })).toThrow(/allowedHosts: "10.0.0.0\/40"/)
    expect(() => createResolver({ allowedHosts: 'api.example.com' as unknown as string[] })).toThrow(/allowedHosts must be an array/)
  })

  it('It should redact userinfo from any URL text, parsable or not', () => {
    expect(redactUrl('https://admin:s3cret@api.example.com/v1')).toBe('https://***@api.example.com/v1')
    expect(redactUrl('//u:p@host/x')).toBe('//***@host/x')
    expect(redactUrl('http://a@b@host/x')).toBe('http://***@host/x')
    expect(redactUrl('https://api.example.com/a@b')).toBe('https://api.example.com/a@b')
    expect(redactUrl(`https://h/${'x'.repeat(300)}`)).toHaveLength(201)
  })

  it('It should report a schema that throws as invalid attributes, never as a Cloud Map failure, without its message', async () => {
    // Prepare: a transform that throws on bad text, as JSON.parse does.
    const attributes = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: (value: unknown) => ({ value: JSON.parse((value as { config: string }).config) }),
      },
    } as const

    // Act
    const error = await resolverFor({ config: '{"token":"s3cret"' })
      .resolve(instance('prod.app->x', { attributes }))
      .catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(AttributeValidationError)
    expect((error as Error).message).toContain('the schema threw SyntaxError')
    expect((error as Error).message).not.toContain('s3cret')
  })
})
