/**
 * The AWS CDK part of cloudmap-middy: `registerInstance()` puts a function, queue, topic,
 * state machine, event bus or HTTP endpoint in Cloud Map with the attributes its kind
 * reads; `grantServices()` grants a function exactly what its handler's declared
 * dependencies need; `addDiscoveryEndpoint()` lets functions in a VPC without NAT reach
 * Cloud Map's discovery API.
 *
 * @module @cloudmap-middy/cdk
 */
export { addDiscoveryEndpoint, type DiscoveryEndpointProps } from './discovery-endpoint.js'
export { type CallName, type GrantServicesProps, grantServices } from './grant-services.js'
export { type RegisterInstanceProps, registerInstance } from './register-instance.js'
export type { HttpEndpoint, InstanceTarget } from './targets.js'
