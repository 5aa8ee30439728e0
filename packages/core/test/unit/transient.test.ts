import { describe, expect, it } from '@jest/globals'
import { isTransient, ServiceNotFoundError } from '../../src/index.js'

describe('Function: isTransient', () => {
  it.each([
    ['throttling', { name: 'RequestLimitExceeded' }],
    ['a timeout', { name: 'TimeoutError' }],
    ['an abort', { name: 'AbortError' }],
    ['a refused connection', { code: 'ECONNREFUSED' }],
    ['a reset', { code: 'ECONNRESET' }],
    ['a 500', { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }],
    ['a 429', { name: 'Unknown', $metadata: { httpStatusCode: 429 } }],
    ['a retryable SDK error', { name: 'X', $retryable: {} }],
    ['a wrapped network error', { name: 'Error', cause: { code: 'EPIPE' } }],
    ['a network error known only by its text', { message: 'AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1' }],
    ['a timeout known only by its text (an error of another realm)', { message: 'AWS SDK error wrapper for TimeoutError: socket hang up' }],
    ['a throttle known only by its text', { message: 'AWS SDK error wrapper for ThrottlingException: Rate exceeded' }],
    ['a connection closed under a request, without its code', { message: 'socket hang up' }],
  ])('It should count %s as transient', (_, error) => {
    expect(isTransient(Object.assign(new Error('x'), error))).toBe(true)
  })

  it.each([
    ['access denied', { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }],
    ['invalid input', { name: 'InvalidInput', $metadata: { httpStatusCode: 400 } }],
    ['a wrapped refusal', { message: 'AWS SDK error wrapper for AccessDeniedException: not allowed' }],
    ['not found', new ServiceNotFoundError('ns.svc')],
    ['a string', 'boom'],
  ])('It should not count %s as transient', (_, error) => {
    expect(isTransient(error instanceof Error || typeof error !== 'object' ? error : Object.assign(new Error('x'), error))).toBe(false)
  })
})
