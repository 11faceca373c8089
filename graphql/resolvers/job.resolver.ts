import type { IResolvers, MercuriusContext } from 'mercurius'
import { isUuid, jobQueueStats, JOBS_SCHEMA, recordAudit, SWEEP_QUEUES, UserInputError } from '../../core/index.ts'
import { connectionFromArray, paginateQuery, type ConnectionArgs } from '../relay/connection.ts'
import { auditActor, fromEnum, mutation, requirePlatformOperator, toEnum } from './support.ts'

type Row = Record<string, any>

/** Job queues belong to the platform, not to any customer: only platform operators see them. */
const requireOperator = (ctx: MercuriusContext) => requirePlatformOperator(ctx, 'see job queues')

const jobs = (ctx: MercuriusContext) => ctx.db.withSchema(JOBS_SCHEMA).from('job')

export const jobResolvers: IResolvers = {
  Query: {
    async jobQueues(_root, args: ConnectionArgs, ctx) {
      await requireOperator(ctx)
      return connectionFromArray(await jobQueueStats(ctx.db), args)
    },
    async jobs(_root, args: ConnectionArgs & { queue: string; state: string }, ctx) {
      await requireOperator(ctx)
      return paginateQuery(jobs(ctx).where({ name: args.queue, state: fromEnum(args.state) }), args, { column: 'created_on', direction: 'desc' })
    },
  },
  Job: {
    queue: (j: Row) => j.name,
    state: (j: Row) => toEnum(j.state),
    data: (j: Row) => j.data ?? {},
    retryCount: (j: Row) => j.retry_count,
    retryLimit: (j: Row) => j.retry_limit,
    // pg-boss stores a failure as the serialized error ({ message, stack, ... }).
    error: (j: Row) => (j.state === 'failed' || j.state === 'retry' ? (j.output?.message ?? null) : null),
    createdAt: (j: Row) => j.created_on,
    startedAt: (j: Row) => j.started_on,
    completedAt: (j: Row) => j.completed_on,
  },
  Mutation: {
    retryJob: mutation(async (input: { queue: string; jobId: string }, ctx) => {
      await requireOperator(ctx)
      const job = isUuid(input.jobId) ? await jobs(ctx).where({ name: input.queue, id: input.jobId }).first('state') : undefined
      if (!job) throw new UserInputError([{ field: ['input', 'jobId'], code: 'INVALID', message: 'No such job in this queue' }])
      if (job.state !== 'failed') throw new UserInputError([{ field: ['input', 'jobId'], code: 'NOT_ALLOWED', message: 'Only failed jobs can be retried' }])
      await ctx.jobs.retry(input.queue, input.jobId)
      return { job: await jobs(ctx).where({ name: input.queue, id: input.jobId }).first() }
    }),
    runSweep: mutation(async (input: { queue: string }, ctx) => {
      await requireOperator(ctx)
      const queue = SWEEP_QUEUES.find((name) => name === input.queue)
      if (!queue) throw new UserInputError([{ field: ['input', 'queue'], code: 'INVALID', message: `Sweeps are ${SWEEP_QUEUES.join(', ')}` }])
      const id = await ctx.jobs.enqueue(queue, {})
      await recordAudit(ctx.db, { action: 'job.sweep_started', actor: await auditActor(ctx), target: { type: 'queue', id: queue }, metadata: { queued: id !== null } })
      return { job: id ? await jobs(ctx).where({ name: queue, id }).first() : null }
    }),
  },
}
