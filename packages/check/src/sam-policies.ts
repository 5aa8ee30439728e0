// AWS SAM's `Policies` property and a role's managed policies, as the statements they grant:
// the policy templates of SAM's own policy_templates.json (vendored in sam/) and the content of a
// few AWS managed policies.

import { type PolicyStatement, type SourcedStatement, statementsOf } from './iam.js'
import { own } from './own.js'
import { samPolicyTemplates } from './sam-data.js'
import { TemplateResolver } from './template.js'

/** The pseudo parameters a template's ARNs are built from. */
export interface Pseudo {
  /** `AWS::Partition`: `aws`, `aws-cn`, `aws-us-gov`. */
  readonly partition: string
  /** `AWS::Region`. */
  readonly region: string
  /** `AWS::AccountId`. */
  readonly accountId: string
}

/** What a role's policies allow: its statements, and a note for each policy whose permissions are not known. */
export interface Expansion {
  /** The statements of the policies that are known. */
  readonly statements: SourcedStatement[]
  /** One line per policy not known (its permissions are not checked). */
  readonly notes: string[]
}

const allow = (Action: string | readonly string[], Resource: string | readonly string[]): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
})

const LOGS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']

// The default versions of these AWS managed policies, as the AWS Managed Policy Reference lists them
// (an ARN may name them under `policy/` or `policy/service-role/`, as each lives in one of the two)
// (AWSLambdaBasicExecutionRole v1, AWSLambdaSQSQueueExecutionRole v1, AWSLambdaVPCAccessExecutionRole v3,
// AWSLambdaRole v1, AWSXrayWriteOnlyAccess v2, AWSCloudMapDiscoverInstanceAccess v2,
// AWSCloudMapReadOnlyAccess v2, AWSCloudMapFullAccess v2). All are on every resource.
const MANAGED: Readonly<Record<string, { readonly statements: readonly PolicyStatement[] }>> = {
  AWSLambdaBasicExecutionRole: { statements: [allow(LOGS, '*')] },
  AWSLambdaSQSQueueExecutionRole: {
    statements: [allow(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', ...LOGS], '*')],
  },
  AWSLambdaVPCAccessExecutionRole: {
    statements: [
      allow(
        [
          ...LOGS,
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        '*',
      ),
    ],
  },
  AWSLambdaRole: { statements: [allow(['lambda:InvokeFunction'], ['*'])] },
  AWSXrayWriteOnlyAccess: {
    statements: [
      allow(
        [
          'xray:PutTraceSegments',
          'xray:PutTelemetryRecords',
          'xray:GetSamplingRules',
          'xray:GetSamplingTargets',
          'xray:GetSamplingStatisticSummaries',
        ],
        ['*'],
      ),
    ],
  },
  AWSCloudMapDiscoverInstanceAccess: {
    statements: [allow(['servicediscovery:DiscoverInstances', 'servicediscovery:DiscoverInstancesRevision'], ['*'])],
  },
  AWSCloudMapReadOnlyAccess: {
    statements: [
      allow(
        [
          'servicediscovery:Get*',
          'servicediscovery:List*',
          'servicediscovery:DiscoverInstances',
          'servicediscovery:DiscoverInstancesRevision',
        ],
        ['*'],
      ),
    ],
  },
  AWSCloudMapFullAccess: {
    statements: [
      allow(
        [
          'route53:GetHostedZone',
          'route53:ListHostedZonesByName',
          'route53:CreateHostedZone',
          'route53:DeleteHostedZone',
          'route53:ChangeResourceRecordSets',
          'route53:CreateHealthCheck',
          'route53:GetHealthCheck',
          'route53:DeleteHealthCheck',
          'route53:UpdateHealthCheck',
          'ec2:DescribeVpcs',
          'ec2:DescribeRegions',
          'ec2:DescribeInstances',
          'servicediscovery:*',
        ],
        ['*'],
      ),
    ],
  },
}

/**
 * A SAM function's `Policies` (intrinsics already resolved) as statements. An entry may be an AWS
 * managed policy name or a policy ARN, an inline policy document (`{ Statement: ... }`, source
 * `inline policy #<index>`), or a SAM policy template (`{ SQSSendMessagePolicy: { QueueName: 'jobs' } }`,
 * source the template's name). `Policies` itself may be one entry or a list of them. An entry whose
 * permissions are not known gives a note instead of statements.
 *
 * @example
 * ```ts
 * import { expandSamPolicies } from './sam-policies.js'
 *
 * const pseudo = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' }
 * expandSamPolicies(['AWSLambdaBasicExecutionRole', { SQSSendMessagePolicy: { QueueName: 'jobs.fifo' } }], pseudo)
 * // statements: logs:* actions from AWSLambdaBasicExecutionRole, and
 * //   { source: 'SQSSendMessagePolicy', statement: { Effect: 'Allow', Action: ['sqs:SendMessage*'],
 * //     Resource: 'arn:aws:sqs:eu-west-1:123456789012:jobs.fifo' } }
 * // notes: []
 * ```
 */
export function expandSamPolicies(policies: unknown, pseudo: Pseudo): Expansion {
  const entries: readonly unknown[] = Array.isArray(policies) ? policies : policies === undefined || policies === null ? [] : [policies]
  const expanded: Expansion = { statements: [], notes: [] }
  entries.forEach((entry, index) => {
    merge(expanded, expandEntry(entry, index, pseudo))
  })
  return expanded
}

/**
 * The statements of a role's `ManagedPolicyArns` (or SAM's managed policy names) for the AWS managed
 * policies known here, by name (`AWSLambdaBasicExecutionRole`) or by ARN in the template's partition
 * (`arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`). The source of a statement is
 * the policy's name. Any other policy (customer managed ones included) gives a note.
 *
 * @example
 * ```ts
 * import { expandManagedPolicies } from './sam-policies.js'
 *
 * const pseudo = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' }
 * expandManagedPolicies(['arn:aws:iam::aws:policy/AWSCloudMapDiscoverInstanceAccess', 'arn:aws:iam::123456789012:policy/Mine'], pseudo)
 * // statements: servicediscovery:DiscoverInstances and DiscoverInstancesRevision on *
 * // notes: ['managed policy arn:aws:iam::123456789012:policy/Mine is not known: its permissions are not checked']
 * ```
 */
export function expandManagedPolicies(arnsOrNames: readonly unknown[], pseudo: Pseudo): Expansion {
  const expanded: Expansion = { statements: [], notes: [] }
  for (const arnOrName of arnsOrNames) {
    const name = managedPolicyName(arnOrName, pseudo)
    const policy = name === undefined || !Object.hasOwn(MANAGED, name) ? undefined : MANAGED[name]
    if (name === undefined || policy === undefined) {
      expanded.notes.push(`managed policy ${describe(arnOrName)} is not known: its permissions are not checked`)
    } else {
      expanded.statements.push(...policy.statements.map((statement) => ({ statement, source: name })))
    }
  }
  return expanded
}

function merge(into: Expansion, from: Expansion): void {
  into.statements.push(...from.statements)
  into.notes.push(...from.notes)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describe(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function expandEntry(entry: unknown, index: number, pseudo: Pseudo): Expansion {
  if (typeof entry === 'string') return expandManagedPolicies([entry], pseudo)
  if (isRecord(entry) && 'Statement' in entry) return { statements: statementsOf(entry, `inline policy #${index}`), notes: [] }
  const keys = isRecord(entry) ? Object.keys(entry) : []
  const [name] = keys
  if (isRecord(entry) && keys.length === 1 && name !== undefined) return expandTemplate(name, entry[name], pseudo)
  return { statements: [], notes: [`policy #${index} (${describe(entry)}) is not understood: its permissions are not checked`] }
}

/** The name of an AWS managed policy given by name or by ARN (in the template's partition); else `undefined`. */
function managedPolicyName(arnOrName: unknown, pseudo: Pseudo): string | undefined {
  if (typeof arnOrName !== 'string') return undefined
  if (!arnOrName.startsWith('arn:')) return arnOrName
  const prefix = `arn:${pseudo.partition}:iam::aws:policy/`
  if (!arnOrName.startsWith(prefix)) return undefined
  const path = arnOrName.slice(prefix.length)
  return path.startsWith('service-role/') ? path.slice('service-role/'.length) : path
}

/** A SAM policy template as SAM's translator expands it: its `Ref`s to parameters and pseudo parameters resolved. */
function expandTemplate(name: string, parameters: unknown, pseudo: Pseudo): Expansion {
  const template = own(samPolicyTemplates(), name)
  if (template === undefined) return { statements: [], notes: [`policy template ${name} is not known: its permissions are not checked`] }
  const given = isRecord(parameters) ? parameters : {}
  const values: Record<string, string> = {
    'AWS::Partition': pseudo.partition,
    'AWS::Region': pseudo.region,
    'AWS::AccountId': pseudo.accountId,
  }
  const problems: string[] = []
  for (const parameter of Object.keys(template.Parameters)) {
    const value = own(given, parameter)
    if (typeof value === 'string' || typeof value === 'number') values[parameter] = String(value)
    else
      problems.push(
        value === undefined ? `parameter ${parameter} is missing` : `parameter ${parameter} is not a string (${describe(value)})`,
      )
  }
  if (problems.length > 0)
    return { statements: [], notes: [`policy template ${name}: ${problems.join(', ')}: its permissions are not checked`] }
  return { statements: statementsOf(new TemplateResolver(values).resolve(template.Definition), name), notes: [] }
}
