// The SDK client modules, each imported by the kind that sends with it: at its prefetch in Lambda, or on first use.
// Their types are imported here only: no public declaration refers to this module, so an
// app that installs only the clients of the kinds it uses type-checks with skipLibCheck off.
import type * as EventBridgeSdk from '@aws-sdk/client-eventbridge'
import type * as LambdaSdk from '@aws-sdk/client-lambda'
import type * as SfnSdk from '@aws-sdk/client-sfn'
import type * as SnsSdk from '@aws-sdk/client-sns'
import type * as SqsSdk from '@aws-sdk/client-sqs'
import { once } from './clients.js'

/** The rejection of an SDK client package that could not be imported, naming the package to install. */
function notLoaded(name: string): (cause: unknown) => never {
  return (cause) => {
    throw new Error(`${name} could not be loaded: install it (npm install ${name})`, { cause })
  }
}

// Each `import()` has its own `.catch()`: esbuild then leaves a package it cannot find
// (one not installed, as the kind is not used) to fail at run time instead of failing the
// build, so a bundle needs only the clients of the kinds it uses. Each loader is
// `@__PURE__`: a bundle keeps only those of the kinds it uses, and their SDK modules with them.

/**
 * `@aws-sdk/client-lambda`, imported by the prefetch at a Lambda init of a `lambda()` dependency
 * (while Cloud Map answers) or on first use: a handler that declares none never loads it.
 */
export const loadLambdaSdk: () => Promise<typeof LambdaSdk> = /* @__PURE__ */ once(() =>
  import('@aws-sdk/client-lambda').catch(notLoaded('@aws-sdk/client-lambda')),
)

/** `@aws-sdk/client-sqs`, imported by a prefetch in Lambda or on first use. */
export const loadSqsSdk: () => Promise<typeof SqsSdk> = /* @__PURE__ */ once(() =>
  import('@aws-sdk/client-sqs').catch(notLoaded('@aws-sdk/client-sqs')),
)

/** `@aws-sdk/client-sns`, imported by a prefetch in Lambda or on first use. */
export const loadSnsSdk: () => Promise<typeof SnsSdk> = /* @__PURE__ */ once(() =>
  import('@aws-sdk/client-sns').catch(notLoaded('@aws-sdk/client-sns')),
)

/** `@aws-sdk/client-sfn`, imported by a prefetch in Lambda or on first use. */
export const loadSfnSdk: () => Promise<typeof SfnSdk> = /* @__PURE__ */ once(() =>
  import('@aws-sdk/client-sfn').catch(notLoaded('@aws-sdk/client-sfn')),
)

/** `@aws-sdk/client-eventbridge`, imported by a prefetch in Lambda or on first use. */
export const loadEventBridgeSdk: () => Promise<typeof EventBridgeSdk> = /* @__PURE__ */ once(() =>
  import('@aws-sdk/client-eventbridge').catch(notLoaded('@aws-sdk/client-eventbridge')),
)
