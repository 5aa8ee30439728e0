// AWS SAM's `Policies` property and a role's managed policies, as the statements they grant:
// the policy templates of SAM's policy_templates.json and the content of a few AWS managed policies.

import { type PolicyStatement, type SourcedStatement, statementsOf } from './iam.js'
import { own } from './own.js'

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

/** Statements, and a note for each policy whose permissions are not known (so not checked). */

/** A SAM policy template: its parameters, and statements whose strings hold `${AWS::Region}`, `${<Parameter>}`. */
interface PolicyTemplate {
  readonly parameters: readonly string[]
  readonly statements: readonly PolicyStatement[]
}

// Reproduces the Definitions of samtranslator/policy_templates_data/policy_templates.json in
// aws/serverless-application-model. Each `Fn::Sub` there binds a local name to `Ref <Parameter>`;
// here the parameter is named directly (`${QueueName}` for `${queueName}` bound to `Ref QueueName`).
const ARN = `arn:\${AWS::Partition}`
const REGIONAL = (service: string) => `${ARN}:${service}:\${AWS::Region}:\${AWS::AccountId}`
const DYNAMODB_TABLE = [`${REGIONAL('dynamodb')}:table/\${TableName}`, `${REGIONAL('dynamodb')}:table/\${TableName}/index/*`]
const S3_BUCKET = [`${ARN}:s3:::\${BucketName}`, `${ARN}:s3:::\${BucketName}/*`]
const STATE_MACHINE = `${REGIONAL('states')}:stateMachine:\${StateMachineName}`
const KMS_KEY = `${REGIONAL('kms')}:key/\${KeyId}`

const allow = (Action: string | readonly string[], Resource: string | readonly string[]): PolicyStatement => ({
  Effect: 'Allow',
  Action,
  Resource,
})

const TEMPLATES: Readonly<Record<string, PolicyTemplate>> = {
  SQSSendMessagePolicy: { parameters: ['QueueName'], statements: [allow(['sqs:SendMessage*'], `${REGIONAL('sqs')}:\${QueueName}`)] },
  SQSPollerPolicy: {
    parameters: ['QueueName'],
    statements: [
      allow(
        [
          'sqs:ChangeMessageVisibility',
          'sqs:ChangeMessageVisibilityBatch',
          'sqs:DeleteMessage',
          'sqs:DeleteMessageBatch',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ],
        `${REGIONAL('sqs')}:\${QueueName}`,
      ),
    ],
  },
  SNSPublishMessagePolicy: { parameters: ['TopicName'], statements: [allow(['sns:Publish'], `${REGIONAL('sns')}:\${TopicName}`)] },
  SNSCrudPolicy: {
    parameters: ['TopicName'],
    statements: [
      allow(
        ['sns:ListSubscriptionsByTopic', 'sns:CreateTopic', 'sns:SetTopicAttributes', 'sns:Subscribe', 'sns:Publish'],
        `${REGIONAL('sns')}:\${TopicName}*`,
      ),
    ],
  },
  LambdaInvokePolicy: {
    parameters: ['FunctionName'],
    statements: [allow(['lambda:InvokeFunction'], `${REGIONAL('lambda')}:function:\${FunctionName}*`)],
  },
  StepFunctionsExecutionPolicy: { parameters: ['StateMachineName'], statements: [allow(['states:StartExecution'], STATE_MACHINE)] },
  StepFunctionsExecutionPolicy_v2: {
    parameters: ['StateMachineName'],
    statements: [allow(['states:StartExecution', 'states:StartSyncExecution'], STATE_MACHINE)],
  },
  StepFunctionsCallbackPolicy: {
    parameters: ['StateMachineName'],
    statements: [allow(['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'], STATE_MACHINE)],
  },
  EventBridgePutEventsPolicy: {
    parameters: ['EventBusName'],
    statements: [allow('events:PutEvents', `${REGIONAL('events')}:event-bus/\${EventBusName}`)],
  },
  DynamoDBCrudPolicy: {
    parameters: ['TableName'],
    statements: [
      allow(
        [
          'dynamodb:GetItem',
          'dynamodb:DeleteItem',
          'dynamodb:PutItem',
          'dynamodb:Scan',
          'dynamodb:Query',
          'dynamodb:UpdateItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:BatchGetItem',
          'dynamodb:DescribeTable',
          'dynamodb:ConditionCheckItem',
        ],
        DYNAMODB_TABLE,
      ),
    ],
  },
  DynamoDBReadPolicy: {
    parameters: ['TableName'],
    statements: [
      allow(['dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:DescribeTable'], DYNAMODB_TABLE),
    ],
  },
  DynamoDBWritePolicy: {
    parameters: ['TableName'],
    statements: [allow(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'], DYNAMODB_TABLE)],
  },
  AWSSecretsManagerGetSecretValuePolicy: {
    parameters: ['SecretArn'],
    statements: [allow(['secretsmanager:GetSecretValue'], `\${SecretArn}`)],
  },
  KMSDecryptPolicy: { parameters: ['KeyId'], statements: [allow('kms:Decrypt', KMS_KEY)] },
  KMSEncryptPolicy: { parameters: ['KeyId'], statements: [allow('kms:Encrypt', KMS_KEY)] },
  KMSEncryptPolicy_v2: {
    parameters: ['KeyId'],
    statements: [
      allow(
        [
          'kms:Encrypt',
          'kms:GenerateDataKey',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:GenerateDataKeyPair',
          'kms:GenerateDataKeyPairWithoutPlaintext',
        ],
        KMS_KEY,
      ),
    ],
  },
  S3ReadPolicy: {
    parameters: ['BucketName'],
    statements: [
      allow(['s3:GetObject', 's3:ListBucket', 's3:GetBucketLocation', 's3:GetObjectVersion', 's3:GetLifecycleConfiguration'], S3_BUCKET),
    ],
  },
  S3WritePolicy: {
    parameters: ['BucketName'],
    statements: [allow(['s3:PutObject', 's3:PutObjectAcl', 's3:PutLifecycleConfiguration'], S3_BUCKET)],
  },
  S3CrudPolicy: {
    parameters: ['BucketName'],
    statements: [
      allow(
        [
          's3:GetObject',
          's3:ListBucket',
          's3:GetBucketLocation',
          's3:GetObjectVersion',
          's3:PutObject',
          's3:PutObjectAcl',
          's3:GetLifecycleConfiguration',
          's3:PutLifecycleConfiguration',
          's3:DeleteObject',
        ],
        S3_BUCKET,
      ),
    ],
  },
  SSMParameterReadPolicy: {
    parameters: ['ParameterName'],
    statements: [
      allow(['ssm:DescribeParameters'], '*'),
      allow(['ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath'], `${REGIONAL('ssm')}:parameter/\${ParameterName}`),
    ],
  },
  SSMParameterWithSlashPrefixReadPolicy: {
    parameters: ['ParameterName'],
    statements: [
      allow(['ssm:DescribeParameters'], '*'),
      allow(['ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath'], `${REGIONAL('ssm')}:parameter\${ParameterName}`),
    ],
  },
  CloudWatchPutMetricPolicy: { parameters: [], statements: [allow(['cloudwatch:PutMetricData'], '*')] },
  VPCAccessPolicy: {
    parameters: [],
    statements: [
      allow(
        ['ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DetachNetworkInterface'],
        '*',
      ),
    ],
  },
}

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

function expandTemplate(name: string, parameters: unknown, pseudo: Pseudo): Expansion {
  const template = Object.hasOwn(TEMPLATES, name) ? TEMPLATES[name] : undefined
  if (template === undefined) return { statements: [], notes: [`policy template ${name} is not known: its permissions are not checked`] }
  const given = isRecord(parameters) ? parameters : {}
  const values: Record<string, string> = {
    'AWS::Partition': pseudo.partition,
    'AWS::Region': pseudo.region,
    'AWS::AccountId': pseudo.accountId,
  }
  const problems: string[] = []
  for (const parameter of template.parameters) {
    const value = own(given, parameter)
    if (typeof value === 'string' || typeof value === 'number') values[parameter] = String(value)
    else
      problems.push(
        value === undefined ? `parameter ${parameter} is missing` : `parameter ${parameter} is not a string (${describe(value)})`,
      )
  }
  if (problems.length > 0)
    return { statements: [], notes: [`policy template ${name}: ${problems.join(', ')}: its permissions are not checked`] }
  return {
    statements: template.statements.map((statement) => ({ statement: substituteStatement(statement, values), source: name })),
    notes: [],
  }
}

function substituteStatement(statement: PolicyStatement, values: Readonly<Record<string, string>>): PolicyStatement {
  const { Resource } = statement
  if (Resource === undefined) return statement
  return {
    ...statement,
    Resource: typeof Resource === 'string' ? substitute(Resource, values) : Resource.map((item) => substitute(item, values)),
  }
}

function substitute(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([^}]+)\}/g, (whole, name: string) => own(values, name) ?? whole)
}
