import { z } from 'zod'
import { ConnectorError } from '../connector.ts'
import { API_NAME, RECORD_ID } from './soql.ts'

const apiName = z.string().regex(API_NAME, 'must be a Salesforce API name such as Answerline_Id__c')
const recordId = z.string().regex(RECORD_ID, 'must be a 15- or 18-character Salesforce id')

/** A business's Salesforce settings (non-secret), validated when the connector is created or changed. */
export const salesforceConfigSchema = z.object({
  apiVersion: z.string().regex(/^\d{2,3}\.0$/, 'must look like 62.0').default('62.0'),
  /** How an existing Lead is found when no earlier delivery left its id. */
  dedupe: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('email_or_phone') }),
      // The field must be an External ID on Lead; it receives the Answerline lead id.
      z.object({ kind: z.literal('external_id'), field: apiName }),
    ])
    .default({ kind: 'email_or_phone' }),
  /** Who owns a Lead we create; an existing Lead keeps its owner. */
  ownerRule: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('existing') }),
      z.object({ kind: z.literal('fixed'), ownerId: recordId }),
      z.object({ kind: z.literal('round_robin'), ownerIds: z.array(recordId).min(1) }),
    ])
    .default({ kind: 'existing' }),
  leadSource: z.string().min(1).max(255).default('Phone Inquiry'),
  // Lead.Company is required by Salesforce and callers rarely say theirs.
  defaultCompany: z.string().min(1).max(255).default('[not provided]'),
})
export type SalesforceConfig = z.infer<typeof salesforceConfigSchema>

/** What the OAuth grant stores: the instance URL is per org (My Domain), the refresh token long-lived. */
export const salesforceCredentialsSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  instanceUrl: z.url({ protocol: /^https?$/ }),
  issuedAt: z.string().optional(),
})
export type SalesforceCredentials = z.infer<typeof salesforceCredentialsSchema>

/** The connector's config; a broken one is the business's to fix, so nothing is retried. */
export function readConfig(raw: Record<string, unknown>): SalesforceConfig {
  const parsed = salesforceConfigSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  throw new ConnectorError('rejected', `invalid Salesforce settings: ${z.prettifyError(parsed.error)}`, { retryable: false })
}

/** The stored OAuth credentials; missing or malformed ones mean a person must connect Salesforce again. */
export function readCredentials(raw: Record<string, unknown> | null): SalesforceCredentials {
  const parsed = salesforceCredentialsSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  throw new ConnectorError('auth_expired', 'no usable Salesforce credentials are stored; connect Salesforce again', { retryable: false })
}
