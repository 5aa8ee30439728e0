// Every Standard Schema v1 validator is a schema here: the same behaviour, checked with zod 4,
// zod 3 (3.25 implements Standard Schema), valibot 1 and arktype 2.
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { type } from 'arktype'
import { mockClient } from 'aws-sdk-client-mock'
import * as v from 'valibot'
import { z as z4 } from 'zod'
import { z as z3 } from 'zod3'
import { AttributeValidationError, createResolver, instance, lambda, PayloadValidationError, type Schema } from '../../src/index.js'
import { type StaticTable, staticRegistry } from '../../src/testing/index.js'

const lambdaMock = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:get-job'
const CREATED = '2025-01-02T03:04:05.000Z'
/** A response payload as the SDK hands it back. */
const json = (value: unknown): NonNullable<InvokeCommandOutput['Payload']> => {
  const body = JSON.stringify(value)
  return Object.assign(new TextEncoder().encode(body), { transformToString: () => body })
}
const invokeCalls = () => lambdaMock.commandCalls(InvokeCommand)
const sentPayload = () => JSON.parse(new TextDecoder().decode(invokeCalls()[0]?.args[0].input.Payload as Uint8Array))
const pathsOf = (error: unknown) =>
  (error as AttributeValidationError | PayloadValidationError).issues.map((issue) => issue.path.join('.')).sort()

/**
 * The same four schemas written with each validator:
 * - `table`: an instance's attributes `{ tableName, port, config }`, `port` coerced from its
 *   string, `config` a JSON attribute parsed and checked (a nested issue path);
 * - `payload`: `{ id, priority }` with `priority` defaulting to 0 (input and output differ);
 * - `result`: `{ id, state, createdAt }` with `createdAt` parsed into a Date;
 * - `checkedAsync`: a string attribute checked asynchronously, where the validator can.
 */
interface Validator {
  readonly name: string
  readonly table: Schema
  readonly payload: Schema
  readonly result: Schema
  readonly checkedAsync?: Schema
}

const notTaken = async (name: string) => name !== 'taken'

const validators: readonly Validator[] = [
  {
    name: 'zod 4',
    table: z4.object({
      tableName: z4.string(),
      port: z4.coerce.number().int(),
      config: z4
        .string()
        .transform((text) => JSON.parse(text))
        .pipe(z4.object({ retries: z4.number() })),
    }),
    payload: z4.object({ id: z4.string(), priority: z4.number().default(0) }),
    result: z4.object({ id: z4.string(), state: z4.enum(['queued', 'done']), createdAt: z4.coerce.date() }),
    checkedAsync: z4.object({ tableName: z4.string().refine(notTaken, 'is taken') }),
  },
  {
    name: 'zod 3',
    table: z3.object({
      tableName: z3.string(),
      port: z3.coerce.number().int(),
      config: z3
        .string()
        .transform((text) => JSON.parse(text))
        .pipe(z3.object({ retries: z3.number() })),
    }),
    payload: z3.object({ id: z3.string(), priority: z3.number().default(0) }),
    result: z3.object({ id: z3.string(), state: z3.enum(['queued', 'done']), createdAt: z3.coerce.date() }),
    checkedAsync: z3.object({ tableName: z3.string().refine(notTaken, 'is taken') }),
  },
  {
    name: 'valibot 1',
    table: v.object({
      tableName: v.string(),
      port: v.pipe(v.string(), v.toNumber(), v.integer()),
      config: v.pipe(v.string(), v.parseJson(), v.object({ retries: v.number() })),
    }),
    payload: v.object({ id: v.string(), priority: v.optional(v.number(), 0) }),
    result: v.object({
      id: v.string(),
      state: v.picklist(['queued', 'done']),
      createdAt: v.pipe(v.string(), v.isoTimestamp(), v.toDate()),
    }),
    checkedAsync: v.objectAsync({ tableName: v.pipeAsync(v.string(), v.checkAsync(notTaken, 'is taken')) }),
  },
  {
    name: 'arktype 2',
    // arktype keeps keys a schema does not declare unless told to delete them.
    table: type({
      '+': 'delete',
      tableName: 'string',
      port: 'string.integer.parse',
      config: type('string.json.parse').to({ retries: 'number' }),
    }),
    payload: type({ '+': 'delete', id: 'string', priority: 'number = 0' }),
    result: type({ '+': 'delete', id: 'string', state: "'queued' | 'done'", createdAt: 'string.date.iso.parse' }),
    // arktype has no asynchronous checks.
  },
]

const resolverFor = (table: StaticTable) => createResolver({ registry: staticRegistry(table), clients: { lambda: client }, logger })

beforeEach(() => {
  lambdaMock.reset()
  warnings.length = 0
})

describe.each(validators)('Validator: $name', (validator) => {
  describe('Function: instance', () => {
    const orders = instance('prod.storage->orders-table', { attributes: validator.table })

    it('It should resolve the attributes as the schema outputs them: coerced, parsed, undeclared keys left out', async () => {
      // Prepare
      const resolver = resolverFor({
        'prod.storage': { 'orders-table': { type: 'dynamodb', tableName: 'orders', port: '8000', config: '{"retries":3}' } },
      })

      // Act
      const resolved = await resolver.resolve(orders)

      // Assess
      expect(resolved.instanceId).toBe('orders-table')
      expect(resolved.attributes).toEqual({ tableName: 'orders', port: 8000, config: { retries: 3 } })
      expect(warnings).toEqual([])
    })

    it('It should throw AttributeValidationError with the address, the instance id and every issue path', async () => {
      const resolver = resolverFor({ 'prod.storage': { 'orders-table': { port: 'eighty', config: '{"retries":"3"}' } } })

      const error = await resolver.resolve(orders).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(AttributeValidationError)
      expect(error).toMatchObject({ address: 'prod.storage->orders-table', instanceId: 'orders-table' })
      expect(pathsOf(error)).toEqual(['config.retries', 'port', 'tableName'])
      expect((error as AttributeValidationError).issues.every((issue) => issue.message.length > 0)).toBe(true)
    })

    it('It should drop an instance whose attributes fail the schema, with a warning naming it, and serve a valid one', async () => {
      const resolver = resolverFor({
        'prod.storage': {
          broken: { tableName: 'orders', port: 'eighty', config: '{"retries":1}' },
          good: { tableName: 'orders', port: '8000', config: '{"retries":1}' },
        },
      })

      const resolved = await resolver.resolve(instance('prod.storage', { attributes: validator.table }))

      expect(resolved.instanceId).toBe('good')
      expect(warnings).toEqual([
        expect.stringMatching(/^cloudmap-middy: dropped instance \{"address":"prod.storage","instanceId":"broken",.*port/),
      ])
    })

    const { checkedAsync } = validator
    if (checkedAsync !== undefined) {
      it('It should wait for an asynchronous schema, valid and invalid', async () => {
        const resolver = resolverFor({ 'prod.storage': { free: { tableName: 'orders' }, taken: { tableName: 'taken' } } })

        const free = await resolver.resolve(instance('prod.storage->free', { attributes: checkedAsync }))
        const taken = await resolver.resolve(instance('prod.storage->taken', { attributes: checkedAsync })).catch((e: unknown) => e)

        expect(free.attributes).toEqual({ tableName: 'orders' })
        expect(taken).toBeInstanceOf(AttributeValidationError)
        expect((taken as AttributeValidationError).issues).toEqual([{ path: ['tableName'], message: 'is taken' }])
      })
    }
  })

  describe('Function: lambda', () => {
    const getJob = lambda('prod.scheduler->get-job', { payload: validator.payload, result: validator.result })
    const resolver = () => resolverFor({ 'prod.scheduler': { 'get-job': { type: 'lambda', arn: ARN } } })

    it('It should send the payload as its schema outputs it and return the result as its schema outputs it', async () => {
      // Prepare
      lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ id: '42', state: 'done', createdAt: CREATED, extra: 1 }) })
      const jobs = await resolver().resolve(getJob)

      // Act
      const job = await jobs.request({ id: '42' })

      // Assess
      expect(sentPayload()).toEqual({ id: '42', priority: 0 })
      expect(invokeCalls()[0]?.args[0].input).toMatchObject({ FunctionName: ARN, InvocationType: 'RequestResponse' })
      expect(job).toEqual({ id: '42', state: 'done', createdAt: new Date(CREATED) })
    })

    it('It should refuse a payload that fails its schema with PayloadValidationError and its path; nothing is sent', async () => {
      const jobs = await resolver().resolve(getJob)

      const error = await jobs.request({ id: 42 }).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(PayloadValidationError)
      expect(error).toMatchObject({ address: 'prod.scheduler->get-job', what: 'payload' })
      expect(pathsOf(error)).toEqual(['id'])
      expect(invokeCalls()).toHaveLength(0)
    })

    it('It should reject a result that fails its schema with PayloadValidationError and its paths', async () => {
      lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ id: '42', state: 'lost', createdAt: 'yesterday' }) })
      const jobs = await resolver().resolve(getJob)

      const error = await jobs.request({ id: '42', priority: 1 }).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(PayloadValidationError)
      expect(error).toMatchObject({ address: 'prod.scheduler->get-job', what: 'result' })
      expect(pathsOf(error)).toEqual(['createdAt', 'state'])
      expect(sentPayload()).toEqual({ id: '42', priority: 1 })
    })
  })
})
