// The five call kinds' SDK clients, each class stubbed with aws-sdk-client-mock, and one client of
// each in `region`, as a resolver takes them (`clients`).
import { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import { LambdaClient } from '@aws-sdk/client-lambda'
import { SFNClient } from '@aws-sdk/client-sfn'
import { SNSClient } from '@aws-sdk/client-sns'
import { SQSClient } from '@aws-sdk/client-sqs'
import { mockClient } from 'aws-sdk-client-mock'

/** Stubs the five clients' classes and makes one client of each in `region`. */
export function mockCallClients(region = 'eu-west-1') {
  return {
    lambdaMock: mockClient(LambdaClient),
    sqsMock: mockClient(SQSClient),
    snsMock: mockClient(SNSClient),
    sfnMock: mockClient(SFNClient),
    eventsMock: mockClient(EventBridgeClient),
    clients: {
      lambda: new LambdaClient({ region }),
      sqs: new SQSClient({ region }),
      sns: new SNSClient({ region }),
      stepFunctions: new SFNClient({ region }),
      eventBridge: new EventBridgeClient({ region }),
    },
  }
}
