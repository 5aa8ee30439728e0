export { type FaultMode, type FaultProxy, startFaultProxy } from './fault-proxy.js'
export { freePort, type MotoServer, motoCommand, queueLambdaResults, startMoto } from './moto.js'
export { ACCOUNT, awsConfig, MotoResources, type QueueRef, REGION } from './resources.js'
export { type RecordedRequest, type StandIn, startStandIn } from './stand-in.js'
