// A function's own role: what Lambda needs to run it (its log group, its VPC interfaces, its event
// sources' reads), the statements the service gives every function, its own, and what its
// handler's declarations need.
import type { Statement } from './statements.js'

/** What a function's role is made of. */
export interface RoleParts {
  /** The function's name (`<service>-<stage>-<function>`), whose log group it writes to. */
  readonly functionName: string
  /** Does it run in a VPC (its own `vpc`, or the provider's)? */
  readonly vpc: boolean
  /** Its events (`functions.<name>.events`), for the reads of SQS and stream event sources. */
  readonly events: readonly unknown[]
  /** `provider.iam.role.statements` and the function's `cloudMap.statements`. */
  readonly statements: readonly unknown[]
  /** `provider.iam.role.managedPolicies`. */
  readonly managedPolicies: readonly unknown[]
  /** `provider.iam.role.permissionsBoundary`, when set. */
  readonly permissionsBoundary?: unknown
  /** What its handler's declarations need. */
  readonly grants: readonly Statement[]
}

const partition = { Ref: 'AWS::Partition' }
const region = { Ref: 'AWS::Region' }
const account = { Ref: 'AWS::AccountId' }

/** An event's source ARN, when it is one the function's role must read from (SQS, DynamoDB and Kinesis streams). */
function eventSourceReads(event: unknown): Statement | undefined {
  if (typeof event !== 'object' || event === null) return undefined
  const { sqs, stream } = event as { sqs?: unknown; stream?: unknown }
  const arnOf = (value: unknown): unknown => (typeof value === 'object' && value !== null && 'arn' in value ? value.arn : value)
  if (sqs !== undefined) {
    const arn = arnOf(sqs)
    return { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: [arn as string] }
  }
  if (stream !== undefined) {
    const arn = arnOf(stream)
    const type = typeof stream === 'object' && stream !== null && 'type' in stream ? stream.type : undefined
    const kinesis = type === 'kinesis' || (typeof arn === 'string' && arn.includes(':kinesis:'))
    const actions = kinesis
      ? ['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards']
      : ['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams']
    return { Effect: 'Allow', Action: actions, Resource: [arn as string] }
  }
  return undefined
}

/**
 * The `AWS::IAM::Role` of one function: assumed by Lambda; writes to the function's own log group;
 * reads its SQS and stream event sources; the service's and the function's own statements; and
 * the statements its handler's declarations need.
 *
 * @example
 * ```ts
 * functionRole({ functionName: 'app-dev-api', vpc: false, events: [], statements: [], managedPolicies: [], grants })
 * ```
 */
export function functionRole(parts: RoleParts): { readonly Type: 'AWS::IAM::Role'; readonly Properties: Record<string, unknown> } {
  const logGroup = {
    'Fn::Sub': [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub
      'arn:${Partition}:logs:${Region}:${Account}:log-group:/aws/lambda/${Name}:*',
      { Partition: partition, Region: region, Account: account, Name: parts.functionName },
    ],
  }
  const statements = [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:TagResource', 'logs:PutLogEvents'],
      Resource: [logGroup],
    },
    ...parts.events.flatMap((event) => eventSourceReads(event) ?? []),
    ...parts.statements,
    ...parts.grants,
  ]
  const managed = [
    ...parts.managedPolicies,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub
    ...(parts.vpc ? [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole' }] : []),
  ]
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
      },
      Policies: [{ PolicyName: 'cloudmap-middy', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
      ...(managed.length > 0 ? { ManagedPolicyArns: managed } : {}),
      ...(parts.permissionsBoundary === undefined ? {} : { PermissionsBoundary: parts.permissionsBoundary }),
    },
  }
}
