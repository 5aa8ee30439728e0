import { Metrics } from '@aws-lambda-powertools/metrics'

/**
 * The app's metrics: each handler's `logMetrics` flushes them (EMF on stdout, which CloudWatch
 * turns into metrics); `cloudMap({ metrics })` adds its cache hits, misses and discovery latency.
 */
export const metrics = new Metrics({ namespace: 'scheduler', serviceName: 'scheduler' })
