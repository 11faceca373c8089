import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose'
import { AppError } from '../errors/app-error.ts'

export interface GoogleSettings {
  clientId: string | null
  jwksUrl: string
  issuers: readonly string[]
}

export interface GoogleIdentity {
  subject: string
  email: string
  emailVerified: boolean
  name: string
}

// One remote key set per URL: jose caches Google's keys and refetches when a new kid appears.
const keySets = new Map<string, JWTVerifyGetKey>()

/**
 * Verifies a Google ID token against Google's published keys (RS256), its issuer, our client id
 * as audience, and its expiry. https://developers.google.com/identity/gsi/web/guides/verify-google-id-token
 */
export async function verifyGoogleIdToken(settings: GoogleSettings, idToken: string): Promise<GoogleIdentity> {
  if (!settings.clientId) throw new AppError('FORBIDDEN', 'Google sign-in is not enabled on this server')
  let keySet = keySets.get(settings.jwksUrl)
  if (!keySet) keySets.set(settings.jwksUrl, (keySet = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000 })))
  try {
    const { payload } = await jwtVerify(idToken, keySet, { issuer: [...settings.issuers], audience: settings.clientId, algorithms: ['RS256'] })
    if (typeof payload.sub !== 'string' || typeof payload.email !== 'string') throw new Error('missing sub or email')
    return {
      subject: payload.sub,
      email: payload.email.trim().toLowerCase(),
      emailVerified: payload.email_verified === true || payload.email_verified === 'true',
      name: typeof payload.name === 'string' ? payload.name.slice(0, 200) : '',
    }
  } catch (error) {
    throw new AppError('UNAUTHENTICATED', 'The Google sign-in could not be verified', undefined, { cause: error })
  }
}
