// The scheduler of template.yaml as a CDK stack: the same namespace, services, queue, topic,
// event bus, table and functions, registered with registerInstance() and granted with grantServices()
// from the declarations the handlers use (src/services.ts), so the IAM policy follows the code.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { grantServices, registerInstance } from '@cloudmap-middy/cdk'
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2'
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as events from 'aws-cdk-lib/aws-events'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources'
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs'
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import type { Construct } from 'constructs'
import { getJob, jobBus, jobEvents, jobsTable, schedulerQueue } from '../src/services.js'

const example = join(dirname(fileURLToPath(import.meta.url)), '..')
const repository = join(example, '..', '..')

/** The handler module of each function, under src/handlers/ (the function is `<name>-<stage>`). */
export const HANDLERS = {
  scheduleJob: 'schedule-job',
  getJob: 'get-job',
  jobsApi: 'jobs-api',
  worker: 'worker',
} as const

/** Props of the scheduler stack. */
export interface SchedulerStackProps extends StackProps {
  /** The stage: the Cloud Map namespace, and the suffix of every resource name. */
  readonly stage: string
}

/** The scheduler: four functions, a FIFO queue, a topic, an event bus and a table that find each other through Cloud Map. */
export class SchedulerStack extends Stack {
  /** The functions, by the name of their handler module. */
  readonly functions: Readonly<Record<keyof typeof HANDLERS, lambda.IFunction>>
  /** The TypeScript module of each function's handler, by function name (what the local runner runs). */
  readonly handlerModules: Readonly<Record<string, string>>

  constructor(scope: Construct, id: string, props: SchedulerStackProps) {
    super(scope, id, props)
    const { stage } = props

    // Cloud Map: one HTTP namespace per stage, one service per part of the app.
    const namespace = new servicediscovery.HttpNamespace(this, 'Namespace', {
      name: stage,
      description: 'Service registry of the scheduler',
    })
    const scheduler = namespace.createService('SchedulerService', { name: 'scheduler' })
    const eventsService = namespace.createService('EventsService', { name: 'events' })
    const storage = namespace.createService('StorageService', { name: 'storage' })

    // The resources, each registered as an instance.
    const deadLetters = new sqs.Queue(this, 'SchedulerDeadLetterQueue', {
      queueName: `scheduler-dlq-${stage}.fifo`,
      fifo: true,
      retentionPeriod: Duration.days(14),
    })
    const queue = new sqs.Queue(this, 'SchedulerQueue', {
      queueName: `scheduler-${stage}.fifo`,
      fifo: true,
      contentBasedDeduplication: true,
      visibilityTimeout: Duration.seconds(60),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
    })
    registerInstance(scheduler, queue, { instanceId: 'scheduler-queue' })

    const topic = new sns.Topic(this, 'JobEventsTopic', { topicName: `job-events-${stage}` })
    registerInstance(eventsService, topic, { instanceId: 'job-events' })

    // The cast: EventBus's getter eventSourceName (string | undefined) does not satisfy IEventBus's
    // optional property under exactOptionalPropertyTypes.
    const bus = new events.EventBus(this, 'JobBus', { eventBusName: `scheduler-${stage}` }) as events.IEventBus
    registerInstance(eventsService, bus, { instanceId: 'job-bus' })

    const table = new dynamodb.Table(this, 'JobsTable', {
      tableName: `jobs-${stage}`,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      removalPolicy: RemovalPolicy.DESTROY,
    })
    registerInstance(storage, { instanceId: 'jobs-table', attributes: { tableName: table.tableName } })

    // Functions: bundled as template.yaml's Metadata says (esbuild, ESM, minified, AWS SDK external).
    const handlerModules: Record<string, string> = {}
    const fn = (id: string, name: string, description: string) => {
      const entry = join(example, 'src', 'handlers', `${name}.ts`)
      handlerModules[`${name}-${stage}`] = entry
      const handler = new NodejsFunction(this, id, {
        functionName: `${name}-${stage}`,
        description,
        entry,
        handler: 'handler',
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: { CLOUDMAP_NAMESPACE: stage, NODE_OPTIONS: '--enable-source-maps' },
        projectRoot: repository,
        depsLockFilePath: join(repository, 'pnpm-lock.yaml'),
        bundling: {
          format: OutputFormat.ESM,
          minify: true,
          sourceMap: true,
          target: 'es2022',
          mainFields: ['module', 'main'],
          externalModules: ['@aws-sdk/*'],
        },
      })
      // The CDK makes a function depend on its role both by GetAtt and by DependsOn; cfn-lint flags the repetition (W3005).
      const resource = handler.node.defaultChild as lambda.CfnFunction
      resource.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } })
      return handler
    }
    const scheduleJob = fn(
      'ScheduleJobFunction',
      HANDLERS.scheduleJob,
      'POST /jobs - validates a job, stores it, queues it and announces it',
    )
    const getJobFunction = fn('GetJobFunction', HANDLERS.getJob, 'Returns one job (invoked directly by other functions)')
    registerInstance(scheduler, getJobFunction, { instanceId: 'get-job' })
    const jobsApi = fn('JobsApiFunction', HANDLERS.jobsApi, 'GET /jobs/{id} - finds get-job through Cloud Map and calls it')
    const worker = fn('WorkerFunction', HANDLERS.worker, 'Runs the jobs of the scheduler queue')
    worker.addEventSource(new SqsEventSource(queue, { batchSize: 10, reportBatchItemFailures: true }))

    const api = new HttpApi(this, 'Api')
    api.addRoutes({ path: '/jobs', methods: [HttpMethod.POST], integration: new HttpLambdaIntegration('ScheduleJob', scheduleJob) })
    api.addRoutes({ path: '/jobs/{id}', methods: [HttpMethod.GET], integration: new HttpLambdaIntegration('JobsApi', jobsApi) })

    // What each handler declares in its cloudMap({ services }), from the same functions of src/services.ts.
    grantServices(scheduleJob, { table: jobsTable(), queue: schedulerQueue(), events: jobEvents() })
    grantServices(getJobFunction, { table: jobsTable() })
    grantServices(jobsApi, { getJob: getJob() })
    grantServices(worker, { table: jobsTable(), bus: jobBus() })
    // The table is reached through its name from Cloud Map (instance()): its actions are granted here.
    table.grant(scheduleJob, 'dynamodb:PutItem')
    table.grant(getJobFunction, 'dynamodb:GetItem')
    table.grant(worker, 'dynamodb:UpdateItem')

    this.functions = { scheduleJob, getJob: getJobFunction, jobsApi, worker }
    this.handlerModules = handlerModules
    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: api.apiEndpoint })
    new CfnOutput(this, 'NamespaceName', { description: 'The Cloud Map namespace callers discover services in', value: stage })
  }
}
