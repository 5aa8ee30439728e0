import { z } from 'zod'

/** What a client posts to schedule a job. */
export const JobRequest = z.object({
  name: z.string().min(1).max(100),
  runAt: z.iso.datetime().optional(),
})

/** A job as stored in the jobs table and returned by get-job. */
export const Job = z.object({
  id: z.string(),
  name: z.string(),
  runAt: z.string(),
  status: z.enum(['scheduled', 'done']),
  createdAt: z.string(),
  doneAt: z.string().optional(),
})
export type Job = z.infer<typeof Job>

/** The message on the scheduler queue. */
export const JobMessage = z.object({ jobId: z.string() })

/** The event published to the job-events topic. */
export const JobScheduled = z.object({
  type: z.literal('job.scheduled'),
  jobId: z.string(),
  name: z.string(),
  runAt: z.string(),
})

/** The detail of the `Job Done` event the worker puts on the job bus. */
export const JobDone = z.object({ jobId: z.string(), doneAt: z.string() })

/** What get-job is invoked with. */
export const GetJobInput = z.object({ id: z.string().min(1) })
