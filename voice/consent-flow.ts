import type { Knex } from 'knex'
import { readConsentAnswer } from './consent.ts'

export type ConsentOutcome = 'given' | 'declined' | 'not_completed' | 'ask_again'

/**
 * Records one answer to the recording question. The consent record is locked while it is read
 * and written, and once decided it stays decided: a retried webhook gets the same outcome.
 * Unclear answers (silence included) are asked again until the agent's attempt limit, then the
 * call goes on without recording.
 */
export async function recordConsentAnswer(db: Knex, callSid: string, answer: { digits?: string; speech?: string }): Promise<{ outcome: ConsentOutcome; attempts: number } | null> {
  return db.transaction(async (trx) => {
    const row = await trx('consent_records as r')
      .join('calls as c', 'c.id', 'r.call_id')
      .leftJoin('agent_configs as a', 'a.id', 'c.agent_config_id')
      .where('c.twilio_call_sid', callSid)
      .forUpdate('r')
      .first('r.id', 'r.decision', 'r.attempts', 'r.language', 'a.consent_max_attempts')
    if (!row) return null
    if (row.decision !== 'pending') return { outcome: row.decision, attempts: row.attempts }
    const attempts = row.attempts + 1
    const reading = readConsentAnswer({ ...answer, language: row.language })
    const method = answer.digits === '1' || answer.digits === '2' ? 'dtmf' : 'speech'
    if (reading === 'yes' || reading === 'no') {
      const decision = reading === 'yes' ? 'given' : 'declined'
      await trx('consent_records').where({ id: row.id }).update({ decision, method, attempts, decided_at: trx.fn.now() })
      return { outcome: decision, attempts }
    }
    if (attempts < (row.consent_max_attempts ?? 2)) {
      await trx('consent_records').where({ id: row.id }).update({ attempts })
      return { outcome: 'ask_again' as const, attempts }
    }
    await trx('consent_records').where({ id: row.id }).update({ decision: 'not_completed', attempts, decided_at: trx.fn.now() })
    return { outcome: 'not_completed' as const, attempts }
  })
}
