import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { expectTypeOf } from 'expect-type'
import { createResolver, type Logger, METRICS, type MetricsSink, type MetricUnit } from '../../src/index.js'

// console and a Powertools Logger are loggers; Powertools Metrics is a metrics sink.
createResolver({ logger: console })
createResolver({ logger: new PowertoolsLogger({ serviceName: 'orders' }) })
createResolver({ metrics: new Metrics({ namespace: 'orders', serviceName: 'checkout' }) })
expectTypeOf(new Metrics()).toExtend<MetricsSink>()
expectTypeOf(new PowertoolsLogger()).toExtend<Logger>()
// A logger with warn alone fits; one without warn does not.
createResolver({ logger: { warn: () => undefined } })
// @ts-expect-error a logger needs warn
createResolver({ logger: { debug: () => undefined } })
// @ts-expect-error a sink needs addMetric(name, unit, value)
createResolver({ metrics: { putMetric: () => undefined } })
// The names are literal types, for a sink or a test that matches on them.
expectTypeOf(METRICS.hit).toEqualTypeOf<'CloudMapCacheHit'>()
expectTypeOf<MetricUnit>().toEqualTypeOf<'Count' | 'Milliseconds'>()
