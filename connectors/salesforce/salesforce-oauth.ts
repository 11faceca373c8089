import { OAuth2 } from 'jsforce'
import { ConnectorError, type OAuthApp, type OAuthFlow } from '../connector.ts'
import { boundTransport } from './bounded-transport.ts'
import { tokenErrorToConnectorError } from './salesforce-errors.ts'

// "api" for the REST calls, "refresh_token" for a grant that outlives the 2-hour-ish session; the
// connected app must offer both. https://help.salesforce.com/s/articleView?id=xcloud.remoteaccess_oauth_tokens_scopes.htm
export const OAUTH_SCOPES = 'api refresh_token'
// The token endpoint is one small form POST; past this it is down.
const TOKEN_TIMEOUT_MS = 15_000

/** jsforce's OAuth2 client for the app; `app.baseUrl` is the login host (login., test. or a My Domain). */
function oauthClient(app: OAuthApp): OAuth2 {
  const client = new OAuth2({ clientId: app.clientId, clientSecret: app.clientSecret, redirectUri: app.redirectUri, loginUrl: app.baseUrl })
  boundTransport(client._transport, { timeoutMs: TOKEN_TIMEOUT_MS })
  return client
}

/**
 * The web-server flow: the owner approves at {baseUrl}/services/oauth2/authorize, Salesforce sends
 * a code to the redirect URI, and the code buys an access token, a refresh token and the org's
 * instance URL (REST calls go there, not to the login host).
 */
export const salesforceOAuth: OAuthFlow = {
  authorizeUrl(app, state) {
    return oauthClient(app).getAuthorizationUrl({ scope: OAUTH_SCOPES, state })
  },

  async exchangeCode(app, code) {
    let token
    try {
      token = await oauthClient(app).requestToken(code)
    } catch (error) {
      throw tokenErrorToConnectorError(error, 'exchanging the code')
    }
    if (!token.refresh_token) {
      throw new ConnectorError('rejected', 'Salesforce granted no refresh token: the connected app must offer the refresh_token scope', { retryable: false })
    }
    return { accessToken: token.access_token, refreshToken: token.refresh_token, instanceUrl: token.instance_url, issuedAt: token.issued_at }
  },
}
