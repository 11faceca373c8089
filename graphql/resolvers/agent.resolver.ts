import type { IResolvers, MercuriusContext } from 'mercurius'
import { AppError, recordAudit, requirePlanFeature, UserInputError, type Knex } from '../../core/index.ts'
import { connectionFromArray, type ConnectionArgs } from '../relay/connection.ts'
import { checkAgentSettings, CONFIG_COLUMNS, readAgentSettingsInput, type AgentSettingsChanges } from './agent-settings-input.ts'
import { auditActor, localId, mutation, toEnum } from './support.ts'

type Row = Record<string, any>

const COLUMNS: readonly string[] = Object.values(CONFIG_COLUMNS)
// node-postgres sends a JavaScript array as a PostgreSQL array; jsonb columns need JSON text.
const JSON_COLUMNS = new Set(['services', 'working_hours', 'capture_fields', 'escalation_rules'])

/** The version calls use: the latest one. */
const latestConfig = (db: Knex, businessId: string): Promise<Row | undefined> => db('agent_configs').where({ business_id: businessId }).orderBy('version', 'desc').first()

/** What AgentSettings resolves from: one version of the configuration, with the business's own settings. */
const settingsOf = (config: Row, business: Row) => ({ ...config, time_zone: business.time_zone, retention_days: business.retention_days })

async function updateBusiness(trx: Knex.Transaction, businessId: string, changes: AgentSettingsChanges['business']): Promise<Row> {
  try {
    const [business] = await trx('businesses').where({ id: businessId }).update(changes).returning('*')
    return business
  } catch (error) {
    // Intl and PostgreSQL may ship different time zone databases; the column check has the last word.
    if ((error as { code?: string }).code === '23514' && changes.time_zone !== undefined) {
      throw new UserInputError([{ field: ['input', 'timeZone'], code: 'INVALID', message: 'Use an IANA time zone, such as America/New_York' }])
    }
    throw error
  }
}

/**
 * Saves a new version: the latest one with the changes applied. Concurrent saves of a business
 * queue on its row, so each copies the version saved just before it and none is lost.
 */
async function saveAgentSettings(ctx: MercuriusContext, businessId: string, input: Row): Promise<Row> {
  const changes = readAgentSettingsInput(input)
  const actor = await auditActor(ctx)
  return ctx.db.transaction(async (trx) => {
    const business = await trx('businesses').where({ id: businessId }).forUpdate().first()
    if (!business) throw new AppError('NOT_FOUND', 'Business was not found')
    // What the plan sells: turning recording on, and fields of the business's own to capture.
    const payer = { id: businessId, organizationId: business.organization_id as string }
    if (changes.config.recording_enabled === true) await requirePlanFeature(trx, payer, 'recording', ['input', 'recordingEnabled'])
    if (Array.isArray(changes.config.capture_fields) && changes.config.capture_fields.length) await requirePlanFeature(trx, payer, 'custom_capture_fields', ['input', 'captureFields'])
    const previous = await latestConfig(trx, businessId)
    const next: Row = { ...Object.fromEntries(COLUMNS.filter((c) => previous && c in previous).map((c) => [c, previous?.[c]])), ...changes.config }
    checkAgentSettings(next, previous, input)
    const row = Object.fromEntries(Object.entries(next).map(([column, value]) => [column, JSON_COLUMNS.has(column) ? JSON.stringify(value) : value]))
    const [config] = await trx('agent_configs')
      .insert({ ...row, business_id: businessId, version: (previous?.version ?? 0) + 1, created_by: actor.type === 'user' ? actor.id : null })
      .returning('*')
    const saved = Object.keys(changes.business).length ? await updateBusiness(trx, businessId, changes.business) : business
    await recordAudit(trx, {
      action: 'agent_settings.updated',
      actor,
      organizationId: business.organization_id,
      businessId,
      target: { type: 'agent_config', id: config.id },
      ip: ctx.client.ip,
      userAgent: ctx.client.userAgent,
      metadata: { version: config.version, fields: Object.keys(input).filter((key) => key !== 'businessId').sort() },
    })
    return settingsOf(config, saved)
  })
}

export const agentResolvers: IResolvers = {
  Business: {
    agentSettings: async (b: Row, _args, ctx) => {
      await (await ctx.access()).requireBusiness(b.id, 'agent:read')
      const config = await latestConfig(ctx.db, b.id)
      return config ? settingsOf(config, b) : null
    },
  },
  AgentSettings: {
    disclosureText: (s: Row) => s.disclosure_text,
    consentPrompt: (s: Row) => s.consent_prompt,
    consentMaxAttempts: (s: Row) => s.consent_max_attempts,
    systemPrompt: (s: Row) => s.system_prompt,
    workingHours: (s: Row) => s.working_hours,
    afterHoursBehavior: (s: Row) => toEnum(s.after_hours_behavior),
    captureFields: (s: Row, args: ConnectionArgs) => connectionFromArray(s.capture_fields as Row[], args),
    escalationRules: (s: Row) => s.escalation_rules,
    forwardingNumber: (s: Row) => s.forwarding_number,
    staffFirstSeconds: (s: Row) => s.staff_first_seconds,
    outOfMinutesBehavior: (s: Row) => toEnum(s.out_of_minutes_behavior),
    recordingEnabled: (s: Row) => s.recording_enabled,
    retentionDays: (s: Row) => s.retention_days,
    timeZone: (s: Row) => s.time_zone,
    updatedAt: (s: Row) => s.created_at,
  },
  CaptureField: {
    type: (f: Row) => toEnum(f.type),
    required: (f: Row) => f.required === true,
    options: (f: Row) => f.options ?? [],
  },
  Mutation: {
    updateAgentSettings: mutation(async (input: Row, ctx) => {
      const scope = await (await ctx.access()).requireBusiness(localId(input.businessId, 'Business'), 'agent:write')
      return { agentSettings: await saveAgentSettings(ctx, scope.businessId, input) }
    }),
  },
}
