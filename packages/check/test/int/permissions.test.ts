// Permissions beyond one Allow: the calls a handler makes (--calls), a queue's KMS key, a Deny on
// the namespace's ARN, a permissions boundary, and a role the template does not hold.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { type CheckReport, check } from '../../src/check.js'

const template = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'permissions', 'template.yaml')
const key = 'arn:aws:kms:us-east-1:123456789012:key/key-key'
const queue = 'arn:aws:sqs:us-east-1:123456789012:perm-jobs'
const failures = (report: CheckReport) =>
  report.problems.map((p) => `${p.function} ${p.check}: ${p.detail.replace('perm.svc->jobs: ', '')}`)

describe('cloudmap-middy check: permissions', () => {
  it("checks the kind's default calls, the queue's key, a Deny on the namespace ARN, a boundary and a role from elsewhere", async () => {
    const report = await check(template)
    expect(failures(report)).toEqual([
      `ConsumerFunction call: no statement allows sqs:SendMessage on ${queue}`,
      `ConsumerFunction call: no statement allows kms:GenerateDataKey on ${key} (the key of ${queue})`,
      'ProducerFunction discover: servicediscovery:DiscoverInstances on perm.svc: denied by inline policy #0 on arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-namespace',
      `ProducerFunction call: no statement allows kms:GenerateDataKey on ${key} (the key of ${queue})`,
      'BoundedFunction discover: servicediscovery:DiscoverInstances on perm.svc: its permissions boundary does not allow it: no statement allows servicediscovery:DiscoverInstances on arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-namespace',
      `BoundedFunction call: sqs:SendMessage on ${queue}: its permissions boundary does not allow it: no statement allows sqs:SendMessage on ${queue}`,
      `BoundedFunction call: kms:GenerateDataKey on ${key} (the key of ${queue}): its permissions boundary does not allow it: no statement allows kms:GenerateDataKey on ${key}`,
      `BoundedFunction call: kms:Decrypt on ${key} (the key of ${queue}): its permissions boundary does not allow it: no statement allows kms:Decrypt on ${key}`,
      "OutsiderFunction permissions: the function's Role is not in this template: its permissions cannot be checked",
    ])
  }, 60_000)

  it('checks the calls --calls names instead of the defaults: a consumer needs receive, and its key to decrypt', async () => {
    const report = await check(template, {
      calls: { 'ConsumerFunction/jobs': ['receive'] },
      skip: ['ProducerFunction', 'BoundedFunction', 'OutsiderFunction'],
    })
    expect(report.problems).toEqual([])
    const calls = report.functions[0]?.dependencies[0]?.findings.filter((f) => f.check === 'call').map((f) => f.detail)
    expect(calls).toEqual([
      `sqs:ReceiveMessage on ${queue} allowed by SQSPollerPolicy`,
      `sqs:DeleteMessage on ${queue} allowed by SQSPollerPolicy`,
      `sqs:ChangeMessageVisibility on ${queue} allowed by SQSPollerPolicy`,
      `kms:Decrypt on ${key} (the key of ${queue}) allowed by KMSDecryptPolicy`,
    ])
  }, 60_000)

  it('fails a call the kind does not have, and refuses --calls naming no dependency', async () => {
    const report = await check(template, {
      calls: { jobs: ['recieve'] },
      skip: ['ProducerFunction', 'BoundedFunction', 'OutsiderFunction'],
    })
    expect(failures(report)).toEqual(['ConsumerFunction calls: queue() has no call "recieve" (it has send, sendBatch, receive, listen)'])
    await expect(check(template, { calls: { queue: ['send'] } })).rejects.toThrow(
      '--calls queue: no function checked declares a dependency named queue',
    )
  }, 60_000)
})
