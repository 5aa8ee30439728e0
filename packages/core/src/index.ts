/**
 * The framework-free part of cloudmap-middy: addresses, the cached Cloud Map resolver,
 * the dependency kinds (`instance`, `lambda`, `queue`, `topic`, `http`, `stateMachine`,
 * `eventBus`, `optional`) and
 * their errors. A container or a script uses it as it is; a Middy handler through
 * `@cloudmap-middy/middy`.
 *
 * The subpaths hold what a handler author does not write: `/adapter` (hooks for a framework
 * integration), `/declarations` (the record of what a module declares, for tooling),
 * `/testing` (a registry without Cloud Map, `clearCache()`), `/registration` (Cloud Map's
 * rules for a registration) and `/iam` (the IAM actions a dependency needs).
 *
 * @module @cloudmap-middy/core
 */

export { describeAddress, formatAddress, parseAddress, toAddress } from './address/address.js'
export type { BatchResult } from './calls/batch.js'
export { LIMITS } from './calls/limits.js'
export type { MessageAttributeInput, MessageAttributes } from './calls/message-attributes.js'
export {
  type CallEvent,
  CHANNELS,
  type DiscoveryEndEvent,
  type DiscoveryErrorEvent,
  type DiscoveryStartEvent,
  type InstanceDroppedEvent,
  type RefreshEvent,
  type RefreshReason,
  type StaleEvent,
} from './channels.js'
export { optional } from './dependency/dependency.js'
export {
  type AttributeIssue,
  AttributeValidationError,
  type BatchFailure,
  BatchSendError,
  CallRefusedError,
  CloudMapMiddyError,
  type DependencyFailure,
  DependencyResolutionError,
  type DependencyResolutionErrorOptions,
  DisallowedPathError,
  DisallowedTargetError,
  DiscoveryError,
  ExecutionFailedError,
  HttpRequestError,
  InstanceNotFoundError,
  InstanceTypeMismatchError,
  InvalidAddressError,
  InvalidExecutionNameError,
  MissingEventSourceError,
  MissingGroupIdError,
  NamespaceNotFoundError,
  NoInstancesError,
  PayloadTooLargeError,
  PayloadValidationError,
  RemoteInvocationError,
  ServiceNotFoundError,
  type TargetRule,
} from './errors.js'
export {
  type EventBus,
  type EventBusOptions,
  type EventEntry,
  eventBus,
  type PutBatchResult,
  type PutEventOptions,
  type PutEventResult,
} from './kinds/event-bus.js'
export { type HttpFetchInit, type HttpOptions, type HttpService, http } from './kinds/http.js'
export { type InstanceOptions, instance, type RawAttributes, type ResolvedInstance } from './kinds/instance.js'
export { type CallOptions, type LambdaFunction, type LambdaOptions, lambda } from './kinds/lambda.js'
export {
  type ListenOptions,
  type Queue,
  type QueueOptions,
  type QueueSender,
  queue,
  queueSender,
  type ReceivedMessage,
  type ReceiveOptions,
  type SendOptions,
  type SendResult,
} from './kinds/queue.js'
export {
  type ExecutionOptions,
  type ExecutionStarted,
  type StateMachine,
  type StateMachineOptions,
  stateMachine,
} from './kinds/state-machine.js'
export {
  type PublishOptions,
  type PublishResult,
  type Topic,
  type TopicOptions,
  type TopicPublisher,
  topic,
  topicPublisher,
} from './kinds/topic.js'
export type { LogFields, Logger } from './logger.js'
export { METRICS, type MetricsSink, type MetricUnit } from './metrics.js'
export { createCloudMapClient } from './registry/client.js'
export { type CloudMapRegistryOptions, cloudMapRegistry } from './registry/cloud-map.js'
export { createResolver, getDefaultResolver, type ResolverOptions } from './resolver/resolver.js'
export { defineServices, type ResolvedServices, type ServiceSet, type Services } from './resolver/services.js'
export type { InferInput, InferOutput, Schema } from './schema.js'
export { isTransient } from './transient.js'
export type { Address, AddressInput } from './types/address.js'
export type { AwsClientCapture, CallClientConfig, CallClients, CapturableClient, SdkClient } from './types/calls.js'
export type { AnyDependency, Dependency, DiscoveryOptions, PickStrategy, Resolved } from './types/dependency.js'
export type { InstanceType, Kind } from './types/kinds.js'
export type { Discovery, DiscoveryQuery, HealthStatusFilter, RegisteredInstance, Registry, RegistryCallOptions } from './types/registry.js'
export { NOT_READY, type NotReady, type ResolveOptions, type Resolver, type ResolverSettings } from './types/resolver.js'
