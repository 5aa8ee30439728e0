import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { SFNClient } from '@aws-sdk/client-sfn'
import { SNSClient } from '@aws-sdk/client-sns'
import { SQSClient } from '@aws-sdk/client-sqs'
import { expectTypeOf } from 'expect-type'
import { type AwsClientCapture, type CallClients, createResolver, type SdkClient } from '../../src/index.js'

// The declarations type injected clients structurally (no optional SDK package is imported):
// every SDK client, or a factory by region, still fits.
const injected: CallClients = {
  lambda: new LambdaClient({}),
  sqs: (region) => new SQSClient({ ...(region ? { region } : {}) }),
  sns: new SNSClient({}),
  sfn: new SFNClient({ disableHostPrefix: true }),
  eventBridge: new EventBridgeClient({}),
  config: { endpoint: 'http://127.0.0.1:5000', maxAttempts: 2, retryMode: 'standard' },
}
createResolver({ clients: injected })
expectTypeOf(new SQSClient({})).toExtend<SdkClient>()

// What is not a client is a compile error.
// @ts-expect-error a string is not a client
createResolver({ clients: { sqs: 'http://127.0.0.1:5000' } })
// @ts-expect-error an object without send() is not a client
createResolver({ clients: { lambda: { region: 'eu-west-1' } } })
// @ts-expect-error a factory must return a client
createResolver({ clients: { sns: () => 'sns' } })
// @ts-expect-error the config takes client settings only
createResolver({ clients: { config: { endpoint: 5000 } } })

// awsClientCapture takes the capture functions users have: the X-Ray SDK's (its declared signature) and Powertools Tracer's.
declare function captureAWSv3Client<T extends { middlewareStack: { remove: unknown; use: unknown }; config: unknown }>(
  client: T,
  segment?: object,
): T
declare const tracer: { captureAWSv3Client<T>(service: T): T }
expectTypeOf(captureAWSv3Client).toExtend<AwsClientCapture>()
expectTypeOf(tracer.captureAWSv3Client.bind(tracer)).toExtend<AwsClientCapture>()
createResolver({ awsClientCapture: captureAWSv3Client })
// @ts-expect-error a capture returns the client it is given
createResolver({ awsClientCapture: (client: object) => String(client) })
