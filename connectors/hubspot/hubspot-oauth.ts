import { z } from 'zod'
import { ConnectorError, type OAuthApp, type OAuthFlow } from '../connector.ts'
import { createBoundClient } from './hubspot-client.ts'
import { statusOf, toConnectorError, vendorMessage, isHubSpotApiError } from './hubspot-errors.ts'

/**
 * Contacts read/write is all the connector needs: HubSpot gates the calls engagement API on the
 * contacts scopes (https://developers.hubspot.com/docs/api-reference/latest/crm/activities/calls/guide),
 * and setting hubspot_owner_id needs no owners scope. The scopes sent must match the app's settings.
 */
export const DEFAULT_SCOPES = ['crm.objects.contacts.read', 'crm.objects.contacts.write'] as const
/** Tokens expiring sooner than this are refreshed before the delivery uses them. */
export const REFRESH_MARGIN_MS = 5 * 60_000
// The token endpoint is one small form POST; past this it is down.
const TOKEN_TIMEOUT_MS = 15_000

/** A private app's access token, given by hand; it does not expire. */
export const privateAppCredentialsSchema = z.object({ accessToken: z.string().min(1) })

/** What the OAuth grant produces and a refresh replaces. */
export const oauthCredentialsSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1),
  expiresAt: z.iso.datetime({ offset: true }),
})
export type OAuthCredentials = z.infer<typeof oauthCredentialsSchema>

export type HubSpotCredentials = { kind: 'oauth'; tokens: OAuthCredentials } | { kind: 'private'; accessToken: string }

/** Tells the two kinds of stored credentials apart; missing or malformed ones mean a person must reconnect. */
export function readCredentials(raw: Record<string, unknown> | null): HubSpotCredentials {
  // A refresh token marks an OAuth grant; a malformed one must not pass as a private-app token,
  // or it would never be refreshed.
  if (raw && 'refreshToken' in raw) {
    const oauth = oauthCredentialsSchema.safeParse(raw)
    if (oauth.success) return { kind: 'oauth', tokens: oauth.data }
  } else {
    const token = privateAppCredentialsSchema.safeParse(raw)
    if (token.success) return { kind: 'private', accessToken: token.data.accessToken }
  }
  throw new ConnectorError('auth_expired', 'no usable HubSpot credentials are stored; connect HubSpot again', { retryable: false })
}

/** True when the access token expires within REFRESH_MARGIN_MS of `now`. */
export function expiresSoon(tokens: OAuthCredentials, now = Date.now()): boolean {
  return Date.parse(tokens.expiresAt) - now < REFRESH_MARGIN_MS
}

function toCredentials(answer: { accessToken: string; refreshToken?: string; expiresIn: number }, previousRefreshToken?: string): OAuthCredentials {
  return {
    accessToken: answer.accessToken,
    // HubSpot refresh tokens do not rotate, but keep the old one if an answer ever omits it.
    refreshToken: answer.refreshToken || previousRefreshToken || '',
    expiresAt: new Date(Date.now() + answer.expiresIn * 1000).toISOString(),
  }
}

/**
 * Trades the refresh token for a new access token (POST {app.baseUrl}/oauth/v1/token,
 * grant_type=refresh_token). A refused refresh token (400 BAD_REFRESH_TOKEN: the app was
 * uninstalled or the grant revoked) is auth_expired; only reconnecting helps.
 */
export async function refreshTokens(app: OAuthApp, tokens: OAuthCredentials, signal: AbortSignal): Promise<OAuthCredentials> {
  const bound = createBoundClient({ basePath: app.baseUrl, signal })
  try {
    const answer = await bound.client.oauth.tokensApi.create('refresh_token', undefined, undefined, app.clientId, app.clientSecret, tokens.refreshToken)
    return toCredentials(answer, tokens.refreshToken)
  } catch (error) {
    const status = statusOf(error)
    if (isHubSpotApiError(error) && (status === 400 || status === 401)) {
      throw new ConnectorError('auth_expired', `HubSpot refused the refresh token: ${vendorMessage(error)}`, { statusCode: status, retryable: false, cause: error })
    }
    throw toConnectorError(error, signal, 'the token refresh')
  } finally {
    bound.close()
  }
}

/**
 * The web-server flow. The authorize page is always https://app.hubspot.com/oauth/authorize
 * (HubSpot's login UI, built by the SDK's getAuthorizationUrl), whatever `app.baseUrl` is; only the
 * token endpoint hangs off `app.baseUrl` (api.hubapi.com, or a local fake in tests).
 * https://developers.hubspot.com/docs/guides/apps/authentication/working-with-oauth
 */
export function createHubSpotOAuthFlow(scopes: readonly string[] = DEFAULT_SCOPES): OAuthFlow {
  return {
    authorizeUrl(app, state) {
      const bound = createBoundClient({ basePath: app.baseUrl, signal: new AbortController().signal })
      try {
        return bound.client.oauth.getAuthorizationUrl(app.clientId, app.redirectUri, scopes.join(' '), undefined, state)
      } finally {
        bound.close()
      }
    },
    async exchangeCode(app, code) {
      const signal = AbortSignal.timeout(TOKEN_TIMEOUT_MS)
      const bound = createBoundClient({ basePath: app.baseUrl, signal })
      try {
        const answer = await bound.client.oauth.tokensApi.create('authorization_code', code, app.redirectUri, app.clientId, app.clientSecret)
        return toCredentials(answer)
      } catch (error) {
        throw toConnectorError(error, signal, 'the authorization code exchange')
      } finally {
        bound.close()
      }
    },
  }
}
