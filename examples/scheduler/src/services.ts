import { eventBus, instance, lambda, queueSender, topicPublisher } from '@cloudmap-middy/core'
import { z } from 'zod'
import { GetJobInput, Job, JobDone, JobMessage, JobScheduled } from './jobs.js'

/** The stage's Cloud Map namespace (the template sets it from its Stage parameter). */
const namespace = process.env.CLOUDMAP_NAMESPACE ?? 'dev'

// Every dependency of the app, by address: no ARN, URL or table name is configured anywhere else.
// Each is a function that declares it, called by the handlers that use it: a function nobody
// calls is dropped by any bundler, so a handler carries only the kinds it uses (a declaration
// made at module load would stay in every bundle that imports this module).
export const jobsTable = () => instance(`${namespace}.storage->jobs-table`, { attributes: z.object({ tableName: z.string().min(1) }) })
export const schedulerQueue = () => queueSender(`${namespace}.scheduler->scheduler-queue`, { message: JobMessage })
export const jobEvents = () => topicPublisher(`${namespace}.events->job-events`, { message: JobScheduled })
export const getJob = () => lambda(`${namespace}.scheduler->get-job`, { payload: GetJobInput, result: Job.nullable() })
export const jobBus = () => eventBus(`${namespace}.events->job-bus`, { detail: JobDone, source: 'scheduler' })
