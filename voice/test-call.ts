import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { Access, AppError, authenticate, billingAccountFor, isUuid, queryPrepared, type Config } from '../core/index.ts'
import { signCallToken } from './call-token.ts'

/**
 * Starts a test call from the browser: a business owner (or a widget with agent:write) talks to
 * their own agent without a phone number. It is a real call record (direction `test`) and it
 * spends real minutes, reserved exactly like a phone call's.
 */
export async function createTestCall(db: Knex, config: Config, input: { authorization: string; businessId: string }): Promise<{ callId: string; callSid: string; callToken: string }> {
  const principal = await authenticate(db, config.auth.jwtKeys, input.authorization)
  if (principal.kind === 'anonymous') throw new AppError('UNAUTHENTICATED', 'Sign in to place a test call')
  if (!isUuid(input.businessId)) throw new AppError('NOT_FOUND', 'Business was not found')
  const scope = await new Access(db, principal).requireBusiness(input.businessId, 'agent:write')
  const account = await billingAccountFor(db, { id: scope.businessId, organizationId: scope.organizationId })
  if (!account) throw new AppError('CONFLICT', 'The business has no billing account')
  const callId = randomUUID()
  const [result] = await queryPrepared<{ reserved: number }>(
    db,
    'voice.reserve_and_record_test_call',
    `with r as (select reserved from answerline_reserve_minutes($1, $2, $3, $4, 1)),
     c as (
       insert into calls (id, business_id, agent_config_id, direction, from_number, to_number, status, reserved_minutes)
       select $2, $3, (select id from agent_configs where business_id = $3 order by version desc limit 1), 'test', 'client:test-call', 'client:answerline', 'in_progress', r.reserved
       from r where r.reserved > 0
     )
     select reserved from r`,
    [account.id, callId, scope.businessId, config.voice.reservationMinutes],
  )
  if (!result?.reserved) throw new AppError('CONFLICT', 'No minutes are left for a test call')
  const callSid = `test:${callId}`
  const callToken = await signCallToken(config.voice.workerSecret as string, config.voice.callTokenTtlSeconds, {
    callId,
    callSid,
    businessId: scope.businessId,
    recording: false,
    mode: 'conversation',
    maxDurationSeconds: result.reserved * 60,
  })
  return { callId, callSid, callToken }
}
