import { jwtVerify, SignJWT } from 'jose'
import { AppError } from '../core/index.ts'

const AUDIENCE = 'answerline:call'
const ISSUER = 'answerline'

/** How the AI should handle the call. */
export type CallMode = 'conversation' | 'take_message'

/** Everything the media worker needs to start a call, signed so it cannot be forged or reused for another call. */
export interface CallTokenClaims {
  callId: string
  callSid: string
  businessId: string
  /** True only when the caller consented to recording. */
  recording: boolean
  mode: CallMode
  /** The call ends before its reserved minutes run out. */
  maxDurationSeconds: number
}

const keyCache = new Map<string, Uint8Array>()
const keyOf = (secret: string) => {
  let key = keyCache.get(secret)
  if (!key) keyCache.set(secret, (key = new TextEncoder().encode(secret)))
  return key
}

/** Signs a call token with the worker secret; it lives only as long as Twilio needs to open the stream. */
export function signCallToken(secret: string, ttlSeconds: number, claims: CallTokenClaims): Promise<string> {
  return new SignJWT({ cid: claims.callId, bid: claims.businessId, rec: claims.recording, mode: claims.mode, max: claims.maxDurationSeconds })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(claims.callSid)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(keyOf(secret))
}

/** Verifies a call token, and that it was issued for the CallSid of the stream presenting it. */
export async function verifyCallToken(secret: string, token: string, callSid: string): Promise<CallTokenClaims> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), { audience: AUDIENCE, issuer: ISSUER, algorithms: ['HS256'], subject: callSid })
    return {
      callId: String(payload.cid),
      callSid,
      businessId: String(payload.bid),
      recording: payload.rec === true,
      mode: payload.mode === 'take_message' ? 'take_message' : 'conversation',
      maxDurationSeconds: Number(payload.max),
    }
  } catch (error) {
    throw new AppError('UNAUTHENTICATED', 'The call token is not valid', undefined, { cause: error })
  }
}
