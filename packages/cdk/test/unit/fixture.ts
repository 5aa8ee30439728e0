import { App, Stack } from 'aws-cdk-lib'
import * as events from 'aws-cdk-lib/aws-events'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery'

/** A stack with the `prod` HTTP namespace and its `scheduler` service, as the tests register into. */
export function fixture() {
  const app = new App()
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } })
  const namespace = new servicediscovery.HttpNamespace(stack, 'Namespace', { name: 'prod' })
  const scheduler = namespace.createService('Scheduler', { name: 'scheduler' })
  return { app, stack, namespace, scheduler }
}

/** A small function of the stack. */
export function fn(stack: Stack, id: string): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.NODEJS_LATEST,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => null'),
  })
}

/**
 * An event bus of the stack. aws-cdk-lib's classes declare optional properties as `T | undefined`,
 * which exactOptionalPropertyTypes does not let their interfaces take: it is handed over as the interface.
 */
export function bus(stack: Stack): events.IEventBus {
  return new events.EventBus(stack, 'Bus') as events.IEventBus
}
